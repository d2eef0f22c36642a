/**
 * An object's arrival in the uploads bucket: it becomes a QUEUED task (or moves the PENDING task
 * upload wrote on to QUEUED), held back or admitted under its user's cap, and a message on its
 * priority topic. Every object counts — written by upload, through a signed URL, or dropped in
 * with gcloud storage / gsutil — and a repeated arrival is a no-op. Two callers, one step: the
 * dispatch function from the object's finalize event, and upload for the multipart documents it
 * has just written (so an interactive upload does not wait behind the bucket's events); whichever
 * comes second finds the task dispatched, and carries on whatever the first left undone.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_LANGUAGES, Languages } from '../core/options.ts';
import { fileTooLarge } from '../core/errors.ts';
import { MAX_SEALED_PASSWORD_LENGTH, SEALED_PASSWORD } from '../core/sealed-password.ts';
import {
  CallbackUrl,
  derivedTaskId,
  parseUploadName,
  Priority,
  queuedTask,
  TASK_ID,
  TaskSource,
  type ParsedUploadName,
  type PriorityRule,
  type Task,
} from '../core/task.ts';
import type { TaskStore } from '../adapters/firestore-tasks.ts';
import type { Queue } from '../adapters/pubsub.ts';
import type { Logger } from '../log.ts';
import { MAX_ORIGINAL_NAME_METADATA, OBJECT_METADATA } from '../names.ts';
import { fromHeaderText } from '../core/header-text.ts';
import { failTask } from './finish.ts';
import { admitWithin, publishAdmitted, type AdmissionDeps } from './admission.ts';
import { queuePlacement } from '../core/fairness.ts';
import type { Arrival } from '../core/task-moves.ts';
import { notifySettings, type NotifyDeps } from './notify.ts';
import type { Config } from '../config.ts';

/** The fields of a Cloud Storage object resource that dispatch reads (the CloudEvent's data). */
export const StorageObject = z.object({
  bucket: z.string(),
  name: z.string(),
  generation: z.union([z.string(), z.number()]).transform(String),
  size: z.union([z.string(), z.number()]).transform(Number).default(0),
  contentType: z.string().optional(),
  metadata: z.record(z.string(), z.string()).nullish(),
  /** RFC 3339; when the object was written (uploadGraceMs). */
  timeCreated: z.string().optional(),
});
export type StorageObject = z.infer<typeof StorageObject>;

export interface DispatchDeps extends AdmissionDeps {
  tasks: Pick<TaskStore, 'get' | 'createOrArrive' | 'fail' | 'markDispatched' | 'markAnnounced'>;
  queue: Pick<Queue, 'publishTask' | 'publishEvent'>;
  log: Logger;
  uploadsBucket: string;
  maxAttempts: number;
  priorityRules: readonly PriorityRule[];
  /** Larger objects (a drop, or a signed-URL upload past its declared size) fail here, unread. */
  maxBytes: number;
  retentionMs: number;
  /** For the event and callback of a task that fails here (as the worker sends them). */
  notify?: Pick<NotifyDeps, 'webhookSecret' | 'allowPrivateCallbacks'>;
  /** How long to wait for the admission before answering without it (upload: UPLOAD_ADMISSION_WAIT_MS); none: until it ends. */
  admissionWaitMs?: number;
  now?: () => Date;
}

/** The settings of DispatchDeps, from the config: the same for the dispatch function and for upload. */
export function dispatchSettings(config: Config): Omit<DispatchDeps, 'tasks' | 'admission' | 'queue' | 'log' | 'now'> {
  return {
    fairness: config.fairness,
    uploadsBucket: config.UPLOADS_BUCKET,
    maxAttempts: config.MAX_ATTEMPTS,
    priorityRules: config.PRIORITY_RULES,
    maxBytes: config.limits.maxBytes,
    retentionMs: config.retentionMs,
    notify: notifySettings(config),
  };
}

export type DispatchOutcome =
  | { kind: 'ignored'; reason: string }
  | { kind: 'queued'; task: Task; created: boolean; published: boolean }
  | { kind: 'refused'; task: Task | null; code: 'FILE_TOO_LARGE' };

const optional = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);
const UploadMetadata = z.object({
  taskId: optional(z.string().regex(TASK_ID)),
  batchId: optional(z.string().regex(TASK_ID)),
  priority: optional(Priority),
  languages: optional(Languages),
  callbackUrl: optional(CallbackUrl),
  originalName: optional(z.string().max(MAX_ORIGINAL_NAME_METADATA).transform(fromHeaderText)),
  source: optional(TaskSource),
  // Only the sealed form (v1.nonce.tag.body): a plain password in metadata is never taken.
  sealedPassword: optional(z.string().regex(SEALED_PASSWORD).max(MAX_SEALED_PASSWORD_LENGTH)),
});

