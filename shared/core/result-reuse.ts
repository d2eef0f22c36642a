/**
 * Reading the same document twice once: a finished result is found again by a key over
 * everything that decides it (the bytes, the languages, the options that change the text, the
 * engines and models, the result schema and the service's version). Pure: the key, the index
 * entry, which earlier result may be reused and how the reuse shows; the index itself is a port.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { OcrOptions } from './options.ts';
import { RESULT_SCHEMA_VERSION } from './result.ts';
import { TaskSummary, type Task } from './task.ts';

/** Everything besides the options that decides a document's result. */
export interface ResultInputs {
  /** SHA-256 of the document's bytes, hex. */
  contentSha256: string;
  /** The engines and their models that read these languages (see engines/reader-identity.ts). */
  reader: string;
  /** The service's version: the outputs (hOCR, searchable PDF, fields) are its own code. */
  version: string;
}

/**
 * The one list of what a result depends on. Left out on purpose: the limits that only decide
 * whether a page or a document fails (maxBytes, maxPages, the timeouts, maxPixelsPerDocument,
 * maxOperatorsPerPage, renderHeapMb), because only whole results are reused (reusable below);
 * and the password, which only decides whether the document opens and must never sit in a key.
 */
export function resultKey(inputs: ResultInputs, options: OcrOptions): string {
  const decisive = {
    schema: RESULT_SCHEMA_VERSION,
    version: inputs.version,
    reader: inputs.reader,
    content: inputs.contentSha256,
    // In order: the first language is the primary one.
    languages: options.languages,
    dpi: options.dpi,
    defaultImageDpi: options.defaultImageDpi,
    textLayerMinChars: options.textLayerMinChars,
    detectOrientation: options.detectOrientation,
    searchablePdf: options.searchablePdf,
    // Past it a PDF page is rendered at a lower resolution: other pixels, other text.
    maxPixelsPerPage: options.limits.maxPixelsPerPage,
  };
  return createHash('sha256').update(JSON.stringify(decisive)).digest('hex');
}

export const RESULT_KEY = /^[0-9a-f]{64}$/;

/** An entry of the content index: where a finished, whole result of a key is, and whose it is. */
export const ContentIndexEntry = z.object({
  v: z.literal(1),
  key: z.string().regex(RESULT_KEY),
  userHash: z.string(),
  taskId: z.string(),
  summary: TaskSummary,
  /** How long the reading that made the result took (a copy's own time is far shorter): a shared reuse keeps this pace. */
  readingMs: z.number().nonnegative(),
  completedAt: z.date(),
  /** When the entry may go (the task's own expiry): a Firestore TTL policy may act on it. */
  expireAt: z.date().nullable(),
});
export type ContentIndexEntry = z.infer<typeof ContentIndexEntry>;

/** The content index as the services see it; implemented on Firestore in adapters/content-index.ts. */
export interface ContentIndex {
  /** The caller's own entry for the key, and the latest entry of any user. */
  find(key: string, userHash: string): Promise<{ own: ContentIndexEntry | null; latest: ContentIndexEntry | null }>;
  record(entry: ContentIndexEntry): Promise<void>;
  /** Removes every entry pointing at the task's results (cleanup deletes them). */
  forgetTask(taskId: string): Promise<number>;
}

/**
 * The entry a COMPLETED task leaves behind, or null when its result must not be reused. A task
 * completed from an earlier entry passes it on: the reading's time stays the first reading's.
 */
export function indexEntryOf(key: string, task: Task, copiedFrom: ContentIndexEntry | null = null): ContentIndexEntry | null {
  if (task.status !== 'COMPLETED' || !task.summary || !task.completedAt || !reusable(task.summary)) return null;
  const readingMs = copiedFrom ? copiedFrom.readingMs : task.summary.processingMs;
  return { v: 1, key, userHash: task.userHash, taskId: task.taskId, summary: task.summary, readingMs, completedAt: task.completedAt, expireAt: task.expireAt };
}

/** Only a whole result: a page that failed (a timeout under load, say) is read again next time. */
function reusable(summary: TaskSummary): boolean {
  return summary.failedPages === 0 && summary.pages > 0;
}

/**
 * How an earlier result is reused. The same user's: at once, and the task says from which task.
 * Another user's: only the computation is shared; the task completes at the pace its own reading
 * would have had, with no word of where the result came from.
 */
export type Reuse = { kind: 'own'; entry: ContentIndexEntry } | { kind: 'shared'; entry: ContentIndexEntry };

export function chooseReuse(task: Pick<Task, 'taskId' | 'userHash'>, found: { own: ContentIndexEntry | null; latest: ContentIndexEntry | null }): Reuse | null {
  const usable = (e: ContentIndexEntry | null) => (e && e.taskId !== task.taskId && reusable(e.summary) ? e : null);
  const own = usable(found.own);
  if (own && own.userHash === task.userHash) return { kind: 'own', entry: own };
  const latest = usable(found.latest);
  if (!latest) return null;
  return latest.userHash === task.userHash ? { kind: 'own', entry: latest } : { kind: 'shared', entry: latest };
}

/** What the reusing task's summary says: its own objects; the origin only for the same user's result. */
export function reusedSummary(reuse: Reuse, objects: TaskSummary['objects'], resultBucket: string, processingMs: number): TaskSummary {
  const { dedupedFrom: _from, dedupeReason: _reason, ...earlier } = reuse.entry.summary;
  const base: TaskSummary = { ...earlier, processingMs, resultBucket, objects };
  if (reuse.kind === 'shared') return base;
  return { ...base, dedupedFrom: reuse.entry.taskId, dedupeReason: 'same content, languages and options as an earlier document of yours: its result was copied, not read again' };
}

/**
 * When a shared reuse reports its pages done: spread over the time the earlier reading took, as
 * the pipeline reports them (after each page; the last needs none, completion follows).
 */
export function pacedPages(pages: number, processingMs: number): Array<{ atMs: number; done: number; total: number }> {
  return Array.from({ length: Math.max(0, pages - 1) }, (_, i) => ({ atMs: Math.round(((i + 1) / pages) * processingMs), done: i + 1, total: pages }));
}
