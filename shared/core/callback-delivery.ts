/**
 * A finished task's callback, as the task records it: each delivery attempt (made by the callbacks
 * function, outside the OCR worker) moves this state on by the rule below, so the caller sees in
 * GET /tasks/{id} whether their receiver got the news. Pure: no HTTP here.
 */
import { z } from 'zod';

export const CallbackStatus = z.enum(['PENDING', 'RETRYING', 'DELIVERED', 'FAILED']);
export type CallbackStatus = z.infer<typeof CallbackStatus>;

export const CallbackDelivery = z.object({
  status: CallbackStatus,
  attempts: z.number().int().nonnegative(),
  /** The receiver's last HTTP status, or null when it never answered. */
  lastStatus: z.number().int().nullable(),
  /** Why the last attempt failed (a status, a timeout, a refused address); null once delivered. */
  lastError: z.string().nullable(),
  /** The event (its `at`) these attempts deliver: a task that finishes again starts afresh. */
  eventAt: z.string(),
  updatedAt: z.date(),
});
export type CallbackDelivery = z.infer<typeof CallbackDelivery>;

/**
 * Attempts at one event's callback before it is given up (FAILED, dead-lettered). The callbacks
 * subscription's own dead-letter policy is set a little above this, as a backstop.
 */
export const CALLBACK_MAX_ATTEMPTS = 5;

/** What one POST to the receiver came to. */
export type CallbackAttempt =
  | { kind: 'delivered'; status: number }
  /** Trying again cannot help (a 4xx other than 408/429, a private address). */
  | { kind: 'refused'; status: number | null; error: string }
  /** A 5xx, 408, 429, a timeout or a network error: worth another attempt. */
  | { kind: 'failed'; status: number | null; error: string };

/** Whether this event's callback is already settled (delivered or given up): a redelivery does nothing. */
export function isSettled(state: CallbackDelivery | null, eventAt: string): boolean {
  return state !== null && state.eventAt === eventAt && (state.status === 'DELIVERED' || state.status === 'FAILED');
}

/** The state after one attempt; RETRYING asks for another delivery, FAILED is final. */
export function afterAttempt(state: CallbackDelivery | null, eventAt: string, attempt: CallbackAttempt, now: Date, maxAttempts = CALLBACK_MAX_ATTEMPTS): CallbackDelivery {
  const attempts = (state && state.eventAt === eventAt ? state.attempts : 0) + 1;
  if (attempt.kind === 'delivered') return { status: 'DELIVERED', attempts, lastStatus: attempt.status, lastError: null, eventAt, updatedAt: now };
  const status: CallbackStatus = attempt.kind === 'refused' || attempts >= maxAttempts ? 'FAILED' : 'RETRYING';
  return { status, attempts, lastStatus: attempt.status, lastError: attempt.error, eventAt, updatedAt: now };
}

/** The HTTP status of a receiver's answer, judged: 2xx delivered, 408/429/5xx worth retrying, the rest refused. */
export function judgeStatus(status: number): CallbackAttempt {
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  const error = `the receiver answered ${status}`;
  return status >= 500 || status === 408 || status === 429 ? { kind: 'failed', status, error } : { kind: 'refused', status, error };
}
