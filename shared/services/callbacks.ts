/**
 * callbacks: delivers a finished task's callback from its event on the ocr-events topic, one
 * attempt per delivery, outside the OCR worker. The outcome is recorded on the task (visible in
 * GET /tasks/{id}); a failure worth retrying is thrown so Pub/Sub delivers the event again with
 * backoff; after CALLBACK_MAX_ATTEMPTS (or a refusal) the callback is FAILED, its event goes to
 * the callbacks' dead-letter topic, and the delivery is acknowledged.
 */
import { z } from 'zod';
import type { TaskStore } from '../adapters/firestore-tasks.ts';
import { isSettled, type CallbackAttempt } from '../core/callback-delivery.ts';
import { DocVaultError } from '../core/errors.ts';
import type { TaskEvent } from '../adapters/pubsub.ts';
import type { Task } from '../core/task.ts';
import { postCallback, type CallbackDeps } from '../lifecycle/notify.ts';
import type { Logger } from '../log.ts';

/** The ocr-events message, checked on arrival (see finishedEvent). */
export const TaskEventMessage = z.object({
  v: z.literal(1),
  type: z.enum(['task.completed', 'task.failed']),
  taskId: z.string(),
  userHash: z.string(),
  status: z.string(),
  error: z.object({ code: z.string(), message: z.string() }).nullish(),
  at: z.string(),
});

export interface CallbackServiceDeps extends CallbackDeps {
  tasks: Pick<TaskStore, 'get' | 'recordCallback'>;
  /** Where a given-up callback's event is kept for an operator. */
  publishDeadLetter: (event: TaskEvent, reason: string) => Promise<unknown>;
  log: Logger;
  /** One attempt (a seam for unit tests; postCallback otherwise). */
  attempt?: (task: Task, event: TaskEvent) => Promise<CallbackAttempt>;
}

export type CallbackOutcome = 'no-callback' | 'settled' | 'delivered' | 'retrying' | 'failed' | 'malformed';

export async function deliverCallback(data: unknown, deps: CallbackServiceDeps): Promise<CallbackOutcome> {
  const parsed = TaskEventMessage.safeParse(data);
  if (!parsed.success) {
    // Redelivery cannot fix it: acknowledged, and said.
    deps.log.error('ocr-events message unreadable; ignored', { problems: parsed.error.issues.map((i) => i.message) });
    return 'malformed';
  }
  const event = parsed.data as TaskEvent;
  const log = deps.log.child({ taskId: event.taskId, userHash: event.userHash });
  const task = await deps.tasks.get(event.taskId);
  if (!task || !task.callbackUrl || task.userHash !== event.userHash) return 'no-callback';
  if (isSettled(task.callback, event.at)) return 'settled';
  const attempt = await (deps.attempt ?? ((t, e) => postCallback(t, e, deps)))(task, event);
  const state = await deps.tasks.recordCallback(task.taskId, event.at, attempt);
  if (!state) return 'no-callback';
  const fields = { attempt: state.attempts, status: state.lastStatus, error: state.lastError };
  if (state.status === 'DELIVERED') {
    log.info('callback delivered', fields);
    return 'delivered';
  }
  if (state.status === 'FAILED') {
    log.warn('callback given up', fields);
    await deps.publishDeadLetter(event, state.lastError ?? 'undeliverable');
    return 'failed';
  }
  log.warn('callback failed; Pub/Sub delivers it again', fields);
  // Thrown, so the push is answered 5xx and retried with the subscription's backoff.
  throw new DocVaultError('UNAVAILABLE', `callback attempt ${state.attempts} failed: ${state.lastError}`);
}
