/**
 * The task's lifecycle rules as pure decisions: given a task as read inside a transaction, what
 * becomes of it. The task store applies a decision in its transaction (and only there); the
 * lifecycle module (shared/lifecycle) does what follows it: publish, dead-letter, notify.
 */
import { isRetryableCode } from './errors.ts';
import { awaitsPassword } from './password-failures.ts';
import { canTransition, MAX_REQUEUES, TERMINAL_STATUSES, type Task, type TaskError, type TaskSummary } from './task.ts';

/** A decision: what happened (kind) and the fields to write, or null to leave the task as it is. */
export interface Decision<K extends string> {
  kind: K;
  patch: Partial<Task> | null;
}

const keep = <K extends string>(kind: K): Decision<K> => ({ kind, patch: null });

/** What an attempt that died without a word (a crash, a time-out) leaves as the task's error. */
export const STOPPED_ATTEMPT: TaskError = { code: 'INTERNAL', message: 'the previous attempt stopped (crash or time-out)' };

export function isOutOfAttempts(task: Pick<Task, 'attempts' | 'maxAttempts'>): boolean {
  return task.attempts >= task.maxAttempts;
}

/** The one wording of a task given up on: its last error, with the attempts it had. */
export function gaveUpError(attempts: number, last: TaskError): TaskError {
  return { code: last.code, message: `Gave up after ${attempts} attempts: ${last.message}` };
}

/** FAILED with a reason; expireAt (the TTL field) when a retention is given. A finished task keeps no password. */
export function failedPatch(error: TaskError, now: Date, retentionMs?: number): Partial<Task> {
  return { status: 'FAILED', message: 'failed', lease: null, error, completedAt: now, announcedAt: null, sealedPassword: null, ...(retentionMs !== undefined ? { expireAt: new Date(now.getTime() + retentionMs) } : {}) };
}

/** FAILED with its last error, for a task with no attempt left. */
function giveUp(task: Task, now: Date, retentionMs?: number): Partial<Task> {
  const last = task.error ?? { code: 'INTERNAL' as const, message: 'the worker stopped while processing (crash or time-out)' };
  return failedPatch(gaveUpError(task.attempts, last), now, retentionMs);
}

/** How long a finisher has to announce its finish before a delivery of the task's message does it instead. */
const ANNOUNCE_GRACE_MS = 5_000;

/** What a finished task still owes the world: nothing, or its announcement (with its dead letter when it was given up on) after waitMs. */
export type OwedAnnouncement = { owed: false } | { owed: true; deadLetter: boolean; waitMs: number };

/**
 * A COMPLETED or FAILED task not announced: its finisher died between the write and the publish
 * (the write comes first so that nothing is announced that did not happen). Within the grace the
 * finisher may still be at it; after it, a delivery of the task's message announces it. A task
 * given up on (FAILED with a retryable code) owes its dead letter as well.
 */
export function owedAnnouncement(task: Task, now: Date): OwedAnnouncement {
  if ((task.status !== 'COMPLETED' && task.status !== 'FAILED') || task.announcedAt || !task.completedAt) return { owed: false };
  const deadLetter = task.status === 'FAILED' && task.error !== null && isRetryableCode(task.error.code);
  return { owed: true, deadLetter, waitMs: Math.max(0, task.completedAt.getTime() + ANNOUNCE_GRACE_MS - now.getTime()) };
}

export type LeaseKind = 'missing' | 'finished' | 'busy' | 'exhausted' | 'leased';

