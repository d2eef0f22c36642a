/**
 * The worker's branches with in-memory ports (test/support/fakes.ts): each way a delivery can end —
 * acknowledged, redelivered, failed, dead-lettered, completed, or its lease lost meanwhile.
 * The end-to-end tests (test/functions) run the same paths against the emulators.
 */
import { describe, expect, it } from 'vitest';
import { DocVaultError } from '../../../shared/core/errors.ts';
import type { PipelineOutput } from '../../../shared/core/pipeline.ts';
import { sealPassword } from '../../../shared/core/sealed-password.ts';
import type { Task } from '../../../shared/core/task.ts';
import { messageFor } from '../../../shared/core/task.ts';
import { handleOcrMessage, RedeliverError, type OcrProcessor, type WorkerDeps } from '../../../shared/services/ocr-worker.ts';
import { MemoryBlobStore, MemoryTaskStore, memoryLogger, memoryWorkerDeps, RecordingQueue } from '../../support/fakes.ts';
import { makeTask } from '../../support/tasks.ts';

const RESULTS = 'results';
const output = {
  result: { pageCount: 1, pages: [{ status: 'ok' }], confidence: 91, languages: ['eng'], classification: { category: 'letter' }, timings: { ocrMs: 5 } },
  artifacts: [],
} as unknown as PipelineOutput;

function worker(task: Task | null, ocr: OcrProcessor = { process: async () => output }, overrides: Partial<WorkerDeps> = {}) {
  const tasks = task ? new MemoryTaskStore(task) : new MemoryTaskStore();
  const blobs = new MemoryBlobStore();
  if (task) blobs.put(task.bucket, task.object, 'a document');
  const queue = new RecordingQueue();
  const { log, lines } = memoryLogger();
  const deps = memoryWorkerDeps({ tasks, queue, blobs, ocr, log, ...overrides });
  return { deps, tasks, blobs, queue, lines, stored: () => (task ? tasks.tasks.get(task.taskId)! : null) };
}

const failing = (err: Error): OcrProcessor => ({
  process: async () => {
    throw err;
  },
});

