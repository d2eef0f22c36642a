/**
 * upload: documents into the uploads bucket, one object per document under
 * `users/{userHash}/{taskId}/{safe name}`, with the task id and the caller's choices in the object's
 * metadata. The task itself is created by dispatch from the object's finalize event, so every
 * way into the bucket (this function, a signed URL, a drop with gcloud) takes the same path.
 *
 * Two ways in: a multipart request carrying the files (checked whole before anything is written),
 * or, for files over the request limit, a V4 signed URL that starts a resumable upload: the client
 * POSTs to it, then PUTs the bytes (whole or in chunks) to the session URI it gets back.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { Storage } from '@google-cloud/storage';
import busboy from 'busboy';
import pLimit from 'p-limit';
import { z } from 'zod';
import type { BlobStore } from '../core/blob-store.ts';
import type { Caller } from '../adapters/auth.ts';
import type { Config } from '../config.ts';
import { ACCEPTED_CONTENT_TYPES, ACCEPTED_TYPES_TEXT, detectDocumentType, MIME_TYPE, type DocumentType } from '../core/document-type.ts';
import { DocVaultError, tooManyPages } from '../core/errors.ts';
import { Languages } from '../core/options.ts';
import { CallbackUrl, newTaskId, Priority, safeFileName, uploadObjectName, type TaskSource } from '../core/task.ts';
import { boundedHeaderText } from '../core/header-text.ts';
import type { Logger } from '../log.ts';
import { MAX_ORIGINAL_NAME_METADATA, OBJECT_METADATA } from '../names.ts';
import { countPages } from '../engines/page-count.ts';
import { invalidRequest } from '../http-errors.ts';
import { isPrivateHost } from '../lifecycle/notify.ts';

/** Files one multipart request may carry. */
export const MAX_FILES_PER_REQUEST = 50;
/** Longest original file name a caller may send. */
const MAX_ORIGINAL_NAME = 1024;
/** Objects written at once for one request. */
const WRITE_CONCURRENCY = 8;

export interface UploadDeps {
  config: Config;
  blobs: Pick<BlobStore, 'writeOnce' | 'delete'>;
  /** The Cloud Storage client: the default signer of upload URLs. */
  storage: Storage;
  log: Logger;
  /** Signs upload URLs. Default: the storage client (IAM signBlob in the cloud) or, against the emulator, a local key. */
  signer?: Storage;
  maxFiles?: number;
}

export interface AcceptedTask {
  taskId: string;
  fileName: string;
  status: 'QUEUED';
  statusUrl: string;
}

export interface UploadAccepted {
  tasks: AcceptedTask[];
  batchId?: string;
}

export interface SignedUpload {
  taskId: string;
  /** A V4 signed URL that starts a resumable upload session (not the session itself). */
  uploadUrl: string;
  method: 'POST';
  resumable: true;
  /** Send exactly these headers with the POST (`x-goog-resumable: start` among them): they are part of the signature. */
  headers: Record<string, string>;
  /** The POST must come before this; the session it opens then stays open for a week. */
  expiresAt: string;
  statusUrl: string;
  /** The two steps, in words, for whoever reads the response. */
  howTo: string;
}

const SIGNED_UPLOAD_HOW_TO =
  'POST to uploadUrl with exactly these headers and an empty body, before expiresAt. The answer is 201 with a Location header: ' +
  'the upload session URI. PUT the bytes to that Location, all at once, or in chunks with Content-Range: bytes START-END/TOTAL ' +
  '(308 with a Range header means send the rest from there; 200 or 201 means the document is stored). ' +
  'After a broken connection, PUT an empty body with Content-Range: bytes */TOTAL to learn how much arrived.';

// ---------------------------------------------------------------------------------------------
// What the caller may choose

const Choices = z.object({
  languages: Languages.optional(),
  priority: Priority.optional(),
  callbackUrl: CallbackUrl.optional(),
});
type Choices = z.infer<typeof Choices>;

