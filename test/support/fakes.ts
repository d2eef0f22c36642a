/**
 * In-memory doubles of the ports the services depend on, for unit tests of their branches. The
 * task store applies the same pure rules (core/task-moves.ts) as the Firestore adapter, so a
 * test exercises the real lifecycle decisions without an emulator.
 */
import { Readable } from 'node:stream';
import type { BlobInfo, BlobRef, BlobStore, WriteOnceOutcome } from '../../shared/core/blob-store.ts';
import { fileTooLarge, DocVaultError } from '../../shared/core/errors.ts';
import {
  decideArrival,
  decideComplete,
  decideFail,
  decideHeartbeat,
  decideLease,
  decideRelease,
  type Arrival,
  type Decision,
} from '../../shared/core/task-moves.ts';
import { Task, type OcrMessage, type TaskError, type TaskSummary } from '../../shared/core/task.ts';
import { chooseAdmissions } from '../../shared/core/fairness.ts';
import type { LeaseOutcome } from '../../shared/adapters/firestore-tasks.ts';
import type { TaskEvent } from '../../shared/adapters/pubsub.ts';
import { createLogger, type Logger } from '../../shared/log.ts';
import type { ContentIndex, ContentIndexEntry } from '../../shared/core/result-reuse.ts';
import type { WorkerDeps } from '../../shared/services/ocr-worker.ts';

export class MemoryTaskStore {
  readonly tasks = new Map<string, Task>();
  dispatched: string[] = [];
  private readonly leaseWatchers = new Set<() => void>();

  constructor(...tasks: Task[]) {
    for (const task of tasks) this.tasks.set(task.taskId, task);
  }

  private apply<K extends string>(taskId: string, now: Date, decide: (task: Task | null) => Decision<K>): { kind: K; task: Task | null } {
    const task = this.tasks.get(taskId) ?? null;
    const { kind, patch } = decide(task);
    if (!task || !patch) return { kind, task };
    const next = Task.parse({ ...task, ...patch, updatedAt: now });
    this.tasks.set(taskId, next);
    this.notifyWatchers();
    return { kind, task: next };
  }

  /** Runs the lease watchers, as a snapshot listener would after a write (shard-fakes.ts writes tasks too). */
  notifyWatchers(): void {
    for (const check of this.leaseWatchers) check();
  }

  async createIfAbsent(task: Task): Promise<{ created: boolean; task: Task }> {
    const existing = this.tasks.get(task.taskId);
    if (existing) return { created: false, task: existing };
    this.tasks.set(task.taskId, task);
    return { created: true, task };
  }

  async createOrArrive(task: Task, arrival: Arrival, now = new Date()): Promise<{ created: boolean; task: Task }> {
    const existing = this.tasks.get(task.taskId);
    if (!existing) return this.createIfAbsent(task);
    if (existing.userHash !== task.userHash) return { created: false, task: existing };
    return { created: false, task: this.apply(task.taskId, now, (t) => decideArrival(t, arrival)).task! };
  }

  async markDispatched(taskId: string, now = new Date()): Promise<void> {
    this.dispatched.push(taskId);
    const task = this.tasks.get(taskId)!;
    this.tasks.set(taskId, { ...task, dispatchedAt: now, updatedAt: now });
  }

  async get(taskId: string): Promise<Task | null> {
    return this.tasks.get(taskId) ?? null;
  }

  async markAnnounced(taskId: string, now = new Date()): Promise<void> {
    const task = this.tasks.get(taskId);
    if (task) this.tasks.set(taskId, { ...task, announcedAt: now });
  }

  async lease(taskId: string, workerId: string, leaseMs: number, now = new Date()): Promise<LeaseOutcome> {
    return this.apply(taskId, now, (t) => decideLease(t, workerId, leaseMs, now)) as LeaseOutcome;
  }

