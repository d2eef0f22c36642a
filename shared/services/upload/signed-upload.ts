/**
 * For files over the request limit: a V4 signed URL that starts a resumable upload of one document
 * straight into the uploads bucket; the client POSTs to it, then PUTs the bytes (whole or in chunks)
 * to the session URI it gets back. The task is written PENDING at once, awaiting its bytes.
 */
import { z } from 'zod';
import type { Caller } from '../../adapters/auth.ts';
import type { Config } from '../../config.ts';
import { ACCEPTED_CONTENT_TYPES, ACCEPTED_TYPES_TEXT } from '../../core/document-type.ts';
import { DocVaultError, fileTooLarge } from '../../core/errors.ts';
import { Languages } from '../../core/options.ts';
import { CallbackUrl, newTaskId, Priority, safeFileName, uploadObjectName } from '../../core/task.ts';
import { invalidRequest } from '../../http-errors.ts';
import { sealedPasswordOrNull } from '../../core/sealed-password.ts';
import { checkCallback, objectMetadata, type SealedChoices } from './choices.ts';
import { statusUrl, type SignedUpload, type UploadDeps } from './deps.ts';
import { aboutFile } from './file-checks.ts';
import { registerPendingTask } from './pending-task.ts';
import { signerFor } from './url-signer.ts';

const SIGNED_UPLOAD_HOW_TO =
  'POST to uploadUrl with exactly these headers and an empty body, before expiresAt. The answer is 201 with a Location header: ' +
  'the upload session URI. PUT the bytes to that Location, all at once, or in chunks with Content-Range: bytes START-END/TOTAL ' +
  '(308 with a Range header means send the rest from there; 200 or 201 means the document is stored). ' +
  'After a broken connection, PUT an empty body with Content-Range: bytes */TOTAL to learn how much arrived.';

const SignedUploadRequest = z.object({
  fileName: z.string().min(1).max(1024),
  size: z.number().int().nonnegative(),
  contentType: z.string().min(1).max(200),
  language: Languages.optional(),
  languages: Languages.optional(),
  priority: Priority.optional(),
  callbackUrl: CallbackUrl.optional(),
  /** An encrypted PDF's password: sealed at once; only the sealed form goes into the signed headers and the task. */
  password: z.string().optional(),
});
type SignedUploadRequest = z.infer<typeof SignedUploadRequest>;

/** The request, checked: a size and a type we take, a callback we would call. */
function checkedRequest(body: unknown, config: Config): { request: SignedUploadRequest; safeName: string; contentType: string; choices: SealedChoices } {
  const parsed = SignedUploadRequest.safeParse(body);
  if (!parsed.success) throw invalidRequest(parsed.error, 'upload request');
  const request = parsed.data;
  checkCallback(request.callbackUrl, config);
  const safeName = safeFileName(request.fileName);
  if (request.size === 0) throw new DocVaultError('EMPTY_FILE', `${safeName}: the file is empty (0 bytes).`, { fileName: safeName });
  if (request.size > config.limits.maxBytes) throw aboutFile(safeName, fileTooLarge(request.size, config.limits.maxBytes));
  const contentType = request.contentType.split(';')[0]!.trim().toLowerCase();
  if (!ACCEPTED_CONTENT_TYPES.has(contentType)) {
    throw new DocVaultError('UNSUPPORTED_TYPE', `${safeName}: ${contentType} is not a document type we read. Accepted: ${ACCEPTED_TYPES_TEXT}.`, {
      fileName: safeName,
      contentType,
    });
  }
  const choices: SealedChoices = {
    sealedPassword: sealedPasswordOrNull(request.password, config.PASSWORD_KEY),
    ...(request.languages || request.language ? { languages: [...(request.language ?? []), ...(request.languages ?? [])] } : {}),
    ...(request.priority ? { priority: request.priority } : {}),
    ...(request.callbackUrl ? { callbackUrl: request.callbackUrl } : {}),
  };
  return { request, safeName, contentType, choices };
}

/**
 * The signed POST (`action: 'resumable'`) fixes the object's metadata (task id, choices, the sealed
 * password, source 'signed-url') by signed headers, so dispatch sees the same metadata as for a multipart upload;
 * `x-goog-if-generation-match: 0` makes the URL good for one object only.
 */
export async function createSignedUpload(deps: UploadDeps, caller: Caller, body: unknown, now = new Date()): Promise<SignedUpload> {
  const { config } = deps;
  const { request, safeName, contentType, choices } = checkedRequest(body, config);
  const taskId = newTaskId();
  const headers: Record<string, string> = {
    'content-type': contentType,
    // Starts a resumable session; the client library signs it for action 'resumable' as well.
    'x-goog-resumable': 'start',
    // One object, once: the URL cannot replace a document already uploaded through it.
    'x-goog-if-generation-match': '0',
    // Cloud Storage refuses an upload whose size is outside this range (the declared size is a hint only).
    'x-goog-content-length-range': `1,${config.limits.maxBytes}`,
  };
  for (const [key, value] of Object.entries(objectMetadata(taskId, choices, request.fileName, 'signed-url'))) headers[`x-goog-meta-${key}`] = value;
  const expires = new Date(now.getTime() + config.SIGNED_URL_MINUTES * 60_000);
  const extensionHeaders = Object.fromEntries(Object.entries(headers).filter(([k]) => k.startsWith('x-goog-')));
  const object = uploadObjectName(caller.userHash, taskId, safeName);
  const [uploadUrl] = await signerFor(deps).bucket(config.UPLOADS_BUCKET).file(object).getSignedUrl({ version: 'v4', action: 'resumable', expires, contentType, extensionHeaders });
  const doc = { taskId, object, fileName: request.fileName, size: request.size, contentType, source: 'signed-url' as const };
  const status = await registerPendingTask(deps, caller, choices, doc, now);
  deps.log.info('signed upload URL issued', { userHash: caller.userHash, taskId, size: request.size, contentType, resumable: true });
  return { taskId, uploadUrl, method: 'POST', resumable: true, headers, expiresAt: expires.toISOString(), status, statusUrl: statusUrl(config, taskId), howTo: SIGNED_UPLOAD_HOW_TO };
}
