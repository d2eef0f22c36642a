/**
 * Tasks in Firestore: queries and transactions only. Each status change is decided by a rule of
 * core/task-moves.ts and written inside a transaction along the moves core/task.ts allows, so
 * duplicate events and racing workers cannot move a task backwards.
 */
import { AggregateField, FieldPath, Firestore, Timestamp, type Query, type Transaction } from '@google-cloud/firestore';
import { canTransition, Task, TaskStatus, type TaskError, type TaskSummary } from '../core/task.ts';
import {
  decideArrival,
  decideCancel,
  decideComplete,
  decideFail,
  decideHeartbeat,
  decideLease,
  decideRecoverStale,
  decideRelease,
  decideRequeue,
  type Arrival,
  type Decision,
  type RequeueKind,
} from '../core/task-moves.ts';
import { COLLECTIONS } from '../names.ts';
import { holderRange } from '../core/lease-holder.ts';
import { fromStore } from './firestore-task-doc.ts';
import { waitUntilFinished, watchLease, watchRecentlyChanged, type WaitSeams } from './firestore-task-watches.ts';
import { afterAttempt, type CallbackAttempt, type CallbackDelivery } from '../core/callback-delivery.ts';

export { fromStore, plainFromStore } from './firestore-task-doc.ts';
export { WAIT_REREAD_MS, type WaitSeams } from './firestore-task-watches.ts';

export function createFirestore(projectId: string): Firestore {
  return new Firestore({ projectId, ignoreUndefinedProperties: true });
}

export type LeaseOutcome =
  | { kind: 'leased'; task: Task }
  | { kind: 'missing' }
  /** Already finished (COMPLETED, FAILED or CANCELLED): acknowledge without work. */
  | { kind: 'finished'; task: Task }
  /** Another worker holds a live lease. */
  | { kind: 'busy'; task: Task }
  /** Out of attempts: the task has just been marked FAILED with its last error. */
  | { kind: 'exhausted'; task: Task };

export interface BatchCounts {
  byStatus: Record<TaskStatus, number>;
  total: number;
  /** The sum of `progress` over the batch's PROCESSING tasks. */
  processingProgress: number;
}

export interface TaskPage {
  tasks: Task[];
  nextCursor: string | null;
}

/** What recoverStale did with a task whose lease had expired. */
export type StaleOutcome =
  /** Back to QUEUED (its attempt counted, the crash recorded): publish it again. */
  | { kind: 'requeued'; task: Task }
  /** Out of attempts: FAILED with its last error. */
  | { kind: 'failed'; task: Task }
  /** Gone, finished, or its lease is alive again (a worker's heartbeat came first): left alone. */
  | { kind: 'skipped'; task: Task | null };

/** Where a page of finishedBefore() ends: the next page starts after it. */
export interface FinishedCursor {
  completedAt: Date;
  taskId: string;
}

export interface QueueStats {
  queued: number;
  processing: number;
  failed: number;
  completedToday: number;
  averageWaitMs: number | null;
  oldestQueuedAt: string | null;
}

/** The task a move wrote, or null when its rule refused the move. */
function written(outcome: { kind: string; task: Task | null }, kind: string): Task | null {
  return outcome.kind === kind ? outcome.task : null;
}

export class TaskStore {
  private readonly db: Firestore;

  constructor(db: Firestore) {
    this.db = db;
  }

  private doc(taskId: string) {
    return this.db.collection(COLLECTIONS.tasks).doc(taskId);
  }

  /** Creates the task unless it exists; a repeated event gets the existing one back. */
  async createIfAbsent(task: Task): Promise<{ created: boolean; task: Task }> {
    const valid = Task.parse(task);
    try {
      await this.doc(valid.taskId).create(valid);
      return { created: true, task: valid };
    } catch (err) {
      if ((err as { code?: number }).code !== 6 /* ALREADY_EXISTS */) throw err;
      const existing = await this.get(valid.taskId);
      if (!existing) throw err;
      return { created: false, task: existing };
    }
  }

