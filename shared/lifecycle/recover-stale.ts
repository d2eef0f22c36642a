/**
 * Stale recovery: PROCESSING tasks whose lease expired (the worker died or timed out without a
 * word) back to QUEUED and published again, or, out of attempts, FAILED with their last error,
 * dead-lettered and announced, as the worker does for a task it gives up on. Behind
 * POST /maintenance/recover-stale and `docvault queue recover-stale`.
 */
import { eachLimited, PAGE_SIZE, type LifecycleDeps } from './deps.ts';
import { deadLetter, publishQueued } from './finish.ts';

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
    const outcomes = await eachLimited(batch, async (id) => {
      const outcome = await deps.tasks.recoverStale(id, { retentionMs: deps.retentionMs }, now);
      if (outcome.kind === 'requeued') await publishQueued(deps, outcome.task);
      else if (outcome.kind === 'failed') await deadLetter(deps, outcome.task);
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
