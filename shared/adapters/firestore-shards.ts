/**
 * A large document's shards in Firestore (the `shards` collection, one document per page range).
 * Every move reads the parent task and the shards it needs in one transaction, asks a rule of
 * core/shards.ts, and writes both: the parent's lease and progress move with its shards.
 */
import type { Firestore, Transaction } from '@google-cloud/firestore';
import { canTransition, Task, type TaskError } from '../core/task.ts';
import {
  decideFanOut,
  decideShardComplete,
  decideShardHeartbeat,
  decideShardLease,
  decideShardRelease,
  Shard,
  shardId,
  type FanOutKind,
  type ShardDecision,
  type ShardLeaseKind,
} from '../core/shards.ts';
import { COLLECTIONS } from '../names.ts';
import { fromStore, plainFromStore } from './firestore-tasks.ts';

export interface ShardOutcome<K extends string> {
  kind: K;
  /** The parent as written, or as read when the rule left it alone. */
  parent: Task | null;
  /** Every shard of the document as it stands after the move (only the one read, for a lease). */
  shards: Shard[];
}

export class ShardStore {
  private readonly db: Firestore;

  constructor(db: Firestore) {
    this.db = db;
  }

  private taskRef(taskId: string) {
    return this.db.collection(COLLECTIONS.tasks).doc(taskId);
  }

  private shardRef(taskId: string, index: number) {
    return this.db.collection(COLLECTIONS.shards).doc(shardId(taskId, index));
  }

  /** The document's shards in index order (none before its fan-out). */
  async list(taskId: string): Promise<Shard[]> {
    const snap = await this.db.collection(COLLECTIONS.shards).where('taskId', '==', taskId).get();
    return snap.docs.map((d) => Shard.parse(plainFromStore(d.data()))).sort((a, b) => a.index - b.index);
  }

  /** Once the task is finished its shards are no longer needed. */
  async deleteAll(taskId: string): Promise<void> {
    const snap = await this.db.collection(COLLECTIONS.shards).where('taskId', '==', taskId).select().get();
    await Promise.all(snap.docs.map((d) => d.ref.delete()));
  }

  fanOut(taskId: string, planned: readonly Shard[], workerId: string, leaseMs: number, now = new Date()): Promise<ShardOutcome<FanOutKind>> {
    return this.move(taskId, now, async (tx) => {
      const snap = await tx.get(this.db.collection(COLLECTIONS.shards).where('taskId', '==', taskId));
      return snap.docs.map((d) => Shard.parse(plainFromStore(d.data()))).sort((a, b) => a.index - b.index);
    }, (parent, existing) => decideFanOut(parent, existing, planned, workerId, leaseMs, now));
  }

  lease(taskId: string, index: number, workerId: string, leaseMs: number, now = new Date()): Promise<ShardOutcome<ShardLeaseKind>> {
    return this.move(taskId, now, async (tx) => {
      const snap = await tx.get(this.shardRef(taskId, index));
      return snap.exists ? [Shard.parse(plainFromStore(snap.data()!))] : [];
    }, (parent, [shard]) => decideShardLease(parent, shard ?? null, workerId, leaseMs, now));
  }

  async heartbeat(taskId: string, index: number, workerId: string, leaseMs: number, donePages?: number, now = new Date()): Promise<boolean> {
    const outcome = await this.move(taskId, now, (tx) => this.siblings(tx, taskId, index), (parent, shards) => decideShardHeartbeat(parent, shards, index, workerId, leaseMs, donePages, now));
    return outcome.kind === 'renewed';
  }

  complete(taskId: string, index: number, workerId: string, leaseMs: number, now = new Date()): Promise<ShardOutcome<'completed' | 'last' | 'lost'>> {
    return this.move(taskId, now, (tx) => this.siblings(tx, taskId, index), (parent, shards) => decideShardComplete(parent, shards, index, workerId, leaseMs, now));
  }

  async release(taskId: string, index: number, workerId: string, error: TaskError, now = new Date()): Promise<boolean> {
    const outcome = await this.move(taskId, now, (tx) => this.siblings(tx, taskId, index), (parent, shards) => decideShardRelease(parent, shards, index, workerId, error, now));
    return outcome.kind === 'released';
  }

  /** Every shard of the document, read through the one asked for (it knows how many there are). */
  private async siblings(tx: Transaction, taskId: string, index: number): Promise<Shard[]> {
    const asked = await tx.get(this.shardRef(taskId, index));
    if (!asked.exists) return [];
    const shard = Shard.parse(plainFromStore(asked.data()!));
    const others = Array.from({ length: shard.count }, (_, i) => i).filter((i) => i !== index);
    const snaps = others.length > 0 ? await tx.getAll(...others.map((i) => this.shardRef(taskId, i))) : [];
    return [shard, ...snaps.filter((s) => s.exists).map((s) => Shard.parse(plainFromStore(s.data()!)))].sort((a, b) => a.index - b.index);
  }

  private move<K extends string>(
    taskId: string,
    now: Date,
    readShards: (tx: Transaction) => Promise<Shard[]>,
    decide: (parent: Task | null, shards: Shard[]) => ShardDecision<K>,
  ): Promise<ShardOutcome<K>> {
    return this.db.runTransaction(async (tx) => {
      const parentSnap = await tx.get(this.taskRef(taskId));
      const shards = await readShards(tx);
      const parent = parentSnap.exists ? fromStore(parentSnap.data()!) : null;
      const decision = decide(parent, shards);
      let written = parent;
      if (parent && decision.parent) {
        const patch = decision.parent;
        if (patch.status && patch.status !== parent.status && !canTransition(parent.status, patch.status)) throw new Error(`task ${taskId}: ${parent.status} → ${patch.status} is not allowed`);
        written = Task.parse({ ...parent, ...patch, updatedAt: now });
        tx.set(this.taskRef(taskId), written);
      }
      for (const shard of decision.shards) tx.set(this.shardRef(taskId, shard.index), Shard.parse(shard));
      const byIndex = new Map(shards.map((s) => [s.index, s]));
      for (const s of decision.shards) byIndex.set(s.index, s);
      return { kind: decision.kind, parent: written, shards: [...byIndex.values()].sort((a, b) => a.index - b.index) };
    });
  }
}
