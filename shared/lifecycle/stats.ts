/**
 * The queue's figures in the shape of GET /queue/stats: one user's (the api) or everyone's (the
 * CLI); for operators also the lanes and the per-user backlogs of held-back work (core/fairness.ts).
 */
import type { AdmissionStore, LaneCounts, UserBacklog } from '../adapters/firestore-admission.ts';
import type { LifecycleDeps } from './deps.ts';

export interface QueueStatsView {
  pending: number;
  processing: number;
  failed: number;
  completedToday: number;
  averageWaitMs: number | null;
  oldestQueuedAt: string | null;
  /** Operators only, over all users: QUEUED tasks held back and published, interactive uploads and bulk drops. */
  lanes?: Record<'interactive' | 'bulk', LaneCounts>;
  /** Operators only: the users with held-back work, largest backlog first. */
  backlogs?: UserBacklog[];
}

/** Held tasks scanned for the per-user backlogs (the oldest first): bounds the cost of the view. */
const BACKLOG_SCAN = 1_000;

/** From count aggregations: no task is read. */
export async function queueStats(deps: Pick<LifecycleDeps, 'tasks'>, scope: { userHash?: string } = {}, now = new Date()): Promise<QueueStatsView> {
  const s = await deps.tasks.stats(scope, now);
  return { pending: s.queued, processing: s.processing, failed: s.failed, completedToday: s.completedToday, averageWaitMs: s.averageWaitMs, oldestQueuedAt: s.oldestQueuedAt };
}

/** The figures of `scope`, with the lanes and backlogs of all users. */
export async function operatorQueueStats(
  deps: Pick<LifecycleDeps, 'tasks'> & { admission: Pick<AdmissionStore, 'laneCounts' | 'userBacklogs'> },
  scope: { userHash?: string } = {},
  now = new Date(),
): Promise<QueueStatsView> {
  const [own, lanes, backlogs] = await Promise.all([queueStats(deps, scope, now), deps.admission.laneCounts(), deps.admission.userBacklogs(BACKLOG_SCAN)]);
  return { ...own, lanes, backlogs };
}
