/**
 * Admission to a worker's OCR slots when deliveries wait for the same slots (locally one process
 * takes all three lanes): best lane first, then the user holding the fewest slots, the user
 * served longest ago, first come first served; waiting work ages upward one lane per aging
 * period. The order is core/fairness.ts's pickNext.
 */
import { pickNext, type WaitingDelivery } from '../core/fairness.ts';
import type { Priority } from '../core/task.ts';

export interface GateKey {
  lane: Priority;
  /** Deliveries without one (an old message) share one anonymous user. */
  userHash?: string | undefined;
}

/** One lane per this many ms waited, unless the gate is told otherwise. */
export const DEFAULT_AGING_MS = 60_000;

export class PriorityGate {
  private free: number;
  private seq = 0;
  private served = 0;
  private readonly waiting: Array<WaitingDelivery & { resolve: () => void }> = [];
  private readonly running = new Map<string, number>();
  private readonly lastServed = new Map<string, number>();
  private readonly agingMs: number;
  private readonly clock: () => number;

  constructor(slots: number, options: { agingMs?: number; clock?: () => number } = {}) {
    this.free = Math.max(1, slots);
    this.agingMs = options.agingMs ?? DEFAULT_AGING_MS;
    this.clock = options.clock ?? Date.now;
  }

  get queued(): Record<Priority, number> {
    const counts: Record<Priority, number> = { high: 0, normal: 0, low: 0 };
    for (const w of this.waiting) counts[w.lane] += 1;
    return counts;
  }

  /**
   * Runs `work` in a slot. The slot is given back when `work` ends, or earlier when it calls `leave`: what is left of
   * it (a task's status, its announcement) is bookkeeping that waits on the network, not a read that needs the slot.
   */
  async run<T>(key: GateKey | Priority, work: (leave: () => void) => Promise<T>): Promise<T> {
    const { lane, userHash = '' } = typeof key === 'string' ? { lane: key } : key;
    await this.acquire(lane, userHash);
    let held = true;
    const leave = () => {
      if (!held) return;
      held = false;
      this.release(userHash);
    };
    try {
      return await work(leave);
    } finally {
      leave();
    }
  }

  private acquire(lane: Priority, userHash: string): Promise<void> {
    const seq = this.seq++;
    if (this.free > 0) {
      this.free -= 1;
      this.admit(userHash);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push({ lane, userHash, arrivedAt: this.clock(), seq, resolve }));
  }

  private admit(userHash: string): void {
    this.running.set(userHash, (this.running.get(userHash) ?? 0) + 1);
    this.lastServed.set(userHash, this.served++);
  }

  private release(userHash: string): void {
    const left = (this.running.get(userHash) ?? 1) - 1;
    if (left > 0) this.running.set(userHash, left);
    else {
      this.running.delete(userHash);
      // Nothing of theirs left here: forget them, so the maps hold only the users being served.
      if (!this.waiting.some((w) => w.userHash === userHash)) this.lastServed.delete(userHash);
    }
    const i = pickNext(this.waiting, { running: this.running, lastServed: this.lastServed }, this.clock(), this.agingMs);
    if (i === -1) {
      this.free += 1;
      return;
    }
    const [next] = this.waiting.splice(i, 1);
    this.admit(next!.userHash);
    next!.resolve(); // the slot passes straight to the next in line
  }
}
