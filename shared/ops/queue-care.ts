/**
 * Queue care, what an operator runs over the whole task store (every user): figures, requeueing
 * failed tasks, recovering tasks whose worker died, and deleting finished tasks with their objects.
 * Each pass works in pages and remembers what it has seen, so a task that comes straight back
 * (a requeued task that fails again at once) is handled once per run, never in a loop.
 */
import type { Storage } from '@google-cloud/storage';
import pLimit from 'p-limit';
import type { FinishedCursor, TaskStore } from '../adapters/firestore-tasks.ts';
import type { Queue } from '../adapters/pubsub.ts';
import { deleteObject } from '../adapters/storage.ts';
import { DocVaultError } from '../core/errors.ts';
import { userPrefix, type OcrMessage, type Task } from '../core/task.ts';
import type { QueueStatsView } from '../services/api.ts';
import { notifyFinished, type NotifyDeps } from '../services/notify.ts';

export const DAY_MS = 24 * 60 * 60 * 1000;
/** Tasks read per query. */
export const PAGE_SIZE = 200;
/** Tasks of a page handled at once: each is a few round trips (a transaction, a publish, deletes). */
export const CONCURRENCY = 16;

/** fn over every item, CONCURRENCY at a time; the results in the items' order. */
async function eachLimited<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const limit = pLimit(CONCURRENCY);
  return Promise.all(items.map((item) => limit(() => fn(item))));
}

export type CareTasks = Pick<TaskStore, 'get' | 'stats' | 'failedTaskIds' | 'requeue' | 'staleTaskIds' | 'recoverStale' | 'finishedBefore' | 'deleteIfUnchanged'>;

export interface QueueCareDeps {
  tasks: CareTasks;
  queue: Pick<Queue, 'publishTask' | 'publishDeadLetter' | 'publishEvent'>;
  storage: Storage;
  resultsBucket: string;
  /** How long a task failed by recover-stale keeps its document (its TTL field). */
  retentionMs: number;
  /** For the events and callbacks of tasks recover-stale fails. */
  notify: Omit<NotifyDeps, 'queue'>;
}

/** The message that puts a task on its priority topic, as dispatch publishes it. */
export function messageFor(task: Task): OcrMessage {
  return { v: 1, taskId: task.taskId, bucket: task.bucket, name: task.object, generation: task.generation, priority: task.priority };
}

/** The figures of GET /queue/stats, in its shape, over every user. */
export async function queueStats(deps: Pick<QueueCareDeps, 'tasks'>, now = new Date()): Promise<QueueStatsView> {
  const s = await deps.tasks.stats({}, now);
  return { pending: s.queued, processing: s.processing, failed: s.failed, completedToday: s.completedToday, averageWaitMs: s.averageWaitMs, oldestQueuedAt: s.oldestQueuedAt };
}

export interface RequeueFilter {
  code?: string;
  userHash?: string;
  /** At most this many tasks in one run. */
  limit: number;
  pageSize?: number;
}

export interface RequeueReport {
  requeued: Array<{ taskId: string; priority: Task['priority']; code: string | null }>;
}

/** FAILED → QUEUED with fresh attempts, each published again to its priority topic. */
export async function requeueFailed(deps: Pick<QueueCareDeps, 'tasks' | 'queue'>, filter: RequeueFilter): Promise<RequeueReport> {
  const report: RequeueReport = { requeued: [] };
  const seen = new Set<string>();
  while (report.requeued.length < filter.limit) {
    const page = Math.min(filter.pageSize ?? PAGE_SIZE, filter.limit - report.requeued.length);
    const ids = (await deps.tasks.failedTaskIds({ ...filterFields(filter), limit: page + seen.size })).filter((id) => !seen.has(id)).slice(0, page);
    if (ids.length === 0) break;
    for (const id of ids) seen.add(id);
    for (const requeued of await eachLimited(ids, (id) => requeueOne(deps, id))) if (requeued) report.requeued.push(requeued);
  }
  return report;
}

function filterFields(filter: RequeueFilter): { code?: string; userHash?: string } {
  return { ...(filter.code ? { code: filter.code } : {}), ...(filter.userHash ? { userHash: filter.userHash } : {}) };
}

async function requeueOne(deps: Pick<QueueCareDeps, 'tasks' | 'queue'>, taskId: string): Promise<RequeueReport['requeued'][number] | null> {
  const task = await deps.tasks.requeue(taskId);
  if (!task) return null; // no longer FAILED (someone else requeued it), or requeued MAX_REQUEUES times already
  await deps.queue.publishTask(messageFor(task));
  return { taskId: task.taskId, priority: task.priority, code: task.error?.code ?? null };
}

export interface RecoverReport {
  requeued: string[];
  failed: Array<{ taskId: string; code: string }>;
  /** Found stale but no longer so by the time of the transaction. */
  skipped: number;
}

/**
 * PROCESSING tasks whose lease expired: back to QUEUED and published again, or FAILED with their
 * last error when out of attempts (then sent to the dead-letter topic and announced, as the worker
 * does for a task it gives up on).
 */
