/**
 * The same document twice through the worker with in-memory ports (test/support/fakes.ts): the
 * same user's second copy completes from the first without OCR and says so; another user's gets
 * its own copy at the first reading's pace and no word of it; failed, partial, vanished or
 * differently read results are read again.
 */
import { describe, expect, it } from 'vitest';
import { DocVaultError } from '../../../shared/core/errors.ts';
import type { PipelineOutput } from '../../../shared/core/pipeline.ts';
import { sealPassword } from '../../../shared/core/sealed-password.ts';
import { resultObjectNames, type Task } from '../../../shared/core/task.ts';
import { messageFor } from '../../../shared/core/task.ts';
import { previewObjectName } from '../../../shared/outputs/preview.ts';
import { handleOcrMessage, type OcrProcessor } from '../../../shared/services/ocr-worker.ts';
import { MemoryBlobStore, MemoryContentIndex, MemoryTaskStore, memoryLogger, memoryWorkerDeps, RecordingQueue } from '../../support/fakes.ts';
import { makeTask } from '../../support/tasks.ts';

const RESULTS = 'results';
const ALICE = 'a'.repeat(64);
const BOB = 'b'.repeat(64);

function outputOf(pages: number, failedPages = 0): PipelineOutput {
  return {
    result: {
      pageCount: pages,
      pages: Array.from({ length: pages }, (_, i) => ({ status: i < failedPages ? 'failed' : 'ok' })),
      confidence: 91,
      languages: ['eng'],
      classification: { category: 'letter' },
      timings: { ocrMs: 5 },
    },
    artifacts: [],
  } as unknown as PipelineOutput;
}

/** One system: tasks, objects and the index shared by every task of the test. */
function system(options: { ocr?: OcrProcessor; reader?: string; pages?: number } = {}) {
  const tasks = new MemoryTaskStore();
  const blobs = new MemoryBlobStore();
  const index = new MemoryContentIndex();
  const queue = new RecordingQueue();
  const { log, lines } = memoryLogger();
  const reads: string[] = [];
  const sleeps: number[] = [];
  let reader = options.reader ?? 'tesseract.js@7.0.0 eng:abc';
  const ocr: OcrProcessor = options.ocr ?? {
    process: async (bytes, _o, onProgress) => {
      reads.push(new TextDecoder().decode(bytes));
      for (let done = 1; done <= (options.pages ?? 3); done++) onProgress?.({ done, total: options.pages ?? 3, page: done });
      return outputOf(options.pages ?? 3);
    },
  };
  const deps = memoryWorkerDeps({
    tasks,
    queue,
    blobs,
    ocr,
    log,
    render: async (bytes, _output, formats) => new Map(formats.map((f) => [f, `${f} of ${new TextDecoder().decode(bytes)}`])),
    progressIntervalMs: 0,
    dedupe: {
      index,
      reader: async (languages) => `${reader} ${languages.join('+')}`,
      version: '1.0.0',
      sleep: async (ms, signal) => {
        signal.throwIfAborted();
        sleeps.push(ms);
      },
    },
  });
  /** A task of `user` for `content`, uploaded and run through the worker. */
  async function run(user: string, content: string, over: Partial<Task> = {}) {
    const task = makeTask({ userHash: user, ...over });
    await tasks.createIfAbsent(task);
    blobs.put(task.bucket, task.object, content);
    const outcome = await handleOcrMessage(messageFor(task), deps);
    return { task: tasks.tasks.get(task.taskId)!, outcome };
  }
  const text = (name: string) => new TextDecoder().decode(blobs.objects.get(`${RESULTS}/${name}`)?.data ?? new Uint8Array());
  return { deps, tasks, blobs, index, queue, lines, reads, sleeps, run, text, setReader: (r: string) => (reader = r) };
}

