/**
 * api: what a caller may read and do with their own tasks. Every read is scoped to the caller:
 * another user's task, result or batch answers NOT_FOUND exactly like a missing one.
 * No web framework in here: functions/api maps routes and errors onto HTTP.
 */
import { downloadName } from '../core/header-text.ts';
import type { Readable } from 'node:stream';
import type { Firestore } from '@google-cloud/firestore';
import type { Storage } from '@google-cloud/storage';
import type { BlobStore } from '../core/blob-store.ts';
import type { LifecycleDeps } from '../lifecycle/deps.ts';
import { z } from 'zod';
import type { Caller } from '../adapters/auth.ts';
import type { BatchCounts, TaskStore } from '../adapters/firestore-tasks.ts';
import type { Queue } from '../adapters/pubsub.ts';
import type { Config } from '../config.ts';
import { DocVaultError, ErrorCode, isRetryableCode } from '../core/errors.ts';
import { MAX_REQUEUES, resultObjectNames, TASK_ID, TaskStatus, TERMINAL_STATUSES } from '../core/task.ts';
import { invalidRequest } from '../http-errors.ts';
import type { Logger } from '../log.ts';
import { COLLECTIONS } from '../names.ts';
import { requeueFailed, requeueWithPassword } from '../lifecycle/requeue.ts';
import { sealedPasswordFor } from '../core/sealed-password.ts';
import { PASSWORD_FAILURES } from '../core/password-failures.ts';
import { KeyedQueue } from '../core/rate-limit.ts';
import { OutputFormat, OUTPUTS } from '../outputs/index.ts';
import { operatorQueueStats, queueStats, type QueueStatsView } from '../lifecycle/stats.ts';
import { isMaintenanceCaller } from './maintenance.ts';
import { pendingUpload, taskView, type TaskView } from './task-view.ts';
import { admitAndPublish } from '../lifecycle/admission.ts';
import type { AdmissionStore } from '../adapters/firestore-admission.ts';

export type { TaskView } from './task-view.ts';

/** Reads of one user's requests against Firestore at once, per instance (core/rate-limit.ts KeyedQueue); the rest wait their turn. */
export const USER_READS_AT_ONCE = 4;

type SharedReads = Pick<TaskStore, 'getForUser' | 'list' | 'batchCounts' | 'batchIds'>;

/**
 * The store with each user's reads taken through `queue`: one user's burst of list queries (within
 * their rate and their requests at once) keeps at most `queue.max` reads in the database's hands, so
 * another user's read waits behind those, not behind the whole burst. Every other method is the store's own.
 */
export function shareReadsPerUser<T extends SharedReads>(tasks: T, queue = new KeyedQueue(USER_READS_AT_ONCE)): T {
  const shared = Object.create(tasks) as T;
  shared.getForUser = (taskId, userHash) => queue.run(userHash, () => tasks.getForUser(taskId, userHash));
  shared.list = (userHash, options) => queue.run(userHash, () => tasks.list(userHash, options));
  shared.batchCounts = (userHash, batchId) => queue.run(userHash, () => tasks.batchCounts(userHash, batchId));
  shared.batchIds = (userHash, options) => queue.run(userHash, () => tasks.batchIds(userHash, options));
  return shared;
}

export interface ApiDeps {
  config: Config;
  /** Only for the health check's one read. */
  firestore: Pick<Firestore, 'collection'>;
  tasks: Pick<TaskStore, 'getForUser' | 'waitUntilFinished' | 'list' | 'batchCounts' | 'batchIds' | 'cancel' | 'finishedBefore' | 'deleteIfUnchanged' | 'watchRecentlyChanged' | 'requeueWithPassword'> & LifecycleDeps['tasks'];
  queue: Pick<Queue, 'publishTask' | 'publishDeadLetter' | 'publishEvent'>;
  /** Queue care's admissions, and the operators' view of held work. */
  admission: Pick<AdmissionStore, 'admit' | 'unadmit' | 'heldUsers' | 'admittedBefore' | 'unsentBefore' | 'restamp' | 'laneCounts' | 'userBacklogs'>;
  blobs: BlobStore;
  /** The client the model cache downloads with (GET /cache/info). */
  storage: Storage;
  log: Logger;
}