export async function recoverStale(deps: QueueCareDeps, options: { now?: Date; limit?: number; pageSize?: number } = {}): Promise<RecoverReport> {
  const now = options.now ?? new Date();
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const report: RecoverReport = { requeued: [], failed: [], skipped: 0 };
  const seen = new Set<string>();
  while (seen.size < limit) {
    const ids = (await deps.tasks.staleTaskIds(now, (options.pageSize ?? PAGE_SIZE) + seen.size)).filter((id) => !seen.has(id));
    if (ids.length === 0) break;
    const batch = ids.slice(0, limit - seen.size);
    for (const id of batch) seen.add(id);
    const outcomes = await eachLimited(batch, async (id) => {
      const outcome = await deps.tasks.recoverStale(id, { retentionMs: deps.retentionMs }, now);
      if (outcome.kind === 'requeued') {
        await deps.queue.publishTask(messageFor(outcome.task));
      } else if (outcome.kind === 'failed') {
        await deps.queue.publishDeadLetter(messageFor(outcome.task), outcome.task.error!);
        await notifyFinished(outcome.task, { ...deps.notify, queue: deps.queue });
      }
      return outcome;
    });
    for (const outcome of outcomes) {
      if (outcome.kind === 'requeued') report.requeued.push(outcome.task.taskId);
      else if (outcome.kind === 'failed') report.failed.push({ taskId: outcome.task.taskId, code: outcome.task.error!.code });
      else report.skipped++;
    }
  }
  return report;
}

export interface CleanupOptions {
  /** COMPLETED and CANCELLED tasks finished more than this many days ago go. */
  days: number;
  /** FAILED tasks are kept longer: they may still be requeued. */
  failedDays: number;
  dryRun?: boolean;
  now?: Date;
  pageSize?: number;
}

export interface CleanupReport {
  dryRun: boolean;
  cutoffs: { completed: Date; failed: Date };
  /** Task documents deleted (or that would be), by status. */
  tasks: Record<'COMPLETED' | 'CANCELLED' | 'FAILED', number>;
  /** Result objects under users/{userHash}/{taskId}/ in the results bucket. */
  resultObjects: number;
  /** Uploaded documents still in the uploads bucket. */
  uploads: number;
  /** Changed between the read and the delete (a requeue, say): left alone. */
  skipped: number;
}

/**
 * Deletes finished tasks older than their retention: first their result objects, then the upload
 * if it is still there, then the task document, so an interrupted run leaves nothing unreachable
 * and the next run finishes the job. A dry run lists and counts and changes nothing.
 */
export async function cleanupTasks(deps: Pick<QueueCareDeps, 'tasks' | 'storage' | 'resultsBucket'>, options: CleanupOptions): Promise<CleanupReport> {
  for (const [flag, value] of [['--days', options.days], ['--failed-days', options.failedDays]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new DocVaultError('INVALID_ARGUMENT', `${flag} must be a whole number of days, at least 1 (got ${value}).`);
  }
  const now = options.now ?? new Date();
  const dryRun = options.dryRun ?? false;
  const pageSize = options.pageSize ?? PAGE_SIZE;
  const cutoffs = { completed: new Date(now.getTime() - options.days * DAY_MS), failed: new Date(now.getTime() - options.failedDays * DAY_MS) };
  const report: CleanupReport = { dryRun, cutoffs, tasks: { COMPLETED: 0, CANCELLED: 0, FAILED: 0 }, resultObjects: 0, uploads: 0, skipped: 0 };
  const plan = [
    ['COMPLETED', cutoffs.completed],
    ['CANCELLED', cutoffs.completed],
    ['FAILED', cutoffs.failed],
  ] as const;
  for (const [status, before] of plan) {
    let after: FinishedCursor | null = null;
    for (;;) {
      const page = await deps.tasks.finishedBefore(status, before, { limit: pageSize, after });
      for (const removed of await eachLimited(page, (task) => removeTask(deps, task, dryRun))) {
        if (!removed) {
          report.skipped++;
          continue;
        }
        report.tasks[status]++;
        report.resultObjects += removed.resultObjects;
        report.uploads += removed.uploads;
      }
      const last = page[page.length - 1];
      if (page.length < pageSize || !last?.completedAt) break;
      after = { completedAt: last.completedAt, taskId: last.taskId };
    }
  }
  return report;
}

/**
 * COMPLETED and CANCELLED are final, so nothing can race their removal. A FAILED task can be
 * requeued meanwhile: it is read again just before its objects go, and its document is deleted
 * only if still unchanged; a requeue in the instant between would find its upload gone and fail
 * with SOURCE_MISSING, said plainly, rather than leave anything half-deleted.
 */
async function removeTask(deps: Pick<QueueCareDeps, 'tasks' | 'storage' | 'resultsBucket'>, task: Task, dryRun: boolean): Promise<{ resultObjects: number; uploads: number } | null> {
  if (!dryRun && task.status === 'FAILED') {
    const current = await deps.tasks.get(task.taskId);
    if (!current || current.status !== task.status || current.updatedAt.getTime() !== task.updatedAt.getTime()) return null;
  }
  const [results] = await deps.storage.bucket(deps.resultsBucket).getFiles({ prefix: `${userPrefix(task.userHash)}${task.taskId}/` });
  const upload = deps.storage.bucket(task.bucket).file(task.object, { generation: Number(task.generation) });
  const [uploadExists] = await upload.exists();
  if (!dryRun) {
    await Promise.all(results.map((file) => deleteObject(deps.storage, deps.resultsBucket, file.name)));
    if (uploadExists) await deleteObject(deps.storage, task.bucket, task.object, task.generation);
    if (!(await deps.tasks.deleteIfUnchanged(task))) return null;
  }
  return { resultObjects: results.length, uploads: uploadExists ? 1 : 0 };
}
