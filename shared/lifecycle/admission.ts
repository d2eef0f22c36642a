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
  const published = await Promise.allSettled(admitted.map((task) => publishAdmitted(deps, task)));
  const failed = published.flatMap((r, i) => (r.status === 'rejected' ? [{ task: admitted[i]!, reason: r.reason as unknown }] : []));
  await Promise.all(failed.map(({ task }) => deps.admission.unadmit(task).catch(() => undefined)));
  if (failed.length > 0) throw failed[0]!.reason;
  return admitted;
}

/**
 * How long a worker's answer to a push waits for the admission of its user's next task. The admission is a
 * transaction on the user's admission document; a contended one waits out the lock (the emulator's lock timeout is
 * 2 s, then the client's backoff), and one held by an admitter that was killed mid-transaction waits until Firestore
 * drops that transaction (63 s on an idle emulator, 70–87 s in the chaos run): every push of that user meanwhile stayed
 * open, and a push subscription delivers only a few at a time, so the whole lane waited with it.
 */
export const NEXT_ADMISSION_WAIT_MS = 3_000;

/**
 * admitAndPublish, waited for at most `waitMs` (none: until it ends). Past it, undefined: the admission goes on behind
 * the caller's answer and `late` hears how it ended. Nothing is lost if it never ends (the process stopped): the task
 * stays held, and queue care, or the next arrival or finish of the user, admits it.
 */
export async function admitWithin(deps: AdmissionDeps, userHash: string, waitMs: number | undefined, late: (outcome: PromiseSettledResult<Task[]>) => void, now = new Date()): Promise<Task[] | undefined> {
  const admitting = admitAndPublish(deps, userHash, now);
  if (waitMs === undefined) return admitting;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, waitMs, undefined)));
  try {
    const admitted = await Promise.race([admitting, timeout]);
    if (admitted === undefined) void admitting.then((value) => late({ status: 'fulfilled', value }), (reason: unknown) => late({ status: 'rejected', reason }));
    return admitted;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Publishes an admitted task and records it as dispatched (a second publish is harmless: the worker's lease), stamped
 * when the publish was done: the lane holds the message from then on. (Stamped with the admission's time, it read
 * earlier than the publish: a message of another user published in between looked later, and was ahead of it.)
 */
export async function publishAdmitted(deps: Pick<AdmissionDeps, 'queue' | 'tasks'>, task: Task): Promise<void> {
  await publishQueued(deps, task);
  await deps.tasks.markDispatched(task.taskId);
}
