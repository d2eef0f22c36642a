/**
 * Fan-out of large documents, as pure rules. A PDF of more than `shardPages` pages is read as
 * page-range shards, each its own message, so any free worker reads one while others read the
 * rest; the last shard to finish merges them into the task's one result.
 *
 * State: the parent task stays PROCESSING under a lease held in the shards' name (fanOutHolder),
 * which every shard's heartbeat renews and which carries the progress counted in pages over all
 * shards. Each shard is a document of its own (the `shards` collection, never listed as a task).
 * The shard that completes last takes the parent's lease for itself in the same transaction: only
 * one can, so the merge runs once even with duplicated messages and shards finishing together.
 */
import { z } from 'zod';
import { DocVaultError } from './errors.ts';
import type { DocumentType } from './document-type.ts';
import type { PageResult } from './result.ts';
import { STOPPED_ATTEMPT, isOutOfAttempts } from './task-moves.ts';
import { TaskError, TaskLease, messageFor, userPrefix, type OcrMessage, type Task } from './task.ts';

/** Pages per shard unless configured (SHARD_PAGES): ~1 minute of OCR on one core, well under the delivery deadline. */
export const DEFAULT_SHARD_PAGES = 20;

export const ShardStatus = z.enum(['QUEUED', 'PROCESSING', 'COMPLETED']);
export type ShardStatus = z.infer<typeof ShardStatus>;

export const Shard = z.object({
  v: z.literal(1),
  taskId: z.string(),
  userHash: z.string(),
  index: z.number().int().nonnegative(),
  /** How many shards the document has. */
  count: z.number().int().positive(),
  firstPage: z.number().int().positive(),
  lastPage: z.number().int().positive(),
  status: ShardStatus,
  attempts: z.number().int().nonnegative(),
  maxAttempts: z.number().int().positive(),
  lease: TaskLease.nullable(),
  error: TaskError.nullable(),
  /** Pages of this shard read so far (its attempt's progress). */
  donePages: z.number().int().nonnegative(),
  updatedAt: z.date(),
});
export type Shard = z.infer<typeof Shard>;

export interface PageRange {
  firstPage: number;
  lastPage: number;
}

/** Fan out only a PDF (pages can be read apart) of more pages than one shard holds; 0 turns it off. */
export function shouldFanOut(type: DocumentType, pageCount: number | undefined, shardPages: number): pageCount is number {
  return type === 'pdf' && shardPages > 0 && pageCount !== undefined && pageCount > shardPages;
}

/** Shards of at most `shardPages` pages, as even as can be (101 pages by 20: 6 shards of 16–17). */
export function planShards(pageCount: number, shardPages: number): PageRange[] {
  const count = Math.ceil(pageCount / shardPages);
  const base = Math.floor(pageCount / count);
  const larger = pageCount % count;
  const ranges: PageRange[] = [];
  let next = 1;
  for (let i = 0; i < count; i++) {
    const size = base + (i < larger ? 1 : 0);
    ranges.push({ firstPage: next, lastPage: next + size - 1 });
    next += size;
  }
  return ranges;
}

export function shardId(taskId: string, index: number): string {
  return `${taskId}-${String(index).padStart(3, '0')}`;
}

/** The parent's lease while its shards are out: no worker holds it, every shard renews it. */
export function fanOutHolder(taskId: string): string {
  return `shards:${taskId}`;
}

export function isFannedOut(task: Task | null): boolean {
  return task !== null && task.status === 'PROCESSING' && task.lease?.workerId === fanOutHolder(task.taskId);
}

export function newShards(task: Task, ranges: readonly PageRange[], now: Date): Shard[] {
  return ranges.map((range, index) => ({
    v: 1,
    taskId: task.taskId,
    userHash: task.userHash,
    index,
    count: ranges.length,
    ...range,
    status: 'QUEUED',
    attempts: 0,
    maxAttempts: task.maxAttempts,
    lease: null,
    error: null,
    donePages: 0,
    updatedAt: now,
  }));
}

export function shardMessage(task: Task, index: number): OcrMessage {
  return { ...messageFor(task), shard: index };
}

/**
 * Where a shard keeps its part until the merge: beside the task's results, in the owner's prefix,
 * named by its pages (a part left by an earlier plan of other ranges is never taken for this one's).
 */
