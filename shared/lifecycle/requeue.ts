/**
 * Requeue: FAILED tasks back to QUEUED with fresh attempts, each published again to its priority
 * topic. The one implementation behind POST /queue/requeue-failed (a caller's own tasks) and
 * `docvault queue requeue-failed` (an operator's, over every user), and behind POST
 * /tasks/{id}/password (one task, with the password it lacked).
 */
import type { Priority, Task } from '../core/task.ts';
import { eachLimited, PAGE_SIZE, type LifecycleDeps } from './deps.ts';
import { publishQueued } from './finish.ts';

export interface RequeueFilter {
  /** Only this user's tasks (the api's caller). */
  userHash?: string;
  /** Only tasks that failed with this code … */
  code?: string;
  /** … or with one of these. */
  codes?: readonly string[];
  /** At most this many tasks requeued in one run. */
  limit: number;
  /** At most this many failed tasks looked at in one run (those refused included). */
  maxScan?: number;
  pageSize?: number;
}

export interface RequeueReport {
  requeued: Array<{ taskId: string; priority: Priority; code: string | null }>;
  /** Looked at but not requeued: requeued MAX_REQUEUES times already, or changed meanwhile. */
  skipped: number;
}

/**
 * Pages through the failed tasks in id order, so a task that comes straight back (requeued, then
 * failed again at once) sits behind the cursor and is handled once per run, never in a loop; and
 * the tasks it may no longer requeue never block the rest.
 */
export async function requeueFailed(deps: Pick<LifecycleDeps, 'tasks' | 'queue'>, filter: RequeueFilter): Promise<RequeueReport> {
  const report: RequeueReport = { requeued: [], skipped: 0 };
  const maxScan = filter.maxScan ?? Number.POSITIVE_INFINITY;
  const scope = {
    ...(filter.userHash ? { userHash: filter.userHash } : {}),
    ...(filter.code ? { code: filter.code } : filter.codes ? { codes: filter.codes } : {}),
  };
  let after: string | undefined;
  for (let scanned = 0; report.requeued.length < filter.limit && scanned < maxScan; ) {
    const page = Math.min(filter.pageSize ?? PAGE_SIZE, filter.limit - report.requeued.length, maxScan - scanned);
    const ids = await deps.tasks.failedTaskIds({ ...scope, limit: page, ...(after ? { after } : {}) });
    if (ids.length === 0) break;
    scanned += ids.length;
    after = ids.at(-1);
    for (const done of await eachLimited(ids, async (id) => {
      const task = await deps.tasks.requeue(id, filter.userHash ? { userHash: filter.userHash } : {});
      if (task) await publishQueued(deps, task);
      return task;
    })) {
      if (done) report.requeued.push({ taskId: done.taskId, priority: done.priority, code: done.error?.code ?? null });
      else report.skipped++;
    }
  }
  return report;
}

/**
 * One task that failed for want of a password, back to QUEUED with the password sealed into it;
 * null when it is not (or no longer) such a task of this user, or was requeued too often.
 */
export async function requeueWithPassword(deps: Pick<LifecycleDeps, 'tasks' | 'queue'>, taskId: string, userHash: string, sealedPassword: string): Promise<Task | null> {
  const task = await deps.tasks.requeue(taskId, { userHash, sealedPassword });
  if (task) await publishQueued(deps, task);
  return task;
}