  /** As the adapter's listener: `onLost` once the task is no longer PROCESSING under this worker's lease. */
  watchLease(taskId: string, workerId: string, onLost: () => void): () => void {
    let lost = false;
    const check = () => {
      const task = this.tasks.get(taskId);
      if (lost || (task?.status === 'PROCESSING' && task.lease?.workerId === workerId)) return;
      lost = true;
      onLost();
    };
    this.leaseWatchers.add(check);
    return () => this.leaseWatchers.delete(check);
  }

  async heartbeat(taskId: string, workerId: string, leaseMs: number, progress?: { percent: number; message: string }, now = new Date()): Promise<boolean> {
    return this.apply(taskId, now, (t) => decideHeartbeat(t, workerId, leaseMs, progress, now)).kind === 'renewed';
  }

  async complete(taskId: string, workerId: string, summary: TaskSummary, retentionMs: number, now = new Date()): Promise<Task | null> {
    const out = this.apply(taskId, now, (t) => decideComplete(t, workerId, summary, retentionMs, now));
    return out.kind === 'completed' ? out.task : null;
  }

  async fail(taskId: string, error: TaskError, options: { workerId?: string; retentionMs: number }, now = new Date()): Promise<Task | null> {
    const out = this.apply(taskId, now, (t) => decideFail(t, error, options, now));
    return out.kind === 'failed' ? out.task : null;
  }

  async release(taskId: string, workerId: string, error: TaskError, now = new Date()): Promise<Task | null> {
    const out = this.apply(taskId, now, (t) => decideRelease(t, workerId, error, now));
    return out.kind === 'released' ? out.task : null;
  }
}

export class MemoryBlobStore implements BlobStore {
  readonly objects = new Map<string, { data: Uint8Array; contentType: string; metadata: Record<string, string> }>();
  private generations = 0;

  private key(ref: BlobRef): string {
    return `${ref.bucket}/${ref.name}`;
  }

  put(bucket: string, name: string, data: Uint8Array | string): void {
    this.objects.set(`${bucket}/${name}`, { data: typeof data === 'string' ? new TextEncoder().encode(data) : data, contentType: 'application/octet-stream', metadata: {} });
  }

  async read(ref: BlobRef, maxBytes = Infinity): Promise<Uint8Array> {
    const object = this.objects.get(this.key(ref));
    if (!object) throw new DocVaultError('SOURCE_MISSING', `gs://${ref.bucket}/${ref.name} no longer exists.`);
    if (object.data.length > maxBytes) throw fileTooLarge(undefined, maxBytes);
    return object.data;
  }

  openRead(ref: BlobRef): Readable {
    return Readable.from([this.objects.get(this.key(ref))?.data ?? new Uint8Array()]);
  }

  async stat(ref: BlobRef): Promise<BlobInfo | null> {
    const object = this.objects.get(this.key(ref));
    return object ? { name: ref.name, size: object.data.length, createdAt: null, metadata: object.metadata } : null;
  }

  async writeOnce(ref: BlobRef, data: Uint8Array | string, contentType: string, metadata: Record<string, string> = {}): Promise<WriteOnceOutcome> {
    if (this.objects.has(this.key(ref))) return { kind: 'exists' };
    this.objects.set(this.key(ref), { data: typeof data === 'string' ? new TextEncoder().encode(data) : data, contentType, metadata });
    return { kind: 'written', generation: String(++this.generations) };
  }

  async delete(ref: BlobRef): Promise<void> {
    this.objects.delete(this.key(ref));
  }

  async list(bucket: string, prefix: string, max?: number): Promise<BlobInfo[]> {
    const names = [...this.objects.keys()].filter((k) => k.startsWith(`${bucket}/${prefix}`)).map((k) => k.slice(bucket.length + 1));
    return (await Promise.all(names.slice(0, max).map((name) => this.stat({ bucket, name })))).filter((i) => i !== null);
  }
}

/** Per-user admission over a MemoryTaskStore's tasks, by the same rule (chooseAdmissions) as the Firestore adapter. */
export class MemoryAdmission {
  private readonly store: MemoryTaskStore;

