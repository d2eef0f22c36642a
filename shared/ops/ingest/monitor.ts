/** Follows a run's tasks to the end (`ingest --monitor`). */
import pLimit from 'p-limit';
import type { TaskStore } from '../../adapters/firestore-tasks.ts';
import { MAX_LISTED, MONITOR_INTERVAL_MS, MONITOR_STALL_MS, type SubmittedTask } from './options.ts';
import { sleep, withRetry } from './retry.ts';

export interface MonitorReport {
  tasks: number;
  completed: number;
  /** The failed tasks with their codes (of the batch's, the first MAX_LISTED). */
  failed: Array<{ path: string; taskId: string; code: string; message: string }>;
  /** All failed tasks, counted. */
  failedCount: number;
  cancelled: number;
  /** Tasks still unfinished when the monitor gave up (nothing changed for stallMs); 0 when all finished. */
  unfinished: number;
  elapsedMs: number;
}

export interface MonitorOptions {
  intervalMs?: number;
  /** Reads at once. */
  concurrency?: number;
  /** The run's batch: its tasks are followed by count aggregations instead of one read each. */
  batch?: { userHash: string; batchId: string };
  /** Give up when no task has changed status for this long (a task that was never created). Default 30 min. */
  stallMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: { tasks: number; finished: number; completed: number; failed: number }) => void;
}

/** What the monitor reads: single tasks, and a batch's counts and failed tasks. */
export type MonitorSource = Pick<TaskStore, 'get' | 'batchCounts' | 'list'>;

/**
 * Follows the tasks until each is COMPLETED, FAILED or CANCELLED. A task not there yet (the storage
 * event is on its way to dispatch) is simply read again next round. The tasks of the run's batch are
 * counted, not read (a round costs a few reads at 100,000 tasks); the failed ones are listed at the end.
 */
export async function monitorTasks(tasks: MonitorSource, submitted: SubmittedTask[], options: MonitorOptions = {}): Promise<MonitorReport> {
  const started = Date.now();
  const batch = options.batch;
  const inBatch = batch ? submitted.filter((s) => s.inBatch) : [];
  const pending = new Map(submitted.filter((s) => !(batch && s.inBatch)).map((s) => [s.taskId, s.path]));
  const followed = pending.size;
  const report: MonitorReport = { tasks: submitted.length, completed: 0, failed: [], failedCount: 0, cancelled: 0, unfinished: 0, elapsedMs: 0 };
  // The batch is done when all its tasks exist (at least as many as were written) and none is left
  // QUEUED or PROCESSING.
  const ofBatch = { completed: 0, failed: 0, cancelled: 0, open: 0 };
  const batchFinished = () => ofBatch.completed + ofBatch.failed + ofBatch.cancelled;
  const batchDone = () => batchFinished() >= inBatch.length && ofBatch.open === 0;
  const limit = pLimit(options.concurrency ?? 32);
  const stallMs = options.stallMs ?? MONITOR_STALL_MS;
  let lastChange = Date.now();
  let lastFinished = -1;
  while ((pending.size > 0 || !batchDone()) && !options.signal?.aborted) {
    if (batch && !batchDone()) {
      const { byStatus } = await withRetry(() => tasks.batchCounts(batch.userHash, batch.batchId));
      Object.assign(ofBatch, { completed: byStatus.COMPLETED, failed: byStatus.FAILED, cancelled: byStatus.CANCELLED, open: byStatus.QUEUED + byStatus.PROCESSING });
    }
    await Promise.all(
      [...pending].map(([taskId, path]) =>
        limit(async () => {
          const task = await withRetry(() => tasks.get(taskId));
          if (!task) return;
          if (task.status === 'COMPLETED') report.completed++;
          else if (task.status === 'FAILED') report.failed.push({ path, taskId, code: task.error?.code ?? 'INTERNAL', message: task.error?.message ?? '' });
          else if (task.status === 'CANCELLED') report.cancelled++;
          else return;
          pending.delete(taskId);
        }),
      ),
    );
    const finished = batchFinished() + followed - pending.size;
    options.onProgress?.({ tasks: report.tasks, finished, completed: ofBatch.completed + report.completed, failed: ofBatch.failed + report.failed.length });
    if (pending.size === 0 && batchDone()) break;
    if (finished !== lastFinished) [lastFinished, lastChange] = [finished, Date.now()];
    else if (Date.now() - lastChange >= stallMs) {
      report.unfinished = Math.max(0, report.tasks - finished);
      break;
    }
    await sleep(options.intervalMs ?? MONITOR_INTERVAL_MS, options.signal);
  }
  report.completed += ofBatch.completed;
  report.cancelled += ofBatch.cancelled;
  report.failedCount = report.failed.length + ofBatch.failed;
  if (batch && ofBatch.failed > 0) report.failed.push(...(await batchFailures(tasks, batch, inBatch, pending, report.failed)));
  report.elapsedMs = Date.now() - started;
  return report;
}

/** The batch's failed tasks by name, a page at a time, at most MAX_LISTED (all are counted). */
async function batchFailures(
  tasks: MonitorSource,
  batch: NonNullable<MonitorOptions['batch']>,
  inBatch: readonly SubmittedTask[],
  pending: ReadonlyMap<string, string>,
  alreadyListed: MonitorReport['failed'],
): Promise<MonitorReport['failed']> {
  const paths = new Map(inBatch.map((s) => [s.taskId, s.path]));
  const listed = new Set(alreadyListed.map((f) => f.taskId));
  const failed: MonitorReport['failed'] = [];
  let cursor: string | null = null;
  do {
    const page = await withRetry(() => tasks.list(batch.userHash, { batchId: batch.batchId, status: 'FAILED', limit: 100, cursor }));
    for (const t of page.tasks) {
      if (!pending.has(t.taskId) && !listed.has(t.taskId)) {
        failed.push({ path: paths.get(t.taskId) ?? t.fileName, taskId: t.taskId, code: t.error?.code ?? 'INTERNAL', message: t.error?.message ?? '' });
      }
    }
    cursor = page.nextCursor;
  } while (cursor && failed.length < MAX_LISTED);
  return failed;
}
