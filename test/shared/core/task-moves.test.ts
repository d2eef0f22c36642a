/** The lifecycle's rules, pure: what becomes of a task as read, without a store. */
import { describe, expect, it } from 'vitest';
import {
  decideArrival,
  decideCancel,
  decideFail,
  decideHeartbeat,
  decideLease,
  decideRecoverStale,
  decideRelease,
  decideRequeue,
  gaveUpError,
  STOPPED_ATTEMPT,
} from '../../../shared/core/task-moves.ts';
import { MAX_REQUEUES } from '../../../shared/core/task.ts';
import { makeTask } from '../../support/tasks.ts';

const now = new Date('2026-12-01T12:00:00Z');
const later = new Date(now.getTime() + 60_000);
const earlier = new Date(now.getTime() - 60_000);

describe('decideLease', () => {
  it.each([
    ['missing', null],
    ['missing', makeTask({ status: 'PENDING' })],
    ['finished', makeTask({ status: 'COMPLETED' })],
    ['busy', makeTask({ status: 'PROCESSING', attempts: 1, lease: { workerId: 'other', expiresAt: later } })],
    // a duplicate delivery to the process already reading it (one lease per process): not a second attempt
    ['busy', makeTask({ status: 'PROCESSING', attempts: 1, lease: { workerId: 'me', expiresAt: later } })],
  ] as const)('%s: nothing written', (kind, task) => {
    expect(decideLease(task, 'me', 1000, now)).toEqual({ kind, patch: null });
  });

  it('leases a queued task with one attempt more, and records a dead attempt on takeover', () => {
    const queued = decideLease(makeTask({ createdAt: earlier }), 'me', 1000, now);
    expect(queued).toMatchObject({ kind: 'leased', patch: { status: 'PROCESSING', attempts: 1, lease: { workerId: 'me' }, error: null, waitMs: 60_000 } });
    const takeover = decideLease(makeTask({ status: 'PROCESSING', attempts: 1, lease: { workerId: 'dead', expiresAt: earlier } }), 'me', 1000, now);
    expect(takeover).toMatchObject({ kind: 'leased', patch: { attempts: 2, error: STOPPED_ATTEMPT } });
  });

  it('gives up on a task out of attempts, with its last error and no TTL', () => {
    const out = decideLease(makeTask({ attempts: 3, maxAttempts: 3, error: { code: 'ENGINE_FAILURE', message: 'boom' } }), 'me', 1000, now);
    expect(out).toMatchObject({ kind: 'exhausted', patch: { status: 'FAILED', error: gaveUpError(3, { code: 'ENGINE_FAILURE', message: 'boom' }) } });
    expect(out.patch).not.toHaveProperty('expireAt');
    expect(gaveUpError(3, { code: 'ENGINE_FAILURE', message: 'boom' }).message).toBe('Gave up after 3 attempts: boom');
  });
});

describe('moves that need the lease', () => {
  const held = makeTask({ status: 'PROCESSING', attempts: 1, progress: 50, lease: { workerId: 'me', expiresAt: later } });
  it('heartbeat renews only the holder\'s lease and never lowers progress', () => {
    expect(decideHeartbeat(held, 'other', 1000, undefined, now).kind).toBe('lost');
    expect(decideHeartbeat(held, 'me', 1000, { percent: 20, message: 'page 1/5' }, now).patch).toMatchObject({ progress: 50, message: 'page 1/5' });
    expect(decideHeartbeat(held, 'me', 1000, { percent: 100, message: 'page 5/5' }, now).patch).toMatchObject({ progress: 99 });
  });
  it('release and fail refuse a worker that lost its lease', () => {
    const error = { code: 'ENGINE_FAILURE' as const, message: 'x' };
    expect(decideRelease(held, 'other', error, now).kind).toBe('lost');
    expect(decideRelease(held, 'me', error, now).patch).toMatchObject({ status: 'QUEUED', lease: null, error });
    expect(decideFail(held, error, { workerId: 'other', retentionMs: 1000 }, now).kind).toBe('refused');
    expect(decideFail(held, error, { retentionMs: 1000 }, now).patch).toMatchObject({ status: 'FAILED', expireAt: new Date(now.getTime() + 1000) });
    expect(decideFail(makeTask({ status: 'COMPLETED' }), error, { retentionMs: 1000 }, now).kind).toBe('refused');
  });
  it('release keeps the task admitted, stamped now: the stamp of the attempt it ended is not taken for a lost message', () => {
    const admittedLongAgo = makeTask({ status: 'PROCESSING', attempts: 1, lease: { workerId: 'me', expiresAt: later }, admittedAt: new Date(now.getTime() - 3_600_000) });
    const out = decideRelease(admittedLongAgo, 'me', { code: 'ENGINE_FAILURE', message: 'x' }, now);
    expect(out.patch).toMatchObject({ status: 'QUEUED', admittedAt: now });
  });
});

