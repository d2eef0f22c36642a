import { StorageError } from '../errors.ts';
import type { Ctx } from './context.ts';

/**
 * Features the emulator does not have are refused with a 400 that names them, never accepted and
 * dropped: a client that asked for a KMS key must not believe it got one.
 */
export function refuseUnsupportedObjectOptions(ctx: Ctx): void {
  if (ctx.query.get('kmsKeyName')) {
    throw new StorageError('invalid', 'Cloud KMS keys are not supported by the emulator (kmsKeyName).');
  }
}
