/** The fan-out rules alone: the plan, the shard moves in their transaction, and the merge of pages. */
import { describe, expect, it } from 'vitest';
import {
  decideFanOut,
  decideShardComplete,
  decideShardHeartbeat,
  decideShardLease,
  FANOUT_LEASES,
  fanOutHolder,
  mergePages,
  newShards,
  planShards,
  shouldFanOut,
  type Shard,
} from '../../../shared/core/shards.ts';
import type { PageResult } from '../../../shared/core/result.ts';
import type { Task } from '../../../shared/core/task.ts';
import { makeTask } from '../../support/tasks.ts';

const NOW = new Date('2026-12-02T04:00:00Z');
const LEASE = 60_000;

function fannedOut(pageCount: number, shardPages: number): { parent: Task; shards: Shard[] } {
  const held = makeTask({ status: 'PROCESSING', attempts: 1, lease: { workerId: 'first', expiresAt: new Date(NOW.getTime() + LEASE) } });
  const planned = newShards(held, planShards(pageCount, shardPages), NOW);
  const decision = decideFanOut(held, [], planned, 'first', LEASE, NOW);
  return { parent: { ...held, ...decision.parent }, shards: decision.shards };
}

function leased(parent: Task, shards: Shard[], index: number, workerId: string): Shard[] {
  const decision = decideShardLease(parent, shards[index]!, workerId, LEASE, NOW);
  expect(decision.kind).toBe('leased');
  return shards.map((s) => (s.index === index ? decision.shards[0]! : s));
}

function page(number: number): PageResult {
  return { number, source: 'ocr', status: 'ok', text: `page ${number}`, confidence: 90, width: 10, height: 10, dpi: 300, rotation: { orientation: 0, skewDegrees: 0 }, words: [], timings: { renderMs: 0, ocrMs: 1, totalMs: 1 } };
}

describe('planShards', () => {
  it.each([
    [5, 2, [[1, 2], [3, 4], [5, 5]]],
    [100, 20, [[1, 20], [21, 40], [41, 60], [61, 80], [81, 100]]],
    [101, 20, [[1, 17], [18, 34], [35, 51], [52, 68], [69, 85], [86, 101]]],
    [21, 20, [[1, 11], [12, 21]]],
  ])('%i pages by %i: contiguous, covering, even', (pages, per, expected) => {
    expect(planShards(pages, per).map((r) => [r.firstPage, r.lastPage])).toEqual(expected);
  });

  it('fans out only a PDF of more pages than one shard, and never with 0', () => {
    expect(shouldFanOut('pdf', 21, 20)).toBe(true);
    expect(shouldFanOut('pdf', 20, 20)).toBe(false);
    expect(shouldFanOut('tiff', 100, 20)).toBe(false);
    expect(shouldFanOut('pdf', 100, 0)).toBe(false);
    expect(shouldFanOut('pdf', undefined, 20)).toBe(false);
  });
});

