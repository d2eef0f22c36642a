/**
 * Errors over HTTP: one shape, `{ error: { code, message, details? } }`, for every HTTP answer the
 * functions give (the upload and api handlers, and bodies refused before any handler runs).
 */
import type { z } from 'zod';
import { DocVaultError, type ErrorCode } from './core/errors.ts';
import type { Logger } from './log.ts';

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  INVALID_REQUEST: 400,
  INVALID_ARGUMENT: 400,
  EMPTY_FILE: 400,
  TOO_MANY_FILES: 400,
  TOO_MANY_PAGES: 400,
  CORRUPT_DOCUMENT: 400,
  UNAUTHENTICATED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_READY: 409,
  ALREADY_FINISHED: 409,
  NOT_AWAITING_PASSWORD: 409,
  FILE_TOO_LARGE: 413,
  PAYLOAD_TOO_LARGE: 413,
  HEADERS_TOO_LARGE: 431,
  UNSUPPORTED_TYPE: 415,
  UNSUPPORTED_ENCODING: 415,
  // Cloud Storage refused the request for the document for good (adapters/storage.ts storageRefusal): the same
  // request would be refused again, so a 4xx, not a 5xx a client would retry; not the caller's syntax either.
  STORAGE_REFUSED: 422,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
};

export interface HttpError {
  status: number;
  body: { error: { code: ErrorCode; message: string; details?: Record<string, unknown> } };
}

/** Ours map to their status; anything else is a 500 whose message stays in the logs, not the answer. */
export function toHttpError(err: unknown): HttpError {
  const status = err instanceof DocVaultError ? HTTP_STATUS[err.code] : undefined;
  if (err instanceof DocVaultError && status !== undefined) return { status, body: { error: err.toJSON() } };
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'Internal error; try again later.' } } };
}

/** The part of an HTTP response an error answer needs (Express' response has it). */
export interface ErrorResponse {
  headersSent: boolean;
  status(code: number): { json(body: unknown): unknown };
  destroy(error?: Error): unknown;
}

/** Answers an error in the one HTTP shape; server-side failures are logged with their cause. */
export function respondWithError(res: ErrorResponse, err: unknown, log: Logger, request: { method: string; path: string }): void {
  const answer = toHttpError(err);
  if (answer.status >= 500) log.error('request failed', { ...request, status: answer.status, err });
  else log.info('request refused', { ...request, status: answer.status, code: answer.body.error.code });
  // A stream that broke after the headers went out can only be cut off.
  if (res.headersSent) res.destroy(err instanceof Error ? err : undefined);
  else res.status(answer.status).json(answer.body);
}


/** A request whose fields fail their schema: INVALID_REQUEST listing every problem. */
export function invalidRequest(error: z.ZodError, what: string): DocVaultError {
  const problems = error.issues.map((i) => `${i.path.join('.') || what}: ${i.message}`);
  return new DocVaultError('INVALID_REQUEST', `Invalid ${what}: ${problems.join('; ')}`, { problems });
}
