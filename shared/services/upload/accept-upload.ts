/**
 * A multipart upload: each file is checked (size, type by its bytes, page count) and the good ones
 * are stored, each with its PENDING task, which is then dispatched at once (QUEUED: published or
 * held back under the user's cap), as the object's finalize event would; a bad file is reported
 * with its code beside the others (the HTTP answer is then 207), and only a request with no good
 * file at all is refused whole.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import pLimit from 'p-limit';
import type { Caller } from '../../adapters/auth.ts';
import type { Config } from '../../config.ts';
import { MIME_TYPE } from '../../core/document-type.ts';
import { DocVaultError } from '../../core/errors.ts';
import { newTaskId, uploadObjectName, type TaskStatus } from '../../core/task.ts';
import { dispatchObject, dispatchSettings, UPLOAD_ADMISSION_WAIT_MS, type DispatchDeps, type StorageObject } from '../../lifecycle/dispatch-object.ts';
import { OBJECT_METADATA } from '../../names.ts';
import { toHttpError } from '../../http-errors.ts';
import { checkCallback, choicesFromForm, objectMetadata, sealedPasswordFromForm, type SealedChoices } from './choices.ts';
import { statusUrl, type AcceptedTask, type FileOutcome, type UploadAccepted, type UploadDeps } from './deps.ts';
import { checkFile, tooLargeForRequest, type CheckedFile } from './file-checks.ts';
import { parseForm, type ParsedForm } from './multipart-form.ts';
import { registerPendingTask } from './pending-task.ts';

/** Files one multipart request may carry. */
export const MAX_FILES_PER_REQUEST = 50;
/** Objects written at once for one request. */
const WRITE_CONCURRENCY = 8;

export interface UploadInput {
  headers: IncomingHttpHeaders;
  /** The body as the functions framework buffered it (req.rawBody), else the request stream. */
  body: Buffer | Readable;
}

interface Planned {
  file: CheckedFile;
  taskId: string;
  name: string;
}

type Refused = { ok: false; fileName: string; error: DocVaultError };
type Checked = { ok: true; file: CheckedFile } | Refused;

export async function acceptUpload(deps: UploadDeps, caller: Caller, input: UploadInput): Promise<UploadAccepted> {
  const form = await readForm(deps, input);
  const choices = choicesFromForm(form.fields);
  const sealedPassword = sealedPasswordFromForm(form.fields, deps.config);
  checkCallback(choices.callbackUrl, deps.config);
  const checked: Checked[] = [];
  for (const part of form.files) checked.push(await checkPart(part, deps.config));
  const good = checked.flatMap((c) => (c.ok ? [c.file] : []));
  if (good.length === 0) throw refusedWhole(checked);

  const batchId = good.length > 1 ? newTaskId() : undefined;
  const planned = good.map((file) => {
    const taskId = newTaskId();
    return { file, taskId, name: uploadObjectName(caller.userHash, taskId, file.safeName) };
  });
  const statuses = await store(deps, caller, { ...choices, sealedPassword }, planned, batchId);
  const tasks: AcceptedTask[] = planned.map((p, i) => ({ taskId: p.taskId, fileName: p.file.safeName, status: statuses[i]!, statusUrl: statusUrl(deps.config, p.taskId) }));
  deps.log.info('upload accepted', {
    userHash: caller.userHash,
    taskIds: tasks.map((t) => t.taskId),
    ...(batchId ? { batchId } : {}),
    refused: checked.flatMap((c) => (c.ok ? [] : [c.error.code])),
    bytes: good.reduce((n, f) => n + f.data.length, 0),
    types: good.map((f) => f.type),
  });
  return { tasks, files: outcomes(checked, tasks), ...(batchId ? { batchId } : {}) };
}

/** The request as a whole: its size, its type, its parts; what fails here refuses every file. */
async function readForm(deps: UploadDeps, input: UploadInput): Promise<ParsedForm> {
  const { config } = deps;
  const declared = Number(input.headers['content-length']);
  if ((Number.isFinite(declared) && declared > config.MAX_REQUEST_BYTES) || (Buffer.isBuffer(input.body) && input.body.length > config.MAX_REQUEST_BYTES)) {
    throw tooLargeForRequest(config);
  }
  if (!/^multipart\/form-data\s*;/i.test(String(input.headers['content-type'] ?? ''))) {
    throw new DocVaultError('INVALID_REQUEST', 'Send the documents as multipart/form-data with one or more "file" parts.');
  }
  const maxFiles = deps.maxFiles ?? MAX_FILES_PER_REQUEST;
  const form = await parseForm(input.headers, input.body, {
    maxFiles,
    maxBytes: config.limits.maxBytes,
    maxRequestBytes: config.MAX_REQUEST_BYTES,
    tooLarge: () => tooLargeForRequest(config),
  });
  if (form.tooManyFiles) throw new DocVaultError('TOO_MANY_FILES', `At most ${maxFiles} files per request; send the rest in another request.`, { maxFiles });
  if (form.files.length === 0) throw new DocVaultError('INVALID_REQUEST', 'The request carries no file: add one or more "file" parts.');
  return form;
}

