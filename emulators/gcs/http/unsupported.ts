import { StorageError } from '../errors.ts';
import { type Ctx, header } from './context.ts';

/**
 * Features the emulator does not have are refused with a 400 that names them, never accepted and
 * dropped: a client that asked for a hold, an encryption key or an ACL must not believe it got one.
 */
export function refuseUnsupportedObjectOptions(ctx: Ctx): void {
  if (header(ctx.req, 'x-goog-encryption-key') || header(ctx.req, 'x-goog-copy-source-encryption-key')) {
    throw new StorageError('invalid', 'Customer-supplied encryption keys are not supported by the emulator (x-goog-encryption-key).');
  }
  if (ctx.query.get('kmsKeyName')) {
    throw new StorageError('invalid', 'Cloud KMS keys are not supported by the emulator (kmsKeyName).');
  }
  if (ctx.query.get('predefinedAcl') || ctx.query.get('destinationPredefinedAcl')) throw uniformAccessRefusal('object');
  if (ctx.query.get('softDeleted') === 'true') {
    throw new StorageError('invalid', 'Soft delete is not supported by the emulator: no object is ever soft-deleted (softDeleted=true).');
  }
  if (ctx.query.get('overrideUnlockedRetention') === 'true') {
    throw new StorageError('invalid', 'Object retention is not supported by the emulator (overrideUnlockedRetention).');
  }
}

export const holdsUnsupported = (): StorageError =>
  new StorageError('invalid', 'Object holds are not supported by the emulator (temporaryHold, eventBasedHold).');

/** What GCS answers to a legacy ACL on a bucket with uniform bucket-level access (every bucket here). */
export function uniformAccessRefusal(what: 'bucket' | 'object'): StorageError {
  return new StorageError(
    'invalid',
    what === 'bucket'
      ? 'Cannot use legacy ACL for a bucket that has uniform bucket-level access. Read more at https://cloud.google.com/storage/docs/uniform-bucket-level-access'
      : 'Cannot insert legacy ACL for an object when uniform bucket-level access is enabled. Read more at https://cloud.google.com/storage/docs/uniform-bucket-level-access',
  );
}

/** Every ACL route (bucket, default object, object): uniform bucket-level access is always on here. */
export function refuseBucketAcl(ctx: Ctx): never {
  ctx.req.resume();
  throw uniformAccessRefusal('bucket');
}

export function refuseObjectAcl(ctx: Ctx): never {
  ctx.req.resume();
  throw uniformAccessRefusal('object');
}