function readMetadata(metadata: Record<string, string> | null | undefined) {
  const m = metadata ?? {};
  return UploadMetadata.parse({
    taskId: m[OBJECT_METADATA.taskId],
    batchId: m[OBJECT_METADATA.batchId],
    priority: m[OBJECT_METADATA.priority],
    languages: m[OBJECT_METADATA.languages],
    callbackUrl: m[OBJECT_METADATA.callbackUrl],
    originalName: m[OBJECT_METADATA.originalName],
    source: m[OBJECT_METADATA.source],
    sealedPassword: m[OBJECT_METADATA.sealedPassword],
  });
}

/**
 * How long a multipart upload's own dispatch is given before its finalize event's. The event comes
 * as the object is written, while upload is still moving the task on: the two at once contend for
 * the task's and the user's admission documents, and the loser of each waits out Firestore's
 * backoff (about a second: upload's answer took ~2.1 s instead of ~0.1 s on an idle local suite).
 */
export const UPLOAD_DISPATCH_GRACE_MS = 3_000;

/**
 * How long upload's answer waits for the admission of its own document. Another admitter of the same user (a worker
 * admitting the user's next task as one leaves its slot) holds the user's admission document for the length of its
 * transaction, and a contended one waits out the lock and Firestore's backoff: upload answered in 3.1–3.4 s instead of
 * ~0.3 s. After this the answer goes (the task QUEUED) and the admission carries on behind it; should it not end (the
 * instance stopped), the object's finalize event admits the task, and queue care after it.
 */
export const UPLOAD_ADMISSION_WAIT_MS = 500;

/**
 * How long the finalize event of this object should wait before dispatching it: what is left of
 * UPLOAD_DISPATCH_GRACE_MS for an object upload wrote from a multipart request (and is dispatching
 * itself), 0 for any other (a signed URL's, a drop) or an older one (an event that waited behind
 * others finds the task dispatched at once). After the wait the event dispatches as always: if
 * upload's own dispatch failed or its process died, the event carries the task on.
 */
export function uploadGraceMs(object: StorageObject, now: Date): number {
  if (readMetadata(object.metadata).source !== 'upload' || !object.timeCreated) return 0;
  const age = now.getTime() - Date.parse(object.timeCreated);
  return Number.isFinite(age) ? Math.min(UPLOAD_DISPATCH_GRACE_MS, Math.max(0, UPLOAD_DISPATCH_GRACE_MS - age)) : 0;
}

export async function dispatchObject(object: StorageObject, deps: DispatchDeps): Promise<DispatchOutcome> {
  const now = deps.now?.() ?? new Date();
  if (object.bucket !== deps.uploadsBucket) return ignore(deps, object, 'not the uploads bucket');
  const parsed = parseUploadName(object.name);
  if (!parsed) return ignore(deps, object, 'outside the users/{userHash}/ layout');

  const task = taskForObject(object, parsed, deps, now);
  const { taskId } = task;
  // A multipart upload's own event mostly comes after upload dispatched the task: one read answers
  // it, without a transaction that would lock the task against its worker's lease and the user's
  // admissions. A drop's or a signed URL's event is its task's arrival, so it goes straight there.
  const seen = task.source === 'upload' ? await deps.tasks.get(taskId) : null;
  if (seen && seen.userHash === parsed.userHash && seen.status !== 'PENDING' && isDispatched(seen)) {
    deps.log.child({ taskId, userHash: seen.userHash }).info('duplicate event: task already dispatched', { status: seen.status });
    return { kind: 'queued', task: seen, created: false, published: false };
  }
  // Upload wrote the task PENDING as it answered: the object's arrival moves it to QUEUED, in the
  // same transaction that creates the task when upload did not (a drop, a signed URL's late task).
  const { created, task: stored } = await deps.tasks.createOrArrive(task, arrivalOf(task), now);
  const log = deps.log.child({ taskId, userHash: stored.userHash });
  if (stored.userHash !== parsed.userHash) {
    // A task id claimed by metadata that belongs to someone else: never touch their task.
    log.warn('task id in object metadata belongs to another user; object ignored', { generation: object.generation });
    return { kind: 'ignored', reason: 'task id belongs to another user' };
  }
  return publishStoredTask(stored, created, deps, log, now);
}

