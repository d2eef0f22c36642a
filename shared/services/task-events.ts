/**
 * Live task updates for the web console: one Firestore listener per open page, on the caller's
 * most recently changed tasks. Any change to one of the caller's tasks moves it to the top of that
 * query, so each change arrives as one snapshot change; the page merges it into what it shows.
 */
import type { Caller } from '../adapters/auth.ts';
import type { TaskStore } from '../adapters/firestore-tasks.ts';
import { taskView, type TaskView } from './task-view.ts';

/** Tasks the first snapshot carries (the newest changes); later snapshots carry only what changed. */
export const RECENT_TASKS = 50;
/** One stream is answered after this long and the page opens the next: inside the function's request limit. */
export const EVENT_STREAM_SECONDS = 50;
/** Streams one caller may hold open on one instance (a few tabs). */
export const MAX_STREAMS_PER_CALLER = 6;

const open = new Map<string, number>();

/** Takes one of the caller's stream slots; null when all are in use. */
export function reserveStream(caller: Caller): (() => void) | null {
  const mine = open.get(caller.userHash) ?? 0;
  if (mine >= MAX_STREAMS_PER_CALLER) return null;
  open.set(caller.userHash, mine + 1);
  return () => {
    const left = (open.get(caller.userHash) ?? 1) - 1;
    if (left > 0) open.set(caller.userHash, left);
    else open.delete(caller.userHash);
  };
}

/** Calls `onTasks` with the caller's changed tasks (the first call: the most recent ones) until unsubscribed. */
export function watchTasks(
  tasks: Pick<TaskStore, 'watchRecentlyChanged'>,
  caller: Caller,
  onTasks: (tasks: TaskView[]) => void,
  onError: (err: Error) => void,
): () => void {
  return tasks.watchRecentlyChanged(caller.userHash, RECENT_TASKS, (changed) => onTasks(changed.map(taskView)), onError);
}
