/**
 * The OCR worker: one Pub/Sub message → lease the task → read the document → core pipeline →
 * results in the results bucket → COMPLETED or FAILED. Throwing means "deliver again" (a
 * retryable failure); returning means "acknowledge".
 */
import { toDocVaultError } from '../core/errors.ts';
import { openPassword } from '../core/sealed-password.ts';
import { isAutoLanguage } from '../core/options.ts';
import { isOutOfAttempts, owedAnnouncement } from '../core/task-moves.ts';
import type { Limits } from '../core/options.ts';
import type { PageProgress, PipelineOutput } from '../core/pipeline.ts';
import { OcrMessage, resultObjectNames, type Task, type TaskSummary } from '../core/task.ts';
import type { OcrOptionsInput } from '../core/options.ts';
import type { LeaseOutcome, TaskStore } from '../adapters/firestore-tasks.ts';
import type { Queue } from '../adapters/pubsub.ts';
import type { BlobStore } from '../core/blob-store.ts';
import type { Logger } from '../log.ts';
import { OutputFormat, OUTPUTS, renderOutputs } from '../outputs/index.ts';
import { announce, deadLetter, failTask, giveUp, type AnnounceDeps } from '../lifecycle/finish.ts';
import type { NotifyDeps } from '../lifecycle/notify.ts';
import { storePreviews } from '../outputs/preview.ts';
import type { OcrResult } from '../core/result.ts';
import { isFannedOut } from '../core/shards.ts';
import { fanOutLarge, handleShardMessage, type FanOutDeps } from './shard-worker.ts';
import type { Reuse } from '../core/result-reuse.ts';
import { findEarlierResult, indexCompletedTask, reuseEarlierResult, type DedupeContext, type DedupeDeps, type ReuseRun } from './dedupe.ts';

export interface OcrProcessor {
  process(bytes: Uint8Array, options: OcrOptionsInput, onProgress?: (p: PageProgress) => void, signal?: AbortSignal): Promise<PipelineOutput>;
}

export interface WorkerDeps {
  workerId: string;
  tasks: Pick<TaskStore, 'lease' | 'get' | 'heartbeat' | 'complete' | 'fail' | 'release' | 'watchLease' | 'markAnnounced'>;
  queue: Pick<Queue, 'publishDeadLetter' | 'publishEvent' | 'publishTask'>;
  blobs: Pick<BlobStore, 'read' | 'writeOnce' | 'delete' | 'list'>;
  ocr: OcrProcessor;
  /** The result files from the pipeline's output; the outputs/ writers unless a test gives its own. */
  render?: typeof renderOutputs;
  log: Logger;
  resultsBucket: string;
  limits: Limits;
  leaseMs: number;
  progressIntervalMs: number;
  retentionMs: number;
  deleteUploadOnSuccess: boolean;
  webhookSecret?: string | undefined;
  /** Opens a task's sealed PDF password (core/sealed-password.ts); without it a sealed password is not opened. */
  passwordKey?: string | undefined;
  allowPrivateCallbacks?: boolean;
  notify?: Partial<NotifyDeps>;
  /** Fan-out of large documents (shard-worker.ts); none: every document is read whole. */
  shards?: FanOutDeps;
  /** The same document twice is read once (services/dedupe.ts); without it every document is read. */
  dedupe?: DedupeDeps | undefined;
}

/** The task's PDF password, opened for this read only: it goes into the options, never into a log or a key. */
function passwordOption(task: Pick<Task, 'sealedPassword'>, passwordKey: string | undefined): { password?: string } {
  if (!task.sealedPassword || !passwordKey) return {};
  return { password: openPassword(passwordKey, task.sealedPassword) };
}

/** Raised to make the platform deliver the message again (a 5xx to the push). */
export class RedeliverError extends Error {
  override name = 'RedeliverError';
}