const SignedUploadRequest = z.object({
  fileName: z.string().min(1).max(MAX_ORIGINAL_NAME),
  size: z.number().int().nonnegative(),
  contentType: z.string().min(1).max(200),
  language: Languages.optional(),
  languages: Languages.optional(),
  priority: Priority.optional(),
  callbackUrl: CallbackUrl.optional(),
});

/** A callback the worker would refuse to call is refused here, where the caller can still fix it. */
function checkCallback(callbackUrl: string | undefined, config: UploadDeps['config']): void {
  if (callbackUrl && !config.usingEmulators && isPrivateHost(new URL(callbackUrl).hostname)) {
    throw new DocVaultError('INVALID_REQUEST', 'callbackUrl: the host is a private, internal or reserved address; callbacks go to public hosts only.', {
      problems: ['callbackUrl: private host'],
    });
  }
}


function statusUrl(taskId: string): string {
  return `/tasks/${taskId}`;
}

function objectMetadata(taskId: string, choices: Choices, originalName: string, source: TaskSource, batchId?: string): Record<string, string> {
  const m: Record<string, string> = {
    [OBJECT_METADATA.taskId]: taskId,
    // Metadata travels in headers: a name in any script is stored header-safe (dispatch decodes it).
    [OBJECT_METADATA.originalName]: boundedHeaderText(originalName, MAX_ORIGINAL_NAME_METADATA),
    [OBJECT_METADATA.source]: source,
  };
  if (batchId) m[OBJECT_METADATA.batchId] = batchId;
  if (choices.priority) m[OBJECT_METADATA.priority] = choices.priority;
  if (choices.languages) m[OBJECT_METADATA.languages] = choices.languages.join('+');
  if (choices.callbackUrl) m[OBJECT_METADATA.callbackUrl] = choices.callbackUrl;
  return m;
}

function tooLargeForRequest(config: Config): DocVaultError {
  const mb = Math.floor(config.MAX_REQUEST_BYTES / (1024 * 1024));
  return new DocVaultError(
    'PAYLOAD_TOO_LARGE',
    `The request is larger than ${mb} MB, the most one upload request may carry. For large documents ask for a signed upload URL: ` +
      `POST /uploads with JSON {"fileName", "size", "contentType"}, POST to the returned uploadUrl with the returned headers, ` +
      `then PUT the bytes to the Location that answer gives (the response's howTo says it in full).`,
    { maxRequestBytes: config.MAX_REQUEST_BYTES },
  );
}

function fileTooLarge(config: Config, fileName: string): DocVaultError {
  return new DocVaultError('FILE_TOO_LARGE', `${fileName}: the document is larger than the ${config.limits.maxBytes} bytes allowed.`, {
    fileName,
    maxBytes: config.limits.maxBytes,
  });
}

// ---------------------------------------------------------------------------------------------
// Multipart

interface FilePart {
  originalName: string;
  data: Buffer;
  truncated: boolean;
}

interface ParsedForm {
  fields: Map<string, string[]>;
  files: FilePart[];
  tooManyFiles: boolean;
}