  /**
   * Dispatch's one transaction: creates the task unless it exists; a PENDING task of the same user
   * (the one upload wrote as it answered) moves to QUEUED with what its object says (decideArrival).
   * Any other task comes back as it stands.
   */
  async createOrArrive(task: Task, arrival: Arrival, now = new Date()): Promise<{ created: boolean; task: Task }> {
    const valid = Task.parse(task);
    return this.change(valid.taskId, (existing, tx) => {
      if (!existing) {
        tx.create(this.doc(valid.taskId), valid);
        return { created: true, task: valid };
      }
      if (existing.userHash !== valid.userHash) return { created: false, task: existing };
      const { patch } = decideArrival(existing, arrival);
      return { created: false, task: patch ? this.write(tx, existing, patch, now) : existing };
    });
  }

  async get(taskId: string): Promise<Task | null> {
    const snap = await this.doc(taskId).get();
    return snap.exists ? fromStore(snap.data()!) : null;
  }

  /** See watchRecentlyChanged in firestore-task-watches.ts. */
  watchRecentlyChanged(userHash: string, limit: number, onChanged: (tasks: Task[]) => void, onError: (err: Error) => void): () => void {
    return watchRecentlyChanged(this.db.collection(COLLECTIONS.tasks), userHash, limit, onChanged, onError);
  }

  /** See waitUntilFinished in firestore-task-watches.ts. */
  waitUntilFinished(taskId: string, userHash: string, timeoutMs: number, seams: WaitSeams = {}): Promise<Task | null> {
    return waitUntilFinished(this.doc(taskId), () => this.get(taskId), userHash, timeoutMs, seams);
  }

  /** See watchLease in firestore-task-watches.ts. */
  watchLease(taskId: string, workerId: string, onLost: () => void): () => void {
    return watchLease(this.doc(taskId), workerId, onLost);
  }

  /** Another user's task is indistinguishable from a missing one. */
  async getForUser(taskId: string, userHash: string): Promise<Task | null> {
    const task = await this.get(taskId);
    return task && task.userHash === userHash ? task : null;
  }

  private async change<T>(taskId: string, body: (task: Task | null, tx: Transaction) => T | Promise<T>): Promise<T> {
    return this.db.runTransaction(async (tx) => {
      const snap = await tx.get(this.doc(taskId));
      return body(snap.exists ? fromStore(snap.data()!) : null, tx);
    });
  }

  private write(tx: Transaction, task: Task, patch: Partial<Task>, now: Date): Task {
    if (patch.status && patch.status !== task.status && !canTransition(task.status, patch.status)) {
      throw new Error(`task ${task.taskId}: ${task.status} → ${patch.status} is not allowed`);
    }
    const next = Task.parse({ ...task, ...patch, updatedAt: now });
    tx.set(this.doc(task.taskId), next);
    return next;
  }

  /**
   * Reads the task, asks a rule of core/task-moves.ts what becomes of it, and writes that, all in
   * one transaction. The task comes back as written, or as read when the rule left it alone.
   */
  private apply<K extends string>(taskId: string, now: Date, decide: (task: Task | null) => Decision<K>): Promise<{ kind: K; task: Task | null }> {
    return this.change(taskId, (task, tx) => {
      const { kind, patch } = decide(task);
      return { kind, task: task && patch ? this.write(tx, task, patch, now) : task };
    });
  }

  async markDispatched(taskId: string, now = new Date()): Promise<void> {
    await this.doc(taskId).update({ dispatchedAt: now, updatedAt: now });
  }

  /** The task's finish announced (core/task-moves.ts owedAnnouncement): a later delivery need not. */
  async markAnnounced(taskId: string, now = new Date()): Promise<void> {
    await this.doc(taskId).update({ announcedAt: now });
  }

