/**
 * Fan-out through the worker with in-memory ports (fakes.ts, shard-fakes.ts): a large PDF's
 * message plans its shards, each shard's message reads its pages, the last one merges; duplicates,
 * failures and a cancel on the way. test/functions/fanout.test.ts runs the same on the emulators.
 */
import { PDFDocument } from 'pdf-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { DocVaultError } from '../../../shared/core/errors.ts';
import { assembleResult, type PipelineOutput } from '../../../shared/core/pipeline.ts';
import type { OcrResult, PageResult } from '../../../shared/core/result.ts';
import { shardMessage, type Shard } from '../../../shared/core/shards.ts';
import { decideCancel } from '../../../shared/core/task-moves.ts';
import { resultObjectNames, type OcrMessage, type Task } from '../../../shared/core/task.ts';
import { messageFor } from '../../../shared/core/task.ts';
import { handleOcrMessage, RedeliverError, type OcrProcessor, type WorkerDeps } from '../../../shared/services/ocr-worker.ts';
import { MemoryBlobStore, MemoryContentIndex, MemoryTaskStore, memoryLogger, RecordingQueue } from '../../support/fakes.ts';
import { MemoryShardStore } from '../../support/shard-fakes.ts';
import { makeTask } from '../../support/tasks.ts';

const RESULTS = 'results';
const PAGES = 5;
/** A real PDF of PAGES blank pages: the shards build their searchable parts from it. */
let pdf: Uint8Array;
beforeAll(async () => {
  const doc = await PDFDocument.create();
  for (let i = 0; i < PAGES; i++) doc.addPage([612, 792]);
  pdf = await doc.save();
});

function page(number: number): PageResult {
  return { number, source: 'ocr', status: 'ok', text: `text of page ${number}`, confidence: 90, width: 10, height: 10, dpi: 300, rotation: { orientation: 0, skewDegrees: 0 }, words: [], timings: { renderMs: 0, ocrMs: 1, totalMs: 1 } };
}

/** Reads the pages asked for, as the pipeline would; counts the pages it read. */
function pagesReader(read: number[], fail?: (first: number) => Error | undefined): OcrProcessor {
  return {
    async process(_bytes, options) {
      const { first, last } = options.pages ?? { first: 1, last: PAGES };
      const err = fail?.(first);
      if (err) throw err;
      const pages = Array.from({ length: last - first + 1 }, (_, i) => page(first + i));
      read.push(...pages.map((p) => p.number));
      const result = assembleResult({ type: 'pdf', languages: ['eng'], pageCount: PAGES, pages, engine: { name: 'fake', version: '1' }, totalMs: 1 });
      return { result, artifacts: pages.map((p) => ({ number: p.number, source: 'ocr', widthPt: 612, heightPt: 792 })) } as PipelineOutput;
    },
  };
}

function system(options: { fail?: (first: number) => Error | undefined; index?: MemoryContentIndex } = {}) {
  const task = makeTask({ object: 'users/x/doc.pdf', contentType: 'application/pdf', maxAttempts: 2 });
  const tasks = new MemoryTaskStore(task);
  const store = new MemoryShardStore(tasks);
  const blobs = new MemoryBlobStore();
  blobs.put(task.bucket, task.object, pdf);
  const queue = new RecordingQueue();
  const read: number[] = [];
  const { log } = memoryLogger();
  const deps = (workerId: string): WorkerDeps => ({
    workerId,
    tasks,
    queue,
    blobs,
    ocr: pagesReader(read, options.fail),
    log,
    resultsBucket: RESULTS,
    limits: { maxBytes: 1000, maxPages: 10, maxPixelsPerPage: 1e8, pageTimeoutMs: 1000 } as WorkerDeps['limits'],
    leaseMs: 60_000,
    progressIntervalMs: 0,
    retentionMs: 1000,
    deleteUploadOnSuccess: false,
    shards: { store, shardPages: 2, countPages: async () => PAGES },
    ...(options.index ? { dedupe: { index: options.index, reader: async () => 'fake 1', version: '1.0.0', sleep: async () => undefined } } : {}),
  });
  const parent = () => tasks.tasks.get(task.taskId)!;
  const shards = (): Shard[] => store.shards.get(task.taskId) ?? [];
  const json = () => {
    const stored = blobs.objects.get(`${RESULTS}/${resultObjectNames(task.userHash, task.taskId).json}`);
    return stored ? (JSON.parse(new TextDecoder().decode(stored.data)) as OcrResult) : undefined;
  };
  return { task, tasks, store, blobs, queue, read, deps, parent, shards, json };
}

const shardMessages = (queue: RecordingQueue): OcrMessage[] => queue.tasks.filter((m) => m.shard !== undefined);