function notFound(what = 'task'): DocVaultError {
  return new DocVaultError('NOT_FOUND', `No such ${what}.`);
}


function checkedTaskId(id: string): string {
  // A malformed id cannot name a task: the same 404 as a missing one.
  if (!TASK_ID.test(id)) throw notFound();
  return id;
}

// ---------------------------------------------------------------------------------------------
// Operations

/** Longest `?wait=`: well inside the HTTP function's request time limit. */
export const MAX_WAIT_SECONDS = 50;
const TaskQuery = z.object({ wait: z.coerce.number().min(0).max(MAX_WAIT_SECONDS).default(0) });

/**
 * Waits held at once by one instance, per caller and in all: each holds a request slot for up to
 * MAX_WAIT_SECONDS, and one caller must not use up the slots everyone shares. Past the limit a
 * wait is answered at once, as without `wait`.
 */
export const MAX_WAITS_PER_CALLER = 4;
export const MAX_WAITS = 32;
const waitsByCaller = new Map<string, number>();
let waits = 0;

function reserveWait(userHash: string): (() => void) | null {
  const mine = waitsByCaller.get(userHash) ?? 0;
  if (mine >= MAX_WAITS_PER_CALLER || waits >= MAX_WAITS) return null;
  waitsByCaller.set(userHash, mine + 1);
  waits += 1;
  return () => {
    waits -= 1;
    const left = (waitsByCaller.get(userHash) ?? 1) - 1;
    if (left > 0) waitsByCaller.set(userHash, left);
    else waitsByCaller.delete(userHash);
  };
}

/**
 * One task of the caller's. With `?wait=S` an unfinished task is answered when it finishes (or
 * after S seconds, as it stands then), so a client need not poll.
 */
export async function getTask(deps: ApiDeps, caller: Caller, id: string, query: unknown = {}): Promise<TaskView> {
  const parsed = TaskQuery.safeParse(query);
  if (!parsed.success) throw invalidRequest(parsed.error, 'query');
  const taskId = checkedTaskId(id);
  const task = await deps.tasks.getForUser(taskId, caller.userHash);
  const now = task ? taskView(task) : await pendingUpload(deps.blobs, deps.config.UPLOADS_BUCKET, caller.userHash, taskId);
  if (!now) throw notFound(); // an unknown id is answered at once, never waited on
  if (parsed.data.wait === 0 || (task && TERMINAL_STATUSES.includes(task.status))) return now;
  const release = reserveWait(caller.userHash);
  if (!release) return now;
  try {
    const finished = await deps.tasks.waitUntilFinished(taskId, caller.userHash, parsed.data.wait * 1000);
    return finished ? taskView(finished) : now;
  } catch (err) {
    deps.log.warn('waiting for a task failed; answered as it stood', { taskId, error: err });
    return now;
  } finally {
    release();
  }
}

const ResultQuery = z.object({ format: OutputFormat.default('json') });

export interface ResultDownload {
  contentType: string;
  size: number;
  /** A suggested file name for Content-Disposition (the document's own name, in any script). */
  fileName: string;
  stream: Readable;
}

