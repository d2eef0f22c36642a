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
  /** Cloud Storage refused a request for the document for a reason of the request or the object (a 4xx, a header it cannot carry): the same request is refused again. */
  'STORAGE_REFUSED',
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

/**
 * The failures another attempt may cure; every other code is permanent. The one list: the worker
 * retries these, gives up on them to the dead-letter topic, and requeue-failed requeues only these
 * unless an operator names a code.
 */
export const RETRYABLE_CODES: readonly ErrorCode[] = ['ENGINE_FAILURE', 'INTERNAL'];
const RETRYABLE: ReadonlySet<string> = new Set<string>(RETRYABLE_CODES);

export function isRetryableCode(code: string): boolean {
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

/** Anything thrown that is not ours is an internal (retryable) failure, with its message kept as one plain line. */
export function toDocVaultError(err: unknown): DocVaultError {
  if (err instanceof DocVaultError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new DocVaultError('INTERNAL', plainMessage(message), {}, { cause: err });
}

const MAX_MESSAGE_CHARS = 300;

/**
 * A failure's message as a task shows it: one line, at most MAX_MESSAGE_CHARS. A client's error
 * whose message is the service's JSON body (`{"error":{"message":…}}`, as Cloud Storage's read
 * streams give) becomes that body's message; the whole error stays in the worker's log.
 */
export function plainMessage(message: string): string {
  let text = message.trim();
  if (text.startsWith('{')) {
    try {
      const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
      const inner = typeof body.error === 'object' ? body.error?.message : (body.error ?? body.message);
      text = typeof inner === 'string' && inner.trim() ? inner.trim() : 'An error with no message.';
    } catch {
      // not JSON after all: its first line, as any other message
    }
  }
  const line = text.split(/\r?\n/, 1)[0]!.trim();
  return line.length > MAX_MESSAGE_CHARS ? `${line.slice(0, MAX_MESSAGE_CHARS - 1)}…` : line;
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
