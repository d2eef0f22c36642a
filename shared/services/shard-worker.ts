/**
 * Fan-out in the worker (rules in core/shards.ts). Three steps:
 *   fanOutLarge    the worker that leased a large PDF plans its shards and publishes one message each;
 *   runShard       any worker reads one shard's pages and stores its part;
 *   mergeShards    the shard that completes last merges the parts into the task's one result.
 * Throwing means "deliver this message again", as in the worker; returning acknowledges it.
 */
import { assembleResult } from '../core/pipeline.ts';
import { detectDocumentType } from '../core/document-type.ts';
import { toDocVaultError } from '../core/errors.ts';
import { OcrResult } from '../core/result.ts';
import { isOutOfAttempts, STOPPED_ATTEMPT } from '../core/task-moves.ts';
import { failTask, giveUp, publishQueued } from '../lifecycle/finish.ts';
import { fanOutHolder, mergePages, newShards, planShards, shardError, shardMessage, shardPartNames, shouldFanOut, type Shard } from '../core/shards.ts';
import { TERMINAL_STATUSES, type OcrMessage, type Task, type TaskError } from '../core/task.ts';
import type { ShardStore } from '../adapters/firestore-shards.ts';
import type { Logger } from '../log.ts';
import { OutputFormat, OUTPUTS } from '../outputs/index.ts';
import { renderMergedOutputs } from '../outputs/merge.ts';
import { storePreviews } from '../outputs/preview.ts';
import { buildSearchablePdf } from '../outputs/searchable-pdf.ts';
import { completeTask, dedupeContext, keepAlive, lifecycle, readOptions, RedeliverError, summaryOf, writeOutputs, type WorkerDeps, type WorkerOutcome } from './ocr-worker.ts';
import { resultKeyOf } from './dedupe.ts';

export interface FanOutDeps {
  store: Pick<ShardStore, 'fanOut' | 'lease' | 'heartbeat' | 'complete' | 'release' | 'list' | 'deleteAll'>;
  /** Documents of more pages are read in shards of at most this many; 0: never. */
  shardPages: number;
  /** A document's page count, cheaply (engines/page-count.ts), or undefined when it cannot be told. */
  countPages(bytes: Uint8Array): Promise<number | undefined>;
}

type Deps = WorkerDeps & { shards: FanOutDeps };

const FORMATS = OutputFormat.options;

/**
 * Called by the worker holding `task`, once its bytes are here: a large PDF goes to its shards
 * (or, when all are already done, is merged here). Null: not a document to fan out; read it whole.
 */
export async function fanOutLarge(bytes: Uint8Array, task: Task, deps: WorkerDeps, log: Logger): Promise<WorkerOutcome | null> {
  const shards = deps.shards;
  if (!shards || shards.shardPages <= 0) return null;
  const type = await detectDocumentType(bytes).catch(() => null);
  if (type !== 'pdf') return null;
  const pageCount = await shards.countPages(bytes);
  // Over the page limit: the pipeline refuses it with its own error, whole.
  if (!shouldFanOut(type, pageCount, shards.shardPages) || pageCount > deps.limits.maxPages) return null;
  const planned = newShards(task, planShards(pageCount, shards.shardPages), new Date());
  const outcome = await shards.store.fanOut(task.taskId, planned, deps.workerId, deps.leaseMs);
  if (outcome.kind === 'lost') return { kind: 'lost-lease' };
  if (outcome.kind === 'merge') return mergeShards(outcome.parent!, outcome.shards, bytes, { ...deps, shards }, log);
  const open = outcome.shards.filter((s) => s.status !== 'COMPLETED');
  await Promise.all(open.map((s) => deps.queue.publishTask(shardMessage(task, s.index))));
  log.info('document fanned out to shards', { pages: pageCount, shards: outcome.shards.length, published: open.length, shardPages: shards.shardPages });
  return { kind: 'fanned-out', shards: outcome.shards.length };
}

