/**
 * The shards' store in memory, beside MemoryTaskStore (fakes.ts): the same rules of
 * core/shards.ts, each move applied at once to the parent and its shards as the Firestore
 * transaction does.
 */
import {
  decideFanOut,
  decideShardComplete,
  decideShardHeartbeat,
  decideShardLease,
  decideShardRelease,
  type Shard,
  type ShardDecision,
} from '../../shared/core/shards.ts';
import { Task, type TaskError } from '../../shared/core/task.ts';
import type { ShardOutcome } from '../../shared/adapters/firestore-shards.ts';
import type { MemoryTaskStore } from './fakes.ts';

export class MemoryShardStore {
  readonly shards = new Map<string, Shard[]>();

  private readonly tasks: MemoryTaskStore;

  constructor(tasks: MemoryTaskStore) {
    this.tasks = tasks;
  }

  async list(taskId: string): Promise<Shard[]> {
    return [...(this.shards.get(taskId) ?? [])];
  }

  async deleteAll(taskId: string): Promise<void> {
    this.shards.delete(taskId);
  }

  private move<K extends string>(taskId: string, now: Date, decide: (parent: Task | null, shards: Shard[]) => ShardDecision<K>): ShardOutcome<K> {
    const parent = this.tasks.tasks.get(taskId) ?? null;
    const shards = this.shards.get(taskId) ?? [];
    const decision = decide(parent, shards);
    let written = parent;
    if (parent && decision.parent) {
      written = Task.parse({ ...parent, ...decision.parent, updatedAt: now });
      this.tasks.tasks.set(taskId, written);
    }
    const byIndex = new Map(shards.map((s) => [s.index, s]));
    for (const s of decision.shards) byIndex.set(s.index, s);
    const after = [...byIndex.values()].sort((a, b) => a.index - b.index);
    if (after.length > 0) this.shards.set(taskId, after);
    this.tasks.notifyWatchers();
    return { kind: decision.kind, parent: written, shards: after };
  }

  async fanOut(taskId: string, planned: readonly Shard[], workerId: string, leaseMs: number, now = new Date()) {
    return this.move(taskId, now, (parent, existing) => decideFanOut(parent, existing, planned, workerId, leaseMs, now));
  }

  async lease(taskId: string, index: number, workerId: string, leaseMs: number, now = new Date()) {
    const outcome = this.move(taskId, now, (parent, shards) => decideShardLease(parent, shards[index] ?? null, workerId, leaseMs, now));
    return { ...outcome, shards: outcome.shards.filter((s) => s.index === index) };
  }

  async heartbeat(taskId: string, index: number, workerId: string, leaseMs: number, donePages?: number, now = new Date()): Promise<boolean> {
    return this.move(taskId, now, (parent, shards) => decideShardHeartbeat(parent, shards, index, workerId, leaseMs, donePages, now)).kind === 'renewed';
  }

  async complete(taskId: string, index: number, workerId: string, leaseMs: number, now = new Date()) {
    return this.move(taskId, now, (parent, shards) => decideShardComplete(parent, shards, index, workerId, leaseMs, now));
  }

  async release(taskId: string, index: number, workerId: string, error: TaskError, now = new Date()): Promise<boolean> {
    return this.move(taskId, now, (parent, shards) => decideShardRelease(parent, shards, index, workerId, error, now)).kind === 'released';
  }
}
