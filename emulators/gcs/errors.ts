import { z } from 'zod';

/** Reasons the JSON API puts in `error.errors[].reason`; each maps to one HTTP status. */
export const ErrorReason = z.enum([
  'badRequest',
  'invalid',
  'required',
  'notFound',
  'conflict',
  'conditionNotMet',
  'forbidden',
  'requestedRangeNotSatisfiable',
  'notImplemented',
  'backendError',
]);
export type ErrorReason = z.infer<typeof ErrorReason>;

const STATUS: Record<ErrorReason, number> = {
  badRequest: 400,
  invalid: 400,
  required: 400,
  forbidden: 403,
  notFound: 404,
  conflict: 409,
  conditionNotMet: 412,
  requestedRangeNotSatisfiable: 416,
  notImplemented: 501,
  backendError: 500,
};

/** The one error the emulator throws for anything a client should see as an API error. */
export class StorageError extends Error {
  readonly reason: ErrorReason;
  readonly status: number;

  constructor(reason: ErrorReason, message: string) {
    super(message);
    this.name = 'StorageError';
    this.reason = reason;
    this.status = STATUS[reason];
  }

  /** The JSON API error body: `{error:{code, message, errors:[{reason}]}}`. */
  toJSON(): unknown {
    return {
      error: {
        code: this.status,
        message: this.message,
        errors: [{ domain: 'global', reason: this.reason, message: this.message }],
      },
    };
  }
}

export const notFound = (what: string): StorageError => new StorageError('notFound', `No such ${what}.`);
export const badRequest = (message: string): StorageError => new StorageError('badRequest', message);
