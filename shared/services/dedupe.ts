/**
 * The worker's side of reading the same document once (core/result-reuse.ts): the key of the
 * bytes it has downloaded, an earlier whole result to reuse, the copy of that result's objects
 * under the task's own prefix, and the index entry a completed task leaves. Each step that fails
 * costs only the saving: the document is then read as usual.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { BlobStore } from '../core/blob-store.ts';
import { OcrOptions, type OcrOptionsInput } from '../core/options.ts';
import type { PageProgress } from '../core/pipeline.ts';
import { chooseReuse, indexEntryOf, pacedPages, resultKey, reusedSummary, type ContentIndex, type Reuse } from '../core/result-reuse.ts';
import { resultObjectNames, taskPrefix, type Task, type TaskSummary } from '../core/task.ts';
import type { Logger } from '../log.ts';
import { OUTPUTS, OutputFormat } from '../outputs/index.ts';
import { PREVIEW_CONTENT_TYPE } from '../outputs/preview.ts';

export interface DedupeDeps {
  index: ContentIndex;
  /** The engines and models that read these languages (engines/reader-identity.ts). */
  reader(languages: readonly string[]): Promise<string>;
  /** The service's version (shared/version.ts). */
  version: string;
  /** Waits `ms`, or rejects at once when `signal` aborts; a test passes one that does not wait. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface DedupeContext extends DedupeDeps {
  blobs: Pick<BlobStore, 'read' | 'writeOnce' | 'list'>;
  resultsBucket: string;
  log: Logger;
}

export interface EarlierResult {
  /** The document's result key: the completed task is indexed under it. */
  key: string;
  reuse: Reuse | null;
}

/** The key of the document and the earlier result it may reuse; null when the index cannot say (the document is read). */
export async function findEarlierResult(ctx: DedupeContext, task: Task, bytes: Uint8Array, options: OcrOptionsInput): Promise<EarlierResult | null> {
  try {
    const key = await resultKeyOf(ctx, bytes, options);
    return { key, reuse: chooseReuse(task, await ctx.index.find(key, task.userHash)) };
  } catch (err) {
    ctx.log.warn('content index not consulted; the document is read', { error: err });
    return null;
  }
}

/** The key a document's result is indexed under: its bytes, the reader of its languages, the service's version, the options. */
export async function resultKeyOf(ctx: Pick<DedupeContext, 'reader' | 'version'>, bytes: Uint8Array, options: OcrOptionsInput): Promise<string> {
  const contentSha256 = createHash('sha256').update(bytes).digest('hex');
  const parsed = OcrOptions.parse(options);
  return resultKey({ contentSha256, reader: await ctx.reader(parsed.languages), version: ctx.version }, parsed);
}

export interface ReuseRun {
  /** When the task's attempt started (its processing time counts from there). */
  startedAt: number;
  progress(p: PageProgress): void;
  /** A cancel or a lost lease: stop, and write nothing more. */
  signal: AbortSignal;
}

/**
 * Copies the earlier result's objects under the task's own prefix and gives the summary to
 * complete with; null when they are gone (cleanup came first), and the entry is forgotten. For
 * another user's result the copy follows the earlier reading's pace, page by page, so that the
 * task looks and takes like one read for its owner alone.
 */
export async function reuseEarlierResult(ctx: DedupeContext, task: Task, reuse: Reuse, run: ReuseRun): Promise<TaskSummary | null> {
  const earlier = reuse.entry;
  const fromPrefix = taskPrefix(earlier.userHash, earlier.taskId);
  const found = await ctx.blobs.list(earlier.summary.resultBucket, fromPrefix);
  const names = new Set(found.map((o) => o.name));
  if (!Object.values(earlier.summary.objects).every((name) => names.has(name))) {
    ctx.log.info('an earlier result is gone; its index entry is forgotten and the document read', { earlierTaskId: earlier.taskId });
    await ctx.index.forgetTask(earlier.taskId).catch((err: unknown) => ctx.log.warn('content index entry not forgotten', { error: err }));
    return null;
  }
  if (reuse.kind === 'shared') await pace(ctx, reuse, run);
  const toPrefix = taskPrefix(task.userHash, task.taskId);
  await Promise.all(
    found.map(async (object) => {
      const file = object.name.slice(fromPrefix.length);
      const contentType = contentTypeOf(file);
      if (!contentType) return;
      const data = await ctx.blobs.read({ bucket: earlier.summary.resultBucket, name: object.name });
      run.signal.throwIfAborted();
      await ctx.blobs.writeOnce({ bucket: ctx.resultsBucket, name: toPrefix + file }, data, contentType, { 'docvault-task-id': task.taskId });
    }),
  );
  run.signal.throwIfAborted();
  return reusedSummary(reuse, resultObjectNames(task.userHash, task.taskId), ctx.resultsBucket, Date.now() - run.startedAt);
}

/** Leaves the completed task's entry in the index (`copiedFrom`: the entry its result was copied from); a failure only loses a later saving. */
export async function indexCompletedTask(ctx: DedupeContext, key: string, task: Task, copiedFrom: Reuse | null): Promise<void> {
  const entry = indexEntryOf(key, task, copiedFrom?.entry ?? null);
  if (!entry) return;
  await ctx.index.record(entry).catch((err: unknown) => ctx.log.warn('content index not updated', { error: err }));
}

/** The result files a task has, by their name under its prefix: the outputs, then the page previews. */
const RESULT_FILES: ReadonlyMap<string, string> = new Map(
  OutputFormat.options.map((format) => [resultObjectNames('u', 't')[format].slice(taskPrefix('u', 't').length), OUTPUTS[format].contentType]),
);

function contentTypeOf(file: string): string | null {
  return RESULT_FILES.get(file) ?? (/^preview-\d+\.webp$/.test(file) ? PREVIEW_CONTENT_TYPE : null);
}

async function pace(ctx: DedupeContext, reuse: Reuse, run: ReuseRun): Promise<void> {
  const sleep = ctx.sleep ?? ((ms: number, signal: AbortSignal) => sleepFor(ms, undefined, { signal }));
  const { summary, readingMs } = reuse.entry;
  for (const step of pacedPages(summary.pages, readingMs)) {
    await sleep(Math.max(0, run.startedAt + step.atMs - Date.now()), run.signal);
    run.progress({ done: step.done, total: step.total, page: step.done });
  }
  await sleep(Math.max(0, run.startedAt + readingMs - Date.now()), run.signal);
}
