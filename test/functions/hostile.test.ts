/**
 * Hostile input end to end on the emulator suite (issue: hostile input, item 1): a cancel stops
 * the worker's work at once and nothing more is written; a few hundred bytes of PDF built to be
 * expensive fail (or finish) within the document's budget, and the worker process lives on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derivedTaskId, userHashOf } from '../../shared/core/task.ts';
import { fixture } from '../support/fixtures.ts';
import { manyOperatorsPdf, hugeEmptyPagesPdf, structureBombPdf } from '../support/hostile-files.ts';
import { asUser, fetchJson } from '../support/http.ts';
import { startPipeline, type Pipeline } from '../support/pipeline.ts';
import { TEST_BUCKETS, TEST_SECRET } from '../support/suite.ts';
import { waitFor } from '../support/wait.ts';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const DOCUMENT_TIMEOUT_MS = 20_000;
let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline({
    functions: ['upload', 'api', 'dispatch', 'ocr-worker'],
    // A long lease: a lost lease must be seen by the listener, not by a heartbeat minutes later.
    // Read whole (SHARD_PAGES=0): the cancel case's 30 pages would otherwise go to shards, whose reads stop on their own path (shard-worker).
    env: { 'ocr-worker': { OCR_WORKERS: '1', LEASE_SECONDS: '120', DOCUMENT_TIMEOUT_MS: String(DOCUMENT_TIMEOUT_MS), SHARD_PAGES: '0' } },
  });
}, 180_000);
afterAll(() => pipeline?.stop());

async function upload(user: string, name: string, bytes: Uint8Array): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([Buffer.from(bytes)]), name);
  const res = await fetchJson(`${pipeline.functions.upload!.url}/`, { method: 'POST', body: form, headers: asUser(user) });
  expect(res.status).toBe(202);
  return res.body.tasks[0].taskId as string;
}

async function view(user: string, taskId: string) {
  return (await fetchJson(`${pipeline.functions.api!.url}/tasks/${taskId}`, { headers: asUser(user) })).body as { status: string; attempts?: number; error?: { code: string; message: string } };
}

const finished = (user: string, taskId: string, timeoutMs: number) =>
  waitFor(`task ${taskId} to finish`, async () => {
    const v = await view(user, taskId);
    return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(v.status) ? v : undefined;
  }, timeoutMs, 200);

const workerLog = () => readFileSync(join(pipeline.logDir, 'ocr-worker.log'), 'utf8');

describe('hostile input on the emulator suite', () => {
  it('a cancel stops the running work within about a second, and no result object is written', async () => {
    // Thirty scanned pages: minutes of OCR.
    const page = await PDFDocument.load(fixture('ocrmypdf_c02-22.pdf'));
    const doc = await PDFDocument.create();
    for (let i = 0; i < 30; i++) doc.addPage((await doc.copyPages(page, [0]))[0]!);
    const taskId = await upload(ALICE, 'long.pdf', await doc.save());
    await waitFor('the worker to start', async () => ((await view(ALICE, taskId)).status === 'PROCESSING' ? true : undefined), 60_000, 100);
    await new Promise((r) => setTimeout(r, 1500)); // into the pages

    const cancel = await fetchJson(`${pipeline.functions.api!.url}/tasks/${taskId}/cancel`, { method: 'POST', headers: asUser(ALICE) });
    // From the cancel's answer (the work may already have stopped by then) to the worker's own log line.
    const cancelledAt = Date.now();
    expect(cancel.status).toBe(200);
    expect(cancel.body.status).toBe('CANCELLED');
    const line = await waitFor('the worker to stop', async () => workerLog().split('\n').find((l) => l.includes(taskId) && l.includes('work stopped')), 30_000, 50);
    const stoppedAfterMs = Date.parse((JSON.parse(line) as { time: string }).time) - cancelledAt;
    expect(JSON.parse(line)).toMatchObject({ message: expect.stringMatching(/lease lost/) });
    expect(stoppedAfterMs).toBeLessThan(3000); // ~1 s: the listener, then the render thread or tesseract worker is ended

    await new Promise((r) => setTimeout(r, 2000));
    const [results] = await new Storage({ projectId: pipeline.suite.projectId }).bucket(TEST_BUCKETS.results).getFiles();
    expect(results.filter((f) => f.name.includes(taskId))).toEqual([]);
    expect((await view(ALICE, taskId)).status).toBe('CANCELLED');
  }, 180_000);

  it('ten empty 14400 pt pages and a page of 2,000,000 operators each end within the budget; the worker lives on and serves the next user', async () => {
    const pid = pipeline.functions['ocr-worker']!.child.pid;
    const empty = await upload(ALICE, 'empty.pdf', await hugeEmptyPagesPdf(10));
    // The budget bounds the work; the margin is for delivery and a worker slot on a busy CI machine.
    const emptyView = await finished(ALICE, empty, DOCUMENT_TIMEOUT_MS + 90_000);
    expect(['COMPLETED', 'FAILED']).toContain(emptyView.status);
    if (emptyView.status === 'FAILED') expect(emptyView.error?.code).toBe('DOCUMENT_TOO_COMPLEX');

    const ops = await upload(ALICE, 'ops.pdf', await manyOperatorsPdf(2_000_000));
    const opsView = await finished(ALICE, ops, DOCUMENT_TIMEOUT_MS + 90_000);
    expect(opsView).toMatchObject({ status: 'FAILED', error: { code: expect.stringMatching(/^(DOCUMENT_TOO_COMPLEX|PAGE_TIMEOUT)$/) } });

    const png = await upload(BOB, 'simple.png', fixture('tessjs_simple_png.png'));
    expect((await finished(BOB, png, 60_000)).status).toBe('COMPLETED');
    expect(pipeline.functions['ocr-worker']!.child.pid).toBe(pid);
    expect(pipeline.functions['ocr-worker']!.child.exitCode).toBeNull();
  }, 330_000); // its three waits allow 110 + 110 + 60 s

  it('half-megabyte PDFs whose object or cross-reference stream inflates to 512 MB fail DOCUMENT_TOO_COMPLEX; the worker lives on and serves the next user', async () => {
    const pid = pipeline.functions['ocr-worker']!.child.pid;
    for (const [name, options] of [['objstm-bomb.pdf', { objStmPaddingBytes: 512 << 20 }], ['xref-bomb.pdf', { xrefPaddingBytes: 512 << 20, typeSpelling: 'escaped' }]] as const) {
      const bomb = await structureBombPdf(options);
      expect(bomb.length).toBeLessThan(1 << 20);
      const taskId = await upload(ALICE, name, bomb);
      const failed = await finished(ALICE, taskId, 120_000);
      expect(failed, name).toMatchObject({ status: 'FAILED', attempts: 1, error: { code: 'DOCUMENT_TOO_COMPLEX' } });
      expect(failed.error!.message).toMatch(/cross-reference and object streams inflate to more than 64 MB/);
    }
    const png = await upload(BOB, 'simple.png', fixture('tessjs_simple_png.png'));
    expect((await finished(BOB, png, 60_000)).status).toBe('COMPLETED');
    expect(pipeline.functions['ocr-worker']!.child.pid).toBe(pid);
    expect(pipeline.functions['ocr-worker']!.child.exitCode).toBeNull();
  }, 330_000);

  it('a document storage refuses to hand over fails on its first attempt with STORAGE_REFUSED in one plain line, and requeue-failed leaves it', async () => {
    // Dropped with a customer-supplied encryption key: Cloud Storage refuses every read without it
    // (a 400), however often the worker asks.
    const object = `users/${userHashOf(ALICE, TEST_SECRET)}/sealed.png`;
    const file = new Storage({ projectId: pipeline.suite.projectId }).bucket(TEST_BUCKETS.uploads).file(object, { encryptionKey: Buffer.alloc(32, 7) });
    await file.save(Buffer.from(fixture('tessjs_simple_png.png')), { resumable: false });
    const [meta] = await file.getMetadata();
    const taskId = derivedTaskId(TEST_BUCKETS.uploads, object, String(meta.generation));
    const failed = await finished(ALICE, taskId, 90_000);
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 1, error: { code: 'STORAGE_REFUSED' } });
    expect(failed.error!.message).toMatch(/^Cloud Storage refused to read the uploaded document \(HTTP 400: The target object is encrypted by a customer-supplied encryption key\.\)/);
    expect(failed.error!.message).not.toMatch(/[{}\n]/);

    const requeue = await fetchJson(`${pipeline.functions.api!.url}/queue/requeue-failed`, { method: 'POST', headers: { ...asUser(ALICE), 'content-type': 'application/json' }, body: '{}' });
    expect(requeue.status).toBe(200);
    expect(requeue.body.taskIds).not.toContain(taskId);
    expect((await view(ALICE, taskId)).status).toBe('FAILED');
  }, 180_000);
});