/** QUEUED (or PROCESSING with an expired lease) → PROCESSING for this worker, one attempt more. */
export function decideLease(task: Task | null, workerId: string, leaseMs: number, now: Date): Decision<LeaseKind> {
  if (!task) return keep('missing');
  if (TERMINAL_STATUSES.includes(task.status)) return keep('finished');
  // Only dispatch publishes, and only once a task is QUEUED: a PENDING one has no message yet.
  if (task.status === 'PENDING') return keep('missing');
  // A live lease is busy whoever holds it: this very process too, when a duplicate delivery of a task it is reading
  // arrives (the lease is per process). Leased again, it ran a second attempt beside the first, spending an attempt.
  if (task.status === 'PROCESSING' && task.lease && task.lease.expiresAt > now) return keep('busy');
  if (isOutOfAttempts(task)) return { kind: 'exhausted', patch: giveUp(task, now) };
  return {
    kind: 'leased',
    patch: {
      status: 'PROCESSING',
      attempts: task.attempts + 1,
      lease: { workerId, expiresAt: new Date(now.getTime() + leaseMs) },
      // An expired lease means the last attempt died without a word: record that.
      error: task.status === 'PROCESSING' ? STOPPED_ATTEMPT : task.error,
      progress: 0,
      message: 'processing',
      startedAt: task.startedAt ?? now,
      // From when the document was in the queue (a signed upload's task exists before its bytes).
      waitMs: task.waitMs ?? now.getTime() - (task.dispatchedAt ?? task.createdAt).getTime(),
    },
  };
}

function holds(task: Task | null, workerId: string): task is Task {
  return task !== null && task.status === 'PROCESSING' && task.lease?.workerId === workerId;
}

/** What dispatch learns from the object itself when it arrives. */
export type Arrival = Pick<Task, 'object' | 'generation' | 'size' | 'contentType' | 'priority'>;

/**
 * PENDING → QUEUED when the document's object arrives (the task upload wrote as it answered); a
 * task already moved on, or cancelled meanwhile, is left as it is, so a repeated event is a no-op.
 */
export function decideArrival(task: Task | null, arrival: Arrival): Decision<'arrived' | 'unchanged'> {
  if (!task || task.status !== 'PENDING') return keep('unchanged');
  return { kind: 'arrived', patch: { ...arrival, status: 'QUEUED', message: 'queued', expireAt: null } };
}

/** Progress and a longer lease, only while this worker still holds the task. */
export function decideHeartbeat(task: Task | null, workerId: string, leaseMs: number, progress: { percent: number; message: string } | undefined, now: Date): Decision<'renewed' | 'lost'> {
  if (!holds(task, workerId)) return keep('lost');
  const step = progress ? { progress: Math.max(task.progress, Math.min(99, Math.round(progress.percent))), message: progress.message } : {};
  return { kind: 'renewed', patch: { lease: { workerId, expiresAt: new Date(now.getTime() + leaseMs) }, ...step } };
}

export function decideComplete(task: Task | null, workerId: string, summary: TaskSummary, retentionMs: number, now: Date): Decision<'completed' | 'lost'> {
  if (!holds(task, workerId)) return keep('lost');
  return {
    kind: 'completed',
    patch: {
      status: 'COMPLETED',
      progress: 100,
      message: 'completed',
      lease: null,
      error: null,
      summary,
      completedAt: now,
      announcedAt: null,
      sealedPassword: null,
      processingMs: summary.processingMs,
      expireAt: new Date(now.getTime() + retentionMs),
    },
  };
}

/** FAILED with a reason, from QUEUED or PROCESSING (a worker passes its id to prove its lease). */
export function decideFail(task: Task | null, error: TaskError, options: { workerId?: string | undefined; retentionMs: number }, now: Date): Decision<'failed' | 'refused'> {
  if (!task || !canTransition(task.status, 'FAILED')) return keep('refused');
  if (options.workerId && task.status === 'PROCESSING' && task.lease?.workerId !== options.workerId) return keep('refused');
  return { kind: 'failed', patch: failedPatch(error, now, options.retentionMs) };
}

/**
 * A retryable failure: back to QUEUED with the error kept, for the redelivery to pick up. It keeps
 * its place under its user's cap, stamped now (as a stale lease's recovery is): queue care takes a
 * task admitted longer ago than REPUBLISH_QUEUED_MINUTES for a lost message, and the old stamp
 * dates from before the attempt that just ended.
 */
