/** What the lifecycle steps need, as ports: the task store's moves, the queue's topics, notification. */
import pLimit from 'p-limit';
import type { TaskStore } from '../adapters/firestore-tasks.ts';
import type { BlobStore } from '../core/blob-store.ts';
import type { Queue } from '../adapters/pubsub.ts';
import type { NotifyDeps } from './notify.ts';

export type LifecycleTasks = Pick<TaskStore, 'get' | 'stats' | 'failedTaskIds' | 'requeue' | 'staleTaskIds' | 'recoverStale' | 'fail' | 'markDispatched' | 'markAnnounced'>;
/** The one move of POST /tasks/{id}/password (requeue.ts requeueWithPassword). */
export type PasswordRequeueTasks = Pick<TaskStore, 'requeueWithPassword'>;
export type LifecycleQueue = Pick<Queue, 'publishTask' | 'publishDeadLetter' | 'publishEvent'>;

export interface LifecycleDeps {
  tasks: LifecycleTasks;
  queue: LifecycleQueue;
  /** How long a task failed here keeps its document (its TTL field). */
  retentionMs: number;
  /** For the events and callbacks of the tasks that finish here. */
  notify: Omit<NotifyDeps, 'queue'>;
  /** Where the results are: a task that fails here has any left by a killed attempt removed (finish.ts announce). */
  blobs?: Pick<BlobStore, 'list' | 'delete'>;
  resultsBucket?: string;
}

/** Tasks read per query. */
export const PAGE_SIZE = 200;
/** Tasks of a page handled at once: each is a few round trips (a transaction, a publish, deletes). */
export const CONCURRENCY = 16;

/** fn over every item, CONCURRENCY at a time; the results in the items' order. */
export async function eachLimited<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const limit = pLimit(CONCURRENCY);
  return Promise.all(items.map((item) => limit(() => fn(item))));
}
