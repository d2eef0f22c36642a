/**
 * Sending files to the upload function: one request per file (so one bad file stops only itself),
 * with upload progress from XHR. A file over the request limit goes through a signed URL: POST
 * /uploads, open the resumable session, PUT the bytes in chunks, and after a broken connection ask
 * the session how much arrived and go on from there.
 */
import { ApiError, authHeaders, errorOf, type ConsoleSettings } from './api.ts';

export interface UploadChoices {
  languages: string;
  priority: string;
  /** An encrypted PDF's password: sent with the file (the service seals it into the task), empty for none. */
  password: string;
}

export type Progress = (loaded: number, total: number) => void;

/** Chunks of a resumable session: a multiple of 256 KiB, as Cloud Storage requires. */
export const CHUNK_BYTES = 8 * 1024 * 1024;
/** Broken connections one resumable upload survives. */
const MAX_RESUMES = 8;

interface XhrAnswer {
  status: number;
  body: string;
  header(name: string): string | null;
}

/** One XHR request; resolves with any HTTP answer, rejects only when no answer came (the network). */
function send(method: string, url: string, headers: Record<string, string>, body: XMLHttpRequestBodyInit | null, onProgress?: (loaded: number) => void): Promise<XhrAnswer> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => resolve({ status: xhr.status, body: xhr.responseText, header: (n) => xhr.getResponseHeader(n) });
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'The connection broke before the server answered.'));
    xhr.send(body);
  });
}

function answerError(answer: XhrAnswer): ApiError {
  try {
    const { error } = JSON.parse(answer.body) as { error: { code: string; message: string } };
    return new ApiError(answer.status, error.code, error.message);
  } catch {
    return new ApiError(answer.status, `HTTP_${answer.status}`, 'The server refused the file.');
  }
}

/** Uploads one file; resolves with its task id. */
export function uploadFile(settings: ConsoleSettings, file: File, choices: UploadChoices, onProgress: Progress): Promise<string> {
  if (!settings.uploadUrl) return Promise.reject(new ApiError(0, 'NOT_CONFIGURED', 'This console has no upload address (UPLOAD_URL is not set on the api).'));
  return file.size > settings.maxRequestBytes ? uploadResumable(settings, file, choices, onProgress) : uploadInOneRequest(settings, file, choices, onProgress);
}

async function uploadInOneRequest(settings: ConsoleSettings, file: File, choices: UploadChoices, onProgress: Progress): Promise<string> {
  const form = new FormData();
  form.append('languages', choices.languages);
  if (choices.priority) form.append('priority', choices.priority);
  if (choices.password) form.append('password', choices.password);
  form.append('file', file, file.name);
  const answer = await send('POST', `${settings.uploadUrl}/`, authHeaders(), form, (loaded) => onProgress(Math.min(loaded, file.size), file.size));
  if (answer.status !== 202) throw answerError(answer);
  const { tasks } = JSON.parse(answer.body) as { tasks: Array<{ taskId: string }> };
  onProgress(file.size, file.size);
  return tasks[0]!.taskId;
}

interface SignedUpload {
  taskId: string;
  uploadUrl: string;
  headers: Record<string, string>;
}

async function uploadResumable(settings: ConsoleSettings, file: File, choices: UploadChoices, onProgress: Progress): Promise<string> {
  const contentType = file.type || 'application/octet-stream';
  const res = await fetch(`${settings.uploadUrl}/uploads`, {
    method: 'POST',
    headers: { ...authHeaders(), 'content-type': 'application/json' },
    body: JSON.stringify({ fileName: file.name, size: file.size, contentType, languages: choices.languages, ...(choices.priority ? { priority: choices.priority } : {}), ...(choices.password ? { password: choices.password } : {}) }),
  });
  if (!res.ok) throw await errorOf(res);
  const signed = (await res.json()) as SignedUpload;
  const start = await send('POST', signed.uploadUrl, signed.headers, null);
  const session = start.header('location');
  if (start.status >= 300 || !session) throw start.status >= 300 ? answerError(start) : new ApiError(start.status, 'NO_SESSION', 'The storage service opened no upload session.');
  await putChunks(session, file, onProgress);
  return signed.taskId;
}

/** PUTs the file in chunks from wherever the session stands; a broken connection asks the session and resumes. */
export async function putChunks(session: string, file: Blob, onProgress: Progress): Promise<void> {
  let offset = 0;
  let resumes = 0;
  while (offset < file.size) {
    const end = Math.min(offset + CHUNK_BYTES, file.size);
    try {
      const answer = await send('PUT', session, { 'content-range': `bytes ${offset}-${end - 1}/${file.size}` }, file.slice(offset, end), (loaded) =>
        onProgress(offset + loaded, file.size),
      );
      if (answer.status === 200 || answer.status === 201) {
        onProgress(file.size, file.size);
        return;
      }
      if (answer.status !== 308) throw answerError(answer);
      offset = acknowledged(answer);
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'NETWORK' || resumes >= MAX_RESUMES) throw err;
      resumes += 1;
      await new Promise((r) => setTimeout(r, 500 * resumes));
      offset = await sessionOffset(session, file.size);
      if (offset >= file.size) return;
    }
  }
}

/** The bytes a 308 says arrived: `Range: bytes=0-N` → N + 1; no Range → none. */
function acknowledged(answer: XhrAnswer): number {
  const range = /bytes=0-(\d+)/.exec(answer.header('range') ?? '');
  return range ? Number(range[1]) + 1 : 0;
}

/** Asks a session how much it holds (an empty PUT with `bytes *\/TOTAL`); Infinity when it is complete. */
async function sessionOffset(session: string, total: number): Promise<number> {
  const answer = await send('PUT', session, { 'content-range': `bytes */${total}` }, null);
  if (answer.status === 200 || answer.status === 201) return Infinity;
  if (answer.status !== 308) throw answerError(answer);
  return acknowledged(answer);
}