/** A shard's message: lease the shard, read its pages, store its part; the last one merges. */
export async function handleShardMessage(message: OcrMessage & { shard: number }, deps: WorkerDeps): Promise<WorkerOutcome> {
  const log = deps.log.child({ taskId: message.taskId, shard: message.shard });
  if (!deps.shards) {
    // A deployment without fan-out never publishes shards: an old message, nothing to do.
    log.warn('shard message on a worker without fan-out; acknowledged');
    return { kind: 'missing' };
  }
  const full: Deps = { ...deps, shards: deps.shards };
  const download = deps.blobs.read({ bucket: message.bucket, name: message.name, generation: message.generation }, deps.limits.maxBytes);
  download.catch(() => undefined);
  const outcome = await full.shards.store.lease(message.taskId, message.shard, deps.workerId, deps.leaseMs);
  const shard = outcome.shards[0];
  switch (outcome.kind) {
    case 'missing':
    case 'finished':
      log.info('shard already done or unknown; duplicate delivery acknowledged', { outcome: outcome.kind });
      return { kind: 'finished' };
    case 'stopped':
      // The parent was cancelled, failed or is being merged: this shard's work is not wanted.
      log.info('parent task no longer fanned out; shard acknowledged', { status: outcome.parent?.status });
      if (!outcome.parent || TERMINAL_STATUSES.includes(outcome.parent.status)) await full.shards.store.deleteAll(message.taskId).catch(() => undefined);
      return { kind: 'finished' };
    case 'busy':
      throw new RedeliverError(`shard ${message.shard} of task ${message.taskId} is leased by another worker`);
    case 'exhausted':
      return giveUpForShard(outcome.parent!, shard!, shard!.error ?? STOPPED_ATTEMPT, full, log);
    case 'leased':
      return runShard(outcome.parent!, shard!, download, full, log);
  }
}

async function runShard(parent: Task, shard: Shard, download: Promise<Uint8Array>, deps: Deps, log: Logger): Promise<WorkerOutcome> {
  const started = Date.now();
  log.info('shard started', { attempt: shard.attempts, firstPage: shard.firstPage, lastPage: shard.lastPage });
  const lost = new AbortController();
  const lease = keepShardLease(parent, shard, deps, log, () => lost.abort(new Error('the shard lease was lost (task cancelled or shard taken over)')));
  try {
    const bytes = await download;
    const output = await deps.ocr.process(
      bytes,
      { ...readOptions(parent, deps), pages: { first: shard.firstPage, last: shard.lastPage } },
      (p) => lease.progress(p.done),
      lost.signal,
    );
    const pdf = await buildSearchablePdf(bytes, output.result, output.artifacts);
    lost.signal.throwIfAborted();
    const names = shardPartNames(parent.userHash, parent.taskId, shard);
    const meta = { 'docvault-task-id': parent.taskId };
    await deps.blobs.writeOnce({ bucket: deps.resultsBucket, name: names.json }, JSON.stringify(output.result), OUTPUTS.json.contentType, meta);
    await deps.blobs.writeOnce({ bucket: deps.resultsBucket, name: names.pdf }, pdf, OUTPUTS.pdf.contentType, meta);
    await storePreviews(deps.blobs, deps.resultsBucket, parent, bytes, output, deps.limits.maxPixelsPerPage).catch((err: unknown) => log.warn('page previews not stored', { error: err }));
    await lease.stop();
    const done = await deps.shards.store.complete(parent.taskId, shard.index, deps.workerId, deps.leaseMs);
    log.info('shard completed', { outcome: done.kind, pages: shard.lastPage - shard.firstPage + 1, processingMs: Date.now() - started });
    if (done.kind === 'lost') return { kind: 'lost-lease' };
    if (done.kind === 'completed') return { kind: 'shard-completed' };
    return await mergeFromShard(done.parent!, done.shards, bytes, deps, log);
  } catch (err) {
    await lease.stop();
    if (lost.signal.aborted) {
      log.warn('shard lease lost: work stopped, nothing written', { processingMs: Date.now() - started });
      return { kind: 'lost-lease' };
    }
    return shardFailed(err, parent, shard, deps, log);
  }
}

async function shardFailed(err: unknown, parent: Task, shard: Shard, deps: Deps, log: Logger): Promise<WorkerOutcome> {
  const error = toDocVaultError(err);
  const reason = { code: error.code, message: error.message };
  if (!error.retryable) {
    log.warn('shard failed: bad input; task failed', { error: reason });
    const failed = await failTask(lifecycle(deps, log), parent, shardError(shard, reason), fanOutHolder(parent.taskId));
    await deps.shards.store.deleteAll(parent.taskId).catch(() => undefined);
    return { kind: 'failed', task: failed, code: error.code };
  }
  if (isOutOfAttempts(shard)) return giveUpForShard(parent, shard, reason, deps, log);
  await deps.shards.store.release(parent.taskId, shard.index, deps.workerId, reason);
  log.warn('shard attempt failed; its message will be delivered again', { error: reason, attempt: shard.attempts, maxAttempts: shard.maxAttempts });
  throw new RedeliverError(`attempt ${shard.attempts} of shard ${shard.index} of task ${parent.taskId} failed: ${error.code}: ${error.message}`);
}

/** A shard out of attempts fails its task: the reason names the pages, the attempts are the shard's. */
async function giveUpForShard(parent: Task, shard: Shard, last: TaskError, deps: Deps, log: Logger): Promise<WorkerOutcome> {
  log.error('shard out of attempts; task failed and sent to the dead-letter topic', { error: last, attempts: shard.attempts });
  const failed = await giveUp(lifecycle(deps, log), { ...parent, attempts: shard.attempts }, shardError(shard, last), fanOutHolder(parent.taskId));
  await deps.shards.store.deleteAll(parent.taskId).catch(() => undefined);
  return { kind: 'failed', task: failed, code: last.code };
}