export function decideRelease(task: Task | null, workerId: string, error: TaskError, now: Date): Decision<'released' | 'lost'> {
  if (!holds(task, workerId)) return keep('lost');
  return { kind: 'released', patch: { status: 'QUEUED', message: `retrying after: ${error.message}`, lease: null, error, admittedAt: now } };
}

/** QUEUED or PROCESSING → CANCELLED; a finished task is left as it is (the caller says ALREADY_FINISHED). */
export function decideCancel(task: Task | null, userHash: string, now: Date): Decision<'missing' | 'cancelled' | 'finished'> {
  if (!task || task.userHash !== userHash) return keep('missing');
  if (!canTransition(task.status, 'CANCELLED')) return keep('finished');
  return { kind: 'cancelled', patch: { status: 'CANCELLED', message: 'cancelled', lease: null, completedAt: now, sealedPassword: null } };
}

/** Why a requeue did not happen: no such task (or another user's), not one this requeue takes, or requeued too often already. */
export type RequeueKind = 'requeued' | 'missing' | 'refused' | 'exhausted';

/**
 * FAILED → QUEUED with a fresh set of attempts (an operator's or owner's requeue), at most
 * MAX_REQUEUES times; `userHash` scopes it to one user's task. With a sealed password, only a task
 * that failed for want of one (awaitsPassword), which gets it. It comes back held, like a new
 * task: its old admission is gone with the attempt it let in, so it waits for a place under its
 * user's cap (core/fairness.ts) and queue care never takes the old stamp for a lost message.
 */
export function decideRequeue(task: Task | null, userHash?: string, sealedPassword?: string): Decision<RequeueKind> {
  if (!task || (userHash !== undefined && task.userHash !== userHash)) return keep('missing');
  if (task.status !== 'FAILED' || (sealedPassword !== undefined && !awaitsPassword(task))) return keep('refused');
  if (task.requeues >= MAX_REQUEUES) return keep('exhausted');
  return {
    kind: 'requeued',
    // The callback state belonged to the failure being retried: cleared, so the task does not show
    // that finish's delivery while it runs again (the next finish is delivered afresh).
    patch: {
      status: 'QUEUED',
      attempts: 0,
      requeues: task.requeues + 1,
      progress: 0,
      message: 'requeued',
      lease: null,
      completedAt: null,
      announcedAt: null,
      expireAt: null,
      callback: null,
      admittedAt: null,
      dispatchedAt: null,
      ...(sealedPassword !== undefined ? { sealedPassword } : {}),
    },
  };
}

export type StaleKind = 'requeued' | 'failed' | 'skipped';

/**
 * PROCESSING with an expired lease, or one held by `deadHolder` → QUEUED (the dead attempt counted and recorded), or FAILED
 * with its last error when no attempt is left: what a worker's lease would reach, for a task
 * whose message no worker will see again. It keeps its place under its user's cap (it is
 * published again at once), stamped now: queue care republishes only what waits that long from here.
 */
export function decideRecoverStale(task: Task | null, retentionMs: number, now: Date, deadHolder?: string): Decision<StaleKind> {
  if (!task || task.status !== 'PROCESSING' || !task.lease) return keep('skipped');
  // A lease still running is stale only when its holder is known dead (a restarted instance's predecessor: holders.ts).
  if (task.lease.expiresAt > now && task.lease.workerId !== deadHolder) return keep('skipped');
  if (isOutOfAttempts(task)) return { kind: 'failed', patch: giveUp(task, now, retentionMs) };
  return { kind: 'requeued', patch: { status: 'QUEUED', lease: null, error: STOPPED_ATTEMPT, message: 'requeued after an expired lease', admittedAt: now, dispatchedAt: now } };
}
