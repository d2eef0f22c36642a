/**
 * Batch ingest (`docvault ingest DIR`): every supported file under a folder becomes an object in the
 * user's prefix of the uploads bucket — exactly what a gsutil drop becomes — and the storage trigger
 * turns each into a task (its id: derivedTaskId(bucket, name, generation)).
 *
 * walk (streamed, bounded) → state check (size + mtime, then content hash) → upload once
 * (ifGenerationMatch) with retries → one JSON line appended to the state file.
 *
 * The state file is append-only: an interrupted run picks up where it stopped, and an object that
 * was written but not yet recorded is recognised by its MD5 (the precondition refuses a second copy).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type Dirent } from 'node:fs';
import { open, opendir, readFile, stat } from 'node:fs/promises';
import { extname, join, matchesGlob, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Storage } from '@google-cloud/storage';
import pLimit from 'p-limit';
import { httpStatusOf } from '../adapters/storage.ts';
import type { TaskStore } from '../adapters/firestore-tasks.ts';
import { EXTENSION_CONTENT_TYPES } from '../core/document-type.ts';
import { derivedTaskId, newTaskId, userPrefix, type Priority } from '../core/task.ts';
import { OBJECT_METADATA } from '../names.ts';

/** Extensions tried first, for speed; dispatch and the worker decide on the content itself. */
export const SUPPORTED_EXTENSIONS = EXTENSION_CONTENT_TYPES;

export const STATE_FILE_NAME = '.docvault-ingest.jsonl';
/** Up to this size a file is read whole and sent in one request; larger ones are streamed (resumable). */
export const SMALL_FILE_BYTES = 8 * 1024 * 1024;
export const DEFAULT_CONCURRENCY = 16;
export const DEFAULT_RETRY = { attempts: 6, initialDelayMs: 250, maxDelayMs: 8_000 } as const;
/** Failures and conflicts listed by path in the report, at most (all are counted). */
export const MAX_LISTED = 1_000;
/** How often --monitor reads the tasks it still waits for. */
export const MONITOR_INTERVAL_MS = 1_000;
/** --monitor gives up after this long without any task finishing. */
export const MONITOR_STALL_MS = 30 * 60_000;

/** One line of the state file: a file that is in the bucket, and the task it became. */
export interface StateRecord {
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
  bucket: string;
  object: string;
  generation: string;
  taskId: string;
}

export type FileOutcome =
  /** Written now: a new task. */
  | 'uploaded'
  /** In the state file and unchanged (same size and mtime, or same content): nothing sent. */
  | 'unchanged'
  /** Not recorded, but the bucket already holds these bytes under this name (an interrupted run, or a gsutil drop): recorded, nothing sent. */
  | 'present'
  /** The bucket holds different bytes under this name that this state file does not know: left alone. */
  | 'conflict'
  /** --dry-run: would be uploaded. */
  | 'would-upload'
  | 'failed';

export interface IngestOptions {
  dir: string;
  bucket: string;
  userHash: string;
  concurrency?: number;
  priority?: Priority;
  languages?: string[];
  /** Globs over the path relative to DIR; one without a slash is matched against the file name. */
  include?: string[];
  exclude?: string[];
  dryRun?: boolean;
  /** Default: DIR/.docvault-ingest.jsonl */
  statePath?: string;
  signal?: AbortSignal;
  retry?: { attempts: number; initialDelayMs: number; maxDelayMs: number };
  onProgress?: (progress: IngestProgress) => void;
  /** Keep the list of tasks submitted (for --monitor); off, a run of any size keeps no per-file list. */
  trackSubmitted?: boolean;
  /** The batch this run's uploads join (object metadata → the tasks' batchId). Default: a new one per run. */
  batchId?: string;
  /** Called for each file once settled. */
  onFile?: (file: { path: string; outcome: FileOutcome; taskId?: string; error?: string }) => void;
}

export interface SubmittedTask {
  path: string;
  taskId: string;
  /** Written by this run, so in its batch. */
  inBatch?: boolean;
}

export interface IngestProgress {
  /** Files seen by the walk that pass the filters. */
  found: number;
  /** All matching files, once a separate counting walk has finished (null until then). */
  total: number | null;
  done: number;
  uploaded: number;
  skipped: number;
  failed: number;
  /** Bytes sent. */
  bytes: number;
  elapsedMs: number;
}

