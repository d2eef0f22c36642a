/**
 * bench:ingest — `docvault ingest` of many small files against the local suite: our storage
 * emulator delivering finalize events to a real dispatch function (task in Firestore, message on
 * the priority topic), with no OCR worker, so the figure is the pipeline's own: upload + task
 * creation + publish. The ingest runs in its own process (bench/ingest-child.ts) for its peak RSS.
 *
 *   npm run bench:ingest -- --files 100000 [--concurrency 16]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { createFirestore } from '../shared/adapters/firestore-tasks.ts';
import { userHashOf } from '../shared/core/task.ts';
import { COLLECTIONS } from '../shared/names.ts';
import { startPipeline } from '../test/support/pipeline.ts';
import { TEST_SECRET } from '../test/support/suite.ts';

const { values: args } = parseArgs({ options: { files: { type: 'string', default: '100000' }, concurrency: { type: 'string', default: '16' } } });
const N = Number(args.files);
const PER_FOLDER = 1000;
const USER = 'bench-ingest@example.com';
const userHash = userHashOf(USER, TEST_SECRET);

/** A tiny PNG, made once; each copy gets its own tEXt chunk so no two files hash alike. */
async function tinyPngs(): Promise<(i: number) => Buffer> {
  const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#ffffff' } }).greyscale().png().toBuffer();
  const iend = png.length - 12;
  return (i) => {
    const data = Buffer.from(`Comment\0docvault bench ${i}`, 'latin1');
    const chunk = Buffer.alloc(12 + data.length);
    chunk.writeUInt32BE(data.length, 0);
    chunk.write('tEXt', 4, 'latin1');
    data.copy(chunk, 8);
    chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
    return Buffer.concat([png.subarray(0, iend), chunk, png.subarray(iend)]);
  };
}

const dir = mkdtempSync(join(tmpdir(), 'bench-ingest-'));
const t0 = Date.now();
const make = await tinyPngs();
let bytes = 0;
for (let start = 0; start < N; start += 500) {
  await Promise.all(
    Array.from({ length: Math.min(500, N - start) }, (_, k) => {
      const i = start + k;
      const folder = join(dir, `batch-${String(Math.floor(i / PER_FOLDER)).padStart(4, '0')}`);
      if (i % PER_FOLDER === 0) mkdirSync(folder, { recursive: true });
      const png = make(i);
      bytes += png.length;
      return writeFile(join(folder, `page-${String(i).padStart(6, '0')}.png`), png);
    }),
  );
}
process.stderr.write(`generated ${N} files (${(bytes / N).toFixed(0)} bytes each on average) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

const pipeline = await startPipeline({ functions: ['dispatch'] });
const firestore = createFirestore(pipeline.suite.projectId);
const ofUser = firestore.collection(COLLECTIONS.tasks).where('userHash', '==', userHash);
const counts = async () => {
  const [created, published] = await Promise.all([ofUser.count().get(), ofUser.where('dispatchedAt', '>', new Date(0)).count().get()]);
  return { created: created.data().count, published: published.data().count };
};

try {
  const started = Date.now();
  const child = spawn(process.execPath, ['bench/ingest-child.ts', dir, USER, args.concurrency!], {
    env: { ...process.env, ...pipeline.suite.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number>((done) => child.on('exit', (code) => done(code ?? 1)));
  let ingestDoneAt: number | null = null;
  void exited.then(() => (ingestDoneAt = Date.now()));

  // Tasks created and published, until every file has its task.
  // Tasks keep being created after the upload ends (the events queue up); give up only on a stall.
  let last = { created: 0, published: 0 };
  let lastLine = 0;
  let lastProgressAt = Date.now();
  while (last.published < N) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await counts();
    if (now.published > last.published) lastProgressAt = Date.now();
    last = now;
    if (Date.now() - lastLine > 15_000) {
      lastLine = Date.now();
      process.stderr.write(`  ${((Date.now() - started) / 1000).toFixed(0)} s: ${last.created} tasks created, ${last.published} published\n`);
    }
    if (ingestDoneAt !== null && Date.now() - lastProgressAt > 60_000) throw new Error(`stalled: ${last.published} of ${N} tasks, none new for 60 s after the ingest ended`);
  }
  const tasksDoneAt = Date.now();
  const exitCode = await exited;
  const result = JSON.parse(out.trim().split('\n').pop()!) as {
    code: number;
    maxRssBytes: number;
    report: { elapsedMs: number; outcomes: Record<string, number>; bytes: number };
  };
  if (exitCode !== 0 || result.code !== 0) throw new Error(`ingest exited ${exitCode}/${result.code}: ${JSON.stringify(result.report.outcomes)}`);

  const uploadS = result.report.elapsedMs / 1000;
  const totalS = (tasksDoneAt - started) / 1000;
  process.stdout.write(`### bench:ingest — ${new Date().toISOString().slice(0, 10)}, ${process.version}

Command: \`npm run bench:ingest -- --files ${N} --concurrency ${args.concurrency}\`. ${N} small PNGs (${(bytes / N).toFixed(0)} bytes on average, ${PER_FOLDER}
to a folder) through \`docvault ingest\` (its own process) into the local suite: our storage emulator → finalize event → dispatch
(functions-framework) → task in the Firestore emulator → message on the Pub/Sub emulator. No OCR worker. Task counts by
Firestore aggregation, polled every second.

| | value |
|---|---|
| upload (ingest process: walk, hash, upload, state file) | ${uploadS.toFixed(1)} s, **${(N / uploadS).toFixed(0)} files/s** |
| tasks created and published (start → last task published) | ${totalS.toFixed(1)} s, **${(N / totalS).toFixed(0)} files/s** |
| peak RSS of the ingest process | ${(result.maxRssBytes / 1024 / 1024).toFixed(0)} MB |
| outcomes | ${JSON.stringify(result.report.outcomes)} |
`);
} finally {
  await firestore.terminate();
  await pipeline.stop();
  rmSync(dir, { recursive: true, force: true });
  process.stderr.write(`function logs: ${pipeline.logDir}\n`);
}
