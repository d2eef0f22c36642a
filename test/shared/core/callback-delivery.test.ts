import { describe, expect, it } from 'vitest';
import { afterAttempt, CALLBACK_MAX_ATTEMPTS, isSettled, judgeStatus } from '../../../shared/core/callback-delivery.ts';

const now = new Date('2026-12-01T10:00:00Z');
const at = '2026-12-01T09:59:59.000Z';

describe('callback delivery', () => {
  it.each([
    [200, 'delivered'],
    [204, 'delivered'],
    [500, 'failed'],
    [503, 'failed'],
    [429, 'failed'],
    [408, 'failed'],
    [307, 'refused'],
    [404, 'refused'],
    [410, 'refused'],
  ] as const)('judges a %i answer %s', (status, kind) => {
    expect(judgeStatus(status).kind).toBe(kind);
  });

  it('retries a failure until the last attempt, then gives up; a refusal is final at once', () => {
    let state = afterAttempt(null, at, { kind: 'failed', status: null, error: 'no answer within 5000 ms' }, now);
    expect(state).toMatchObject({ status: 'RETRYING', attempts: 1, lastStatus: null, lastError: 'no answer within 5000 ms', eventAt: at });
    for (let i = 2; i <= CALLBACK_MAX_ATTEMPTS; i++) state = afterAttempt(state, at, judgeStatus(503), now);
    expect(state).toMatchObject({ status: 'FAILED', attempts: CALLBACK_MAX_ATTEMPTS, lastStatus: 503 });
    expect(isSettled(state, at)).toBe(true);
    expect(afterAttempt(null, at, judgeStatus(410), now)).toMatchObject({ status: 'FAILED', attempts: 1 });
  });

  it('counts a new event (the task finished again) from the start', () => {
    const failed = afterAttempt(null, at, judgeStatus(410), now);
    const later = '2026-12-01T11:00:00.000Z';
    expect(isSettled(failed, later)).toBe(false);
    expect(afterAttempt(failed, later, judgeStatus(200), now)).toMatchObject({ status: 'DELIVERED', attempts: 1, lastError: null, eventAt: later });
  });
});