export type WorkerOutcome =
  | { kind: 'invalid-message'; reason: string }
  | { kind: Exclude<LeaseOutcome['kind'], 'leased' | 'busy'> }
  | { kind: 'completed'; task: Task }
  | { kind: 'failed'; task: Task | null; code: string }
  | { kind: 'lost-lease' }
  /** A large document handed to its shards, or one shard of it read (shard-worker.ts). */
  | { kind: 'fanned-out'; shards: number }
  | { kind: 'shard-completed' };

const FORMATS = OutputFormat.options;

/**
 * `leaveSlot`, when given, is called once the document's read is over (its results written, or its failure known):
 * the task's status, the content index and the announcement that follow wait on the network, and the caller's
 * slot (services/priority-gate.ts) can go to the next document meanwhile.
 */
export async function handleOcrMessage(data: unknown, deps: WorkerDeps, leaveSlot: () => void = () => undefined): Promise<WorkerOutcome> {
  const parsed = OcrMessage.safeParse(data);
  if (!parsed.success) {
    // A message we cannot read will not become readable by redelivery: acknowledge it, loudly.
    deps.log.error('unreadable OCR message acknowledged without work', { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
    return { kind: 'invalid-message', reason: parsed.error.message };
  }
  const message = parsed.data;
  if (message.shard !== undefined) return handleShardMessage({ ...message, shard: message.shard }, deps);
  // The document is fetched while the lease is taken: both are round trips, neither needs the other.
  const source = { bucket: message.bucket, name: message.name, generation: message.generation };
  const download = deps.blobs.read(source, deps.limits.maxBytes);
  download.catch(() => undefined); // when no lease is granted nobody awaits it
  const outcome = await deps.tasks.lease(message.taskId, deps.workerId, deps.leaseMs);
  const log = deps.log.child({ taskId: message.taskId, ...(outcome.kind !== 'missing' ? { userHash: outcome.task.userHash } : {}) });
  switch (outcome.kind) {
    case 'missing':
      log.warn('no task for this message; acknowledged');
      return { kind: 'missing' };
    case 'finished':
      await announceIfOwed(outcome.task, deps, log);
      return { kind: 'finished' };
    case 'busy':
      // Its shards hold it: they renew its lease, and the last of them completes it.
      if (isFannedOut(outcome.task)) {
        log.info('task is being read in shards; duplicate delivery acknowledged');
        return { kind: 'fanned-out', shards: 0 };
      }
      // Another worker holds a live lease: if it dies, its lease runs out and a redelivery takes over.
      throw new RedeliverError(`task ${message.taskId} is leased by another worker until ${outcome.task.lease?.expiresAt.toISOString()}`);
    case 'exhausted':
      log.error('task out of attempts; sent to the dead-letter topic', { error: outcome.task.error });
      await deadLetter(lifecycle(deps, log), outcome.task);
      return { kind: 'exhausted' };
    case 'leased':
      return runLeased(message, outcome.task, download, deps, log, leaveSlot);
  }
}

/**
 * A delivery of a finished task's message: a duplicate, or the redelivery after its finisher was
 * killed between the write and the announcement. In the second case the event (and the dead
 * letter of a task given up on) would be lost with it, so the delivery announces it, once the
 * finisher's grace is over and the task still says it is owed.
 */
async function announceIfOwed(finished: Task, deps: WorkerDeps, log: Logger): Promise<void> {
  const first = owedAnnouncement(finished, new Date());
  let task: Task | null = finished;
  if (first.owed && first.waitMs > 0) {
    // Within the grace its finisher may still be at it: wait it out, then see what the task says.
    await new Promise((r) => setTimeout(r, first.waitMs));
    task = await deps.tasks.get(finished.taskId);
  }
  const owed = task ? owedAnnouncement(task, new Date()) : null;
  if (!task || !owed?.owed) return void log.info('task already finished; duplicate delivery acknowledged', { status: (task ?? finished).status });
  log.warn('a finished task was never announced (its finisher stopped); announced now', { status: task.status, deadLetter: owed.deadLetter });
  if (owed.deadLetter) await deadLetter(lifecycle(deps, log), task);
  else await announce(lifecycle(deps, log), task);
}

async function runLeased(message: OcrMessage, task: Task, download: Promise<Uint8Array>, deps: WorkerDeps, log: Logger, leaveSlot: () => void): Promise<WorkerOutcome> {
  const started = Date.now();
  log.info('task started', { attempt: task.attempts, priority: task.priority });
  // A cancel or a lost lease stops the work in flight, and nothing more is written.
  const leaseLost = new AbortController();
  const lease = keepLease(task.taskId, deps, log, () => leaseLost.abort(new Error('the lease was lost (cancelled or taken over)')));
  try {
    const bytes = await download;
    const readAt = Date.now();
    const options = readOptions(task, deps);
    // The same document read before (services/dedupe.ts): its result copied, not read again.
    const dedupe = dedupeContext(deps, log, task);
    const earlier = dedupe ? await findEarlierResult(dedupe, task, bytes, options) : null;
    if (dedupe && earlier?.reuse) {
      const reused = await reuse(dedupe, earlier.reuse, task, { startedAt: started, progress: (p) => lease.progress(p), signal: leaseLost.signal });
      if (reused) {
        await lease.stop();
        leaveSlot();
        return await completeTask(task, reused, deps, log, { ctx: dedupe, key: earlier.key, copiedFrom: earlier.reuse }, { reusedFrom: earlier.reuse.entry.taskId, reuse: earlier.reuse.kind });
      }
    }
    // A large PDF goes to its shards: this message is done once they are out.
    const fanned = await fanOutLarge(bytes, task, deps, log);
    if (fanned) {
      await lease.stop();
      return fanned;
    }
    const output = await deps.ocr.process(bytes, options, (p) => lease.progress(p), leaseLost.signal);
    const coreAt = Date.now();
    const outputs = await (deps.render ?? renderOutputs)(bytes, output, FORMATS);
    const renderedAt = Date.now();
    leaseLost.signal.throwIfAborted();
    // The results and the console's page images side by side; a document whose previews fail still completes.
    const [names] = await Promise.all([
      writeOutputs(task, outputs, deps),
      storePreviews(deps.blobs, deps.resultsBucket, task, bytes, output, deps.limits.maxPixelsPerPage).catch((err: unknown) => log.warn('page previews not stored', { error: err })),
    ]);
    await lease.stop();
    leaveSlot();
    const writtenAt = Date.now();
    const { result } = output;
    const summary = summaryOf(result, Date.now() - started, deps.resultsBucket, names);
    return await completeTask(task, summary, deps, log, dedupe && earlier && { ctx: dedupe, key: earlier.key, copiedFrom: null }, {
      ocrMs: result.timings.ocrMs,
      // Where the time went, for the pipeline's overhead: download, core, outputs, writes, completion.
      stagesMs: { read: readAt - started, core: coreAt - readAt, outputs: renderedAt - coreAt, write: writtenAt - renderedAt },
    });
  } catch (err) {
    await lease.stop();
    leaveSlot();
    if (leaseLost.signal.aborted) {
      log.warn('lease lost (cancelled or taken over): work stopped, nothing written', { processingMs: Date.now() - started });
      return { kind: 'lost-lease' };
    }
    return handleFailure(err, message, task, deps, log);
  }
}

/** What the worker asks the pipeline for a task: its languages, the limits, a searchable PDF, and its password if it has one. */
export function readOptions(task: Task, deps: Pick<WorkerDeps, 'limits' | 'passwordKey'>): OcrOptionsInput {
  return { languages: task.languages, limits: deps.limits, searchablePdf: true, ...passwordOption(task, deps.passwordKey) };
}

/** Every output of the task under its own prefix; the names written. */
export async function writeOutputs(task: Task, outputs: ReadonlyMap<OutputFormat, Uint8Array | string>, deps: Pick<WorkerDeps, 'blobs' | 'resultsBucket'>): Promise<TaskSummary['objects']> {
  const names = resultObjectNames(task.userHash, task.taskId);
  await Promise.all(
    FORMATS.map((format) => deps.blobs.writeOnce({ bucket: deps.resultsBucket, name: names[format] }, outputs.get(format)!, OUTPUTS[format].contentType, { 'docvault-task-id': task.taskId })),
  );
  return names;
}

/**
 * COMPLETED with its results written (held by this worker): indexed for a later identical
 * document, the upload deleted if so configured, announced. A document read whole and one merged
 * from its shards (shard-worker.ts) both end here.
 */
export async function completeTask(
  task: Task,
  summary: TaskSummary,
  deps: WorkerDeps,
  log: Logger,
  indexAs: { ctx: DedupeContext; key: string; copiedFrom: Reuse | null } | null,
  logged: Record<string, unknown>,
): Promise<WorkerOutcome> {
  const completing = Date.now();
  const completed = await deps.tasks.complete(task.taskId, deps.workerId, summary, deps.retentionMs);
  if (!completed) {
    log.warn('lease lost before completion (cancelled or taken over); result kept, status untouched');
    return { kind: 'lost-lease' };
  }
  log.info('task completed', { pages: summary.pages, confidence: summary.confidence, processingMs: summary.processingMs, ...logged, completeMs: Date.now() - completing });
  if (indexAs) await indexCompletedTask(indexAs.ctx, indexAs.key, completed, indexAs.copiedFrom);
  if (deps.deleteUploadOnSuccess) await deps.blobs.delete({ bucket: task.bucket, name: task.object, generation: task.generation }).catch(() => undefined);
  await announce(lifecycle(deps, log), completed);
  return { kind: 'completed', task: completed };
}

/** The earlier result copied for this task, or null when it could not be (the document is read then). */
async function reuse(ctx: DedupeContext, earlier: Reuse, task: Task, run: ReuseRun): Promise<TaskSummary | null> {
  try {
    return await reuseEarlierResult(ctx, task, earlier, run);
  } catch (err) {
    if (run.signal.aborted) throw err;
    ctx.log.warn('an earlier result could not be copied; the document is read', { error: err });
    return null;
  }
}

/**
 * The dedupe steps' view of the worker's dependencies; null when the task is not to be reused or
 * indexed (read whole or merged from shards alike). Never a document read with a password: its
 * result would go to whoever sent the same bytes, with no password or a wrong one. Nor one read
 * with language=auto, whose models are only known once its first page is seen.
 */
export function dedupeContext(deps: WorkerDeps, log: Logger, task: Pick<Task, 'sealedPassword' | 'languages'>): DedupeContext | null {
  if (!deps.dedupe || task.sealedPassword || isAutoLanguage(task.languages)) return null;
  return { ...deps.dedupe, blobs: deps.blobs, resultsBucket: deps.resultsBucket, log };
}

async function handleFailure(err: unknown, message: OcrMessage, task: Task, deps: WorkerDeps, log: Logger): Promise<WorkerOutcome> {
  const error = toDocVaultError(err);
  const reason = { code: error.code, message: error.message };
  if (!error.retryable) {
    // The input is at fault: retrying cannot help. FAILED with the reason; the upload is kept.
    log.warn('task failed: bad input', { error: reason });
    const failed = await failTask(lifecycle(deps, log), task, reason, deps.workerId);
    return { kind: 'failed', task: failed, code: error.code };
  }
  if (isOutOfAttempts(task)) {
    log.error('task failed after its last attempt; sent to the dead-letter topic', { error: reason, attempts: task.attempts });
    const failed = await giveUp(lifecycle(deps, log), task, reason, deps.workerId);
    return { kind: 'failed', task: failed, code: error.code };
  }
  await deps.tasks.release(task.taskId, deps.workerId, reason);
  log.warn('attempt failed; the message will be delivered again', { error: reason, attempt: task.attempts, maxAttempts: task.maxAttempts });
  throw new RedeliverError(`attempt ${task.attempts} of task ${task.taskId} failed: ${error.code}: ${error.message}`);
}

/**
 * Keeps the lease alive while the document is read, and carries progress with it: at most one
 * write per progressIntervalMs (Firestore sustains about one write a second per document).
 */
function keepLease(taskId: string, deps: WorkerDeps, log: Logger, onLost: () => void) {
  const alive = keepAlive<{ percent: number; message: string }>(
    deps,
    log,
    // A cancel shows in the task at once: a listener sees it within a second, the heartbeat later.
    (lost) => deps.tasks.watchLease(taskId, deps.workerId, lost),
    (progress) => deps.tasks.heartbeat(taskId, deps.workerId, deps.leaseMs, progress),
    onLost,
  );
  return {
    progress(p: PageProgress) {
      // The last page needs no write of its own: completion sets 100 a moment later.
      if (p.done === p.total) return;
      alive.progress({ percent: (p.done / p.total) * 100, message: `page ${p.done}/${p.total}` });
    },
    stop: alive.stop,
  };
}

/**
 * A lease renewed by `renew` (every third of the lease, and with progress at most every
 * progressIntervalMs) and watched by `watch`; `onLost` once either says it is gone. The task's
 * lease here, a shard's in shard-worker.ts.
 */
export function keepAlive<P>(
  deps: Pick<WorkerDeps, 'leaseMs' | 'progressIntervalMs'>,
  log: Logger,
  watch: (onLost: () => void) => () => void,
  renew: (progress?: P) => Promise<boolean>,
  onLost: () => void,
) {
  let lastWrite = 0;
  let pending: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const unwatch = watch(() => {
    if (!stopped) onLost();
  });
  const write = (progress?: P) => {
    lastWrite = Date.now();
    pending = pending
      .then(() => renew(progress))
      .then((held) => {
        if (!held && !stopped) onLost();
      })
      .catch((err: unknown) => log.warn('lease heartbeat failed', { error: err }));
  };
  const timer = setInterval(() => {
    if (!stopped && Date.now() - lastWrite >= deps.leaseMs / 3) write();
  }, Math.max(250, Math.floor(deps.leaseMs / 6)));
  timer.unref();
  return {
    progress(p: P) {
      if (stopped || Date.now() - lastWrite < deps.progressIntervalMs) return;
      write(p);
    },
    /** Stops renewing, and waits for a write in flight: it would contend with the completion. */
    async stop() {
      stopped = true;
      clearInterval(timer);
      unwatch();
      await pending;
    },
  };
}

/** The task's summary from its result. */
export function summaryOf(result: OcrResult, processingMs: number, resultBucket: string, objects: TaskSummary['objects']): TaskSummary {
  return {
    pages: result.pageCount,
    failedPages: result.pages.filter((p) => p.status === 'failed').length,
    confidence: result.confidence,
    languages: result.languages,
    category: result.classification.category,
    processingMs,
    resultBucket,
    objects,
  };
}

/** The lifecycle's view of the worker's dependencies, logging under the task's logger. */
export function lifecycle(deps: WorkerDeps, log: Logger): AnnounceDeps & Pick<WorkerDeps, 'tasks' | 'queue' | 'retentionMs'> {
  const { queue: _queue, ...notify } = { log, webhookSecret: deps.webhookSecret, allowPrivateCallbacks: deps.allowPrivateCallbacks ?? false, ...deps.notify } as NotifyDeps;
  return { tasks: deps.tasks, queue: deps.queue, retentionMs: deps.retentionMs, notify, blobs: deps.blobs, resultsBucket: deps.resultsBucket };
}

