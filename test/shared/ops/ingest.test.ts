/**
 * Batch ingest (`docvault ingest`) end to end on the emulators: our storage emulator delivers the
 * finalize events to a real dispatch function, whose tasks a real OCR worker reads. The folder is
 * generated: copies of two small fixtures under nested folders, a few files that are not documents,
 * and one "PDF" that is not one (uploaded by extension, refused by the worker on its content).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Firestore } from '@google-cloud/firestore';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirestore, TaskStore } from '../../../shared/adapters/firestore-tasks.ts';
import { runIngestCommand, type IngestFlags } from '../../../cli/ingest-command.ts';
import { userHashOf, userPrefix } from '../../../shared/core/task.ts';
import { COLLECTIONS } from '../../../shared/names.ts';
import { ingest, isTransient, monitorTasks, selects, STATE_FILE_NAME, type IngestReport } from '../../../shared/ops/ingest.ts';
import { fixture } from '../../support/fixtures.ts';
import { startPipeline, TEST_BUCKETS, type Pipeline } from '../../support/pipeline.ts';
import { TEST_SECRET } from '../../support/suite.ts';
import { captureIo } from '../../support/io.ts';

const IMAGES = 120;
const NOT_DOCUMENTS = ['notes.txt', 'a/readme.md', 'a/b/data.csv', '.hidden/x.png'];
const FAKE_PDF = 'a/not-really.pdf';
const DOCUMENTS = IMAGES + 1;

describe('file selection and retry decisions (no network)', () => {
  it.each([
    ['a/b/scan.PDF', {}, true],
    ['scan.tiff', {}, true],
    ['notes.txt', {}, false],
    ['a/b/scan.png', { include: ['*.pdf'] }, false],
    ['a/b/scan.pdf', { include: ['*.pdf'] }, true],
    ['a/b/scan.pdf', { include: ['a/**'] }, true],
    ['c/scan.pdf', { include: ['a/**'] }, false],
    ['a/drafts/scan.pdf', { exclude: ['**/drafts/**'] }, false],
  ] as const)('%s with %j → %s', (path, filters, expected) => {
    expect(selects(path, filters as { include?: string[]; exclude?: string[] })).toBe(expected);
  });

  it.each([
    [{ code: 503 }, true],
    [{ code: 429 }, true],
    [{ code: 'ECONNRESET' }, true],
    [{ code: 14 }, true], // gRPC UNAVAILABLE (Firestore)
    [{ code: 6 }, false], // gRPC ALREADY_EXISTS
    [{ code: 412 }, false],
    [{ code: 403 }, false],
    [new Error('bad'), false],
  ])('%j transient: %s', (err, expected) => expect(isTransient(err)).toBe(expected));
});

describe('docvault ingest against the emulators', () => {
  let pipeline: Pipeline;
  let storage: Storage;
  let firestore: Firestore;
  let tasks: TaskStore;
  let dir: string;
  const user = 'ingest@example.com';
  const userHash = userHashOf(user, TEST_SECRET);
  const prefix = userPrefix(userHash);

  const objectsInBucket = async () => (await storage.bucket(TEST_BUCKETS.uploads).getFiles({ prefix }))[0].length;
  const tasksOfUser = async () => (await firestore.collection(COLLECTIONS.tasks).where('userHash', '==', userHash).count().get()).data().count;
  const base = () => ({ dir, bucket: TEST_BUCKETS.uploads, userHash, concurrency: 8 });
  const io = captureIo;

  beforeAll(async () => {
    pipeline = await startPipeline({ functions: ['dispatch', 'ocr-worker'], env: { 'ocr-worker': { OCR_WORKERS: '1' } } });
    storage = new Storage({ projectId: pipeline.suite.projectId });
    firestore = createFirestore(pipeline.suite.projectId);
    tasks = new TaskStore(firestore);
    dir = mkdtempSync(join(tmpdir(), 'ingest-test-'));
    const png = fixture('tessjs_simple_png.png');
    const gif = fixture('tessjs_simple_gif.gif');
    for (let i = 0; i < IMAGES; i++) {
      const folder = join(dir, `box-${i % 4}`, `shelf-${i % 3}`, i % 2 ? 'deep/er' : '');
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, i % 2 ? `scan-${i}.gif` : `scan-${i}.png`), i % 2 ? gif : png);
    }
    for (const name of NOT_DOCUMENTS) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), 'not a document\n');
    }
    writeFileSync(join(dir, FAKE_PDF), 'plain text with a .pdf name\n');
  }, 180_000);
  afterAll(async () => {
    await firestore?.terminate();
    await pipeline?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('--dry-run uploads nothing and writes no state', async () => {
    const report = await ingest(storage, { ...base(), dryRun: true });
    expect(report.outcomes['would-upload']).toBe(DOCUMENTS);
    expect(report.ignored).toBe(3); // the hidden folder is not walked at all
    expect(await objectsInBucket()).toBe(0);
    expect(() => readFileSync(join(dir, STATE_FILE_NAME))).toThrow();
  });

  it('--dry-run names each file it would upload; with --json it lists them', async () => {
    const plain = io();
    expect(await runIngestCommand(dir, { user, dryRun: true }, plain)).toBe(0);
    const named = plain.out().split('\n').filter((l) => l.startsWith('would upload  '));
    expect(named).toHaveLength(DOCUMENTS);
    expect(named).toContain(`would upload  ${FAKE_PDF}`);
    // The progress says what a dry run does: files that would be uploaded, not files skipped.
    expect(plain.err()).toMatch(new RegExp(`^ingest ${DOCUMENTS}/${DOCUMENTS} files, ${DOCUMENTS} would be uploaded, 0 unchanged, 0 failed;`, 'm'));
    expect(plain.out()).toMatch(/^dry run: \d+ of \d+ files would be uploaded, 0 unchanged; 3 other files ignored; nothing sent$/m);
    const json = io();
    await runIngestCommand(dir, { user, dryRun: true, json: true }, json);
    const files = (JSON.parse(json.out()) as { files: Array<{ path: string; outcome: string }> }).files;
    expect(files).toHaveLength(DOCUMENTS);
    expect(new Set(files.map((f) => f.outcome))).toEqual(new Set(['would-upload']));
  });

  it('an interrupted run resumes without submitting anything twice, and --monitor follows every task to the end', async () => {
    // 1. Stop after 30 files.
    const abort = new AbortController();
    const first: string[] = [];
    const interrupted = await ingest(storage, {
      ...base(),
      signal: abort.signal,
      onFile: (f) => {
        if (f.taskId) first.push(f.taskId);
        if (first.length === 30) abort.abort();
      },
    });
    expect(interrupted.aborted).toBe(true);
    expect(interrupted.outcomes.uploaded).toBeGreaterThanOrEqual(30);
    expect(interrupted.outcomes.uploaded).toBeLessThan(DOCUMENTS);

    // 2. As if killed right after two uploads, before they were recorded: drop their lines.
    const statePath = join(dir, STATE_FILE_NAME);
    const lines = readFileSync(statePath, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(interrupted.outcomes.uploaded);
    writeFileSync(statePath, lines.slice(0, -2).join('\n') + '\n');

    // 3. The CLI again, following the tasks.
    const out = io();
    const code = await runIngestCommand(dir, { user, concurrency: 8, monitor: true, json: true } satisfies IngestFlags, out);
    const result = JSON.parse(out.out()) as Omit<IngestReport, 'submitted'> & { tasks: number; monitor: { completed: number; failed: Array<{ path: string; code: string }> } };
    expect(result.outcomes.unchanged).toBe(interrupted.outcomes.uploaded - 2);
    expect(result.outcomes.present).toBe(2);
    expect(result.outcomes.uploaded).toBe(DOCUMENTS - interrupted.outcomes.uploaded);
    expect(result.outcomes.failed + result.outcomes.conflict).toBe(0);
    expect(result.tasks).toBe(result.outcomes.uploaded + 2);
    // --json maps each file to its task.
    const files = (result as unknown as { files: Array<{ path: string; taskId?: string }> }).files;
    expect(files.filter((f) => f.taskId)).toHaveLength(result.tasks);
    expect(files.find((f) => f.path === FAKE_PDF.replace(/^\.\//, ''))?.taskId).toMatch(/^[0-9a-f]{32}$/);
    expect(out.out()).not.toContain(user);
    // The run is one batch: every task it uploaded carries its id (the two adopted ones are the first run's).
    const counts = await tasks.batchCounts(userHashOf(user, TEST_SECRET), result.batchId);
    expect(counts.total).toBe(result.outcomes.uploaded);
    expect(counts.byStatus.FAILED).toBe(1);

    // The one non-document fails on its content with a stable code; the exit code says so.
    expect(result.monitor.failed).toEqual([expect.objectContaining({ path: FAKE_PDF.replace(/^\.\//, ''), code: 'UNSUPPORTED_TYPE' })]);
    expect(result.monitor.completed).toBe(result.tasks - 1);
    expect(code).toBe(1);

    // The first run's tasks finished too; one object and one task per document, no more.
    const earlier = await monitorTasks(tasks, first.map((taskId) => ({ taskId, path: '' })), { intervalMs: 300 });
    expect(earlier.completed + earlier.failed.length).toBe(first.length);
    expect(await objectsInBucket()).toBe(DOCUMENTS);
    expect(await tasksOfUser()).toBe(DOCUMENTS);
  }, 360_000); // 121 documents through one local worker, each user's in-flight cap included (over 180 s at a load average of ~30)

  it('a second run submits nothing', async () => {
    const out = io();
    const code = await runIngestCommand(dir, { user, concurrency: 8, json: true }, out);
    const result = JSON.parse(out.out()) as IngestReport;
    expect(code).toBe(0);
    expect(result.outcomes).toMatchObject({ uploaded: 0, present: 0, unchanged: DOCUMENTS, failed: 0 });
    expect(await objectsInBucket()).toBe(DOCUMENTS);
    expect(await tasksOfUser()).toBe(DOCUMENTS);
  });

  it('a touched but unchanged file is recognised by its hash; a changed one becomes a new task', async () => {
    const touched = join(dir, 'box-0', 'shelf-0', 'scan-0.png');
    writeFileSync(touched, readFileSync(touched)); // new mtime, same bytes
    const changed = join(dir, 'box-1', 'shelf-1', 'deep', 'er', 'scan-1.gif');
    writeFileSync(changed, fixture('tessjs_simple_png.png'));
    const submitted: string[] = [];
    const report = await ingest(storage, { ...base(), onFile: (f) => f.outcome === 'uploaded' && f.taskId && submitted.push(f.taskId) });
    expect(report.outcomes).toMatchObject({ uploaded: 1, unchanged: DOCUMENTS - 1, failed: 0, conflict: 0 });
    const done = await monitorTasks(tasks, submitted.map((taskId) => ({ taskId, path: '' })), { intervalMs: 300 });
    expect(done.completed).toBe(1);
    expect(await tasksOfUser()).toBe(DOCUMENTS + 1);
    const again = await ingest(storage, base());
    expect(again.outcomes.uploaded).toBe(0);
    // --monitor on a rerun that submits nothing says so (it said "tasks: 0 completed, 0 failed of 0").
    const rerun = io();
    expect(await runIngestCommand(dir, { user, monitor: true }, rerun)).toBe(0);
    expect(rerun.out()).toContain(`tasks: none submitted by this run (${DOCUMENTS} files unchanged since an earlier run, whose tasks GET /tasks shows)\n`);
  });
});
