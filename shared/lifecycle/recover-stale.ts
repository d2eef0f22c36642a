/**
 * Stale recovery: PROCESSING tasks whose lease expired (the worker died or timed out without a
 * word) back to QUEUED and published again, or, out of attempts, FAILED with their last error,
 * dead-lettered and announced, as the worker does for a task it gives up on. Behind
 * POST /maintenance/recover-stale and `docvault queue recover-stale`.
 */
import { eachLimited, PAGE_SIZE, type LifecycleDeps } from './deps.ts';
import { deadLetter, publishQueued } from './finish.ts';
import type { StaleOutcome, TaskStore } from '../adapters/firestore-tasks.ts';
import { instanceOf, isPredecessor } from '../core/lease-holder.ts';

export interface RecoverReport {
  requeued: string[];
  failed: Array<{ taskId: string; code: string }>;
  /** Found stale but no longer so by the time of the transaction. */
  skipped: number;
}

/** Works in pages and remembers what it has seen, so each stale task is handled once per run. */
export async function recoverStale(deps: LifecycleDeps, options: { now?: Date; limit?: number; pageSize?: number } = {}): Promise<RecoverReport> {
  const now = options.now ?? new Date();
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const report: RecoverReport = { requeued: [], failed: [], skipped: 0 };
  const seen = new Set<string>();
  while (seen.size < limit) {
    const ids = (await deps.tasks.staleTaskIds(now, (options.pageSize ?? PAGE_SIZE) + seen.size)).filter((id) => !seen.has(id));
    if (ids.length === 0) break;
    const batch = ids.slice(0, limit - seen.size);
    for (const id of batch) seen.add(id);
    tally(report, await eachLimited(batch, (id) => recoverOne(deps, id, now)));
  }
  return report;
}

/**
 * A worker instance with a stable name, at its start: the leases its earlier incarnation still
 * holds (it died: an instance runs once at a time) recovered at once, as an expired lease is,
 * instead of after LEASE_SECONDS. Their deliveries then find them QUEUED; each is published
 * again too, as recover-stale does. `workerId` is this incarnation's (core/lease-holder.ts).
 */
export async function releasePredecessors(deps: LifecycleDeps & { tasks: Pick<TaskStore, 'leasesOf'> }, workerId: string, now = new Date()): Promise<RecoverReport> {
  const report: RecoverReport = { requeued: [], failed: [], skipped: 0 };
  const instance = instanceOf(workerId);
  if (!instance) return report;
  const held = (await deps.tasks.leasesOf(instance, PAGE_SIZE)).filter((lease) => isPredecessor(lease.workerId, workerId));
  tally(report, await eachLimited(held, (lease) => recoverOne(deps, lease.taskId, now, lease.workerId)));
  return report;
}

/** One stale task: requeued and published, or out of attempts, dead-lettered and announced. */
async function recoverOne(deps: LifecycleDeps, taskId: string, now: Date, deadHolder?: string): Promise<StaleOutcome> {
  const outcome = await deps.tasks.recoverStale(taskId, { retentionMs: deps.retentionMs, ...(deadHolder ? { deadHolder } : {}) }, now);
  if (outcome.kind === 'requeued') await publishQueued(deps, outcome.task);
  else if (outcome.kind === 'failed') await deadLetter(deps, outcome.task);
  return outcome;
}

function tally(report: RecoverReport, outcomes: StaleOutcome[]): void {
  for (const outcome of outcomes) {
    if (outcome.kind === 'requeued') report.requeued.push(outcome.task.taskId);
    else if (outcome.kind === 'failed') report.failed.push({ taskId: outcome.task.taskId, code: outcome.task.error!.code });
    else report.skipped++;
  }
}
