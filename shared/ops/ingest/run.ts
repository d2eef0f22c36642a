/**
 * The run: walk the folder (streamed, bounded), settle each file (`one-file.ts`) a few at a time,
 * count what happened in one place (`tally`), append to the state file as files settle.
 */
import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Storage } from '@google-cloud/storage';
import pLimit from 'p-limit';
import { newTaskId, userPrefix } from '../../core/task.ts';
import { choiceMetadata } from '../../names.ts';
import { ingestFile, type IngestContext, type Settled } from './one-file.ts';
import { DEFAULT_CONCURRENCY, DEFAULT_RETRY, MAX_LISTED, STATE_FILE_NAME, type IngestOptions, type IngestProgress, type IngestReport, type StateRecord } from './options.ts';
import { readState } from './state-file.ts';
import { selects, walk, type WalkEntry } from './walk.ts';

function emptyReport(options: IngestOptions, fields: Pick<IngestReport, 'dir' | 'prefix' | 'statePath' | 'batchId'>): IngestReport {
  return {
    ...fields,
    bucket: options.bucket,
    dryRun: Boolean(options.dryRun),
    aborted: false,
    files: 0,
    ignored: 0,
    outcomes: { uploaded: 0, unchanged: 0, present: 0, conflict: 0, 'would-upload': 0, failed: 0 },
    bytes: 0,
    elapsedMs: 0,
    submitted: [],
    failures: [],
    conflicts: [],
  };
}

/** The one place a settled file is counted: the report, the progress, the caller's onFile. */
function tally(report: IngestReport, progress: IngestProgress, options: IngestOptions, entry: WalkEntry, settled: Settled): void {
  report.outcomes[settled.outcome]++;
  report.bytes += settled.bytes ?? 0;
  progress.bytes += settled.bytes ?? 0;
  progress.done++;
  if (settled.outcome === 'uploaded' || settled.outcome === 'would-upload') progress.uploaded++;
  else if (settled.outcome === 'failed' || settled.outcome === 'conflict') progress.failed++;
  else progress.skipped++;
  const { inBatch, bytes: _bytes, ...file } = settled;
  if (file.taskId && options.trackSubmitted) report.submitted.push({ path: entry.path, taskId: file.taskId, inBatch: Boolean(inBatch) });
  if (settled.error && report.failures.length < MAX_LISTED) report.failures.push({ path: entry.path, error: settled.error });
  if (settled.outcome === 'conflict' && report.conflicts.length < MAX_LISTED) report.conflicts.push(entry.path);
  options.onFile?.({ path: entry.path, ...file });
}

/** The total, for the ETA: a second walk that only counts, so the first can start at once. */
function countMatching(dir: string, options: IngestOptions, progress: IngestProgress): Promise<void> {
  const signal = options.signal;
  return (async () => {
    let n = 0;
    for await (const e of walk(dir, signal)) if (selects(e.path, options)) n++;
    if (!signal?.aborted) progress.total = n;
  })().catch(() => undefined);
}

export async function ingest(storage: Storage, options: IngestOptions): Promise<IngestReport> {
  const started = Date.now();
  const dir = resolve(options.dir);
  const statePath = resolve(options.statePath ?? join(dir, STATE_FILE_NAME));
  const signal = options.signal;
  const batchId = options.batchId ?? newTaskId();
  const report = emptyReport(options, { dir, prefix: userPrefix(options.userHash), statePath, batchId });
  const progress: IngestProgress = { found: 0, total: null, done: 0, uploaded: 0, skipped: 0, failed: 0, bytes: 0, elapsedMs: 0 };
  const emit = () => options.onProgress?.({ ...progress, elapsedMs: Date.now() - started });
  const state = await readState(statePath);
  const counting = countMatching(dir, options, progress);

  const stateOut = options.dryRun ? null : createWriteStream(statePath, { flags: 'a' });
  const ctx: IngestContext = {
    bucket: storage.bucket(options.bucket),
    bucketName: options.bucket,
    prefix: report.prefix,
    batchId,
    metadata: choiceMetadata(options, batchId),
    state,
    dryRun: report.dryRun,
    retry: options.retry ?? DEFAULT_RETRY,
    signal,
    // Each path comes by once per run, so what is recorded now need not be kept: memory stays the
    // size of the state file that was read, not of the folder.
    record: (r: StateRecord) => void stateOut?.write(JSON.stringify(r) + '\n'),
  };

  const limit = pLimit(Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY));
  const inFlight = new Set<Promise<void>>();
  const ticker = setInterval(emit, 250);
  try {
    for await (const entry of walk(dir, signal)) {
      if (signal?.aborted) break;
      if (!selects(entry.path, options)) {
        report.ignored++;
        continue;
      }
      report.files++;
      progress.found++;
      const job: Promise<void> = limit(async () => {
        if (!signal?.aborted) tally(report, progress, options, entry, await ingestFile(ctx, entry));
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
