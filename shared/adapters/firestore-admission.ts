/**
 * Per-user admission in Firestore. A QUEUED task with no `admittedAt` is held back; one with it
 * was admitted (in flight, as a PROCESSING one is) and is published or about to be (`dispatchedAt`
 * once it is). admit() reads a user's in-flight count and
 * oldest held tasks and marks the chosen ones dispatched inside a transaction on the user's
 * admission document, so two admissions of the same user never both take the last free place. The rule of what to admit is core/fairness.ts's chooseAdmissions.
 */
import { Timestamp, type Firestore, type Query } from '@google-cloud/firestore';
import { capNow, chooseAdmissions, isWorkConserving, type FairnessSettings } from '../core/fairness.ts';
import { Priority, type Task, type TaskSource } from '../core/task.ts';
import { COLLECTIONS } from '../names.ts';
import { fromStore } from './firestore-tasks.ts';

/** Admitted tasks have an admittedAt after this; held ones have none (null). */
const EPOCH = new Date(0);
/** The last instant a Firestore timestamp holds. */
const LAST_TIMESTAMP = new Date('9999-12-31T23:59:59Z');
/** Many dispatches of one user contend for its admission document: retry the transaction more than the default 5 times. */
const ADMIT_ATTEMPTS = 30;

export interface UserBacklog {
  userHash: string;
  held: number;
  /** Admitted (published) and waiting for a worker, or with one. */
  inFlight: number;
}

export type AdmitOptions = Pick<FairnessSettings, 'cap' | 'idleCap' | 'agingMs'>;

export interface LaneCounts {
  held: number;
  published: number;
}

export class AdmissionStore {
  private readonly db: Firestore;
  private readonly admitting = new Map<string, Promise<Task[]>>();
  /** Per user, the admission queued behind the running one and not begun yet. */
  private readonly waiting = new Map<string, Promise<Task[]>>();

  constructor(db: Firestore) {
    this.db = db;
  }

  private tasks() {
    return this.db.collection(COLLECTIONS.tasks);
  }

  private userTasks(userHash: string, status: 'QUEUED' | 'PROCESSING'): Query {
    return this.tasks().where('userHash', '==', userHash).where('status', '==', status);
  }

  /**
   * The user's held tasks that the cap lets go now, marked admitted: the caller publishes them.
   * An admission of the same user already waiting its turn in this process (not begun) reads the
   * held tasks when it begins, this caller's included: the caller joins it and gets [] (its
   * outcome, failure included, once it has run), so a burst of arrivals (an ingest's thousands
   * of dispatch events) costs a few admissions, not one each.
   */
  admit(userHash: string, options: AdmitOptions, now = new Date()): Promise<Task[]> {
    const waiting = this.waiting.get(userHash);
    if (waiting) return waiting.then(() => []);
    // One admission of a user at a time in this process: the others would only wait on its lock.
    const previous = this.admitting.get(userHash) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(() => {
        if (this.waiting.get(userHash) === next) this.waiting.delete(userHash);
        return this.admitNow(userHash, options, now);
      });
    this.waiting.set(userHash, next);
    this.admitting.set(userHash, next);
    void next.finally(() => {
      if (this.admitting.get(userHash) === next) this.admitting.delete(userHash);
    }).catch(() => undefined);
    return next;
  }

  /**
   * Whether an admission of the user waits to begin in this process: one that begins after now reads the user's tasks
   * as they stand then, so a caller whose task has just left the user's in-flight count need not start (nor wait for)
   * one of its own; whoever started that one awaits it.
   */
  waitsToBegin(userHash: string): boolean {
    return this.waiting.has(userHash);
  }

