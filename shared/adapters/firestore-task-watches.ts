/**
 * Snapshot listeners on tasks: a user's recently changed tasks, a wait for one task to finish, and a
 * worker's watch on its lease. TaskStore (firestore-tasks.ts) offers them as its methods.
 */
import type { CollectionReference, DocumentReference, DocumentSnapshot } from '@google-cloud/firestore';
import { TERMINAL_STATUSES, type Task } from '../core/task.ts';
import { fromStore } from './firestore-task-doc.ts';

/** How often a wait re-reads its task besides listening: bounds the cost of a missed snapshot. */
export const WAIT_REREAD_MS = 2_000;

/** Test seams of waitUntilFinished: what happens before the listener starts, and the listener itself. */
export interface WaitSeams {
  beforeListen?: () => Promise<void>;
  listen?: (ref: DocumentReference, onNext: (snap: DocumentSnapshot) => void, onError: (err: Error) => void) => () => void;
  rereadMs?: number;
}

/** Calls `onChanged` with the user's changed tasks (the first call: the `limit` most recently changed) until unsubscribed. */
export function watchRecentlyChanged(
  tasks: CollectionReference,
  userHash: string,
  limit: number,
  onChanged: (tasks: Task[]) => void,
  onError: (err: Error) => void,
): () => void {
  return tasks
    .where('userHash', '==', userHash)
    .orderBy('updatedAt', 'desc')
    .limit(limit)
    .onSnapshot((snap) => {
      const changed = snap.docChanges().filter((c) => c.type !== 'removed');
      if (changed.length > 0) onChanged(changed.map((c) => fromStore(c.doc.data())));
    }, onError);
}

/**
 * The user's task once it reaches a final status, or as it stands when timeoutMs runs out (null
 * if it is not theirs, or does not exist by then). A snapshot listener, so the answer follows
 * the commit, backed by re-reads: one as soon as the listener is attached (a completion between
 * the caller's first read and the listener's start is seen even if the listener's first snapshot
 * predates it) and then every WAIT_REREAD_MS, because the Firestore emulator's listener has been
 * seen to miss an update (a client answered only at its 30 s limit).
 */
export function waitUntilFinished(
  ref: DocumentReference,
  read: () => Promise<Task | null>,
  userHash: string,
  timeoutMs: number,
  seams: WaitSeams = {},
): Promise<Task | null> {
  return new Promise((resolve, reject) => {
    let latest: Task | null = null;
    let done = false;
    let unsubscribe = () => {};
    let timer: NodeJS.Timeout | undefined = undefined;
    let rereads: NodeJS.Timeout | undefined = undefined;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(rereads);
      unsubscribe();
      if (err) reject(err);
      else resolve(latest);
    };
    const seen = (task: Task | null) => {
      const mine = task && task.userHash === userHash ? task : null;
      // A re-read and a snapshot may arrive out of order: never go back to an older version.
      if (mine && latest && mine.updatedAt < latest.updatedAt) return;
      latest = mine ?? latest;
      if (latest && TERMINAL_STATUSES.includes(latest.status)) finish();
    };
    const reread = () => {
      if (!done) read().then(seen, () => {}); // a failed re-read waits for the next
    };
    const listen = seams.listen ?? ((ref, onNext, onError) => ref.onSnapshot(onNext, onError));
    timer = setTimeout(() => finish(), timeoutMs);
    void (seams.beforeListen ?? (async () => {}))().then(() => {
      if (done) return;
      unsubscribe = listen(
        ref,
        (snap) => seen(snap.exists ? fromStore(snap.data()!) : null),
        (err) => finish(err),
      );
      reread();
      rereads = setInterval(reread, seams.rereadMs ?? WAIT_REREAD_MS);
    }, finish);
  });
}

/**
 * Calls `onLost` once, as soon as the task is no longer PROCESSING under this worker's lease (a
 * cancel, a takeover, a deletion): the worker stops its work then. Returns the unsubscribe.
 */
export function watchLease(ref: DocumentReference, workerId: string, onLost: () => void): () => void {
  let lost = false;
  const unsubscribe = ref.onSnapshot(
    (snap) => {
      const task = snap.exists ? fromStore(snap.data()!) : null;
      if (lost || (task?.status === 'PROCESSING' && task.lease?.workerId === workerId)) return;
      lost = true;
      onLost();
    },
    // A broken listener is no verdict: the heartbeat still finds a lost lease.
    () => undefined,
  );
  return unsubscribe;
}