  /**
   * See decideLease: an out-of-attempts task is FAILED here, in the same transaction. A delivery that would
   * change nothing (its task leased by a live worker, finished, or unknown: every duplicate and every redelivery
   * while the task is read) is answered from a plain read, which is strongly consistent: a transaction for it held
   * the document against the holder's heartbeats, which came late on a loaded emulator and lost their leases.
   */
  async lease(taskId: string, workerId: string, leaseMs: number, now = new Date()): Promise<LeaseOutcome> {
    const seen = await this.get(taskId);
    const looked = decideLease(seen, workerId, leaseMs, now);
    if (seen && (looked.kind === 'busy' || looked.kind === 'finished')) return { kind: looked.kind, task: seen } as LeaseOutcome;
    return (await this.apply(taskId, now, (task) => decideLease(task, workerId, leaseMs, now))) as LeaseOutcome;
  }

  async heartbeat(taskId: string, workerId: string, leaseMs: number, progress?: { percent: number; message: string }, now = new Date()): Promise<boolean> {
    return (await this.apply(taskId, now, (task) => decideHeartbeat(task, workerId, leaseMs, progress, now))).kind === 'renewed';
  }

  async complete(taskId: string, workerId: string, summary: TaskSummary, retentionMs: number, now = new Date()): Promise<Task | null> {
    return written(await this.apply(taskId, now, (task) => decideComplete(task, workerId, summary, retentionMs, now)), 'completed');
  }

  async fail(taskId: string, error: TaskError, options: { workerId?: string; retentionMs: number }, now = new Date()): Promise<Task | null> {
    return written(await this.apply(taskId, now, (task) => decideFail(task, error, options, now)), 'failed');
  }

  async release(taskId: string, workerId: string, error: TaskError, now = new Date()): Promise<Task | null> {
    return written(await this.apply(taskId, now, (task) => decideRelease(task, workerId, error, now)), 'released');
  }

  /** The task as cancelled, or as it stands when already finished; null when it is not the user's. */
  async cancel(taskId: string, userHash: string, now = new Date()): Promise<Task | null> {
    const outcome = await this.apply(taskId, now, (task) => decideCancel(task, userHash, now));
    return outcome.kind === 'missing' ? null : outcome.task;
  }

  /** One callback attempt recorded on the task by the rule of core/callback-delivery.ts; null when the task is gone. */
  async recordCallback(taskId: string, eventAt: string, attempt: CallbackAttempt, now = new Date()): Promise<CallbackDelivery | null> {
    return this.change(taskId, (task, tx) => {
      if (!task) return null;
      const next = afterAttempt(task.callback, eventAt, attempt, now);
      tx.update(this.doc(taskId), { callback: next });
      return next;
    });
  }

  /** The requeued task, or null when decideRequeue refused it. */
  async requeue(taskId: string, options: { userHash?: string } = {}, now = new Date()): Promise<Task | null> {
    return written(await this.apply(taskId, now, (task) => decideRequeue(task, options.userHash)), 'requeued');
  }

  /** See decideRequeue: the user's task requeued with its sealed password, or why not, from the one read of its transaction. */
  requeueWithPassword(taskId: string, userHash: string, sealedPassword: string, now = new Date()): Promise<{ kind: RequeueKind; task: Task | null }> {
    return this.apply(taskId, now, (task) => decideRequeue(task, userHash, sealedPassword));
  }

  async list(userHash: string, options: { status?: TaskStatus; limit: number; cursor?: string | null; batchId?: string }): Promise<TaskPage> {
    let query: Query = this.db.collection(COLLECTIONS.tasks).where('userHash', '==', userHash);
    if (options.status) query = query.where('status', '==', options.status);
    if (options.batchId) query = query.where('batchId', '==', options.batchId);
    query = query.orderBy('createdAt', 'desc').orderBy('taskId', 'desc');
    if (options.cursor) {
      const [millis, taskId] = Buffer.from(options.cursor, 'base64url').toString('utf8').split(':');
      query = query.startAfter(Timestamp.fromMillis(Number(millis)), taskId);
    }
    const snap = await query.limit(options.limit + 1).get();
    const tasks = snap.docs.slice(0, options.limit).map((d) => fromStore(d.data()));
    const last = tasks[tasks.length - 1];
    const nextCursor = snap.docs.length > options.limit && last ? Buffer.from(`${last.createdAt.getTime()}:${last.taskId}`).toString('base64url') : null;
    return { tasks, nextCursor };
  }