  /**
   * The user's admission document is read first and written last: concurrent admissions of one
   * user (other instances) are serialised on it, so the counts and candidates read after it
   * include every earlier admission's writes (read beside it, they could miss one that committed
   * in between, and the cap would not hold). They are read outside the transaction's own reads:
   * range queries inside a transaction lock far more than this needs.
   */
  private async admitNow(userHash: string, options: AdmitOptions, now: Date): Promise<Task[]> {
    // A user with nothing held back has nothing to admit (most finishes of an interactive user's page): one query, no
    // transaction and none of its seven. Safe outside it: whoever holds a task back later admits it after writing it.
    if (!(await this.hasHeld(userHash))) return [];
    return this.db.runTransaction(
      async (tx) => {
        const lock = this.db.collection(COLLECTIONS.admission).doc(userHash);
        await tx.get(lock);
        // Both reads at once: in flight counted up to the larger of the two caps, whichever applies.
        const [othersHeld, inFlight] = await Promise.all([isWorkConserving(options) ? this.othersHeld(userHash) : false, this.inFlight(userHash, capNow(options, false))]);
        const cap = capNow(options, othersHeld);
        const free = cap - inFlight;
        if (free <= 0) return [];
        // The oldest few of each requested priority (and of none): enough for chooseAdmissions to pick `free` from.
        // After the counts, not beside them: how many to read depends on both, and a user at the cap (most
        // of a burst's arrivals) needs none, where reading them at once would cost four queries for nothing.
        const candidates = (
          await Promise.all(
            [...Priority.options, null].map((p) =>
              this.userTasks(userHash, 'QUEUED').where('admittedAt', '==', null).where('requestedPriority', '==', p).orderBy('createdAt', 'asc').limit(free).get(),
            ),
          )
        ).flatMap((snap) => snap.docs.map((d) => fromStore(d.data())));
        // Without a request of its own, a task ranks in its user's backlog by its lane.
        const ranked = candidates.map((task) => ({ task, taskId: task.taskId, createdAt: task.createdAt, priority: task.requestedPriority ?? task.priority }));
        const chosen = chooseAdmissions(ranked, inFlight, cap, now, options.agingMs).map((r) => r.task);
        for (const task of chosen) tx.update(this.tasks().doc(task.taskId), { admittedAt: now, updatedAt: now });
        // The admission document is only a lock: writing it makes concurrent admissions of this user conflict.
        tx.set(lock, { userHash, admittedAt: now }, { merge: true });
        return chosen.map((t) => ({ ...t, admittedAt: now, updatedAt: now }));
      },
      { maxAttempts: ADMIT_ATTEMPTS },
    );
  }

  /** Whether the user has a task held back. */
  private async hasHeld(userHash: string): Promise<boolean> {
    return !(await this.userTasks(userHash, 'QUEUED').where('admittedAt', '==', null).select().limit(1).get()).empty;
  }

  /** Whether another user has a task held back (waiting for a place under their cap). */
  private async othersHeld(userHash: string): Promise<boolean> {
    const snap = await this.tasks().where('status', '==', 'QUEUED').where('admittedAt', '==', null).where('userHash', '!=', userHash).select().limit(1).get();
    return !snap.empty;
  }

  /** PROCESSING plus admitted QUEUED, counted up to `upTo` each (more is never needed). */
  private async inFlight(userHash: string, upTo: number): Promise<number> {
    const [processing, published] = await Promise.all([
      this.userTasks(userHash, 'PROCESSING').select().limit(upTo).get(),
      this.userTasks(userHash, 'QUEUED').where('admittedAt', '>', EPOCH).select().limit(upTo).get(),
    ]);
    return processing.size + published.size;
  }

  /** A publish that failed after admission: held again (if nothing else moved the task meanwhile), so a retry admits it anew. */
  async unadmit(task: Task): Promise<void> {
    const ref = this.tasks().doc(task.taskId);
    await this.db.runTransaction(async (tx) => {
      const snap = await tx.get(ref);
      const at = snap.get('admittedAt') as Timestamp | null | undefined;
      if (snap.get('status') === 'QUEUED' && !snap.get('dispatchedAt') && at && task.admittedAt && at.toMillis() === task.admittedAt.getTime()) tx.update(ref, { admittedAt: null });
    });
  }