export interface IngestReport {
  dir: string;
  bucket: string;
  prefix: string;
  statePath: string;
  dryRun: boolean;
  aborted: boolean;
  /** Matching files seen. */
  files: number;
  /** Files left out: unsupported extension or filtered by --include/--exclude. */
  ignored: number;
  outcomes: Record<FileOutcome, number>;
  bytes: number;
  elapsedMs: number;
  /** Every task this run's uploads became belongs to this batch: GET /batches/{batchId}. */
  batchId: string;
  /**
   * Tasks this run created (uploaded, inBatch) or adopted (present: written by an earlier run, so in
   * its batch, or by someone else): what --monitor follows. Only with trackSubmitted.
   */
  submitted: SubmittedTask[];
  /** The first MAX_LISTED failed files and conflicts (outcomes counts them all). */
  failures: Array<{ path: string; error: string }>;
  conflicts: string[];
}

// ---------------------------------------------------------------------------------------------
// Walk

export interface WalkEntry {
  /** Relative to the root, with forward slashes. */
  path: string;
  absolute: string;
}

/** Whether a relative path is a file to ingest: supported extension, then the include and exclude globs. */
export function selects(path: string, filters: { include?: string[]; exclude?: string[] } = {}): boolean {
  if (!(extname(path).toLowerCase() in SUPPORTED_EXTENSIONS)) return false;
  const matches = (glob: string) => matchesGlob(glob.includes('/') ? path : (path.split('/').pop() ?? path), glob);
  if (filters.include?.length && !filters.include.some(matches)) return false;
  return !filters.exclude?.some(matches);
}

/**
 * Every regular file under root, depth first, one directory handle open per level: memory is the
 * depth of the tree, not its size. Hidden entries (.git, the state file) and symlinks are skipped.
 */
export async function* walk(root: string, signal?: AbortSignal): AsyncGenerator<WalkEntry> {
  async function* under(dir: string, rel: string): AsyncGenerator<WalkEntry> {
    const handle = await opendir(dir, { bufferSize: 64 });
    for await (const entry of handle as AsyncIterable<Dirent>) {
      if (signal?.aborted) return;
      if (entry.name.startsWith('.')) continue;
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) yield* under(join(dir, entry.name), path);
      else if (entry.isFile()) yield { path, absolute: join(dir, entry.name) };
    }
  }
  yield* under(resolve(root), '');
}

// ---------------------------------------------------------------------------------------------
// Retries

/** "Should we retry?" over the error alone: throttling, server errors, dropped connections. */
export function isTransient(err: unknown): boolean {
  const status = httpStatusOf(err);
  // Below 100 it is a gRPC code (Firestore, for --monitor): DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, UNAVAILABLE.
  if (status !== undefined) return status < 100 ? [4, 8, 10, 14].includes(status) : status === 408 || status === 429 || status >= 500;
  const code = (err as { code?: unknown }).code;
  return ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET'].includes(String(code));
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((done) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), done()), { once: true });
  });

/** Exponential backoff with full jitter; only transient errors are tried again. */
export async function withRetry<T>(body: () => Promise<T>, retry: IngestOptions['retry'] = DEFAULT_RETRY, signal?: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await body();
    } catch (err) {
      if (attempt >= retry.attempts || !isTransient(err) || signal?.aborted) throw err;
      await sleep(Math.random() * Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** (attempt - 1)), signal);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// State file

/** The recorded files, by bucket and object name (so one folder may be ingested for several users). */
export type IngestState = Map<string, StateRecord>;

const stateKey = (bucket: string, object: string) => `${bucket}\n${object}`;

