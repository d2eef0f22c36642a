/**
 * How the `docvault` command reports a failure: `error CODE: one line` on stderr, a code from the one
 * vocabulary (shared/core/errors.ts), and an exit code that tells a usage error from a document error.
 * Light on purpose: it is loaded for every command, `--help` included.
 */
import { DocVaultError, toDocVaultError, type ErrorCode } from '../shared/core/errors.ts';

/** 0: done; 1: a document (or the work on it) failed; 2: the command itself was wrong (usage, configuration). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Codes that say the command line was wrong, not a document. */
const USAGE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['INVALID_ARGUMENT', 'LANGUAGE_UNAVAILABLE']);

export function exitCodeOf(error: DocVaultError): number {
  return USAGE_CODES.has(error.code) ? EXIT.usage : EXIT.failed;
}

interface SystemError {
  code: string;
  path?: string;
  syscall?: string;
}

function isSystemError(err: unknown): err is Error & SystemError {
  return err instanceof Error && typeof (err as Partial<SystemError>).code === 'string';
}

/** What the file system's error codes mean to a user, by errno name. */
const FILE_ERRORS: Readonly<Record<string, (path: string) => DocVaultError>> = {
  ENOENT: (path) => new DocVaultError('FILE_NOT_FOUND', `No such file: ${path}`),
  EISDIR: (path) => new DocVaultError('INVALID_ARGUMENT', `${path} is a folder; give the files in it (e.g. ${path}/*).`),
  ENOTDIR: (path) => new DocVaultError('FILE_NOT_FOUND', `No such file: ${path} (a part of the path is not a folder).`),
  EACCES: (path) => new DocVaultError('PERMISSION_DENIED', `Not allowed to read or write ${path}.`),
  EPERM: (path) => new DocVaultError('PERMISSION_DENIED', `Not allowed to read or write ${path}.`),
  ENOSPC: (path) => new DocVaultError('INTERNAL', `No space left on the device writing ${path}.`),
};

/** A zod failure as one line: the first problem, with where it is. */
function zodLine(err: Error & { issues: Array<{ path: PropertyKey[]; message: string }> }): string {
  const first = err.issues[0];
  if (!first) return err.message;
  const where = first.path.map(String).join('.');
  return where ? `${where}: ${first.message}` : first.message;
}

/**
 * shared/config.ts's ConfigError (told by its name: importing config would load zod for every command) as one line:
 * its problems joined, and where the local suite's settings come from.
 */
function configLine(err: Error): string {
  const [head = '', ...problems] = err.message.split('\n').map((l) => l.trim());
  const listed = problems.filter(Boolean).join('; ');
  return `${head}${listed ? ` ${listed}` : ''} (against the local suite of npm start, add --local)`;
}

/**
 * What to do, said for the command line: the core's messages speak to an uploader ("upload it again with its
 * password", "add it to the model cache"), which a user of `docvault ocr` cannot act on.
 */
const CLI_ADVICE: Partial<Record<ErrorCode, (error: DocVaultError) => string>> = {
  ENCRYPTED_PDF: () => 'The PDF is encrypted: give its password with --password.',
  LANGUAGE_UNAVAILABLE: (error) => {
    const { language, available } = (error.details ?? {}) as { language?: string; available?: string[] };
    if (!language) return error.message;
    const found = available?.length ? available.join(', ') : 'none';
    return (
      `No traineddata for language "${language}" (found: ${found}). Install it (npm i @tesseract.js-data/${language}, or Debian's ` +
      `tesseract-ocr-${language.replaceAll('_', '-')}) or give --model-dir a folder holding ${language}.traineddata; docvault models list shows what is found.`
    );
  },
};

function withCliAdvice(error: DocVaultError): DocVaultError {
  const advice = CLI_ADVICE[error.code];
  return advice ? new DocVaultError(error.code, advice(error), error.details, { cause: error }) : error;
}

/** Any failure, as a DocVaultError with a one-line message that says what to do on the command line. */
export function cliError(err: unknown, file?: string): DocVaultError {
  if (err instanceof DocVaultError) return withCliAdvice(err);
  if (err instanceof Error && err.name === 'ConfigError') return new DocVaultError('INVALID_ARGUMENT', configLine(err));
  if (isSystemError(err) && FILE_ERRORS[err.code]) return FILE_ERRORS[err.code]!(err.path ?? file ?? 'the file');
  if (err instanceof Error && err.name === 'ZodError' && Array.isArray((err as { issues?: unknown }).issues)) {
    return new DocVaultError('INVALID_ARGUMENT', zodLine(err as Error & { issues: Array<{ path: PropertyKey[]; message: string }> }));
  }
  const error = toDocVaultError(err);
  return new DocVaultError(error.code, error.message.split('\n')[0]!, error.details, { cause: err });
}

export function errorLine(error: DocVaultError, subject?: string): string {
  return `${subject ? `${subject}: ` : ''}error ${error.code}: ${error.message}\n`;
}

/** Writes the error line and answers the exit code for it. */
export function reportCliError(err: unknown, stderr: NodeJS.WritableStream, subject?: string): number {
  const error = cliError(err, subject);
  stderr.write(errorLine(error, subject));
  if (process.env.DOCVAULT_DEBUG && err instanceof Error && err.stack) stderr.write(err.stack + '\n');
  return exitCodeOf(error);
}