  /**
   * The ids of a user's batches in id order, after `after`: one single-document query per batch
   * (a skip scan over the (userHash, batchId) index), so a batch of 100,000 tasks costs one read.
   */
  async batchIds(userHash: string, options: { limit: number; after?: string }): Promise<string[]> {
    const ids: string[] = [];
    let after = options.after ?? '';
    while (ids.length < options.limit) {
      const snap = await this.db
        .collection(COLLECTIONS.tasks)
        .where('userHash', '==', userHash)
        .where('batchId', '>', after)
        .orderBy('batchId', 'asc')
        .select('batchId')
        .limit(1)
        .get();
      const next = snap.docs[0]?.get('batchId') as string | undefined;
      if (!next) break;
      ids.push(next);
      after = next;
    }
    return ids;
  }

  /** FAILED tasks, by id order a page at a time (`after`: the last id of the page before). */
  async failedTaskIds(filter: { userHash?: string; code?: string; codes?: readonly string[]; limit: number; after?: string }): Promise<string[]> {
    let query: Query = this.db.collection(COLLECTIONS.tasks).where('status', '==', 'FAILED');
    if (filter.userHash) query = query.where('userHash', '==', filter.userHash);
    if (filter.code) query = query.where('error.code', '==', filter.code);
    else if (filter.codes) query = query.where('error.code', 'in', [...filter.codes]);
    query = query.orderBy(FieldPath.documentId());
    if (filter.after) query = query.startAfter(filter.after);
    const snap = await query.select().limit(filter.limit).get();
    return snap.docs.map((d) => d.id);
  }

  /**
   * Tasks whose lease expired before `now`: a worker that died or timed out without a word. One
   * range filter on lease.expiresAt, served by its single-field index: only PROCESSING tasks hold a
   * lease (every move out of PROCESSING clears it), and recoverStale checks the status again.
   */
  async staleTaskIds(now: Date, limit: number): Promise<string[]> {
    const snap = await this.db.collection(COLLECTIONS.tasks).where('lease.expiresAt', '<', now).orderBy('lease.expiresAt', 'asc').select('status').limit(limit).get();
    return snap.docs.filter((d) => d.get('status') === 'PROCESSING').map((d) => d.id);
  }

  /**
   * The leases held by any incarnation of a named worker instance (core/lease-holder.ts), expired or
   * not: one range filter on lease.workerId, served by its single-field index (only PROCESSING tasks hold a lease).
   */
  async leasesOf(instance: string, limit: number): Promise<Array<{ taskId: string; workerId: string }>> {
    const { from, to } = holderRange(instance);
    const snap = await this.db.collection(COLLECTIONS.tasks).where('lease.workerId', '>=', from).where('lease.workerId', '<', to).select('lease.workerId').limit(limit).get();
    return snap.docs.map((d) => ({ taskId: d.id, workerId: String(d.get('lease.workerId')) }));
  }

  /** See decideRecoverStale; `deadHolder`: a holder known dead, whose lease is stale though it has not run out. */
  async recoverStale(taskId: string, options: { retentionMs: number; deadHolder?: string }, now = new Date()): Promise<StaleOutcome> {
    return (await this.apply(taskId, now, (task) => decideRecoverStale(task, options.retentionMs, now, options.deadHolder))) as StaleOutcome;
  }