/** The result of a COMPLETED task as a stream from the results bucket; NOT_READY (409) before. */
export async function openResult(deps: ApiDeps, caller: Caller, id: string, query: unknown): Promise<ResultDownload> {
  const parsed = ResultQuery.safeParse(query);
  if (!parsed.success) throw invalidRequest(parsed.error, 'query');
  const { format } = parsed.data;
  const taskId = checkedTaskId(id);
  const task = await deps.tasks.getForUser(taskId, caller.userHash);
  if (!task) {
    if (await pendingUpload(deps.blobs, deps.config.UPLOADS_BUCKET, caller.userHash, taskId)) {
      throw new DocVaultError('NOT_READY', 'The task has no result yet (status QUEUED).', { status: 'QUEUED' });
    }
    throw notFound();
  }
  if (task.status !== 'COMPLETED') {
    throw new DocVaultError('NOT_READY', `The task has no result${TERMINAL_STATUSES.includes(task.status) ? '' : ' yet'} (status ${task.status}).`, {
      status: task.status,
    });
  }
  const ref = { bucket: deps.config.RESULTS_BUCKET, name: resultObjectNames(caller.userHash, taskId)[format] };
  const info = await deps.blobs.stat(ref);
  if (!info) throw new DocVaultError('NOT_FOUND', `This task has no ${format} result.`);
  const { contentType, extension } = OUTPUTS[format];
  return { contentType, size: info.size, fileName: downloadName(task.fileName, extension), stream: deps.blobs.openRead(ref) };
}

const MAX_PAGE = 100;
/** Firestore's last representable instant (9999-12-31T23:59:59.999Z): a cursor past it names no task. */
const MAX_CURSOR_MILLIS = 253_402_300_799_999;
/** `<createdAt millis>:<taskId>`, base64url, as list() hands out: bounded so no crafted value reaches the query. */
const Cursor = z.string().refine((c) => {
  const match = /^(\d{1,15}):[0-9a-f]{32}$/.exec(Buffer.from(c, 'base64url').toString('utf8'));
  return match !== null && Number(match[1]) <= MAX_CURSOR_MILLIS;
}, 'not a cursor from an earlier page');

/** `?status=` in any case (`failed`, `Failed`). */
const StatusFilter = z.preprocess((v) => (typeof v === 'string' ? v.toUpperCase() : v), TaskStatus);

const ListQuery = z.object({
  status: StatusFilter.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(20),
  cursor: Cursor.optional(),
});

export interface TaskList {
  tasks: TaskView[];
  nextCursor: string | null;
}

export async function listTasks(deps: ApiDeps, caller: Caller, query: unknown): Promise<TaskList> {
  const parsed = ListQuery.safeParse(query);
  if (!parsed.success) throw invalidRequest(parsed.error, 'query');
  const { status, limit, cursor } = parsed.data;
  const page = await deps.tasks.list(caller.userHash, { limit, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) });
  return { tasks: page.tasks.map(taskView), nextCursor: page.nextCursor };
}

export interface BatchView {
  batchId: string;
  total: number;
  byStatus: Record<TaskStatus, number>;
  /** Mean progress over the batch; a finished task (in any final status) counts as 100. */
  progress: number;
  done: boolean;
  /** A page of the batch's tasks, newest first (`?status=&limit=&cursor=`, as for GET /tasks). */
  tasks: Pick<TaskView, 'taskId' | 'fileName' | 'status' | 'progress' | 'error'>[];
  nextCursor: string | null;
}

/**
 * A batch: an upload request of several files, or one `docvault ingest` run (100,000 files or more).
 * The figures come from count aggregations; the tasks are paged.
 */
export async function getBatch(deps: ApiDeps, caller: Caller, id: string, query: unknown = {}): Promise<BatchView> {
  const parsed = ListQuery.safeParse(query);
  if (!parsed.success) throw invalidRequest(parsed.error, 'query');
  const batchId = checkedTaskId(id);
  const { status, limit, cursor } = parsed.data;
  const [counts, page] = await Promise.all([
    deps.tasks.batchCounts(caller.userHash, batchId),
    deps.tasks.list(caller.userHash, { batchId, limit, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) }),
  ]);
  if (counts.total === 0) throw notFound('batch');
  return {
    ...batchSummary(batchId, counts),
    tasks: page.tasks.map((t) => ({ taskId: t.taskId, fileName: t.fileName, status: t.status, progress: t.progress, error: t.error })),
    nextCursor: page.nextCursor,
  };
}