export function shardPartNames(userHash: string, taskId: string, range: PageRange): { json: string; pdf: string } {
  const base = `${userPrefix(userHash)}${taskId}/shards/pages-${range.firstPage}-${range.lastPage}`;
  return { json: `${base}.json`, pdf: `${base}.pdf` };
}

// ---------------------------------------------------------------------------------------------
// Decisions: given the parent and its shards as read in one transaction, what to write.

export interface ShardDecision<K extends string> {
  kind: K;
  parent: Partial<Task> | null;
  /** Shards to write, whole (created or updated). */
  shards: Shard[];
}

const none = <K extends string>(kind: K): ShardDecision<K> => ({ kind, parent: null, shards: [] });

function leaseUntil(workerId: string, now: Date, leaseMs: number) {
  return { workerId, expiresAt: new Date(now.getTime() + leaseMs) };
}

/**
 * The parent's lease while its shards are out: FANOUT_LEASES worker leases long, renewed by every
 * shard's move. Shard messages may wait behind a backlog with no shard running; the parent only
 * looks stale (and is recovered, its unfinished shards published again) when none has moved for that long.
 */
export const FANOUT_LEASES = 10;

function fanOutLease(taskId: string, now: Date, leaseMs: number) {
  return leaseUntil(fanOutHolder(taskId), now, leaseMs * FANOUT_LEASES);
}

/** Progress of the parent in pages over all shards, below 100 until the merge completes it. */
export function progressOf(shards: readonly Shard[], pageCount: number): { progress: number; message: string } {
  const done = shards.reduce((sum, s) => sum + (s.status === 'COMPLETED' ? s.lastPage - s.firstPage + 1 : s.donePages), 0);
  return { progress: Math.min(99, Math.floor((done / pageCount) * 100)), message: `page ${done}/${pageCount}` };
}

export type FanOutKind = 'lost' | 'fanned-out' | 'merge';

/**
 * The worker holding the parent hands it to its shards: the shards are created unless they exist
 * (a parent leased again after its fan-out lapsed keeps its plan and finished shards), and the
 * lease passes to fanOutHolder. When every shard is already done, the worker merges them itself.
 */
export function decideFanOut(parent: Task | null, existing: readonly Shard[], planned: readonly Shard[], workerId: string, leaseMs: number, now: Date): ShardDecision<FanOutKind> {
  if (!parent || parent.status !== 'PROCESSING' || parent.lease?.workerId !== workerId) return none('lost');
  if (existing.length > 0 && existing.every((s) => s.status === 'COMPLETED')) return { kind: 'merge', parent: { message: 'merging', progress: 99 }, shards: [] };
  // A plan kept from an earlier fan-out (a lapsed lease, a requeue): its unfinished shards start
  // afresh, with their attempts (the parent's own attempts bound how often that happens).
  const restarted = existing
    .filter((s) => s.status !== 'COMPLETED' && !(s.status === 'PROCESSING' && s.lease && s.lease.expiresAt > now))
    .map((s): Shard => ({ ...s, status: 'QUEUED', attempts: 0, lease: null, error: null, donePages: 0, updatedAt: now }));
  const writes = existing.length > 0 ? restarted : [...planned];
  const byIndex = new Map([...(existing.length > 0 ? existing : planned), ...writes].map((s) => [s.index, s]));
  const shards = [...byIndex.values()];
  const progress = progressOf(shards, Math.max(...shards.map((s) => s.lastPage)));
  return {
    kind: 'fanned-out',
    parent: { lease: fanOutLease(parent.taskId, now, leaseMs), progress: progress.progress, message: `${progress.message} (${shards.length} parts)` },
    shards: writes,
  };
}

export type ShardLeaseKind = 'stopped' | 'missing' | 'finished' | 'busy' | 'exhausted' | 'leased';

/** A shard's message: lease the shard, if its parent is still fanned out (not cancelled, failed or merging). */
export function decideShardLease(parent: Task | null, shard: Shard | null, workerId: string, leaseMs: number, now: Date): ShardDecision<ShardLeaseKind> {
  if (!shard) return none('missing');
  if (shard.status === 'COMPLETED') return none('finished');
  if (!isFannedOut(parent)) return none('stopped');
  if (shard.status === 'PROCESSING' && shard.lease && shard.lease.expiresAt > now && shard.lease.workerId !== workerId) return none('busy');
  if (isOutOfAttempts(shard)) return none('exhausted');
  return {
    kind: 'leased',
    parent: { lease: fanOutLease(parent!.taskId, now, leaseMs) },
    shards: [
      {
        ...shard,
        status: 'PROCESSING',
        attempts: shard.attempts + 1,
        lease: leaseUntil(workerId, now, leaseMs),
        // An expired lease means the last attempt died without a word.
        error: shard.status === 'PROCESSING' ? STOPPED_ATTEMPT : shard.error,
        donePages: 0,
        updatedAt: now,
      },
    ],
  };
}