/** Reads the state file; a torn last line (the run was killed mid-write) is ignored. */
export async function readState(statePath: string): Promise<IngestState> {
  const state: IngestState = new Map();
  let handle;
  try {
    handle = await open(statePath, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return state;
    throw err;
  }
  try {
    for await (const line of createInterface({ input: handle.createReadStream({ encoding: 'utf8' }), crlfDelay: Infinity })) {
      if (!line.trim()) continue;
      try {
        const r = JSON.parse(line) as StateRecord;
        if (typeof r.object === 'string' && typeof r.sha256 === 'string' && typeof r.generation === 'string') state.set(stateKey(r.bucket, r.object), r);
      } catch {
        // torn line
      }
    }
  } finally {
    await handle.close();
  }
  return state;
}

// ---------------------------------------------------------------------------------------------
// One file

interface Hashes {
  sha256: string;
  /** Base64, as Cloud Storage reports md5Hash. */
  md5: string;
  bytes?: Buffer;
}

async function hashFile(absolute: string, size: number): Promise<Hashes> {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  if (size <= SMALL_FILE_BYTES) {
    const bytes = await readFile(absolute);
    return { sha256: sha.update(bytes).digest('hex'), md5: md5.update(bytes).digest('base64'), bytes };
  }
  for await (const chunk of createReadStream(absolute)) {
    sha.update(chunk as Buffer);
    md5.update(chunk as Buffer);
  }
  return { sha256: sha.digest('hex'), md5: md5.digest('base64') };
}

function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

// ---------------------------------------------------------------------------------------------
// The run

export async function ingest(storage: Storage, options: IngestOptions): Promise<IngestReport> {
  const started = Date.now();
  const dir = resolve(options.dir);
  const statePath = resolve(options.statePath ?? join(dir, STATE_FILE_NAME));
  const prefix = userPrefix(options.userHash);
  const retry = options.retry ?? DEFAULT_RETRY;
  const signal = options.signal;
  const bucket = storage.bucket(options.bucket);
  const batchId = options.batchId ?? newTaskId();
  const metadata: Record<string, string> = {
    [OBJECT_METADATA.batchId]: batchId,
    ...(options.priority ? { [OBJECT_METADATA.priority]: options.priority } : {}),
    ...(options.languages?.length ? { [OBJECT_METADATA.languages]: options.languages.join('+') } : {}),
  };

  const state = await readState(statePath);
  const report: IngestReport = {
    dir,
    bucket: options.bucket,
    prefix,
    statePath,
    dryRun: Boolean(options.dryRun),
    aborted: false,
    files: 0,
    ignored: 0,
    outcomes: { uploaded: 0, unchanged: 0, present: 0, conflict: 0, 'would-upload': 0, failed: 0 },
    bytes: 0,
    elapsedMs: 0,
    batchId,
    submitted: [],
    failures: [],
    conflicts: [],
  };
  const progress: IngestProgress = { found: 0, total: null, done: 0, uploaded: 0, skipped: 0, failed: 0, bytes: 0, elapsedMs: 0 };
  const emit = () => options.onProgress?.({ ...progress, elapsedMs: Date.now() - started });

  // The total, for the ETA: a second walk that only counts, so the first can start at once.
  const counting = (async () => {
    let n = 0;
    for await (const e of walk(dir, signal)) if (selects(e.path, options)) n++;
    if (!signal?.aborted) progress.total = n;
  })().catch(() => undefined);

  const stateOut = options.dryRun ? null : createWriteStream(statePath, { flags: 'a' });
  // Each path comes by once per run, so what is recorded now need not be kept: memory stays the
  // size of the state file that was read, not of the folder.
  const record = (r: StateRecord) => void stateOut?.write(JSON.stringify(r) + '\n');

  const one = async (entry: WalkEntry): Promise<{ outcome: FileOutcome; taskId?: string; inBatch?: boolean }> => {
    const object = prefix + entry.path;
    const info = await stat(entry.absolute);
    const known = state.get(stateKey(options.bucket, object));
    if (known && known.size === info.size && known.mtimeMs === info.mtimeMs) return { outcome: 'unchanged' };
    const hashes = await hashFile(entry.absolute, info.size);
    const base = { path: entry.path, size: info.size, mtimeMs: info.mtimeMs, sha256: hashes.sha256, bucket: options.bucket, object };
    if (known && known.sha256 === hashes.sha256) {
      // Touched, not changed: remember the new mtime so the next run skips it without reading it.
      if (!options.dryRun) record({ ...base, generation: known.generation, taskId: known.taskId });
      return { outcome: 'unchanged' };
    }
    if (options.dryRun) return { outcome: 'would-upload' };

    // A new file must not exist yet; a changed one replaces exactly the generation we recorded.
    const ifGenerationMatch = known ? Number(known.generation) : 0;
    const file = bucket.file(object);
    const contentType = SUPPORTED_EXTENSIONS[extname(entry.path).toLowerCase()];
    try {
      const generation = await withRetry(
        async () => {
          if (hashes.bytes) {
            await file.save(hashes.bytes, { resumable: false, contentType, metadata: { metadata }, preconditionOpts: { ifGenerationMatch } });
            return String(file.metadata.generation);
          }
          const [written] = await bucket.upload(entry.absolute, {
            destination: object,
            resumable: true,
            contentType,
            metadata: { metadata },
            preconditionOpts: { ifGenerationMatch },
          });
          return String(written.metadata.generation);
        },
        retry,
        signal,
      );
      const taskId = derivedTaskId(options.bucket, object, generation);
      record({ ...base, generation, taskId });
      report.bytes += info.size;
      progress.bytes += info.size;
      return { outcome: 'uploaded', taskId, inBatch: true };
    } catch (err) {
      if (statusOf(err) !== 412) throw err;
      // Already there: ours if the bytes are the same (a run stopped before recording, or a retry
      // whose first attempt did land), someone else's otherwise.
      const [meta] = await withRetry(() => file.getMetadata(), retry, signal);
      if (meta.md5Hash !== hashes.md5 || meta.generation === undefined) return { outcome: 'conflict' };
      const generation = String(meta.generation);
      const taskId = derivedTaskId(options.bucket, object, generation);
      record({ ...base, generation, taskId });
      // A retry whose first attempt landed wrote this run's batch id: the task is in the batch.
      return { outcome: 'present', taskId, inBatch: meta.metadata?.[OBJECT_METADATA.batchId] === batchId };
    }
  };

  const files = walk(dir, signal);
  const limit = pLimit(Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY));
  const inFlight = new Set<Promise<void>>();
  const ticker = setInterval(emit, 250);
  try {
    for await (const entry of files) {
      if (signal?.aborted) break;
      if (!selects(entry.path, options)) {
        report.ignored++;
        continue;
      }
      report.files++;
      progress.found++;
      const job: Promise<void> = limit(async () => {
        if (signal?.aborted) return;
        let settled: { outcome: FileOutcome; taskId?: string; inBatch?: boolean; error?: string };
        try {
          settled = await one(entry);
        } catch (err) {
          settled = { outcome: 'failed', error: describe(err) };
        }
        report.outcomes[settled.outcome]++;
        progress.done++;
        if (settled.outcome === 'uploaded') progress.uploaded++;
        else if (settled.outcome === 'failed' || settled.outcome === 'conflict') progress.failed++;
        else progress.skipped++;
        const { inBatch, ...file } = settled;
        if (file.taskId && options.trackSubmitted) report.submitted.push({ path: entry.path, taskId: file.taskId, inBatch: Boolean(inBatch) });
        if (settled.error && report.failures.length < MAX_LISTED) report.failures.push({ path: entry.path, error: settled.error });
        if (settled.outcome === 'conflict' && report.conflicts.length < MAX_LISTED) report.conflicts.push(entry.path);
        options.onFile?.({ path: entry.path, ...file });
      }).finally(() => inFlight.delete(job));
      inFlight.add(job);
      // The queue in front of the uploads stays small: the walk waits for room.
      if (inFlight.size >= limit.concurrency * 2) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    clearInterval(ticker);
    await Promise.all(inFlight);
    if (stateOut) await new Promise<void>((done, fail) => stateOut.end((err?: Error | null) => (err ? fail(err) : done())));
    if (signal?.aborted) await counting;
  }
  report.aborted = Boolean(signal?.aborted);
  if (!report.aborted) await counting;
  report.elapsedMs = Date.now() - started;
  emit();
  return report;
}

function describe(err: unknown): string {
  const status = statusOf(err);
  const code = (err as { code?: unknown }).code;
  const message = (err as Error)?.message ?? String(err);
  return status !== undefined ? `HTTP ${status}: ${message}` : typeof code === 'string' ? `${code}: ${message}` : message;
}

// ---------------------------------------------------------------------------------------------
// Monitor

export interface MonitorReport {
  tasks: number;
  completed: number;
  /** The failed tasks with their codes (of the batch's, the first MAX_LISTED). */
  failed: Array<{ path: string; taskId: string; code: string; message: string }>;
  /** All failed tasks, counted. */
  failedCount: number;
  cancelled: number;
  /** Tasks still unfinished when the monitor gave up (nothing changed for stallMs); 0 when all finished. */
  unfinished: number;
  elapsedMs: number;
}

export interface MonitorOptions {
  intervalMs?: number;
  /** Reads at once. */
  concurrency?: number;
  /** The run's batch: its tasks are followed by count aggregations instead of one read each. */
  batch?: { userHash: string; batchId: string };
  /** Give up when no task has changed status for this long (a task that was never created). Default 30 min. */
  stallMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: { tasks: number; finished: number; completed: number; failed: number }) => void;
}

