/** The errors of a sync: a problem code beside the DocVaultError code, and a message naming the path and the fix. */
import { PassThrough, type Readable } from 'node:stream';
import { z } from 'zod';
import { DocVaultError, type ErrorCode } from '../../core/errors.ts';


/** What went wrong, beyond the DocVaultError code: the CLI prints this. */
export const SyncProblem = z.enum(['INVALID_LOCATION', 'SOURCE_MISSING', 'DESTINATION_MISSING', 'NO_SPACE', 'PERMISSION_DENIED', 'CHECKSUM_MISMATCH']);
export type SyncProblem = z.infer<typeof SyncProblem>;

const CODE_OF: Record<SyncProblem, ErrorCode> = {
  INVALID_LOCATION: 'INVALID_ARGUMENT',
  SOURCE_MISSING: 'SOURCE_MISSING',
  DESTINATION_MISSING: 'INVALID_ARGUMENT',
  NO_SPACE: 'INTERNAL',
  PERMISSION_DENIED: 'INTERNAL',
  CHECKSUM_MISMATCH: 'INTERNAL',
};

export function syncError(problem: SyncProblem, path: string, message: string, cause?: unknown): DocVaultError {
  return new DocVaultError(CODE_OF[problem], message, { problem, path }, cause === undefined ? undefined : { cause });
}

/** The SyncProblem of an error thrown by this module, if it is one. */
export function syncProblemOf(err: unknown): SyncProblem | undefined {
  if (!(err instanceof DocVaultError)) return undefined;
  const parsed = SyncProblem.safeParse(err.details.problem);
  return parsed.success ? parsed.data : undefined;
}

/** Maps a failed local write or a failed bucket call to a message that names the path and the fix. */
export function describeWriteError(err: unknown, path: string): DocVaultError {
  if (err instanceof DocVaultError) return err;
  const code = (err as { code?: unknown }).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return syncError('NO_SPACE', path, `No space left to write ${path}: nothing was written there. Free some space and run the sync again.`, err);
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 403) {
    return syncError('PERMISSION_DENIED', path, `Permission denied writing ${path}: nothing was written there. Check who owns it (or the bucket's IAM) and run the sync again.`, err);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new DocVaultError('INTERNAL', `Could not write ${path}: ${message}`, { path }, { cause: err });
}

/** Marks errors of a source stream, so that a failed copy names the side that failed. */
const FROM_SOURCE = Symbol('model-sync source error');

export function sourceStream(raw: Readable): Readable {
  // A pass-through between the source and the pipeline: the pipeline destroys it (not the source)
  // when the destination fails, so only the source's own errors get the mark.
  const pass = new PassThrough();
  raw.on('error', (err: unknown) => {
    if (err && typeof err === 'object') (err as Record<symbol, boolean>)[FROM_SOURCE] = true;
    pass.destroy(err as Error);
  });
  pass.once('close', () => raw.destroy());
  return raw.pipe(pass);
}

export function isSourceError(err: unknown): boolean {
  return Boolean(err && typeof err === 'object' && (err as Record<symbol, boolean>)[FROM_SOURCE]);
}

export function describeReadError(err: unknown, path: string): DocVaultError {
  if (err instanceof DocVaultError) return err;
  const code = (err as { code?: unknown }).code;
  if (code === 'EACCES' || code === 'EPERM' || code === 403) {
    return syncError('PERMISSION_DENIED', path, `Permission denied reading ${path}.`, err);
  }
  if (code === 'ENOENT' || code === 404) return syncError('SOURCE_MISSING', path, `${path} does not exist.`, err);
  const message = err instanceof Error ? err.message : String(err);
  return new DocVaultError('INTERNAL', `Could not read ${path}: ${message}`, { path }, { cause: err });
}