  constructor(store: MemoryTaskStore) {
    this.store = store;
  }

  async admit(userHash: string, options: { cap: number; agingMs: number }, now = new Date()): Promise<Task[]> {
    const mine = [...this.store.tasks.values()].filter((t) => t.userHash === userHash);
    const inFlight = mine.filter((t) => t.status === 'PROCESSING' || (t.status === 'QUEUED' && t.admittedAt)).length;
    const held = mine.filter((t) => t.status === 'QUEUED' && !t.admittedAt).map((task) => ({ task, taskId: task.taskId, createdAt: task.createdAt, priority: task.requestedPriority ?? task.priority }));
    return chooseAdmissions(held, inFlight, options.cap, now, options.agingMs).map(({ task }) => {
      const next = { ...task, admittedAt: now, updatedAt: now };
      this.store.tasks.set(task.taskId, next);
      return next;
    });
  }

  async unadmit(task: Task): Promise<void> {
    const current = this.store.tasks.get(task.taskId);
    if (current?.status === 'QUEUED' && !current.dispatchedAt && current.admittedAt?.getTime() === task.admittedAt?.getTime()) this.store.tasks.set(task.taskId, { ...current, admittedAt: null });
  }
}

/** Records what would have been published, topic by topic. */
export class RecordingQueue {
  readonly tasks: OcrMessage[] = [];
  readonly deadLetters: Array<{ message: OcrMessage; reason: { code: string; message: string } }> = [];
  readonly events: TaskEvent[] = [];

  async publishTask(message: OcrMessage): Promise<string> {
    this.tasks.push(message);
    return String(this.tasks.length);
  }

  async publishDeadLetter(message: OcrMessage, reason: { code: string; message: string }): Promise<string> {
    this.deadLetters.push({ message, reason });
    return String(this.deadLetters.length);
  }

  async publishEvent(event: TaskEvent): Promise<string> {
    this.events.push(event);
    return String(this.events.length);
  }
}

/** A logger that keeps its lines (parsed) for assertions. */
export function memoryLogger(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  return { log: createLogger('test', {}, (line) => lines.push(JSON.parse(line) as Record<string, unknown>)), lines };
}

/** The content index (core/result-reuse.ts) as the Firestore adapter keeps it: the user's own entry and the latest of any user. */
export class MemoryContentIndex implements ContentIndex {
  readonly entries = new Map<string, ContentIndexEntry>();

  async find(key: string, userHash: string): Promise<{ own: ContentIndexEntry | null; latest: ContentIndexEntry | null }> {
    return { own: this.entries.get(`${key}_${userHash}`) ?? null, latest: this.entries.get(key) ?? null };
  }

  async record(entry: ContentIndexEntry): Promise<void> {
    this.entries.set(`${entry.key}_${entry.userHash}`, entry);
    this.entries.set(entry.key, entry);
  }

  async forgetTask(taskId: string): Promise<number> {
    const ids = [...this.entries].filter(([, e]) => e.taskId === taskId).map(([id]) => id);
    for (const id of ids) this.entries.delete(id);
    return ids.length;
  }
}

/** The worker's dependencies over the given ports, with test-sized settings (results bucket `results`, worker `me`). */
export function memoryWorkerDeps(parts: Pick<WorkerDeps, 'tasks' | 'queue' | 'blobs' | 'ocr' | 'log'> & Partial<WorkerDeps>): WorkerDeps {
  return {
    workerId: 'me',
    render: async (_bytes, _output, formats) => new Map(formats.map((f) => [f, `rendered ${f}`])),
    resultsBucket: 'results',
    limits: { maxBytes: 1000, maxPages: 10, maxPixelsPerPage: 1e8, pageTimeoutMs: 1000 } as WorkerDeps['limits'],
    leaseMs: 60_000,
    progressIntervalMs: 1000,
    retentionMs: 1000,
    deleteUploadOnSuccess: false,
    ...parts,
  };
}