export type BatchSummary = Omit<BatchView, 'tasks' | 'nextCursor'>;

function batchSummary(batchId: string, counts: BatchCounts): BatchSummary {
  const finished = TERMINAL_STATUSES.reduce((sum, s) => sum + counts.byStatus[s], 0);
  const progress = (finished * 100 + counts.processingProgress) / counts.total;
  return { batchId, total: counts.total, byStatus: counts.byStatus, progress: Math.round(progress * 10) / 10, done: finished === counts.total };
}

const MAX_BATCH_PAGE = 50;
const BatchListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_BATCH_PAGE).default(10),
  /** The last batch id of the page before. */
  cursor: z.string().regex(TASK_ID, 'not a cursor from an earlier page').optional(),
});

export interface BatchList {
  batches: BatchSummary[];
  nextCursor: string | null;
}

/** The caller's batches in id order, a page at a time, each with its counts (as GET /batches/{id}). */
export async function listBatches(deps: ApiDeps, caller: Caller, query: unknown): Promise<BatchList> {
  const parsed = BatchListQuery.safeParse(query);
  if (!parsed.success) throw invalidRequest(parsed.error, 'query');
  const { limit, cursor } = parsed.data;
  const ids = await deps.tasks.batchIds(caller.userHash, { limit: limit + 1, ...(cursor ? { after: cursor } : {}) });
  const page = ids.slice(0, limit);
  const batches = await Promise.all(page.map(async (id) => batchSummary(id, await deps.tasks.batchCounts(caller.userHash, id))));
  return { batches: batches.filter((b) => b.total > 0), nextCursor: ids.length > limit ? page[page.length - 1]! : null };
}

/** QUEUED (or PROCESSING) → CANCELLED; a COMPLETED or FAILED task is ALREADY_FINISHED (409). */
export async function cancelTask(deps: ApiDeps, caller: Caller, id: string): Promise<TaskView> {
  const taskId = checkedTaskId(id);
  const task = await deps.tasks.cancel(taskId, caller.userHash);
  if (!task) {
    if (await pendingUpload(deps.blobs, deps.config.UPLOADS_BUCKET, caller.userHash, taskId)) {
      // Uploaded a moment ago: the task is about to exist, and a cancel now would be lost.
      throw new DocVaultError('NOT_READY', 'The upload is still being registered; try the cancel again in a second.', { status: 'QUEUED' });
    }
    throw notFound();
  }
  // Cancelling a cancelled task again answers the same: cancel is idempotent.
  if (task.status !== 'CANCELLED') {
    throw new DocVaultError('ALREADY_FINISHED', `The task is already finished (status ${task.status}).`, { status: task.status });
  }
  deps.log.info('task cancelled', { taskId, userHash: caller.userHash });
  // Its place in the user's cap is free: the next held task may go. Not awaited: the admission
  // transaction queues behind the worker's own (the cancelled work leaving its slot admits too),
  // which held the answer for seconds; one that never runs is queue care's, later.
  void admitAndPublish(admissionDeps(deps), caller.userHash).catch((err: unknown) => deps.log.warn('admission after a cancel failed', { error: err }));
  return taskView(task);
}

/** What admission needs (lifecycle/admission.ts): the api's clients with its fairness settings. */
function admissionDeps(deps: ApiDeps) {
  return { ...deps, fairness: deps.config.fairness };
}

const PasswordRequest = z.object({ password: z.string() });

/**
 * A task that FAILED for want of a password (PASSWORD_FAILURES: ENCRYPTED_PDF, WRONG_PASSWORD, PASSWORD_UNREADABLE) read again with the password it lacked:
 * sealed into the task and requeued. Another user's task is NOT_FOUND; any other state NOT_AWAITING_PASSWORD (409).
 */
