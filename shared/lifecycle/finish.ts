/**
 * The ends of a task's way that others hear of: the message that (re)queues it, failing it with a
 * reason, and giving up on it (FAILED, the dead-letter topic, the event and callback). Called by
 * dispatch, the worker, the api and queue care alike.
 */
import type { BlobStore } from '../core/blob-store.ts';
import { gaveUpError } from '../core/task-moves.ts';
import { messageFor, taskPrefix, type Task, type TaskError } from '../core/task.ts';
import type { LifecycleQueue, LifecycleTasks } from './deps.ts';
import { notifyFinished, type NotifyDeps } from './notify.ts';


/** Publishes a QUEUED task to its priority topic. */
export async function publishQueued(deps: { queue: Pick<LifecycleQueue, 'publishTask'> }, task: Task): Promise<void> {
  await deps.queue.publishTask(messageFor(task));
}

export interface AnnounceDeps {
  tasks: Pick<LifecycleTasks, 'markAnnounced'>;
  queue: Pick<LifecycleQueue, 'publishEvent'>;
  notify: Omit<NotifyDeps, 'queue'>;
  /**
   * Where a task's results are: a FAILED task's are removed before it is announced (an attempt killed between writing
   * them and COMPLETED leaves them behind). Given by every finisher that can meet such a task (the worker, queue care);
   * dispatch fails tasks no worker has read.
   */
  blobs?: Pick<BlobStore, 'list' | 'delete'>;
  resultsBucket?: string;
}
type DeadLetterDeps = AnnounceDeps & { queue: Pick<LifecycleQueue, 'publishDeadLetter'> };
type FailDeps = AnnounceDeps & { tasks: Pick<LifecycleTasks, 'fail' | 'markAnnounced'>; retentionMs: number };

/**
 * The event (the callbacks function delivers its callback) of a finished task, then marked as announced. A FAILED task's
 * results go first: should that fail, the task stays owed its announcement and its next finisher tries again.
 */
export async function announce(deps: AnnounceDeps, task: Task): Promise<void> {
  if (task.status === 'FAILED' && deps.blobs && deps.resultsBucket) await removeResults(deps.blobs, deps.resultsBucket, task);
  await notifyFinished(task, { ...deps.notify, queue: deps.queue });
  await deps.tasks.markAnnounced(task.taskId);
}

/** Every object under the task's results prefix (its outputs and page previews). */
async function removeResults(blobs: Pick<BlobStore, 'list' | 'delete'>, bucket: string, task: Pick<Task, 'userHash' | 'taskId'>): Promise<void> {
  const left = await blobs.list(bucket, taskPrefix(task.userHash, task.taskId));
  await Promise.all(left.map((file) => blobs.delete({ bucket, name: file.name })));
}

/** A task already FAILED for want of attempts: to the dead-letter topic, then announced. */
export async function deadLetter(deps: DeadLetterDeps, task: Task): Promise<void> {
  await deps.queue.publishDeadLetter(messageFor(task), task.error!);
  await announce(deps, task);
}

/**
 * FAILED with a reason (bad input: nothing to retry), announced. A worker passes its id to prove
 * its lease; null when the task had moved on meanwhile.
 */
export async function failTask(deps: FailDeps, task: Task, error: TaskError, workerId?: string, now?: Date): Promise<Task | null> {
  const failed = await deps.tasks.fail(task.taskId, error, { ...(workerId ? { workerId } : {}), retentionMs: deps.retentionMs }, now);
  if (failed) await announce(deps, failed);
  return failed;
}

/** After a retryable failure on the last attempt: FAILED with the attempts counted, dead-lettered, announced. */
export async function giveUp(deps: FailDeps & DeadLetterDeps, task: Task, last: TaskError, workerId: string): Promise<Task | null> {
  const error = gaveUpError(task.attempts, last);
  const failed = await deps.tasks.fail(task.taskId, error, { workerId, retentionMs: deps.retentionMs });
  await deps.queue.publishDeadLetter(messageFor(task), failed?.error ?? last);
  if (failed) await announce(deps, failed);
  return failed;
}