/** The QUEUED task an object stands for, from its path and the metadata upload gave it. */
function taskForObject(object: StorageObject, parsed: ParsedUploadName, deps: DispatchDeps, now: Date): Task {
  const meta = readMetadata(object.metadata);
  // Upload chose the id and put it in both the path and the metadata; anything else gets an id
  // from the object's own identity, so a repeated event maps to the same task.
  const fromUpload = meta.taskId !== undefined && meta.taskId === parsed.taskId;
  const taskId = fromUpload ? meta.taskId! : derivedTaskId(object.bucket, object.name, object.generation);
  const source = fromUpload ? (meta.source ?? 'upload') : 'drop';
  return queuedTask(
    {
      taskId,
      userHash: parsed.userHash,
      // Upload's batches, and docvault ingest's (one per run); a batch is only ever read within its user.
      batchId: meta.batchId ?? null,
      source,
      bucket: object.bucket,
      object: object.name,
      generation: object.generation,
      size: object.size,
      contentType: object.contentType ?? null,
      fileName: meta.originalName ?? parsed.fileName,
      languages: meta.languages ?? [...DEFAULT_LANGUAGES],
      ...queuePlacement({ source, size: object.size }, meta.priority, deps.priorityRules),
      maxAttempts: deps.maxAttempts,
      callbackUrl: meta.callbackUrl ?? null,
      sealedPassword: meta.sealedPassword ?? null,
    },
    now,
  );
}

/** The stored task's message: published, held back for the user's cap, or refused when over the size limit. */
async function publishStoredTask(stored: Task, created: boolean, deps: DispatchDeps, log: Logger, now: Date): Promise<DispatchOutcome> {
  const { taskId } = stored;
  // Publish when this event created the task, or when an earlier delivery created it but died
  // before publishing. A duplicate publish is harmless: the worker's lease makes it a no-op.
  if (isDispatched(stored)) {
    log.info('duplicate event: task already dispatched', { status: stored.status });
    return { kind: 'queued', task: stored, created, published: false };
  }
  if (stored.size > deps.maxBytes) {
    // No worker should download it: FAILED at once, visible to its owner, the object kept.
    const { code, message } = fileTooLarge(stored.size, deps.maxBytes);
    log.warn('task failed: object over the size limit', { size: stored.size, limit: deps.maxBytes });
    const failed = await failTask({ ...deps, notify: { log, ...deps.notify } }, stored, { code, message }, undefined, now);
    return { kind: 'refused', task: failed, code: 'FILE_TOO_LARGE' };
  }
  if (stored.admittedAt) {
    // Admitted by an earlier delivery that died before publishing it.
    await publishAdmitted(deps, stored);
    log.info('task queued', { priority: stored.priority, size: stored.size, source: stored.source, created, published: true, admitted: 0 });
    return { kind: 'queued', task: stored, created, published: true };
  }
  // Published now if the user's cap allows, else held back until one of the user's tasks leaves a slot.
  const admitted = await admitWithin(deps, stored.userHash, deps.admissionWaitMs, (late) => {
    if (late.status === 'fulfilled') log.info('task queued; admitted behind the answer', { published: late.value.some((t) => t.taskId === taskId), admitted: late.value.length });
    else log.warn('admission behind the answer failed; the finalize event or queue care admits the task', { error: late.reason });
  }, now);
  if (!admitted) {
    log.info('task queued; its admission goes on behind the answer', { priority: stored.priority, size: stored.size, source: stored.source, created, waitedMs: deps.admissionWaitMs });
    return { kind: 'queued', task: stored, created, published: false };
  }
  const published = admitted.some((t) => t.taskId === taskId);
  log.info('task queued', { priority: stored.priority, size: stored.size, source: stored.source, created, published, admitted: admitted.length });
  return { kind: 'queued', task: stored, created, published };
}

/** A task past its dispatch: published (dispatchedAt), or no longer QUEUED (running, finished, cancelled). */
function isDispatched(task: Task): boolean {
  return task.status !== 'QUEUED' || task.dispatchedAt != null;
}

function arrivalOf(task: Task): Arrival {
  return { object: task.object, generation: task.generation, size: task.size, contentType: task.contentType, priority: task.priority };
}

function ignore(deps: DispatchDeps, object: StorageObject, reason: string): DispatchOutcome {
  // Names are users' own words (a dropped file keeps its name): logged as a hash and the top folder.
  const objectHash = createHash('sha256').update(object.name).digest('hex').slice(0, 16);
  deps.log.info('object ignored', { bucket: object.bucket, folder: object.name.split('/')[0], objectHash, reason });
  return { kind: 'ignored', reason };
}