export async function retryWithPassword(deps: ApiDeps, caller: Caller, id: string, body: unknown): Promise<TaskView> {
  const taskId = checkedTaskId(id);
  const parsed = PasswordRequest.safeParse(body);
  if (!parsed.success) throw invalidRequest(parsed.error, 'password request');
  const sealedPassword = sealedPasswordFor(parsed.data.password, deps.config.PASSWORD_KEY);
  const { kind, task } = await requeueWithPassword(admissionDeps(deps), taskId, caller.userHash, sealedPassword);
  if (kind === 'missing' || !task) throw notFound();
  if (kind === 'refused') {
    throw new DocVaultError('NOT_AWAITING_PASSWORD', `Only a task that failed with ${PASSWORD_FAILURES.join(', ')} takes a password (this one is ${task.status}${task.error ? ` with ${task.error.code}` : ''}).`, {
      status: task.status,
    });
  }
  if (kind === 'exhausted') throw new DocVaultError('NOT_AWAITING_PASSWORD', `This task was requeued ${MAX_REQUEUES} times already: upload the document again with its password.`, { status: task.status });
  deps.log.info('task requeued with a password', { taskId, userHash: caller.userHash });
  return taskView(task);
}

/** The caller's own queue; an operator also sees the lanes and every user's held-back backlog. */
export function queueStatsOf(deps: ApiDeps, caller: Caller): Promise<QueueStatsView> {
  const scope = { userHash: caller.userHash };
  return isMaintenanceCaller(deps, caller) ? operatorQueueStats(deps, scope) : queueStats(deps, scope);
}

const RequeueRequest = z.object({ code: ErrorCode.optional() });
/** Tasks requeued by one call; call again for more. */
const MAX_REQUEUE = 500;
/** Failed tasks looked at by one call, at most. */
const MAX_REQUEUE_SCAN = 2_000;
const REQUEUE_PAGE = 100;

export interface RequeueResult {
  requeued: number;
  taskIds: string[];
  /** Requeued MAX_REQUEUES times already (failures of the document itself, CORRUPT_DOCUMENT and the like, are not even looked at). */
  skipped: number;
}

/** The caller's FAILED tasks (optionally of one error code) back to QUEUED and onto their topic. */
export async function requeueFailedOf(deps: ApiDeps, caller: Caller, body: unknown): Promise<RequeueResult> {
  const parsed = RequeueRequest.safeParse(body ?? {});
  if (!parsed.success) throw invalidRequest(parsed.error, 'request');
  const { code } = parsed.data;
  // Only failures another attempt can cure: requeueing a document that fails for a reason of its
  // own would hand it fresh attempts on every call. Operators may still requeue any code with the
  // CLI (after raising a limit, say).
  if (code && !isRetryableCode(code)) return { requeued: 0, taskIds: [], skipped: 0 };
  const report = await requeueFailed(admissionDeps(deps), {
    userHash: caller.userHash,
    ...(code ? { code } : {}),
    limit: MAX_REQUEUE,
    maxScan: MAX_REQUEUE_SCAN,
    pageSize: REQUEUE_PAGE,
  });
  const taskIds = report.requeued.map((t) => t.taskId);
  deps.log.info('failed tasks requeued', { userHash: caller.userHash, count: taskIds.length, skipped: report.skipped, ...(code ? { code } : {}) });
  return { requeued: taskIds.length, taskIds, skipped: report.skipped };
}

export interface Health {
  status: 'ok' | 'unavailable';
  version: string;
  firestore: 'reachable' | 'unreachable';
}

const HEALTH_TIMEOUT_MS = 3000;

/** Whether this instance can reach Firestore: one small document read, bounded in time. */
export async function health(deps: Pick<ApiDeps, 'firestore'>, version: string): Promise<Health> {
  let timer: NodeJS.Timeout | undefined;
  const reachable = await Promise.race([
    deps.firestore
      .collection(COLLECTIONS.tasks)
      .doc('_health')
      .get()
      .then(() => true)
      .catch(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), HEALTH_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  return { status: reachable ? 'ok' : 'unavailable', version, firestore: reachable ? 'reachable' : 'unreachable' };
}
