/**
 * Fair shares of the queue between users, as pure rules (no clock, no store):
 *
 * - The lane of a task (the topic it is published to) is the system's choice, never the caller's:
 *   interactive uploads by size, bulk work (dropped files, `docvault ingest`) below normal.
 * - A caller's own priority orders only that caller's backlog: which of their held tasks goes next.
 * - Admission: a user has at most `cap` tasks in flight (published and not finished); the rest
 *   are held back and admitted as their own tasks finish, so a topic never holds more than `cap`
 *   messages of one user and another user's message waits behind a bounded number of them.
 *   Work-conserving: while no other user has work held back, a user may have up to `idleCap`
 *   in flight, so one user alone keeps the workers busy however long a finished task takes to
 *   admit the next; as soon as someone else waits, `cap` bites again.
 * - The worker's slots go to the best lane first, then to the user holding the fewest slots,
 *   the one served longest ago, first come first served; waiting work ages upward one lane per
 *   aging period, so bulk work is slowed by interactive work, never starved by it.
 */
import { priorityFor, type Priority, type PriorityRule, type Task } from './task.ts';

export interface FairnessSettings {
  /** Tasks of one user in flight at once while another user has work held back. */
  cap: number;
  /** Tasks of one user in flight at once while nobody else has work held back (absent: `cap` always). */
  idleCap?: number;
  /** One lane (or requested priority) up per this many ms waited. */
  agingMs: number;
  /** A published QUEUED task no worker took up within this long is published again. */
  republishAfterMs: number;
}

/** Ranks of the lanes and of requested priorities: lower goes first. */
export const PRIORITY_RANK: Readonly<Record<Priority, number>> = { high: 0, normal: 1, low: 2 };

/** Bulk is work that arrived without a person waiting at an upload: objects dropped into the bucket. */
export function isBulk(task: Pick<Task, 'source'>): boolean {
  return task.source === 'drop';
}

/** The topic a task goes to: bulk on the low lane; an upload by its size alone (a requested priority does not count here). */
export function laneFor(task: Pick<Task, 'source' | 'size'>, rules?: readonly PriorityRule[]): Priority {
  return isBulk(task) ? 'low' : priorityFor(task.size, undefined, rules);
}

/** Where a new task goes: its lane, and the caller's priority (if any) kept to order the caller's own backlog. */
export function queuePlacement(task: Pick<Task, 'source' | 'size'>, requested: Priority | null | undefined, rules?: readonly PriorityRule[]): Pick<Task, 'priority' | 'requestedPriority'> {
  return { priority: laneFor(task, rules), requestedPriority: requested ?? null };
}

/** A rank lowered by one per full aging period waited, never below the top. */
export function agedRank(rank: number, waitedMs: number, agingMs: number): number {
  if (agingMs <= 0) return rank;
  return Math.max(0, rank - Math.floor(Math.max(0, waitedMs) / agingMs));
}

/** The cap a user is held to now: `cap` when `othersHeld` (another user has work held back), else `idleCap`. */
export function capNow(settings: Pick<FairnessSettings, 'cap' | 'idleCap'>, othersHeld: boolean): number {
  return othersHeld ? settings.cap : Math.max(settings.cap, settings.idleCap ?? settings.cap);
}

/** Whether the cap can depend on others at all (else there is no need to look). */
export function isWorkConserving(settings: Pick<FairnessSettings, 'cap' | 'idleCap'>): boolean {
  return (settings.idleCap ?? settings.cap) > settings.cap;
}

export interface HeldTask {
  taskId: string;
  /** What the caller asked for (or the size rule gave): orders only this user's own backlog. */
  priority: Priority;
  createdAt: Date;
}

/**
 * Which of a user's held tasks to admit now: as many as the cap leaves free, best requested
 * priority (aged) first, then oldest. `held` may be any superset of the candidates.
 */
export function chooseAdmissions<T extends HeldTask>(held: readonly T[], inFlight: number, cap: number, now: Date, agingMs: number): T[] {
  const free = Math.max(0, cap - inFlight);
  if (free === 0) return [];
  const key = (t: T) => agedRank(PRIORITY_RANK[t.priority], now.getTime() - t.createdAt.getTime(), agingMs);
  return [...held]
    .sort((a, b) => key(a) - key(b) || a.createdAt.getTime() - b.createdAt.getTime() || a.taskId.localeCompare(b.taskId))
    .slice(0, free);
}

export interface WaitingDelivery {
  userHash: string;
  lane: Priority;
  /** When the delivery began to wait (ms). */
  arrivedAt: number;
  /** Arrival order, for first come first served. */
  seq: number;
}

export interface SlotState {
  /** Slots each user holds now. */
  running: ReadonlyMap<string, number>;
  /** When (a running count of admissions) each user was last given a slot: who was served longest ago. */
  lastServed: ReadonlyMap<string, number>;
}

/** The index in `waiting` of the delivery that gets the next free slot (-1 when none waits). */
export function pickNext(waiting: readonly WaitingDelivery[], state: SlotState, now: number, agingMs: number): number {
  let best = -1;
  let bestKey: number[] = [];
  waiting.forEach((w, i) => {
    const key = [
      agedRank(PRIORITY_RANK[w.lane], now - w.arrivedAt, agingMs),
      state.running.get(w.userHash) ?? 0,
      state.lastServed.get(w.userHash) ?? -1,
      w.seq,
    ];
    if (best === -1 || compare(key, bestKey) < 0) {
      best = i;
      bestKey = key;
    }
  });
  return best;
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