function holdsShard(parent: Task | null, shard: Shard | undefined, workerId: string): shard is Shard {
  return isFannedOut(parent) && shard?.status === 'PROCESSING' && shard.lease?.workerId === workerId;
}

/** Renews the shard's lease and the parent's, and counts the shard's pages into the parent's progress. */
export function decideShardHeartbeat(parent: Task | null, shards: readonly Shard[], index: number, workerId: string, leaseMs: number, donePages: number | undefined, now: Date): ShardDecision<'renewed' | 'lost'> {
  const shard = shards[index];
  if (!holdsShard(parent, shard, workerId)) return none('lost');
  const next: Shard = { ...shard, lease: leaseUntil(workerId, now, leaseMs), donePages: Math.max(shard.donePages, donePages ?? 0), updatedAt: now };
  const all = shards.map((s) => (s.index === index ? next : s));
  return { kind: 'renewed', parent: { lease: fanOutLease(parent!.taskId, now, leaseMs), ...progressOf(all, all[all.length - 1]!.lastPage) }, shards: [next] };
}

/**
 * The shard's part is stored: COMPLETED. The shard that finds every other one completed is the
 * last, and takes the parent's lease to merge; a duplicate or a second "last" finds it taken.
 */
export function decideShardComplete(parent: Task | null, shards: readonly Shard[], index: number, workerId: string, leaseMs: number, now: Date): ShardDecision<'completed' | 'last' | 'lost'> {
  const shard = shards[index];
  if (!holdsShard(parent, shard, workerId)) return none('lost');
  const next: Shard = { ...shard, status: 'COMPLETED', lease: null, error: null, donePages: shard.lastPage - shard.firstPage + 1, updatedAt: now };
  const all = shards.map((s) => (s.index === index ? next : s));
  const progress = progressOf(all, all[all.length - 1]!.lastPage);
  if (all.every((s) => s.status === 'COMPLETED')) {
    return { kind: 'last', parent: { lease: leaseUntil(workerId, now, leaseMs), progress: progress.progress, message: 'merging' }, shards: [next] };
  }
  return { kind: 'completed', parent: { lease: fanOutLease(parent!.taskId, now, leaseMs), ...progress }, shards: [next] };
}

/** A retryable failure: the shard back to QUEUED with its error, for its own message's redelivery. */
export function decideShardRelease(parent: Task | null, shards: readonly Shard[], index: number, workerId: string, error: TaskError, now: Date): ShardDecision<'released' | 'lost'> {
  const shard = shards[index];
  if (!holdsShard(parent, shard, workerId)) return none('lost');
  return { kind: 'released', parent: null, shards: [{ ...shard, status: 'QUEUED', lease: null, error, updatedAt: now }] };
}

/** The reason a task fails for one of its shards: which pages, and why. */
export function shardError(shard: Pick<Shard, 'firstPage' | 'lastPage'>, error: TaskError): TaskError {
  return { code: error.code, message: `pages ${shard.firstPage}–${shard.lastPage}: ${error.message}` };
}

// ---------------------------------------------------------------------------------------------
// Merge

/**
 * The pages of all shards in page order, each page once: a page read twice (a shard's part
 * stored by two attempts) counts once, and a missing page is an error rather than a short result.
 */
export function mergePages(parts: ReadonlyArray<readonly PageResult[]>, pageCount: number): PageResult[] {
  const byNumber = new Map<number, PageResult>();
  for (const pages of parts) for (const page of pages) if (!byNumber.has(page.number)) byNumber.set(page.number, page);
  const missing = Array.from({ length: pageCount }, (_, i) => i + 1).filter((n) => !byNumber.has(n));
  if (missing.length > 0 || byNumber.size !== pageCount) {
    throw new DocVaultError('INTERNAL', `the shards' parts do not cover the document: ${missing.length} of ${pageCount} pages missing (first ${missing[0]}), ${byNumber.size} read`);
  }
  return [...byNumber.values()].sort((a, b) => a.number - b.number);
}
