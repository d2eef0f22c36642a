/**
 * Admission to a worker's OCR slots by priority: when deliveries from several topics wait for the
 * same slots, high goes before normal before low, first come first served within a priority.
 */
import type { Priority } from '../core/task.ts';

const ORDER: readonly Priority[] = ['high', 'normal', 'low'];

export class PriorityGate {
  private free: number;
  private readonly waiting: Record<Priority, Array<() => void>> = { high: [], normal: [], low: [] };

  constructor(slots: number) {
    this.free = Math.max(1, slots);
  }

  get queued(): Record<Priority, number> {
    return { high: this.waiting.high.length, normal: this.waiting.normal.length, low: this.waiting.low.length };
  }

  async run<T>(priority: Priority, work: () => Promise<T>): Promise<T> {
    await this.acquire(priority);
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private acquire(priority: Priority): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting[priority].push(resolve));
  }

  private release(): void {
    for (const p of ORDER) {
      const next = this.waiting[p].shift();
      if (next) {
        next(); // the slot passes straight to the next in line
        return;
      }
    }
    this.free += 1;
  }
}