/**
 * The last shard's worker merges. A failure here is the parent's: bad input fails it; otherwise
 * the parent goes back to its queue (its shards stay COMPLETED), and the worker that leases it
 * again merges. The shard's own message is done either way.
 */
async function mergeFromShard(parent: Task, shards: readonly Shard[], bytes: Uint8Array, deps: Deps, log: Logger): Promise<WorkerOutcome> {
  try {
    return await mergeShards(parent, shards, bytes, deps, log);
  } catch (err) {
    const error = toDocVaultError(err);
    const reason = { code: error.code, message: error.message };
    if (!error.retryable) {
      log.warn('merge failed: bad input; task failed', { error: reason });
      return { kind: 'failed', task: await failTask(lifecycle(deps, log), parent, reason, deps.workerId), code: error.code };
    }
    if (isOutOfAttempts(parent)) {
      log.error('merge failed on the task\'s last attempt', { error: reason });
      return { kind: 'failed', task: await giveUp(lifecycle(deps, log), parent, reason, deps.workerId), code: error.code };
    }
    const released = await deps.tasks.release(parent.taskId, deps.workerId, reason);
    if (released) await publishQueued(deps, released);
    log.warn('merge failed; the task is queued again to merge', { error: reason });
    return { kind: 'lost-lease' };
  }
}

/**
 * Reads every shard's part, merges them into the task's result, and completes the task (held by
 * this worker) the way a document read whole completes: indexed for dedupe under `bytes`' key.
 */
export async function mergeShards(parent: Task, shards: readonly Shard[], bytes: Uint8Array, deps: Deps, log: Logger): Promise<WorkerOutcome> {
  const started = Date.now();
  const ordered = [...shards].sort((a, b) => a.firstPage - b.firstPage);
  const parts = await Promise.all(
    ordered.map(async (shard) => {
      const names = shardPartNames(parent.userHash, parent.taskId, shard);
      const [json, pdf] = await Promise.all([deps.blobs.read({ bucket: deps.resultsBucket, name: names.json }), deps.blobs.read({ bucket: deps.resultsBucket, name: names.pdf })]);
      return { names, result: OcrResult.parse(JSON.parse(new TextDecoder().decode(json))), pdf };
    }),
  );
  const first = parts[0]!.result;
  const pages = mergePages(
    parts.map((p) => p.result.pages),
    first.pageCount,
  );
  const result = assembleResult({ type: first.type, languages: first.languages, pageCount: first.pageCount, pages, engine: first.engine, totalMs: Date.now() - (parent.startedAt ?? parent.createdAt).getTime() });
  const outputs = await renderMergedOutputs(
    result,
    parts.map((p) => p.pdf),
    FORMATS,
  );
  const names = await writeOutputs(parent, outputs, deps);
  const summary = summaryOf(result, Date.now() - (parent.startedAt ?? parent.createdAt).getTime(), deps.resultsBucket, names);
  const dedupe = dedupeContext(deps, log, parent);
  // A key that cannot be computed costs only a later saving.
  const key = dedupe
    ? await resultKeyOf(dedupe, bytes, readOptions(parent, deps)).catch((err: unknown) => {
        log.warn('content index not updated', { error: err });
        return null;
      })
    : null;
  const outcome = await completeTask(parent, summary, deps, log, dedupe && key !== null ? { ctx: dedupe, key, copiedFrom: null } : null, { shards: shards.length, mergeMs: Date.now() - started });
  if (outcome.kind !== 'completed') return outcome;
  // The parts and the shard documents have served; a failure here leaves only litter.
  await Promise.all(parts.flatMap((p) => [p.names.json, p.names.pdf]).map((name) => deps.blobs.delete({ bucket: deps.resultsBucket, name }).catch(() => undefined)));
  await deps.shards.store.deleteAll(parent.taskId).catch(() => undefined);
  return outcome;
}

/** Renews the shard's and the parent's lease, carries the shard's pages into the parent's progress, and watches for a cancel. */
function keepShardLease(parent: Task, shard: Shard, deps: Deps, log: Logger, onLost: () => void) {
  let donePages = 0;
  const alive = keepAlive<number>(
    deps,
    log,
    (lost) => deps.tasks.watchLease(parent.taskId, fanOutHolder(parent.taskId), lost),
    (done) => deps.shards.store.heartbeat(parent.taskId, shard.index, deps.workerId, deps.leaseMs, done ?? donePages),
    onLost,
  );
  return {
    progress(done: number) {
      donePages = done;
      alive.progress(done);
    },
    stop: alive.stop,
  };
}