async function checkPart(part: ParsedForm['files'][number], config: Config): Promise<Checked> {
  try {
    return { ok: true, file: await checkFile(part, config) };
  } catch (err) {
    if (!(err instanceof DocVaultError)) throw err;
    return { ok: false, fileName: String(err.details.fileName ?? part.originalName), error: err };
  }
}

/** Nothing to accept: the first file's error answers, with every file's outcome in its details. */
function refusedWhole(checked: Checked[]): DocVaultError {
  const first = checked.find((c): c is Refused => !c.ok)!;
  if (checked.length === 1) return first.error;
  return new DocVaultError(first.error.code, first.error.message, { ...first.error.details, files: outcomes(checked, []) });
}

function outcomes(checked: Checked[], tasks: AcceptedTask[]): FileOutcome[] {
  let next = 0;
  return checked.map((c) => {
    if (c.ok) return { accepted: true, ...tasks[next++]! };
    const { status, body } = toHttpError(c.error);
    return { accepted: false, fileName: c.fileName, httpStatus: status, error: body.error };
  });
}

/**
 * The objects, then their tasks (PENDING), then each task dispatched. A failure of the store itself
 * (not of a file) before every task is written fails the request: what this request wrote is removed
 * first, as far as it can be, and nothing has been published yet.
 */
async function store(deps: UploadDeps, caller: Caller, choices: SealedChoices, planned: Planned[], batchId: string | undefined): Promise<AcceptedTask['status'][]> {
  const bucket = deps.config.UPLOADS_BUCKET;
  const limit = pLimit(WRITE_CONCURRENCY);
  const written: string[] = [];
  let stored: { object: StorageObject; status: TaskStatus }[];
  try {
    stored = await Promise.all(
      planned.map((p) =>
        limit(async () => {
          const metadata = objectMetadata(p.taskId, choices, p.file.originalName, 'upload', batchId);
          const contentType = MIME_TYPE[p.file.type];
          const outcome = await deps.blobs.writeOnce({ bucket, name: p.name }, p.file.data, contentType, metadata);
          // A fresh random task id cannot exist already; if it does, something else wrote there.
          if (outcome.kind === 'exists') throw new DocVaultError('INTERNAL', 'An upload object with a new task id already existed.');
          written.push(p.name);
          const doc = { taskId: p.taskId, object: p.name, fileName: p.file.originalName, size: p.file.data.length, contentType, source: 'upload' as const, batchId };
          const status = await registerPendingTask(deps, caller, choices, doc);
          return { object: { bucket, name: p.name, generation: outcome.generation, size: p.file.data.length, contentType, metadata }, status };
        }),
      ),
    );
  } catch (err) {
    await Promise.allSettled(written.map((name) => deps.blobs.delete({ bucket, name })));
    throw err;
  }
  // Its answer does not wait for an admission another admitter of the user holds up: UPLOAD_ADMISSION_WAIT_MS.
  const dispatchDeps: DispatchDeps = { ...dispatchSettings(deps.config), tasks: deps.tasks, admission: deps.admission, queue: deps.queue, log: deps.log, admissionWaitMs: UPLOAD_ADMISSION_WAIT_MS };
  return Promise.all(stored.map(({ object, status }) => limit(() => dispatchNow(dispatchDeps, object, status))));
}

/**
 * What dispatch does for the object, done now rather than when its finalize event comes: the
 * bucket's events arrive in order, and a user's upload would wait behind every object dropped
 * before it (another user's ingest). A failure here loses nothing: the task stands as it was left
 * (PENDING, or QUEUED and not yet published), and the event's dispatch carries it on.
 */
async function dispatchNow(deps: DispatchDeps, object: StorageObject, pending: TaskStatus): Promise<TaskStatus> {
  try {
    const outcome = await dispatchObject(object, deps);
    return outcome.kind === 'ignored' ? pending : (outcome.task?.status ?? pending);
  } catch (err) {
    deps.log.warn('task not dispatched by upload; its finalize event will dispatch it', { taskId: object.metadata?.[OBJECT_METADATA.taskId], error: err });
    return pending;
  }
}
