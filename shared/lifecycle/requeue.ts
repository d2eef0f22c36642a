/**
 * Requeue: FAILED tasks back to QUEUED with fresh attempts, held like new tasks and admitted
 * under their users' caps (admission.ts), so a requeue of a thousand tasks of one user does not
 * fill the topics ahead of everyone else. The one implementation behind POST
 * /queue/requeue-failed (a caller's own tasks) and `docvault queue requeue-failed` (an
 * operator's, over every user), and behind POST /tasks/{id}/password (one task, with the
 * password it lacked).
 */
import { RETRYABLE_CODES } from '../core/errors.ts';
import type { Priority, Task } from '../core/task.ts';
import type { RequeueKind } from '../core/task-moves.ts';
import { admitAndPublish, type AdmissionDeps } from './admission.ts';
import { eachLimited, PAGE_SIZE, type LifecycleDeps, type PasswordRequeueTasks } from './deps.ts';

export type RequeueDeps = Pick<LifecycleDeps, 'tasks'> & AdmissionDeps;

export interface RequeueFilter {
  /** Only this user's tasks (the api's caller). */
  userHash?: string;
  /** Only tasks that failed with this code, whatever it is (an operator's choice, after raising a limit, say) … */
  code?: string;
  /** … or with one of these; neither given: the retryable codes (errors.ts), as a document that fails for a reason of its own would fail again. */
  codes?: readonly string[];
  /** At most this many tasks requeued in one run. */
  limit: number;
  /** At most this many failed tasks looked at in one run (those refused included). */
  maxScan?: number;
  pageSize?: number;
}

export interface RequeueReport {
  requeued: Array<{ taskId: string; priority: Priority; code: string | null }>;
  /** Tasks published by this run: requeued ones (and older held ones) their users' caps let go now; the rest wait their turn. */
  admitted: string[];
  /** Looked at but not requeued: requeued MAX_REQUEUES times already, or changed meanwhile. */
  skipped: number;
}

/**
 * Pages through the failed tasks in id order, so a task that comes straight back (requeued, then
 * failed again at once) sits behind the cursor and is handled once per run, never in a loop; and
 * the tasks it may no longer requeue never block the rest.
 */
export async function requeueFailed(deps: RequeueDeps, filter: RequeueFilter): Promise<RequeueReport> {
  const report: RequeueReport = { requeued: [], admitted: [], skipped: 0 };
  const maxScan = filter.maxScan ?? Number.POSITIVE_INFINITY;
  const scope = {
    ...(filter.userHash ? { userHash: filter.userHash } : {}),
    ...(filter.code ? { code: filter.code } : { codes: filter.codes ?? RETRYABLE_CODES }),
  };
  let after: string | undefined;
  for (let scanned = 0; report.requeued.length < filter.limit && scanned < maxScan; ) {
    const page = Math.min(filter.pageSize ?? PAGE_SIZE, filter.limit - report.requeued.length, maxScan - scanned);
    const ids = await deps.tasks.failedTaskIds({ ...scope, limit: page, ...(after ? { after } : {}) });
    if (ids.length === 0) break;
    scanned += ids.length;
    after = ids.at(-1);
    const done = await eachLimited(ids, (id) => deps.tasks.requeue(id, filter.userHash ? { userHash: filter.userHash } : {}));
    for (const task of done) {
      if (task) report.requeued.push({ taskId: task.taskId, priority: task.priority, code: task.error?.code ?? null });
      else report.skipped++;
    }
    const users = [...new Set(done.flatMap((task) => (task ? [task.userHash] : [])))];
    report.admitted.push(...(await eachLimited(users, (userHash) => admitAndPublish(deps, userHash))).flat().map((t) => t.taskId));
  }
  return report;
}

/**
 * One task that failed for want of a password, back to QUEUED with the password sealed into it, or
 * why not (decideRequeue), from the one read of the requeue's transaction.
 */
export async function requeueWithPassword(
  deps: AdmissionDeps & { tasks: PasswordRequeueTasks },
  taskId: string,
  userHash: string,
  sealedPassword: string,
): Promise<{ kind: RequeueKind; task: Task | null }> {
  const outcome = await deps.tasks.requeueWithPassword(taskId, userHash, sealedPassword);
  if (outcome.kind !== 'requeued' || !outcome.task) return outcome;
  const admitted = await admitAndPublish(deps, userHash);
  return { kind: 'requeued', task: admitted.find((t) => t.taskId === taskId) ?? outcome.task };
}
