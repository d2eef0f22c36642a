/**
 * Cleanup, the last step of a task's life: finished tasks past their retention are deleted with
 * their objects, over the whole task store. Behind POST /maintenance/cleanup (daily) and
 * `docvault queue cleanup`.
 */
import type { FinishedCursor, TaskStore } from '../adapters/firestore-tasks.ts';
import type { BlobStore } from '../core/blob-store.ts';
import { DocVaultError } from '../core/errors.ts';
import type { ContentIndex } from '../core/result-reuse.ts';
import { taskPrefix, type Task } from '../core/task.ts';
import { eachLimited, PAGE_SIZE } from './deps.ts';

export const DAY_MS = 24 * 60 * 60 * 1000;

export interface CleanupDeps {
  tasks: Pick<TaskStore, 'get' | 'finishedBefore' | 'deleteIfUnchanged'>;
  blobs: Pick<BlobStore, 'list' | 'stat' | 'delete'>;
  resultsBucket: string;
  /** The content index (core/result-reuse.ts): a deleted result leaves no entry pointing at it. */
  index?: Pick<ContentIndex, 'forgetTask'>;
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
export async function cleanupTasks(deps: CleanupDeps, options: CleanupOptions): Promise<CleanupReport> {
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
async function removeTask(deps: CleanupDeps, task: Task, dryRun: boolean): Promise<{ resultObjects: number; uploads: number } | null> {
  if (!dryRun && task.status === 'FAILED') {
    const current = await deps.tasks.get(task.taskId);
    if (!current || current.status !== task.status || current.updatedAt.getTime() !== task.updatedAt.getTime()) return null;
  }
  const results = await deps.blobs.list(deps.resultsBucket, taskPrefix(task.userHash, task.taskId));
  const upload = { bucket: task.bucket, name: task.object, generation: task.generation };
  const uploadExists = (await deps.blobs.stat(upload)) !== null;
  if (!dryRun) {
    // The entries first: a reuse between the two steps finds no entry rather than missing objects.
    if (task.status === 'COMPLETED') await deps.index?.forgetTask(task.taskId);
    await Promise.all(results.map((file) => deps.blobs.delete({ bucket: deps.resultsBucket, name: file.name })));
    if (uploadExists) await deps.blobs.delete(upload);
    if (!(await deps.tasks.deleteIfUnchanged(task))) return null;
  }
  return { resultObjects: results.length, uploads: uploadExists ? 1 : 0 };
}
