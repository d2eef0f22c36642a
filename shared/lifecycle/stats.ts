/** The queue's figures in the shape of GET /queue/stats: one user's (the api) or everyone's (the CLI). */
import type { LifecycleDeps } from './deps.ts';

export interface QueueStatsView {
  pending: number;
  processing: number;
  failed: number;
  completedToday: number;
  averageWaitMs: number | null;
  oldestQueuedAt: string | null;
}

/** From count aggregations: no task is read. */
export async function queueStats(deps: Pick<LifecycleDeps, 'tasks'>, scope: { userHash?: string } = {}, now = new Date()): Promise<QueueStatsView> {
  const s = await deps.tasks.stats(scope, now);
  return { pending: s.queued, processing: s.processing, failed: s.failed, completedToday: s.completedToday, averageWaitMs: s.averageWaitMs, oldestQueuedAt: s.oldestQueuedAt };
}