  /** Users with held tasks created before `before`, oldest first (from at most `scan` tasks). */
  async heldUsers(before: Date, scan: number): Promise<string[]> {
    const snap = await this.tasks().where('status', '==', 'QUEUED').where('admittedAt', '==', null).where('createdAt', '<', before).orderBy('createdAt', 'asc').select('userHash').limit(scan).get();
    return [...new Set(snap.docs.map((d) => d.get('userHash') as string))];
  }

  /** QUEUED tasks admitted before `before` and still not taken by a worker: their message may be lost, or was never sent. */
  async admittedBefore(before: Date, limit: number): Promise<Task[]> {
    const snap = await this.tasks().where('status', '==', 'QUEUED').where('admittedAt', '>', EPOCH).where('admittedAt', '<', before).orderBy('admittedAt', 'asc').limit(limit).get();
    return snap.docs.map((d) => fromStore(d.data()));
  }

  /**
   * QUEUED tasks admitted before `before` and never published (no `dispatchedAt`): their admitter died or stalled
   * between the admission and the publish (a worker killed as it admitted its user's next task). Their place under the
   * user's cap is taken and no message will come: unlike a published task waiting for a slot, they need not wait for
   * REPUBLISH_QUEUED_MINUTES.
   */
  async unsentBefore(before: Date, limit: number): Promise<Task[]> {
    const snap = await this.tasks().where('status', '==', 'QUEUED').where('dispatchedAt', '==', null).where('admittedAt', '>', EPOCH).where('admittedAt', '<', before).orderBy('admittedAt', 'asc').limit(limit).get();
    return snap.docs.map((d) => fromStore(d.data()));
  }

  /**
   * Stamps a task found by admittedBefore or unsentBefore as admitted again now, if it is still QUEUED with the
   * same stamp (a worker or another run has not moved it): the caller publishes it once more.
   */
  async restamp(task: Task, now = new Date()): Promise<Task | null> {
    const ref = this.tasks().doc(task.taskId);
    return this.db.runTransaction(async (tx) => {
      const snap = await tx.get(ref);
      if (!snap.exists) return null;
      const current = fromStore(snap.data()!);
      if (current.status !== 'QUEUED' || current.admittedAt?.getTime() !== task.admittedAt?.getTime()) return null;
      tx.update(ref, { admittedAt: now, updatedAt: now });
      return { ...current, admittedAt: now, updatedAt: now };
    });
  }

  /** Held and admitted (published) QUEUED tasks, bulk (dropped) and interactive, by count aggregations. */
  async laneCounts(): Promise<Record<'interactive' | 'bulk', LaneCounts>> {
    const count = async (q: Query) => (await q.count().get()).data().count;
    const queued = (sources: TaskSource[]) => this.tasks().where('status', '==', 'QUEUED').where('source', 'in', sources);
    const interactive: TaskSource[] = ['upload', 'signed-url'];
    const [ih, ip, bh, bp] = await Promise.all([
      count(queued(interactive).where('admittedAt', '==', null)),
      count(queued(interactive).where('admittedAt', '>', EPOCH)),
      count(queued(['drop']).where('admittedAt', '==', null)),
      count(queued(['drop']).where('admittedAt', '>', EPOCH)),
    ]);
    return { interactive: { held: ih, published: ip }, bulk: { held: bh, published: bp } };
  }

  /** The backlogs of the users with the oldest held tasks (found among the oldest `scan` held tasks), largest first. */
  async userBacklogs(scan: number): Promise<UserBacklog[]> {
    const count = async (q: Query) => (await q.count().get()).data().count;
    const users = await this.heldUsers(LAST_TIMESTAMP, scan);
    const rows = await Promise.all(
      users.map(async (userHash) => {
        const [held, published, processing] = await Promise.all([
          count(this.userTasks(userHash, 'QUEUED').where('admittedAt', '==', null)),
          count(this.userTasks(userHash, 'QUEUED').where('admittedAt', '>', EPOCH)),
          count(this.userTasks(userHash, 'PROCESSING')),
        ]);
        return { userHash, held, inFlight: published + processing };
      }),
    );
    return rows.sort((a, b) => b.held - a.held);
  }
}