  /** Tasks in a finished status that finished before `before`, oldest first, a page at a time. */
  async finishedBefore(status: 'COMPLETED' | 'FAILED' | 'CANCELLED', before: Date, options: { limit: number; after?: FinishedCursor | null }): Promise<Task[]> {
    let query: Query = this.db
      .collection(COLLECTIONS.tasks)
      .where('status', '==', status)
      .where('completedAt', '<', before)
      .orderBy('completedAt', 'asc')
      .orderBy(FieldPath.documentId(), 'asc');
    if (options.after) query = query.startAfter(Timestamp.fromDate(options.after.completedAt), options.after.taskId);
    const snap = await query.limit(options.limit).get();
    return snap.docs.map((d) => fromStore(d.data()));
  }

  /** Deletes a task document only if it is still as read (same status, not updated since): a requeue in between wins. */
  async deleteIfUnchanged(task: Task): Promise<boolean> {
    return this.change(task.taskId, (current, tx) => {
      if (!current || current.status !== task.status || current.updatedAt.getTime() !== task.updatedAt.getTime()) return false;
      tx.delete(this.doc(task.taskId));
      return true;
    });
  }

  /**
   * How many of a user's batch are in each status, and the summed progress of those in PROCESSING:
   * count and sum aggregations, so a batch of 100,000 costs a handful of reads, not 100,000.
   */
  async batchCounts(userHash: string, batchId: string): Promise<BatchCounts> {
    const ofBatch = this.db.collection(COLLECTIONS.tasks).where('userHash', '==', userHash).where('batchId', '==', batchId);
    // One read-only transaction: every count at the same moment, so a task moving between two
    // statuses is counted once (not in neither, which would make a running batch look done).
    return this.db.runTransaction(
      async (tx) => {
        const counts = await Promise.all(
          TaskStatus.options.map(async (status) => {
            // PROCESSING's query sums the progress too, in the same read.
            const aggregate = { n: AggregateField.count(), ...(status === 'PROCESSING' ? { progress: AggregateField.sum('progress') } : {}) };
            const data = (await tx.get(ofBatch.where('status', '==', status).aggregate(aggregate))).data() as { n: number; progress?: number | null };
            return { status, n: data.n, progress: data.progress ?? 0 };
          }),
        );
        return {
          byStatus: Object.fromEntries(counts.map((c) => [c.status, c.n])) as Record<TaskStatus, number>,
          total: counts.reduce((sum, c) => sum + c.n, 0),
          processingProgress: counts.reduce((sum, c) => sum + c.progress, 0),
        };
      },
      { readOnly: true },
    );
  }

  /** Counts by aggregation queries, never by reading the tasks. */
  async stats(options: { userHash?: string } = {}, now = new Date()): Promise<QueueStats> {
    const base = (): Query => {
      const q: Query = this.db.collection(COLLECTIONS.tasks);
      return options.userHash ? q.where('userHash', '==', options.userHash) : q;
    };
    const count = async (q: Query) => (await q.count().get()).data().count;
    const startOfDay = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const [queued, processing, failed, completedToday, oldest, wait] = await Promise.all([
      count(base().where('status', '==', 'QUEUED')),
      count(base().where('status', '==', 'PROCESSING')),
      count(base().where('status', '==', 'FAILED')),
      count(base().where('status', '==', 'COMPLETED').where('completedAt', '>=', startOfDay)),
      base().where('status', '==', 'QUEUED').orderBy('createdAt', 'asc').limit(1).select('createdAt').get(),
      base()
        .where('startedAt', '>=', startOfDay)
        .aggregate({ wait: AggregateField.average('waitMs') })
        .get(),
    ]);
    const oldestAt = oldest.docs[0]?.get('createdAt') as Timestamp | undefined;
    const averageWait = wait.data().wait;
    return {
      queued,
      processing,
      failed,
      completedToday,
      averageWaitMs: averageWait === null || averageWait === undefined ? null : Math.round(averageWait),
      oldestQueuedAt: oldestAt ? oldestAt.toDate().toISOString() : null,
    };
  }
}
