/**
 * Admission: a user's held tasks go to their lanes as the user's cap allows (core/fairness.ts).
 * Called by dispatch when a task arrives, by the worker when one of the user's tasks leaves its
 * slot, and by queue care for whatever those missed.
 */
import type { FairnessSettings } from '../core/fairness.ts';
import type { Task } from '../core/task.ts';
import type { AdmissionStore } from '../adapters/firestore-admission.ts';
import type { TaskStore } from '../adapters/firestore-tasks.ts';
import type { LifecycleQueue } from './deps.ts';
import { publishQueued } from './finish.ts';

export interface AdmissionDeps {
  admission: Pick<AdmissionStore, 'admit' | 'unadmit'>;
  tasks: Pick<TaskStore, 'markDispatched'>;
  queue: Pick<LifecycleQueue, 'publishTask'>;
  fairness: Pick<FairnessSettings, 'cap' | 'idleCap' | 'agingMs'>;
}

/**
 * Admits what the user's cap lets go, publishes it and marks it dispatched. A publish that fails
 * puts its task back among the held (and throws), so the retry of whoever called admits it again;
 * a process that dies in between leaves it admitted and undispatched, which a retried event
 * (dispatch) or queue care publishes.
 */
export async function admitAndPublish(deps: AdmissionDeps, userHash: string, now = new Date()): Promise<Task[]> {
  const admitted = await deps.admission.admit(userHash, deps.fairness, now);
  const published = await Promise.allSettled(admitted.map((task) => publishAdmitted(deps, task, now)));
  const failed = published.flatMap((r, i) => (r.status === 'rejected' ? [{ task: admitted[i]!, reason: r.reason as unknown }] : []));
  await Promise.all(failed.map(({ task }) => deps.admission.unadmit(task).catch(() => undefined)));
  if (failed.length > 0) throw failed[0]!.reason;
  return admitted;
}

/** Publishes an admitted task and records it as dispatched (a second publish is harmless: the worker's lease). */
export async function publishAdmitted(deps: Pick<AdmissionDeps, 'queue' | 'tasks'>, task: Task, now = new Date()): Promise<void> {
  await publishQueued(deps, task);
  await deps.tasks.markDispatched(task.taskId, now);
}