describe('shard moves', () => {
  it('fan-out hands the parent to its shards; a worker not holding it is refused', () => {
    const { parent, shards } = fannedOut(5, 2);
    expect(parent.lease?.workerId).toBe(fanOutHolder(parent.taskId));
    // Long enough for shard messages waiting behind a backlog: only shards that stopped moving make it stale.
    expect(parent.lease?.expiresAt.getTime()).toBe(NOW.getTime() + FANOUT_LEASES * LEASE);
    expect(shards.map((s) => [s.status, s.firstPage, s.lastPage, s.count])).toEqual([
      ['QUEUED', 1, 2, 3],
      ['QUEUED', 3, 4, 3],
      ['QUEUED', 5, 5, 3],
    ]);
    expect(decideFanOut(parent, [], [], 'first', LEASE, NOW).kind).toBe('lost');
  });

  it('a parent leased again keeps its plan: finished shards stay, unfinished start afresh; all finished → merge', () => {
    const { parent, shards } = fannedOut(5, 2);
    const done = { ...shards[0]!, status: 'COMPLETED' as const };
    const tired = { ...shards[1]!, attempts: 3, error: { code: 'ENGINE_FAILURE' as const, message: 'x' } };
    const again = { ...parent, lease: { workerId: 'second', expiresAt: new Date(NOW.getTime() + LEASE) } };
    const decision = decideFanOut(again, [done, tired, shards[2]!], [], 'second', LEASE, NOW);
    expect(decision.kind).toBe('fanned-out');
    expect(decision.shards.map((s) => [s.index, s.attempts, s.status])).toEqual([
      [1, 0, 'QUEUED'],
      [2, 0, 'QUEUED'],
    ]);
    expect(decision.parent?.progress).toBe(40);
    const all = shards.map((s) => ({ ...s, status: 'COMPLETED' as const }));
    expect(decideFanOut(again, all, [], 'second', LEASE, NOW).kind).toBe('merge');
  });

  it('a shard of a cancelled parent is stopped; a completed one is finished; a live lease is busy', () => {
    const { parent, shards } = fannedOut(5, 2);
    expect(decideShardLease({ ...parent, status: 'CANCELLED', lease: null }, shards[0]!, 'w', LEASE, NOW).kind).toBe('stopped');
    expect(decideShardLease(parent, { ...shards[0]!, status: 'COMPLETED' }, 'w', LEASE, NOW).kind).toBe('finished');
    const taken = leased(parent, shards, 0, 'w1');
    expect(decideShardLease(parent, taken[0]!, 'w2', LEASE, NOW).kind).toBe('busy');
    expect(decideShardLease(parent, { ...shards[0]!, attempts: shards[0]!.maxAttempts }, 'w', LEASE, NOW).kind).toBe('exhausted');
  });

  it('progress is counted in pages over all shards', () => {
    const { parent, shards } = fannedOut(100, 20);
    let all = leased(parent, shards, 0, 'w1');
    all = leased(parent, all, 1, 'w2');
    const beat = decideShardHeartbeat(parent, all, 0, 'w1', LEASE, 10, NOW);
    expect(beat.kind).toBe('renewed');
    all = all.map((s) => (s.index === 0 ? beat.shards[0]! : s));
    const beat2 = decideShardHeartbeat(parent, all, 1, 'w2', LEASE, 5, NOW);
    expect(beat2.parent).toMatchObject({ progress: 15, message: 'page 15/100' });
    expect(decideShardHeartbeat(parent, all, 1, 'someone-else', LEASE, 5, NOW).kind).toBe('lost');
  });

  it('only the shard that finds all others completed is the last, and it takes the parent to merge, once', () => {
    const { parent, shards } = fannedOut(5, 2);
    let all = leased(parent, shards, 0, 'a');
    all = leased(parent, all, 1, 'b');
    all = leased(parent, all, 2, 'c');
    const first = decideShardComplete(parent, all, 0, 'a', LEASE, NOW);
    expect(first.kind).toBe('completed');
    all = all.map((s) => (s.index === 0 ? first.shards[0]! : s));
    const second = decideShardComplete(parent, all, 2, 'c', LEASE, NOW);
    all = all.map((s) => (s.index === 2 ? second.shards[0]! : s));
    const last = decideShardComplete(parent, all, 1, 'b', LEASE, NOW);
    expect(last.kind).toBe('last');
    expect(last.parent?.lease?.workerId).toBe('b');
    const merging = { ...parent, ...last.parent };
    // The same shard's duplicate, or a late attempt of another: the parent is no longer fanned out.
    expect(decideShardComplete(merging, all, 1, 'b', LEASE, NOW).kind).toBe('lost');
    expect(decideShardLease(merging, all[1]!, 'd', LEASE, NOW).kind).toBe('stopped');
  });
});

describe('mergePages', () => {
  it('puts the pages in order, each once, whatever order the parts come in', () => {
    const merged = mergePages([[page(3), page(4)], [page(1), page(2)], [page(5)], [page(3)]], 5);
    expect(merged.map((p) => p.number)).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses parts that do not cover the document', () => {
    expect(() => mergePages([[page(1), page(2)], [page(4)]], 4)).toThrow(/1 of 4 pages missing \(first 3\)/);
  });
});
