import { describe, expect, it } from 'vitest';
import { PriorityGate } from '../../../shared/services/priority-gate.ts';

describe('PriorityGate', () => {
  it('lets waiting high-priority work in before normal and low, FIFO within a priority', async () => {
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
    await new Promise((r) => setImmediate(r)); // the blocker's work has started
    release();
    await Promise.all([blocker, ...runs]);
    expect(order).toEqual(['high-1', 'high-2', 'normal-1', 'low-1', 'low-2']);
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
