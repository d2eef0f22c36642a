/**
 * Fan-out of a large document on the emulator suite: a PDF over the shard threshold is read in
 * shards by two worker processes behind one push endpoint, and merged into one result whose pages
 * are in order, each once, even when a shard's message is delivered twice.
 */
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirestore, TaskStore } from '../../shared/adapters/firestore-tasks.ts';
import { ShardStore } from '../../shared/adapters/firestore-shards.ts';
import type { OcrResult } from '../../shared/core/result.ts';
import { shardMessage } from '../../shared/core/shards.ts';
import { derivedTaskId, resultObjectNames, userHashOf, type Task } from '../../shared/core/task.ts';
import { messageFor } from '../../shared/core/task.ts';
import { PRIORITY_TOPICS } from '../../shared/names.ts';
import { fixture } from '../support/fixtures.ts';
import { startPipeline, type Pipeline } from '../support/pipeline.ts';
import { TEST_BUCKETS, TEST_SECRET } from '../support/suite.ts';
import { waitFor } from '../support/wait.ts';

const PAGES = 5;
const SHARD_PAGES = 2;
/** The page read by OCR (an image); the others carry a text layer. */
const SCANNED_PAGE = 3;
let pipeline: Pipeline;
let storage: Storage;
let tasks: TaskStore;
let shards: ShardStore;
let pubsub: PubSub;

const alice = userHashOf('alice@example.com', TEST_SECRET);
const bob = userHashOf('bob@example.com', TEST_SECRET);

const wording = (n: number) => `This is page number ${n} of the large document.`;

/** Five pages: text layers saying which page they are, and one scanned page (an image) on the way. */
async function largePdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const scan = await doc.embedPng(fixture('tessjs_simple_png.png'));
  for (let n = 1; n <= PAGES; n++) {
    const page = doc.addPage([612, 792]);
    if (n === SCANNED_PAGE) page.drawImage(scan, { x: 50, y: 500, width: scan.width, height: scan.height });
    else page.drawText(wording(n), { x: 50, y: 700, size: 14, font });
  }
  return doc.save();
}

beforeAll(async () => {
  pipeline = await startPipeline({
    functions: ['dispatch', 'ocr-worker'],
    workers: 2,
    env: { 'ocr-worker': { SHARD_PAGES: String(SHARD_PAGES), OCR_WORKERS: '1', LEASE_SECONDS: '10' } },
  });
  storage = new Storage({ projectId: pipeline.suite.projectId });
  const db = createFirestore(pipeline.suite.projectId);
  tasks = new TaskStore(db);
  shards = new ShardStore(db);
  pubsub = new PubSub({ projectId: pipeline.suite.projectId });
}, 180_000);

afterAll(async () => {
  await pubsub?.close();
  await pipeline?.stop();
});

async function drop(name: string, bytes: Uint8Array): Promise<string> {
  const object = `users/${alice}/${name}`;
  const file = storage.bucket(TEST_BUCKETS.uploads).file(object);
  await file.save(Buffer.from(bytes), { resumable: false });
  const [meta] = await file.getMetadata();
  return derivedTaskId(TEST_BUCKETS.uploads, object, String(meta.generation));
}

async function result(task: Task): Promise<{ json: OcrResult; generation: string; pdfPages: number; text: string }> {
  const names = resultObjectNames(alice, task.taskId);
  const bucket = storage.bucket(TEST_BUCKETS.results);
  const [json] = await bucket.file(names.json).download();
  const [meta] = await bucket.file(names.json).getMetadata();
  const [pdf] = await bucket.file(names.pdf).download();
  const [text] = await bucket.file(names.txt).download();
  return { json: JSON.parse(json.toString('utf8')) as OcrResult, generation: String(meta.generation), pdfPages: (await PDFDocument.load(pdf)).getPageCount(), text: text.toString('utf8') };
}

describe('fan-out on the emulator suite', () => {
  it('a PDF over the threshold completes as one task with one merged result, pages in order, each once despite duplicate deliveries', async () => {
    const taskId = await drop('large.pdf', await largePdf());
    // Once the shards exist, every shard's message is published once more, as Pub/Sub may redeliver.
    const planned = await waitFor('the shards to be planned', async () => {
      const found = await shards.list(taskId);
      return found.length > 0 ? found : undefined;
    }, 240_000, 100);
    expect(planned.map((s) => [s.firstPage, s.lastPage])).toEqual([[1, 2], [3, 4], [5, 5]]);
    const parent = (await tasks.get(taskId))!;
    const topic = pubsub.topic(PRIORITY_TOPICS[parent.priority]);
    await Promise.all(planned.map((s) => topic.publishMessage({ json: shardMessage(parent, s.index), attributes: { taskId, priority: parent.priority } })));

    const seen = new Set<number>();
    const task = await waitFor('completion', async () => {
      const t = await tasks.get(taskId);
      if (t?.status === 'PROCESSING') seen.add(t.progress);
      return t && (t.status === 'COMPLETED' || t.status === 'FAILED') ? t : undefined;
    }, 300_000, 100);
    expect(task).toMatchObject({ status: 'COMPLETED', progress: 100, summary: { pages: PAGES, failedPages: 0 } });

    const merged = await result(task);
    expect(merged.json.pages.map((p) => p.number)).toEqual([1, 2, 3, 4, 5]);
    expect(merged.json.pageCount).toBe(PAGES);
    expect(merged.json.pages.map((p) => p.source)).toEqual(['text-layer', 'text-layer', 'ocr', 'text-layer', 'text-layer']);
    for (const n of [1, 2, 4, 5]) expect(merged.json.pages[n - 1]!.text).toContain(wording(n));
    expect(merged.json.pages[SCANNED_PAGE - 1]!.text).toMatch(/Tesseract/);
    expect(merged.text.split('\f')).toHaveLength(PAGES);
    expect(merged.text.indexOf(wording(2))).toBeLessThan(merged.text.indexOf(wording(4)));
    expect(merged.pdfPages).toBe(PAGES);
    // Progress counted in pages over the shards, and the shards' bookkeeping gone once merged.
    expect([...seen].every((p) => p < 100)).toBe(true);
    await waitFor('the shard documents to be removed', async () => ((await shards.list(taskId)).length === 0 ? true : undefined), 20_000);
    const [parts] = await storage.bucket(TEST_BUCKETS.results).getFiles({ prefix: `users/${alice}/${taskId}/shards/` });
    expect(parts).toEqual([]);

    // The user sees one task; nobody else sees it.
    const listed = await tasks.list(alice, { limit: 50 });
    expect(listed.tasks.filter((t) => t.fileName === 'large.pdf').map((t) => t.taskId)).toEqual([taskId]);
    expect((await tasks.list(bob, { limit: 50 })).tasks).toEqual([]);

    // Late duplicates of the parent's and every shard's message change nothing.
    await Promise.all([messageFor(parent), ...planned.map((s) => shardMessage(parent, s.index))].map((m) => topic.publishMessage({ json: m, attributes: { taskId, priority: parent.priority } })));
    await new Promise((r) => setTimeout(r, 3000));
    const after = (await tasks.get(taskId))!;
    expect(after.updatedAt).toEqual(task.updatedAt);
    expect((await result(after)).generation).toBe(merged.generation);
  }, 660_000);
});