/** What the monitor reads: single tasks, and a batch's counts and failed tasks. */
export type MonitorSource = Pick<TaskStore, 'get' | 'batchCounts' | 'list'>;

/**
 * Follows the tasks until each is COMPLETED, FAILED or CANCELLED. A task not there yet (the storage
 * event is on its way to dispatch) is simply read again next round. The tasks of the run's batch are
 * counted, not read (a round costs a few reads at 100,000 tasks); the failed ones are listed at the end.
 */
export async function monitorTasks(tasks: MonitorSource, submitted: SubmittedTask[], options: MonitorOptions = {}): Promise<MonitorReport> {
  const started = Date.now();
  const batch = options.batch;
  const inBatch = batch ? submitted.filter((s) => s.inBatch) : [];
  const pending = new Map(submitted.filter((s) => !(batch && s.inBatch)).map((s) => [s.taskId, s.path]));
  const followed = pending.size;
  const report: MonitorReport = { tasks: submitted.length, completed: 0, failed: [], failedCount: 0, cancelled: 0, unfinished: 0, elapsedMs: 0 };
  // The batch is done when all its tasks exist (at least as many as were written) and none is left
  // QUEUED or PROCESSING.
  const ofBatch = { completed: 0, failed: 0, cancelled: 0, open: 0 };
  const batchFinished = () => ofBatch.completed + ofBatch.failed + ofBatch.cancelled;
  const batchDone = () => batchFinished() >= inBatch.length && ofBatch.open === 0;
  const limit = pLimit(options.concurrency ?? 32);
  const stallMs = options.stallMs ?? MONITOR_STALL_MS;
  let lastChange = Date.now();
  let lastFinished = -1;
  while ((pending.size > 0 || !batchDone()) && !options.signal?.aborted) {
    if (batch && !batchDone()) {
      const { byStatus } = await withRetry(() => tasks.batchCounts(batch.userHash, batch.batchId));
      Object.assign(ofBatch, { completed: byStatus.COMPLETED, failed: byStatus.FAILED, cancelled: byStatus.CANCELLED, open: byStatus.QUEUED + byStatus.PROCESSING });
    }
    await Promise.all(
      [...pending].map(([taskId, path]) =>
        limit(async () => {
          const task = await withRetry(() => tasks.get(taskId));
          if (!task) return;
          if (task.status === 'COMPLETED') report.completed++;
          else if (task.status === 'FAILED') report.failed.push({ path, taskId, code: task.error?.code ?? 'INTERNAL', message: task.error?.message ?? '' });
          else if (task.status === 'CANCELLED') report.cancelled++;
          else return;
          pending.delete(taskId);
        }),
      ),
    );
    const finished = batchFinished() + followed - pending.size;
    options.onProgress?.({ tasks: report.tasks, finished, completed: ofBatch.completed + report.completed, failed: ofBatch.failed + report.failed.length });
    if (pending.size === 0 && batchDone()) break;
    if (finished !== lastFinished) [lastFinished, lastChange] = [finished, Date.now()];
    else if (Date.now() - lastChange >= stallMs) {
      report.unfinished = Math.max(0, report.tasks - finished);
      break;
    }
    await sleep(options.intervalMs ?? MONITOR_INTERVAL_MS, options.signal);
  }
  report.completed += ofBatch.completed;
  report.cancelled += ofBatch.cancelled;
  report.failedCount = report.failed.length + ofBatch.failed;
  if (batch && ofBatch.failed > 0) {
    // The failed ones by name: a page at a time, at most MAX_LISTED (all are counted).
    const paths = new Map(inBatch.map((s) => [s.taskId, s.path]));
    const listed = new Set(report.failed.map((f) => f.taskId));
    const failed: MonitorReport['failed'] = [];
    let cursor: string | null = null;
    do {
      const page = await withRetry(() => tasks.list(batch.userHash, { batchId: batch.batchId, status: 'FAILED', limit: 100, cursor }));
      for (const t of page.tasks) {
        if (!pending.has(t.taskId) && !listed.has(t.taskId)) {
          failed.push({ path: paths.get(t.taskId) ?? t.fileName, taskId: t.taskId, code: t.error?.code ?? 'INTERNAL', message: t.error?.message ?? '' });
        }
      }
      cursor = page.nextCursor;
    } while (cursor && failed.length < MAX_LISTED);
    report.failed.push(...failed);
  }
  report.elapsedMs = Date.now() - started;
  return report;
}

/** The default state file for a folder. */
export function defaultStatePath(dir: string): string {
  return join(resolve(dir), STATE_FILE_NAME);
}
