import { describe, expect, it } from 'vitest';
import { PriorityGate } from '../../../shared/services/priority-gate.ts';

const tick = () => new Promise((r) => setImmediate(r));

describe('PriorityGate', () => {
  it('lets waiting high-priority work in before normal and low, FIFO within a priority of one user', async () => {
    const gate = new PriorityGate(1);
    const order: string[] = [];
    let release!: () => void;
    const blocker = gate.run('low', () => new Promise<void>((r) => (release = r)));
    const runs = (
      [
        ['low', 'low-1'],
        ['normal', 'normal-1'],
        ['high', 'high-1'],
        ['low', 'low-2'],
        ['high', 'high-2'],
      ] as const
    ).map(([p, name]) => gate.run(p, async () => void order.push(name)));
    expect(gate.queued).toEqual({ high: 2, normal: 1, low: 2 });
    await tick(); // the blocker's work has started
    release();
    await Promise.all([blocker, ...runs]);
    expect(order).toEqual(['high-1', 'high-2', 'normal-1', 'low-1', 'low-2']);
  });

  it('serves users round-robin within a lane, not in arrival order', async () => {
    const gate = new PriorityGate(1);
    const order: string[] = [];
    let release!: () => void;
    const blocker = gate.run({ lane: 'high', userHash: 'a' }, () => new Promise<void>((r) => (release = r)));
    const runs = ['a1', 'a2', 'a3', 'b1', 'c1', 'b2'].map((name) => gate.run({ lane: 'high', userHash: name[0]! }, async () => void order.push(name)));
    await tick();
    release();
    await Promise.all([blocker, ...runs]);
    expect(order).toEqual(['b1', 'c1', 'a1', 'b2', 'a2', 'a3']);
  });

  it('gives a freed slot to a user holding none before an earlier delivery of a user already running', async () => {
    const gate = new PriorityGate(2);
    const order: string[] = [];
    const releases: Array<() => void> = [];
    const held = [gate.run({ lane: 'high', userHash: 'a' }, () => new Promise<void>((r) => releases.push(r))), gate.run({ lane: 'high', userHash: 'a' }, () => new Promise<void>((r) => releases.push(r)))];
    const runs = [gate.run({ lane: 'high', userHash: 'a' }, async () => void order.push('a3')), gate.run({ lane: 'high', userHash: 'b' }, async () => void order.push('b1'))];
    await tick();
    expect(gate.queued.high).toBe(2);
    releases[0]!();
    await Promise.all(runs);
    expect(order).toEqual(['b1', 'a3']);
    releases[1]!();
    await Promise.all(held);
  });

  it('gives the slot to the next delivery when the work leaves it, before the work ends, and only once', async () => {
    const gate = new PriorityGate(1);
    const ran: string[] = [];
    let leave!: () => void;
    let finishFirst!: () => void;
    let finishSecond!: () => void;
    const first = gate.run({ lane: 'low', userHash: 'a' }, async (left) => {
      leave = left;
      await new Promise<void>((r) => (finishFirst = r));
    });
    const second = gate.run({ lane: 'low', userHash: 'a' }, () => (ran.push('a2'), new Promise<void>((r) => (finishSecond = r))));
    const third = gate.run({ lane: 'low', userHash: 'a' }, async () => void ran.push('a3'));
    await tick();
    expect(ran).toEqual([]);
    leave();
    leave(); // a second leave gives nothing back
    await tick();
    expect(ran).toEqual(['a2']);
    expect(gate.queued.low).toBe(1);
    finishFirst(); // nor does the end of work that has left its slot
    await first;
    await tick();
    expect(ran).toEqual(['a2']);
    finishSecond();
    await Promise.all([second, third]);
    expect(ran).toEqual(['a2', 'a3']);
  });

  it('ages waiting low work upward past later high work', async () => {
    let now = 0;
    const gate = new PriorityGate(1, { agingMs: 1_000, clock: () => now });
    const order: string[] = [];
    let release!: () => void;
    const blocker = gate.run({ lane: 'high', userHash: 'a' }, () => new Promise<void>((r) => (release = r)));
    const low = gate.run({ lane: 'low', userHash: 'b' }, async () => void order.push('b-low'));
    now = 2_500;
    const high = gate.run({ lane: 'high', userHash: 'a' }, async () => void order.push('a-high'));
    await tick();
    release();
    await Promise.all([blocker, low, high]);
    expect(order).toEqual(['b-low', 'a-high']);
  });

  it('runs up to its slot count at once and frees a slot when work throws', async () => {
    const gate = new PriorityGate(2);
    let running = 0;
    let peak = 0;
    const work = async () => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running -= 1;
    };
    await expect(gate.run('normal', async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await Promise.all(Array.from({ length: 6 }, () => gate.run('normal', work)));
    expect(peak).toBe(2);
  });
});
