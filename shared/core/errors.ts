import { z } from 'zod';

/**
 * Every failure the service reports carries one of these codes. A permanent code means the input
 * itself is at fault (retrying cannot help: the task is FAILED with the reason and the message is
 * acknowledged); a retryable one means the platform should deliver the work again.
 */
export const ErrorCode = z.enum([
  'EMPTY_FILE',
  'UNSUPPORTED_TYPE',
  'FILE_TOO_LARGE',
  'TOO_MANY_PAGES',
  'IMAGE_TOO_LARGE',
  'CORRUPT_DOCUMENT',
  'ENCRYPTED_PDF',
  'WRONG_PASSWORD',
  /** The task's sealed password no longer opens (PASSWORD_KEY changed since it was given): the caller gives it again. */
  'PASSWORD_UNREADABLE',
  'LANGUAGE_UNAVAILABLE',
  'INVALID_ARGUMENT',
  'SOURCE_MISSING',
  'PAGE_TIMEOUT',
  /** Over the document's budget: its time, its pixels, a page's drawing operations or memory. */
  'DOCUMENT_TOO_COMPLEX',
  'ENGINE_FAILURE',
  'INTERNAL',
  // HTTP-only: answered to a caller of the upload and api functions, never stored on a task.
  'INVALID_REQUEST',
  'UNAUTHENTICATED',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'PAYLOAD_TOO_LARGE',
  'HEADERS_TOO_LARGE',
  'UNSUPPORTED_ENCODING',
  'TOO_MANY_FILES',
  'NOT_READY',
  'ALREADY_FINISHED',
  /** POST /tasks/{id}/password on a task that did not fail for want of a password. */
  'NOT_AWAITING_PASSWORD',
  'UNAVAILABLE',
  /** Over the caller's per-user request limit: try again after Retry-After. */
  'RATE_LIMITED',
  // Local only: a file named on the command line (the docvault CLI).
  'FILE_NOT_FOUND',
  'PERMISSION_DENIED',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['ENGINE_FAILURE', 'INTERNAL']);

export function isRetryableCode(code: ErrorCode): boolean {
  return RETRYABLE.has(code);
}

export class DocVaultError extends Error {
  override readonly name = 'DocVaultError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  get retryable(): boolean {
    return isRetryableCode(this.code);
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return Object.keys(this.details).length > 0
      ? { code: this.code, message: this.message, details: { ...this.details } }
      : { code: this.code, message: this.message };
  }
}

/** Anything thrown that is not ours is an internal (retryable) failure, with its message kept. */
export function toDocVaultError(err: unknown): DocVaultError {
  if (err instanceof DocVaultError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new DocVaultError('INTERNAL', message, {}, { cause: err });
}

/** The FILE_TOO_LARGE error for a document of this size: the pipeline's, and dispatch's before any download. */
/** TOO_MANY_PAGES for a document of this many pages: upload's early check, and the pipeline's. */
export function tooManyPages(pages: number, maxPages: number): DocVaultError {
  return new DocVaultError('TOO_MANY_PAGES', `The document has ${pages} pages; the limit is ${maxPages}. Split it and upload the parts.`, { pages, limit: maxPages });
}

/** `size` is unknown (undefined) when a streamed read stops at the limit. */
export function fileTooLarge(size: number | undefined, maxBytes: number): DocVaultError {
  if (size === undefined) return new DocVaultError('FILE_TOO_LARGE', `The file is larger than the limit of ${maxBytes} bytes.`, { limit: maxBytes });
  return new DocVaultError('FILE_TOO_LARGE', `The file is ${size} bytes; the limit is ${maxBytes} bytes.`, { size, limit: maxBytes });
}
