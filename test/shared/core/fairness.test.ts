import { describe, expect, it } from 'vitest';
import { agedRank, capNow, chooseAdmissions, isWorkConserving, laneFor, pickNext, type WaitingDelivery } from '../../../shared/core/fairness.ts';

const MB = 1024 * 1024;

describe('laneFor', () => {
  it.each([
    ['a small upload', { source: 'upload', size: 2_000 }, 'high'],
    ['a mid-sized signed-URL upload', { source: 'signed-url', size: 5 * MB }, 'normal'],
    ['a large upload', { source: 'upload', size: 50 * MB }, 'low'],
    ['a small dropped file (bulk)', { source: 'drop', size: 2_000 }, 'low'],
  ] as const)('%s goes to the %s lane', (_label, task, lane) => {
    expect(laneFor(task)).toBe(lane);
  });
});

describe('agedRank', () => {
  it('rises one lane per full aging period and stops at the top', () => {
    expect(agedRank(2, 59_999, 60_000)).toBe(2);
    expect(agedRank(2, 60_000, 60_000)).toBe(1);
    expect(agedRank(2, 10 * 60_000, 60_000)).toBe(0);
    expect(agedRank(2, 10 * 60_000, 0)).toBe(2);
  });
});

describe('chooseAdmissions', () => {
  const now = new Date('2026-12-02T10:00:00Z');
  const at = (sAgo: number) => new Date(now.getTime() - sAgo * 1000);
  const held = [
    { taskId: 'old-low', priority: 'low' as const, createdAt: at(30) },
    { taskId: 'new-high', priority: 'high' as const, createdAt: at(1) },
    { taskId: 'mid-normal', priority: 'normal' as const, createdAt: at(10) },
    { taskId: 'old-normal', priority: 'normal' as const, createdAt: at(20) },
  ];

  it('admits only what the cap leaves free, the caller’s own priority first, then the oldest', () => {
    expect(chooseAdmissions(held, 1, 4, now, 0).map((t) => t.taskId)).toEqual(['new-high', 'old-normal', 'mid-normal']);
    expect(chooseAdmissions(held, 4, 4, now, 0)).toEqual([]);
    expect(chooseAdmissions(held, 6, 4, now, 0)).toEqual([]);
  });

  it('ages a waiting low-priority task upward past newer high ones', () => {
    expect(chooseAdmissions(held, 3, 4, now, 15_000).map((t) => t.taskId)).toEqual(['old-low']);
  });
});

describe('pickNext', () => {
  const w = (userHash: string, lane: WaitingDelivery['lane'], seq: number, arrivedAt = 0): WaitingDelivery => ({ userHash, lane, seq, arrivedAt });
  const none = { running: new Map<string, number>(), lastServed: new Map<string, number>() };

  it('takes the best lane first', () => {
    expect(pickNext([w('a', 'low', 0), w('a', 'normal', 1), w('b', 'high', 2)], none, 0, 60_000)).toBe(2);
  });

  it('within a lane, prefers the user holding fewer slots over an earlier arrival', () => {
    const state = { running: new Map([['a', 1]]), lastServed: new Map([['a', 5]]) };
    expect(pickNext([w('a', 'high', 6), w('a', 'high', 7), w('b', 'high', 8)], state, 0, 60_000)).toBe(2);
  });

  it('between users holding as many slots, takes the one served longest ago (round-robin)', () => {
    const state = { running: new Map<string, number>(), lastServed: new Map([['a', 9], ['b', 3]]) };
    expect(pickNext([w('a', 'high', 10), w('b', 'high', 11)], state, 0, 60_000)).toBe(1);
  });

  it('lets a low delivery that waited long enough overtake fresh high ones', () => {
    const waiting = [w('a', 'high', 5, 100_000), w('b', 'low', 1, 0)];
    expect(pickNext(waiting, none, 100_000, 60_000)).toBe(0);
    expect(pickNext(waiting, none, 120_000, 60_000)).toBe(1);
  });

  it('answers -1 when nothing waits', () => {
    expect(pickNext([], none, 0, 60_000)).toBe(-1);
  });
});

describe('capNow (work-conserving admission)', () => {
  it('lets a user up to the idle cap while nobody else waits, and holds them to the cap once someone does', () => {
    expect(capNow({ cap: 4, idleCap: 8 }, false)).toBe(8);
    expect(capNow({ cap: 4, idleCap: 8 }, true)).toBe(4);
    // No idle cap, or one below the cap: the cap always.
    expect(capNow({ cap: 4 }, false)).toBe(4);
    expect(capNow({ cap: 4, idleCap: 2 }, false)).toBe(4);
    expect(isWorkConserving({ cap: 4, idleCap: 8 })).toBe(true);
    expect(isWorkConserving({ cap: 4 })).toBe(false);
  });
});