describe('the same document twice', () => {
  it("the same user's second copy completes from the first without OCR, its own objects, and says from which task", async () => {
    const s = system();
    const first = await s.run(ALICE, 'scan bytes');
    expect(first.task.status).toBe('COMPLETED');
    expect(s.reads).toEqual(['scan bytes']);
    // a preview beside the results (the fake document has none of its own)
    await s.blobs.writeOnce({ bucket: RESULTS, name: previewObjectName(ALICE, first.task.taskId, 1) }, 'webp', 'image/webp');

    const second = await s.run(ALICE, 'scan bytes');
    expect(s.reads).toEqual(['scan bytes']);
    expect(second.task).toMatchObject({ status: 'COMPLETED', summary: { dedupedFrom: first.task.taskId, pages: 3, objects: resultObjectNames(ALICE, second.task.taskId) } });
    expect(second.task.summary!.dedupeReason).toMatch(/copied, not read again/);
    for (const format of ['json', 'txt', 'hocr', 'pdf'] as const) {
      expect(s.text(resultObjectNames(ALICE, second.task.taskId)[format])).toBe(`${format} of scan bytes`);
      expect(s.blobs.objects.get(`${RESULTS}/${resultObjectNames(ALICE, second.task.taskId)[format]}`)!.metadata).toEqual({ 'docvault-task-id': second.task.taskId });
    }
    expect(s.text(previewObjectName(ALICE, second.task.taskId, 1))).toBe('webp');
    expect(s.sleeps).toEqual([]);
    // the index now points at the copy, still with the first reading's time (the pace of a shared reuse)
    expect([...s.index.entries.values()].map((e) => [e.taskId, e.readingMs])).toEqual([
      [second.task.taskId, first.task.summary!.processingMs],
      [second.task.taskId, first.task.summary!.processingMs],
    ]);
    expect(s.queue.events.map((e) => [e.type, e.taskId])).toEqual([
      ['task.completed', first.task.taskId],
      ['task.completed', second.task.taskId],
    ]);
  });

  it("another user's copy: their own objects, the same steps at the first reading's pace, and no trace of the first task", async () => {
    const s = system({ pages: 4 });
    const first = await s.run(ALICE, 'shared bytes');
    const progress: string[] = [];
    const heartbeat = s.tasks.heartbeat.bind(s.tasks);
    s.tasks.heartbeat = async (taskId, workerId, leaseMs, p, now) => {
      if (p) progress.push(p.message);
      return heartbeat(taskId, workerId, leaseMs, p, now);
    };
    const bob = await s.run(BOB, 'shared bytes');
    expect(s.reads).toEqual(['shared bytes']);
    expect(bob.task.status).toBe('COMPLETED');
    expect(bob.task.summary).not.toHaveProperty('dedupedFrom');
    expect(bob.task.summary).not.toHaveProperty('dedupeReason');
    expect(bob.task.summary!.objects).toEqual(resultObjectNames(BOB, bob.task.taskId));
    expect(s.text(bob.task.summary!.objects.txt)).toBe('txt of shared bytes');
    // the pages reported as a reading reports them: 1..3 of 4, then completion
    expect(progress).toEqual(['page 1/4', 'page 2/4', 'page 3/4']);
    expect(s.sleeps).toHaveLength(4);
    expect(JSON.stringify([bob.task, s.queue.events.filter((e) => e.taskId === bob.task.taskId)])).not.toContain(first.task.taskId);
    // Alice's objects are untouched and still hers
    expect(s.text(resultObjectNames(ALICE, first.task.taskId).txt)).toBe('txt of shared bytes');
  });

  it('a document whose first run failed, or lost a page, is read again', async () => {
    let calls = 0;
    const s = system({
      ocr: {
        process: async () => {
          calls++;
          if (calls === 1) throw new DocVaultError('CORRUPT_DOCUMENT', 'bad');
          return calls === 2 ? outputOf(2, 1) : outputOf(2);
        },
      },
    });
    expect((await s.run(ALICE, 'flaky')).task.status).toBe('FAILED');
    expect((await s.run(ALICE, 'flaky')).task.summary!.failedPages).toBe(1);
    const third = await s.run(ALICE, 'flaky');
    expect(third.task.summary).toMatchObject({ failedPages: 0 });
    expect(third.task.summary).not.toHaveProperty('dedupedFrom');
    expect(calls).toBe(3);
    expect((await s.run(ALICE, 'flaky')).task.summary!.dedupedFrom).toBe(third.task.taskId);
    expect(calls).toBe(3);
  });

  it('other bytes, other languages or other models are read; a result whose objects are gone is read and its entry forgotten', async () => {
    const s = system();
    const first = await s.run(ALICE, 'doc');
    await s.run(ALICE, 'doc2');
    await s.run(ALICE, 'doc', { languages: ['deu'] });
    s.setReader('tesseract.js@7.1.0 eng:abc');
    await s.run(ALICE, 'doc');
    expect(s.reads).toEqual(['doc', 'doc2', 'doc', 'doc']);

    s.setReader('tesseract.js@7.0.0 eng:abc');
    await s.blobs.delete({ bucket: RESULTS, name: resultObjectNames(ALICE, first.task.taskId).pdf });
    const again = await s.run(ALICE, 'doc');
    expect(s.reads).toHaveLength(5);
    expect(again.task.summary).not.toHaveProperty('dedupedFrom');
    expect([...s.index.entries.values()].some((e) => e.taskId === first.task.taskId)).toBe(false);
    // the fresh reading is indexed in its place
    expect((await s.run(ALICE, 'doc')).task.summary!.dedupedFrom).toBe(again.task.taskId);
  });

  it('a document read with a password is neither indexed nor reused: another copy without it, or with a wrong one, is read and fails', async () => {
    const KEY = 'a-password-key-for-tests-0123456789';
    const sys = system({
      ocr: {
        process: async (_bytes, options) => {
          if (options.password === undefined) throw new DocVaultError('ENCRYPTED_PDF', 'encrypted');
          if (options.password !== 's3cret') throw new DocVaultError('WRONG_PASSWORD', 'wrong');
          return outputOf(1);
        },
      },
    });
    sys.deps.passwordKey = KEY;
    const first = await sys.run(ALICE, 'encrypted bytes', { sealedPassword: sealPassword(KEY, 's3cret') });
    expect(first.task.status).toBe('COMPLETED');
    expect(sys.index.entries.size).toBe(0);
    expect((await sys.run(BOB, 'encrypted bytes')).task).toMatchObject({ status: 'FAILED', error: { code: 'ENCRYPTED_PDF' } });
    expect((await sys.run(BOB, 'encrypted bytes', { sealedPassword: sealPassword(KEY, 'a guess') })).task).toMatchObject({ status: 'FAILED', error: { code: 'WRONG_PASSWORD' } });
  });

  it('an index that cannot answer costs only the saving', async () => {
    const s = system();
    s.index.find = async () => {
      throw new Error('unavailable');
    };
    await s.run(ALICE, 'doc');
    await s.run(ALICE, 'doc');
    expect(s.reads).toEqual(['doc', 'doc']);
    expect(s.lines.some((l) => l.message === 'content index not consulted; the document is read')).toBe(true);
  });

  it('a lease lost during a paced copy (a cancel, a takeover) stops it: nothing written, the status left alone', async () => {
    const s = system();
    await s.run(ALICE, 'doc');
    const bobTask = makeTask({ userHash: BOB });
    await s.tasks.createIfAbsent(bobTask);
    s.blobs.put(bobTask.bucket, bobTask.object, 'doc');
    s.deps.dedupe!.sleep = async (_ms, signal) => {
      // an operator's move under the worker: its lease listener fires at once
      await s.tasks.fail(bobTask.taskId, { code: 'INTERNAL', message: 'stopped' }, { retentionMs: 1000 });
      signal.throwIfAborted();
    };
    expect(await handleOcrMessage(messageFor(bobTask), s.deps)).toEqual({ kind: 'lost-lease' });
    expect(s.tasks.tasks.get(bobTask.taskId)!.status).toBe('FAILED');
    expect([...s.blobs.objects.keys()].filter((k) => k.startsWith(`${RESULTS}/users/${BOB}/`))).toEqual([]);
  });
});