describe('handleOcrMessage', () => {
  it('acknowledges a message it cannot read, and one with no task', async () => {
    const { deps } = worker(null);
    expect((await handleOcrMessage({ v: 2 }, deps)).kind).toBe('invalid-message');
    expect(await handleOcrMessage(messageFor(makeTask()), deps)).toEqual({ kind: 'missing' });
  });

  it('a duplicate delivery of a finished task is acknowledged without work', async () => {
    const task = makeTask({ status: 'COMPLETED', completedAt: new Date(Date.now() - 60_000), announcedAt: new Date(Date.now() - 59_000) });
    const w = worker(task);
    expect(await handleOcrMessage(messageFor(task), w.deps)).toEqual({ kind: 'finished' });
    expect(w.stored()).toEqual(task);
    expect(w.queue.events).toEqual([]);
  });

  it('a finisher killed between the FAILED write and the dead letter: the redelivery dead-letters and announces it, once', async () => {
    const gaveUp = { code: 'ENGINE_FAILURE' as const, message: 'Gave up after 3 attempts: boom' };
    const task = makeTask({ status: 'FAILED', attempts: 3, maxAttempts: 3, error: gaveUp, completedAt: new Date(Date.now() - 60_000) });
    const w = worker(task);
    expect(await handleOcrMessage(messageFor(task), w.deps)).toEqual({ kind: 'finished' });
    expect(w.queue.deadLetters).toEqual([{ message: messageFor(task), reason: gaveUp }]);
    expect(w.queue.events).toMatchObject([{ type: 'task.failed', taskId: task.taskId }]);
    expect(w.stored()!.announcedAt).toBeInstanceOf(Date);
    await handleOcrMessage(messageFor(task), w.deps);
    expect(w.queue.deadLetters).toHaveLength(1);
    expect(w.queue.events).toHaveLength(1);
  });

  it('a finished task not yet announced within the grace: the delivery waits for its finisher, and announces nothing itself', async () => {
    const task = makeTask({ status: 'COMPLETED', completedAt: new Date(Date.now() - 4_800) });
    const w = worker(task);
    setTimeout(() => void w.tasks.markAnnounced(task.taskId), 20);
    expect(await handleOcrMessage(messageFor(task), w.deps)).toEqual({ kind: 'finished' });
    expect(w.queue.events).toEqual([]);
    expect(w.queue.deadLetters).toEqual([]);
  });

  it('a bad input FAILED and never announced: the redelivery announces it without a dead letter', async () => {
    const task = makeTask({ status: 'FAILED', attempts: 1, error: { code: 'CORRUPT_DOCUMENT', message: 'not a PDF' }, completedAt: new Date(Date.now() - 60_000) });
    const w = worker(task);
    await handleOcrMessage(messageFor(task), w.deps);
    expect(w.queue.deadLetters).toEqual([]);
    expect(w.queue.events).toMatchObject([{ type: 'task.failed', taskId: task.taskId }]);
  });

  it('busy: another worker\'s live lease makes the platform deliver again, the task untouched', async () => {
    const task = makeTask({ status: 'PROCESSING', attempts: 1, lease: { workerId: 'other', expiresAt: new Date(Date.now() + 60_000) } });
    const w = worker(task);
    await expect(handleOcrMessage(messageFor(task), w.deps)).rejects.toBeInstanceOf(RedeliverError);
    expect(w.stored()).toEqual(task);
  });

  it('exhausted: out of attempts, FAILED with its last error, dead-lettered and announced', async () => {
    const task = makeTask({ status: 'PROCESSING', attempts: 3, maxAttempts: 3, lease: { workerId: 'dead', expiresAt: new Date(Date.now() - 1000) }, error: { code: 'ENGINE_FAILURE', message: 'boom' } });
    const w = worker(task);
    expect(await handleOcrMessage(messageFor(task), w.deps)).toEqual({ kind: 'exhausted' });
    expect(w.stored()).toMatchObject({ status: 'FAILED', error: { code: 'ENGINE_FAILURE', message: 'Gave up after 3 attempts: boom' } });
    expect(w.queue.deadLetters).toEqual([{ message: messageFor(task), reason: w.stored()!.error }]);
    expect(w.queue.events).toMatchObject([{ type: 'task.failed', taskId: task.taskId }]);
  });

  it('bad input: FAILED with the document\'s own code at once, no dead letter, the upload kept', async () => {
    const task = makeTask();
    const w = worker(task, failing(new DocVaultError('CORRUPT_DOCUMENT', 'not a PDF')));
    expect(await handleOcrMessage(messageFor(task), w.deps)).toMatchObject({ kind: 'failed', code: 'CORRUPT_DOCUMENT' });
    expect(w.stored()).toMatchObject({ status: 'FAILED', attempts: 1, error: { code: 'CORRUPT_DOCUMENT', message: 'not a PDF' } });
    expect(w.queue.deadLetters).toEqual([]);
    expect(w.queue.events).toMatchObject([{ type: 'task.failed' }]);
    expect(await w.blobs.stat({ bucket: task.bucket, name: task.object })).not.toBeNull();
  });

  it('a password sealed under a former PASSWORD_KEY: FAILED at once with PASSWORD_UNREADABLE, not retried, no dead letter', async () => {
    const task = makeTask({ sealedPassword: sealPassword('the-key-before-rotation-0123', 's3cret') });
    let ocrCalls = 0;
    const w = worker(task, { process: async () => (ocrCalls++, output) }, { passwordKey: 'the-key-after-rotation-456789' });
    expect(await handleOcrMessage(messageFor(task), w.deps)).toMatchObject({ kind: 'failed', code: 'PASSWORD_UNREADABLE' });
    expect(ocrCalls).toBe(0);
    expect(w.stored()).toMatchObject({ status: 'FAILED', attempts: 1, sealedPassword: null, error: { code: 'PASSWORD_UNREADABLE' } });
    expect(w.stored()!.error!.message).toMatch(/give the password again/);
    expect(w.queue.deadLetters).toEqual([]);
    expect(JSON.stringify(w.lines)).not.toContain('s3cret');
  });

  it('over-size: a document past the limit fails with FILE_TOO_LARGE before any OCR', async () => {
    const task = makeTask();
    let ocrCalls = 0;
    const w = worker(task, { process: async () => (ocrCalls++, output) }, { limits: { maxBytes: 3 } as WorkerDeps['limits'] });
    expect(await handleOcrMessage(messageFor(task), w.deps)).toMatchObject({ kind: 'failed', code: 'FILE_TOO_LARGE' });
    expect(ocrCalls).toBe(0);
    expect(w.stored()!.status).toBe('FAILED');
  });

  it('a retryable failure before the last attempt: back to QUEUED with the error, and delivered again', async () => {
    const task = makeTask();
    const w = worker(task, failing(new DocVaultError('ENGINE_FAILURE', 'worker crashed')));
    await expect(handleOcrMessage(messageFor(task), w.deps)).rejects.toBeInstanceOf(RedeliverError);
    expect(w.stored()).toMatchObject({ status: 'QUEUED', attempts: 1, lease: null, error: { code: 'ENGINE_FAILURE' } });
    expect(w.queue.deadLetters).toEqual([]);
  });

  it('a retryable failure on the last attempt: given up, dead-lettered with the reason, announced', async () => {
    const task = makeTask({ attempts: 2, maxAttempts: 3 });
    const w = worker(task, failing(new DocVaultError('ENGINE_FAILURE', 'worker crashed')));
    expect(await handleOcrMessage(messageFor(task), w.deps)).toMatchObject({ kind: 'failed', code: 'ENGINE_FAILURE' });
    expect(w.stored()).toMatchObject({ status: 'FAILED', attempts: 3, error: { message: 'Gave up after 3 attempts: worker crashed' } });
    expect(w.queue.deadLetters).toMatchObject([{ message: messageFor(task), reason: { code: 'ENGINE_FAILURE' } }]);
    expect(w.queue.events).toMatchObject([{ type: 'task.failed' }]);
  });

  it('completes: every result written once, the task COMPLETED with its summary, the upload removed when configured', async () => {
    const task = makeTask();
    const w = worker(task, undefined, { deleteUploadOnSuccess: true });
    const outcome = await handleOcrMessage(messageFor(task), w.deps);
    expect(outcome).toMatchObject({ kind: 'completed', task: { status: 'COMPLETED', progress: 100, summary: { pages: 1, confidence: 91, category: 'letter' } } });
    expect([...w.blobs.objects.keys()].filter((k) => k.startsWith(`${RESULTS}/`))).toHaveLength(4);
    expect(await w.blobs.stat({ bucket: task.bucket, name: task.object })).toBeNull();
    expect(w.queue.events).toMatchObject([{ type: 'task.completed', taskId: task.taskId }]);
  });

  it('leaves its slot once the results are written, before the task is COMPLETED; a duplicate never takes one', async () => {
    const task = makeTask();
    const w = worker(task);
    const atLeave: Array<{ status: string | undefined; results: number }> = [];
    const leave = () => atLeave.push({ status: w.stored()?.status, results: [...w.blobs.objects.keys()].filter((k) => k.startsWith(`${RESULTS}/`)).length });
    expect(await handleOcrMessage(messageFor(task), w.deps, leave)).toMatchObject({ kind: 'completed' });
    expect(atLeave).toEqual([{ status: 'PROCESSING', results: 4 }]);
    await handleOcrMessage(messageFor(task), w.deps, leave);
    expect(atLeave).toHaveLength(1);
  });

  it('lease lost: a task cancelled while it was read keeps its status; the results stay', async () => {
    const task = makeTask();
    const w = worker(task);
    w.deps.ocr = {
      process: async () => {
        w.tasks.tasks.set(task.taskId, { ...w.stored()!, status: 'CANCELLED', lease: null });
        return output;
      },
    };
    expect(await handleOcrMessage(messageFor(task), w.deps)).toEqual({ kind: 'lost-lease' });
    expect(w.stored()!.status).toBe('CANCELLED');
    expect([...w.blobs.objects.keys()].filter((k) => k.startsWith(`${RESULTS}/`))).toHaveLength(4);
    expect(w.queue.events).toEqual([]);
  });

  it('lease lost while the document is read: the work in flight is aborted, nothing is written', async () => {
    const task = makeTask();
    const w = worker(task);
    let seen: AbortSignal | undefined;
    w.deps.ocr = {
      // Reads until told to stop, as the pipeline does: only the signal ends it.
      process: (_bytes, _options, _progress, signal) =>
        new Promise((_resolve, reject) => {
          seen = signal;
          signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
          w.tasks.tasks.set(task.taskId, { ...w.stored()!, status: 'CANCELLED', lease: null });
          w.tasks.notifyWatchers();
        }),
    };
    expect(await handleOcrMessage(messageFor(task), w.deps)).toEqual({ kind: 'lost-lease' });
    expect(seen?.aborted).toBe(true);
    expect(w.stored()!.status).toBe('CANCELLED');
    expect([...w.blobs.objects.keys()].filter((k) => k.startsWith(`${RESULTS}/`))).toEqual([]);
    expect(w.queue.events).toEqual([]);
    expect(w.lines.some((l) => l.message === 'lease lost (cancelled or taken over): work stopped, nothing written')).toBe(true);
  });
});
