/**
 * One file of an ingest: state check (size + mtime, then content hash) → upload once
 * (ifGenerationMatch) with retries → its state record. Returns what happened; the run counts it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Bucket } from '@google-cloud/storage';
import { derivedTaskId } from '../../core/task.ts';
import { OBJECT_METADATA } from '../../names.ts';
import { SMALL_FILE_BYTES, SUPPORTED_EXTENSIONS, type FileOutcome, type IngestOptions, type StateRecord } from './options.ts';
import { withRetry } from './retry.ts';
import { stateKey, type IngestState } from './state-file.ts';
import type { WalkEntry } from './walk.ts';

/** What one run shares between its files (read-only, but for `record`). */
export interface IngestContext {
  bucket: Bucket;
  bucketName: string;
  prefix: string;
  batchId: string;
  /** Object metadata every upload carries. */
  metadata: Record<string, string>;
  state: IngestState;
  dryRun: boolean;
  retry: NonNullable<IngestOptions['retry']>;
  signal?: AbortSignal | undefined;
  /** Appends a line to the state file. */
  record: (r: StateRecord) => void;
}

/** How one file settled. */
export interface Settled {
  outcome: FileOutcome;
  taskId?: string;
  /** Written by this run, so in its batch. */
  inBatch?: boolean;
  /** Bytes sent. */
  bytes?: number;
  error?: string;
}

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

/** One line for a failed file: the HTTP status or system code, then the message. */
export function describeFailure(err: unknown): string {
  const status = statusOf(err);
  const code = (err as { code?: unknown }).code;
  const message = (err as Error)?.message ?? String(err);
  return status !== undefined ? `HTTP ${status}: ${message}` : typeof code === 'string' ? `${code}: ${message}` : message;
}

/** Never throws: a failure is the `failed` outcome with its description. */
export async function ingestFile(ctx: IngestContext, entry: WalkEntry): Promise<Settled> {
  try {
    return await settle(ctx, entry);
  } catch (err) {
    return { outcome: 'failed', error: describeFailure(err) };
  }
}

async function settle(ctx: IngestContext, entry: WalkEntry): Promise<Settled> {
  const object = ctx.prefix + entry.path;
  const info = await stat(entry.absolute);
  const known = ctx.state.get(stateKey(ctx.bucketName, object));
  if (known && known.size === info.size && known.mtimeMs === info.mtimeMs) return { outcome: 'unchanged' };
  const hashes = await hashFile(entry.absolute, info.size);
  const base = { path: entry.path, size: info.size, mtimeMs: info.mtimeMs, sha256: hashes.sha256, bucket: ctx.bucketName, object };
  if (known && known.sha256 === hashes.sha256) {
    // Touched, not changed: remember the new mtime so the next run skips it without reading it.
    if (!ctx.dryRun) ctx.record({ ...base, generation: known.generation, taskId: known.taskId });
    return { outcome: 'unchanged' };
  }
  if (ctx.dryRun) return { outcome: 'would-upload' };

  // A new file must not exist yet; a changed one replaces exactly the generation we recorded.
  const ifGenerationMatch = known ? Number(known.generation) : 0;
  try {
    const generation = await withRetry(() => upload(ctx, entry, object, hashes, ifGenerationMatch), ctx.retry, ctx.signal);
    const taskId = derivedTaskId(ctx.bucketName, object, generation);
    ctx.record({ ...base, generation, taskId });
    return { outcome: 'uploaded', taskId, inBatch: true, bytes: info.size };
  } catch (err) {
    if (statusOf(err) !== 412) throw err;
    // Already there: ours if the bytes are the same (a run stopped before recording, or a retry
    // whose first attempt did land), someone else's otherwise.
    const [meta] = await withRetry(() => ctx.bucket.file(object).getMetadata(), ctx.retry, ctx.signal);
    if (meta.md5Hash !== hashes.md5 || meta.generation === undefined) return { outcome: 'conflict' };
    const generation = String(meta.generation);
    const taskId = derivedTaskId(ctx.bucketName, object, generation);
    ctx.record({ ...base, generation, taskId });
    // A retry whose first attempt landed wrote this run's batch id: the task is in the batch.
    return { outcome: 'present', taskId, inBatch: meta.metadata?.[OBJECT_METADATA.batchId] === ctx.batchId };
  }
}

/** One upload attempt; resolves to the generation written. */
async function upload(ctx: IngestContext, entry: WalkEntry, object: string, hashes: Hashes, ifGenerationMatch: number): Promise<string> {
  const contentType = SUPPORTED_EXTENSIONS[extname(entry.path).toLowerCase()];
  const metadata = { metadata: ctx.metadata };
  if (hashes.bytes) {
    const file = ctx.bucket.file(object);
    await file.save(hashes.bytes, { resumable: false, contentType, metadata, preconditionOpts: { ifGenerationMatch } });
    return String(file.metadata.generation);
  }
  const [written] = await ctx.bucket.upload(entry.absolute, { destination: object, resumable: true, contentType, metadata, preconditionOpts: { ifGenerationMatch } });
  return String(written.metadata.generation);
}