/** Reads the whole form. Files are held in memory: the request limit (32 MB) bounds them. */
function parseForm(
  headers: IncomingHttpHeaders,
  body: Buffer | Readable,
  limits: { maxFiles: number; maxBytes: number; maxRequestBytes: number; tooLarge: () => DocVaultError },
): Promise<ParsedForm> {
  return new Promise((resolve, reject) => {
    const fail = (err: unknown) =>
      reject(
        err instanceof DocVaultError
          ? err
          : new DocVaultError('INVALID_REQUEST', `The multipart body could not be read: ${err instanceof Error ? err.message : String(err)}.`),
      );
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers,
        defParamCharset: 'utf8', // browsers send UTF-8 file names
        preservePath: true, // keep the name as sent for metadata; safeFileName makes the object name safe
        limits: { files: limits.maxFiles, fileSize: limits.maxBytes, fields: 20, fieldSize: 4096, parts: limits.maxFiles + 20 },
      });
    } catch (err) {
      fail(err);
      return;
    }
    const form: ParsedForm = { fields: new Map(), files: [], tooManyFiles: false };
    const pending: Promise<void>[] = [];
    parser.on('file', (_name, stream, info) => {
      const part: FilePart = { originalName: info.filename ?? '', data: Buffer.alloc(0), truncated: false };
      form.files.push(part);
      const chunks: Buffer[] = [];
      pending.push(
        new Promise<void>((done, failed) => {
          stream.on('data', (chunk: Buffer) => {
            if (!part.truncated) chunks.push(chunk);
          });
          stream.on('limit', () => {
            part.truncated = true;
            chunks.length = 0;
          });
          stream.on('error', failed);
          stream.on('end', () => {
            part.data = Buffer.concat(chunks);
            done();
          });
        }),
      );
    });
    parser.on('field', (name, value) => {
      form.fields.set(name, [...(form.fields.get(name) ?? []), value]);
    });
    parser.on('filesLimit', () => {
      form.tooManyFiles = true;
    });
    parser.on('error', fail);
    parser.on('close', () => {
      Promise.all(pending).then(() => resolve(form), fail);
    });
    if (Buffer.isBuffer(body)) {
      parser.end(body);
      return;
    }
    // A stream sent without a Content-Length is counted as it comes.
    let received = 0;
    body.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limits.maxRequestBytes) {
        body.unpipe(parser);
        body.resume();
        fail(limits.tooLarge());
      }
    });
    body.on('error', fail).pipe(parser);
  });
}

/** Form fields → the caller's choices; empty fields count as absent, `language` and `languages` combine. */
function choicesFromForm(fields: Map<string, string[]>): Choices {
  const last = (name: string) => {
    const v = fields.get(name)?.at(-1)?.trim();
    return v ? v : undefined;
  };
  const languages = [...(fields.get('language') ?? []), ...(fields.get('languages') ?? [])].map((s) => s.trim()).filter(Boolean);
  const parsed = Choices.safeParse({
    languages: languages.length > 0 ? languages.join('+') : undefined,
    priority: last('priority'),
    callbackUrl: last('callbackUrl'),
  });
  if (!parsed.success) throw invalidRequest(parsed.error, 'form fields');
  return parsed.data;
}

interface CheckedFile {
  originalName: string;
  safeName: string;
  type: DocumentType;
  data: Buffer;
}

/**
 * The cheap part of a PDF check (the worker opens the document properly): every PDF has at least
 * one indirect object (`… obj … endobj`), so a file with the header and none is not one.
 */
function looksLikePdfBody(data: Buffer): boolean {
  return data.includes('endobj');
}

async function checkFile(part: FilePart, config: Config): Promise<CheckedFile> {
  const safeName = safeFileName(part.originalName);
  if (part.truncated || part.data.length > config.limits.maxBytes) throw fileTooLarge(config, safeName);
  try {
    const type = await detectDocumentType(part.data);
    if (type === 'pdf' && !looksLikePdfBody(part.data)) {
      throw new DocVaultError('CORRUPT_DOCUMENT', 'The file starts like a PDF but holds no PDF objects: it is damaged or not a PDF.');
    }
    const pages = await countPages(part.data, type).catch(() => undefined);
    if (pages !== undefined && pages > config.limits.maxPages) {
      throw tooManyPages(pages, config.limits.maxPages);
    }
    return { originalName: part.originalName || safeName, safeName, type, data: part.data };
  } catch (err) {
    if (err instanceof DocVaultError) {
      throw new DocVaultError(err.code, `${safeName}: ${err.message}`, { ...err.details, fileName: safeName });
    }
    throw err;
  }
}

export interface UploadInput {
  headers: IncomingHttpHeaders;
  /** The body as the functions framework buffered it (req.rawBody), else the request stream. */
  body: Buffer | Readable;
}