describe('cancel, requeue, recover', () => {
  it('cancel: another user\'s task is missing, a finished one stays as it is', () => {
    const task = makeTask({ userHash: 'b'.repeat(64) });
    expect(decideCancel(task, 'a'.repeat(64), now).kind).toBe('missing');
    expect(decideCancel(makeTask({ status: 'FAILED' }), 'a'.repeat(64), now)).toEqual({ kind: 'finished', patch: null });
    expect(decideCancel(makeTask(), 'a'.repeat(64), now).patch).toMatchObject({ status: 'CANCELLED', completedAt: now });
  });
  it('requeue: FAILED only, at most MAX_REQUEUES times, scoped to a user when asked', () => {
    const failed = makeTask({ status: 'FAILED', attempts: 3, requeues: 1 });
    expect(decideRequeue(failed).patch).toMatchObject({ status: 'QUEUED', attempts: 0, requeues: 2 });
    expect(decideRequeue({ ...failed, requeues: MAX_REQUEUES }).kind).toBe('exhausted');
    expect(decideRequeue(failed, 'c'.repeat(64)).kind).toBe('missing');
    expect(decideRequeue(makeTask()).kind).toBe('refused');
  });
  it('requeue: the task comes back held (no admission, no dispatch), so it waits for a place under its user\'s cap and queue care does not publish it as lost', () => {
    const failed = makeTask({ status: 'FAILED', attempts: 3, admittedAt: earlier, dispatchedAt: earlier });
    expect(decideRequeue(failed).patch).toMatchObject({ status: 'QUEUED', admittedAt: null, dispatchedAt: null });
    const encrypted = { ...failed, error: { code: 'ENCRYPTED_PDF' as const, message: 'x' } };
    expect(decideRequeue(encrypted, encrypted.userHash, 'sealed').patch).toMatchObject({ admittedAt: null, dispatchedAt: null });
  });
  it('requeue: the last finish\'s callback state is cleared, so the task does not show a delivery of its old failure', () => {
    const delivered = { status: 'DELIVERED' as const, attempts: 1, lastStatus: 200, lastError: null, eventAt: earlier.toISOString(), updatedAt: earlier };
    const failed = makeTask({ status: 'FAILED', attempts: 3, callbackUrl: 'https://example.com/hook', callback: delivered });
    const patch = decideRequeue(failed).patch;
    expect(patch).toMatchObject({ callback: null });
    // The receiver stays: the next finish is delivered to it afresh.
    expect(patch).not.toHaveProperty('callbackUrl');
  });
  it('recover-stale: an expired lease comes back or gives up; a live one is skipped', () => {
    const stale = makeTask({ status: 'PROCESSING', attempts: 1, lease: { workerId: 'dead', expiresAt: earlier } });
    expect(decideRecoverStale(stale, 1000, now).patch).toMatchObject({ status: 'QUEUED', error: STOPPED_ATTEMPT });
    // Published again at once and still in flight: its admission is stamped afresh, not left at its first one.
    expect(decideRecoverStale({ ...stale, admittedAt: earlier, dispatchedAt: earlier }, 1000, now).patch).toMatchObject({ admittedAt: now, dispatchedAt: now });
    expect(decideRecoverStale({ ...stale, attempts: 3 }, 1000, now).patch).toMatchObject({ status: 'FAILED', expireAt: new Date(now.getTime() + 1000) });
    expect(decideRecoverStale({ ...stale, lease: { workerId: 'alive', expiresAt: later } }, 1000, now).kind).toBe('skipped');
  });
  it('recover-stale: a live lease held by a holder known dead comes back or gives up; anyone else\'s live lease is skipped', () => {
    const held = makeTask({ status: 'PROCESSING', attempts: 1, lease: { workerId: 'ocr-worker-1/111:aa', expiresAt: later } });
    expect(decideRecoverStale(held, 1000, now, 'ocr-worker-1/111:aa').patch).toMatchObject({ status: 'QUEUED', lease: null, error: STOPPED_ATTEMPT });
    expect(decideRecoverStale({ ...held, attempts: 3 }, 1000, now, 'ocr-worker-1/111:aa').patch).toMatchObject({ status: 'FAILED' });
    expect(decideRecoverStale(held, 1000, now, 'ocr-worker-1/222:bb').kind).toBe('skipped');
    expect(decideRecoverStale({ ...held, status: 'COMPLETED' }, 1000, now, 'ocr-worker-1/111:aa').kind).toBe('skipped');
  });
});

describe('decideArrival', () => {
  const arrival = { object: 'users/x/t/doc.png', generation: '42', size: 2000, contentType: 'image/png', priority: 'normal' as const };

  it('PENDING → QUEUED with what the object says, its TTL cleared', () => {
    const pending = makeTask({ status: 'PENDING', generation: '', expireAt: later });
    expect(decideArrival(pending, arrival)).toEqual({ kind: 'arrived', patch: { ...arrival, status: 'QUEUED', message: 'queued', expireAt: null } });
  });

  it.each([null, makeTask({ status: 'QUEUED' }), makeTask({ status: 'CANCELLED' })])('leaves anything else as it is (%#)', (task) => {
    expect(decideArrival(task, arrival)).toEqual({ kind: 'unchanged', patch: null });
  });
});