describe('fan-out in the worker', () => {
  it('plans shards, reads each once, and the last merges one result with the pages in order', async () => {
    const s = system();
    expect(await handleOcrMessage(messageFor(s.task), s.deps('first'))).toEqual({ kind: 'fanned-out', shards: 3 });
    expect(s.parent()).toMatchObject({ status: 'PROCESSING', progress: 0 });
    const messages = shardMessages(s.queue);
    expect(messages.map((m) => m.shard)).toEqual([0, 1, 2]);
    // Shard 2 first, then shard 0, each by another worker; then shard 1, delivered twice at once.
    expect((await handleOcrMessage(messages[2], s.deps('w2'))).kind).toBe('shard-completed');
    expect(s.parent()).toMatchObject({ progress: 20, message: 'page 1/5' });
    expect((await handleOcrMessage(messages[0], s.deps('w0'))).kind).toBe('shard-completed');
    const both = await Promise.allSettled([handleOcrMessage(messages[1], s.deps('w1')), handleOcrMessage(messages[1], s.deps('w1b'))]);
    const kinds = both.map((r) => (r.status === 'fulfilled' ? r.value.kind : (r.reason as Error).name));
    expect(kinds).toContain('completed');
    expect(kinds.filter((k) => k === 'completed')).toHaveLength(1);
    expect(s.parent()).toMatchObject({ status: 'COMPLETED', progress: 100, summary: { pages: 5, failedPages: 0 } });
    expect(s.json()!.pages.map((p) => p.number)).toEqual([1, 2, 3, 4, 5]);
    expect(s.json()!.text).toBe([1, 2, 3, 4, 5].map((n) => `text of page ${n}`).join('\n\n'));
    expect(s.read.sort()).toEqual([1, 2, 3, 4, 5]);
    expect(s.queue.events.map((e) => e.type)).toEqual(['task.completed']);
    // The parts and the shard documents are gone; a late duplicate of any message does nothing.
    expect([...s.blobs.objects.keys()].some((k) => k.includes('/shards/'))).toBe(false);
    expect(s.shards()).toEqual([]);
    for (const m of [...messages, messageFor(s.task)]) expect((await handleOcrMessage(m, s.deps('late'))).kind).toBe('finished');
    expect(s.read).toHaveLength(5);
  });

  it('a duplicate of the parent message while its shards run is acknowledged, nothing planned twice', async () => {
    const s = system();
    await handleOcrMessage(messageFor(s.task), s.deps('first'));
    expect(await handleOcrMessage(messageFor(s.task), s.deps('second'))).toEqual({ kind: 'fanned-out', shards: 0 });
    expect(shardMessages(s.queue)).toHaveLength(3);
  });

  it('a failed shard is retried on its own message; out of attempts it fails the task, naming its pages', async () => {
    const s = system({ fail: (first) => (first === 3 ? new DocVaultError('ENGINE_FAILURE', 'engine crashed') : undefined) });
    await handleOcrMessage(messageFor(s.task), s.deps('first'));
    const [m0, m1] = shardMessages(s.queue);
    await handleOcrMessage(m0, s.deps('w0'));
    await expect(handleOcrMessage(m1, s.deps('w1'))).rejects.toBeInstanceOf(RedeliverError);
    expect(s.shards()[1]).toMatchObject({ status: 'QUEUED', attempts: 1, error: { code: 'ENGINE_FAILURE' } });
    expect(s.parent().status).toBe('PROCESSING');
    expect(await handleOcrMessage(m1, s.deps('w1'))).toMatchObject({ kind: 'failed', code: 'ENGINE_FAILURE' });
    expect(s.parent()).toMatchObject({ status: 'FAILED', error: { code: 'ENGINE_FAILURE', message: 'Gave up after 2 attempts: pages 3–4: engine crashed' } });
    expect(s.queue.deadLetters).toHaveLength(1);
    expect(s.queue.events.map((e) => e.type)).toEqual(['task.failed']);
    expect(s.read.sort()).toEqual([1, 2]);
  });

  it('a cancel of the task stops its shards: no page read after it, no result written', async () => {
    const s = system();
    await handleOcrMessage(messageFor(s.task), s.deps('first'));
    const [m0, m1, m2] = shardMessages(s.queue);
    await handleOcrMessage(m0, s.deps('w0'));
    const cancel = decideCancel(s.parent(), s.task.userHash, new Date());
    s.tasks.tasks.set(s.task.taskId, { ...s.parent(), ...cancel.patch } as Task);
    expect((await handleOcrMessage(m1, s.deps('w1'))).kind).toBe('finished');
    expect((await handleOcrMessage(m2, s.deps('w2'))).kind).toBe('finished');
    expect(s.read.sort()).toEqual([1, 2]);
    expect(s.parent().status).toBe('CANCELLED');
    expect(s.json()).toBeUndefined();
  });

  it('a merged document is indexed like one read whole: the same PDF again is copied, not read', async () => {
    const s = system({ index: new MemoryContentIndex() });
    await handleOcrMessage(messageFor(s.task), s.deps('first'));
    for (const m of shardMessages(s.queue)) await handleOcrMessage(m, s.deps('w'));
    expect(s.parent().status).toBe('COMPLETED');
    const again = makeTask({ userHash: s.task.userHash, object: 'users/x/again.pdf', contentType: 'application/pdf' });
    await s.tasks.createIfAbsent(again);
    s.blobs.put(again.bucket, again.object, pdf);
    expect(await handleOcrMessage(messageFor(again), s.deps('second'))).toMatchObject({ kind: 'completed' });
    expect(s.tasks.tasks.get(again.taskId)).toMatchObject({ status: 'COMPLETED', summary: { pages: PAGES, dedupedFrom: s.task.taskId } });
    expect(s.read).toHaveLength(PAGES);
  });

  it('a shard message published for another task id is refused as missing', async () => {
    const s = system();
    expect((await handleOcrMessage(shardMessage(makeTask(), 0), s.deps('w'))).kind).toBe('finished');
  });
});