/**
 * A multipart upload: every file is checked (size, content type by magic bytes) before any is
 * written, so a request with one bad file writes nothing. Answers what the caller polls.
 */
export async function acceptUpload(deps: UploadDeps, caller: Caller, input: UploadInput): Promise<UploadAccepted> {
  const { config } = deps;
  const declared = Number(input.headers['content-length']);
  if ((Number.isFinite(declared) && declared > config.MAX_REQUEST_BYTES) || (Buffer.isBuffer(input.body) && input.body.length > config.MAX_REQUEST_BYTES)) {
    throw tooLargeForRequest(config);
  }
  const contentType = String(input.headers['content-type'] ?? '');
  if (!/^multipart\/form-data\s*;/i.test(contentType)) {
    throw new DocVaultError('INVALID_REQUEST', 'Send the documents as multipart/form-data with one or more "file" parts.');
  }
  const maxFiles = deps.maxFiles ?? MAX_FILES_PER_REQUEST;
  const form = await parseForm(input.headers, input.body, {
    maxFiles,
    maxBytes: config.limits.maxBytes,
    maxRequestBytes: config.MAX_REQUEST_BYTES,
    tooLarge: () => tooLargeForRequest(config),
  });
  if (form.tooManyFiles) {
    throw new DocVaultError('TOO_MANY_FILES', `At most ${maxFiles} files per request; send the rest in another request.`, { maxFiles });
  }
  if (form.files.length === 0) throw new DocVaultError('INVALID_REQUEST', 'The request carries no file: add one or more "file" parts.');
  const choices = choicesFromForm(form.fields);
  checkCallback(choices.callbackUrl, config);
  const files: CheckedFile[] = [];
  for (const part of form.files) files.push(await checkFile(part, config));

  const batchId = files.length > 1 ? newTaskId() : undefined;
  const planned = files.map((file) => {
    const taskId = newTaskId();
    return {
      file,
      taskId,
      name: uploadObjectName(caller.userHash, taskId, file.safeName),
      metadata: objectMetadata(taskId, choices, file.originalName, 'upload', batchId),
    };
  });
  const limit = pLimit(WRITE_CONCURRENCY);
  const written: string[] = [];
  try {
    await Promise.all(
      planned.map((p) =>
        limit(async () => {
          const outcome = await deps.blobs.writeOnce({ bucket: config.UPLOADS_BUCKET, name: p.name }, p.file.data, MIME_TYPE[p.file.type], p.metadata);
          // A fresh random task id cannot exist already; if it does, something else wrote there.
          if (outcome === 'exists') throw new DocVaultError('INTERNAL', 'An upload object with a new task id already existed.');
          written.push(p.name);
        }),
      ),
    );
  } catch (err) {
    // All or nothing, as far as we can: remove what this request wrote before failing it.
    await Promise.allSettled(written.map((name) => deps.blobs.delete({ bucket: config.UPLOADS_BUCKET, name })));
    throw err;
  }
  deps.log.info('upload accepted', {
    userHash: caller.userHash,
    taskIds: planned.map((p) => p.taskId),
    ...(batchId ? { batchId } : {}),
    bytes: files.reduce((n, f) => n + f.data.length, 0),
    types: files.map((f) => f.type),
  });
  return {
    tasks: planned.map((p) => ({ taskId: p.taskId, fileName: p.file.safeName, status: 'QUEUED', statusUrl: statusUrl(p.taskId) })),
    ...(batchId ? { batchId } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Signed upload URLs


let localSigner: Storage | undefined;

/**
 * V4 signing needs a service-account key. In the cloud the function's own account signs through
 * the IAM signBlob API (the client does that when it has no key). The emulator checks no
 * signature, so locally any RSA key will do: one is made per process.
 */
function signerFor(deps: UploadDeps): Storage {
  if (deps.signer) return deps.signer;
  if (!deps.config.STORAGE_EMULATOR_HOST) return deps.storage;
  if (!localSigner) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    // `credentials` (deprecated in favour of an auth client, and it says so once) is the one
    // way the client's URL signer learns both the key and its email without asking a server.
    localSigner = new Storage({
      projectId: deps.config.GOOGLE_CLOUD_PROJECT,
      credentials: {
        client_email: `local-signer@${deps.config.GOOGLE_CLOUD_PROJECT}.iam.gserviceaccount.com`,
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
    });
  }
  return localSigner;
}

/**
 * A V4 signed URL that starts a resumable upload of one document straight into the uploads bucket
 * (`action: 'resumable'`): the client POSTs to it with `x-goog-resumable: start`, gets the session
 * URI in `Location` and PUTs the bytes there, whole or in chunks, so a large scan on a poor
 * connection can resume instead of starting over. The object's metadata (task id, choices, source
 * 'signed-url') is fixed by signed headers on the POST, so dispatch sees the same metadata as for a
 * multipart upload; `x-goog-if-generation-match: 0` makes the URL good for one object only.
 */
export async function createSignedUpload(deps: UploadDeps, caller: Caller, body: unknown, now = new Date()): Promise<SignedUpload> {
  const { config } = deps;
  const parsed = SignedUploadRequest.safeParse(body);
  if (!parsed.success) throw invalidRequest(parsed.error, 'upload request');
  const request = parsed.data;
  checkCallback(request.callbackUrl, config);
  const safeName = safeFileName(request.fileName);
  if (request.size === 0) throw new DocVaultError('EMPTY_FILE', `${safeName}: the file is empty (0 bytes).`, { fileName: safeName });
  if (request.size > config.limits.maxBytes) throw fileTooLarge(config, safeName);
  const contentType = request.contentType.split(';')[0]!.trim().toLowerCase();
  if (!ACCEPTED_CONTENT_TYPES.has(contentType)) {
    throw new DocVaultError('UNSUPPORTED_TYPE', `${safeName}: ${contentType} is not a document type we read. Accepted: ${ACCEPTED_TYPES_TEXT}.`, {
      fileName: safeName,
      contentType,
    });
  }
  const choices: Choices = {
    ...(request.languages || request.language ? { languages: [...(request.language ?? []), ...(request.languages ?? [])] } : {}),
    ...(request.priority ? { priority: request.priority } : {}),
    ...(request.callbackUrl ? { callbackUrl: request.callbackUrl } : {}),
  };
  const taskId = newTaskId();
  const metadata = objectMetadata(taskId, choices, request.fileName, 'signed-url');
  const headers: Record<string, string> = {
    'content-type': contentType,
    // Starts a resumable session; the client library signs it for action 'resumable' as well.
    'x-goog-resumable': 'start',
    // One object, once: the URL cannot replace a document already uploaded through it.
    'x-goog-if-generation-match': '0',
    // Cloud Storage refuses an upload whose size is outside this range (the declared size is a hint only).
    'x-goog-content-length-range': `1,${config.limits.maxBytes}`,
  };
  for (const [key, value] of Object.entries(metadata)) headers[`x-goog-meta-${key}`] = value;
  const expires = new Date(now.getTime() + config.SIGNED_URL_MINUTES * 60_000);
  const extensionHeaders = Object.fromEntries(Object.entries(headers).filter(([k]) => k.startsWith('x-goog-')));
  const file = signerFor(deps).bucket(config.UPLOADS_BUCKET).file(uploadObjectName(caller.userHash, taskId, safeName));
  const [uploadUrl] = await file.getSignedUrl({ version: 'v4', action: 'resumable', expires, contentType, extensionHeaders });
  deps.log.info('signed upload URL issued', { userHash: caller.userHash, taskId, size: request.size, contentType, resumable: true });
  return {
    taskId,
    uploadUrl,
    method: 'POST',
    resumable: true,
    headers,
    expiresAt: expires.toISOString(),
    statusUrl: statusUrl(taskId),
    howTo: SIGNED_UPLOAD_HOW_TO,
  };
}
