/**
 * bench:fanout — a large scanned PDF from upload to COMPLETED through the whole local suite (object
 * written → storage event → dispatch → Pub/Sub push → workers → merge), with 1, 2 and 4 OCR worker
 * processes behind one push endpoint (as instances of the worker service), each with one OCR
 * thread (a 1-vCPU instance). The peer, in the same run: the same document read whole by one worker
 * (SHARD_PAGES=0), so the figures are speed-ups against no fan-out on the same machine.
 *
 *   npm run bench:fanout                              100 pages, workers 1,2,4, shards of 10 pages
 *   npm run bench:fanout -- --pages 20 --workers 1,2 --shard-pages 5
 *
 * The pages are the scanned samples of ../shared/samples (OCRmyPDF's skew.pdf and c02-22.pdf), in
 * turn: ../shared beside the repository or DOCVAULT_SHARED_DIR, else their copies in test/fixtures.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { FunctionProcess } from '../emulators/functions.ts';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Storage } from '@google-cloud/storage';
import { PDFDocument } from 'pdf-lib';
import { createFirestore, TaskStore } from '../shared/adapters/firestore-tasks.ts';
import { derivedTaskId, userHashOf, type Task } from '../shared/core/task.ts';
import { startPipeline, type Pipeline } from '../test/support/pipeline.ts';
import { TEST_BUCKETS, TEST_SECRET } from '../test/support/suite.ts';

const { values: args } = parseArgs({
  options: {
    pages: { type: 'string', default: '100' },
    workers: { type: 'string', default: '1,2,4' },
    'shard-pages': { type: 'string', default: '10' },
    'no-peer': { type: 'boolean', default: false },
  },
});
const PAGES = Number(args.pages);
const WORKER_COUNTS = args.workers!.split(',').map(Number);
const SHARD_PAGES = Number(args['shard-pages']);
const ROOT = resolve(import.meta.dirname, '..');
const SHARED_SAMPLES = resolve(process.env.DOCVAULT_SHARED_DIR ?? resolve(ROOT, '..', 'shared'), 'samples');
const SAMPLES = existsSync(SHARED_SAMPLES) ? SHARED_SAMPLES : resolve(ROOT, 'test', 'fixtures');
const SOURCES = ['ocrmypdf_skew.pdf', 'ocrmypdf_c02-22.pdf'];
const user = userHashOf('bench@example.com', TEST_SECRET);

/** PAGES scanned pages: the samples' pages in turn, copied as they are (their images untouched). */
async function largeScan(): Promise<Uint8Array> {
  const out = await PDFDocument.create();
  const sources = await Promise.all(SOURCES.map(async (name) => PDFDocument.load(readFileSync(resolve(SAMPLES, name)))));
  for (let n = 0; n < PAGES; n++) {
    const [page] = await out.copyPages(sources[n % sources.length]!, [0]);
    out.addPage(page!);
  }
  return out.save();
}

interface Run {
  label: string;
  workers: number;
  shardPages: number;
  wallMs: number;
  /** CPU seconds the worker processes used on the document (all their threads). */
  workerCpuS: number;
  status: string;
  pages: number;
  load: number;
}

/** utime + stime of a process, in seconds (Linux /proc; clock ticks of 1/100 s). */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

const workerProcesses = (p: Pipeline): FunctionProcess[] => p.workerPool?.workers ?? [p.functions['ocr-worker']!];
const workersCpu = (p: Pipeline) => workerProcesses(p).reduce((sum, w) => sum + cpuSeconds(w.child.pid), 0);

let current: Pipeline | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    // Stop the suite (its emulators run in their own process groups) before leaving.
    void (current?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

async function measure(workers: number, shardPages: number, document: Uint8Array): Promise<Run> {
  const pipeline = await startPipeline({
    functions: ['dispatch', 'ocr-worker'],
    workers,
    // One OCR thread per process: each process stands for a 1-vCPU instance. The whole document
    // read by one worker must not hit the per-document time limit meant for a delivery deadline.
    env: { 'ocr-worker': { SHARD_PAGES: String(shardPages), OCR_WORKERS: '1', DOCUMENT_TIMEOUT_MS: '3600000', MAX_PIXELS_PER_DOCUMENT: '50000000000' } },
  });
  current = pipeline;
  try {
    const storage = new Storage({ projectId: pipeline.suite.projectId });
    const tasks = new TaskStore(createFirestore(pipeline.suite.projectId));
    const drop = async (name: string, bytes: Uint8Array): Promise<string> => {
      const object = `users/${user}/${name}`;
      const file = storage.bucket(TEST_BUCKETS.uploads).file(object);
      await file.save(Buffer.from(bytes), { resumable: false });
      const [meta] = await file.getMetadata();
      return derivedTaskId(TEST_BUCKETS.uploads, object, String(meta.generation));
    };
    const finished = async (taskId: string): Promise<Task> => {
      for (;;) {
        const task = await tasks.get(taskId);
        if (task && ['COMPLETED', 'FAILED', 'CANCELLED'].includes(task.status)) return task;
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    // Warm-up: one small image per worker process at once, so each has its engine and models loaded.
    const small = new Uint8Array(readFileSync(resolve(SAMPLES, 'tessjs_testocr.png')));
    await Promise.all(Array.from({ length: workers }, async (_, i) => finished(await drop(`warm-${i}.png`, small))));
    const cpuBefore = workersCpu(pipeline);
    const started = performance.now();
    const taskId = await drop('large-scan.pdf', document);
    const task = await finished(taskId);
    const wallMs = performance.now() - started;
    const workerCpuS = workersCpu(pipeline) - cpuBefore;
    const label = shardPages === 0 ? `${workers} worker, whole document (peer)` : `${workers} worker${workers > 1 ? 's' : ''}, shards of ${shardPages}`;
    return { label, workers, shardPages, wallMs, workerCpuS, status: task.status, pages: task.summary?.pages ?? 0, load: loadavg()[0]! };
  } finally {
    await pipeline.stop();
    current = undefined;
  }
}

const document = await largeScan();
process.stderr.write(`bench:fanout — ${PAGES} scanned pages (${(document.length / 1e6).toFixed(1)} MB), ${cpus().length} CPUs\n`);
const runs: Run[] = [];
const plan = [...WORKER_COUNTS.map((w) => [w, SHARD_PAGES] as const), ...(args['no-peer'] ? [] : [[1, 0] as const])];
for (const [workers, shardPages] of plan) {
  const run = await measure(workers, shardPages, document);
  runs.push(run);
  process.stderr.write(`  ${run.label}: ${(run.wallMs / 1000).toFixed(1)} s, workers' CPU ${run.workerCpuS.toFixed(1)} s, load ${run.load.toFixed(1)}\n`);
}
const peer = runs.find((r) => r.shardPages === 0) ?? runs[0]!;
const oneWorker = runs.find((r) => r.shardPages > 0 && r.workers === 1);
const rows = runs.map(
  (r) =>
    `| ${r.label} | ${r.status} | ${r.pages} | ${(r.wallMs / 1000).toFixed(1)} | ${r.workerCpuS.toFixed(1)} | ${Math.round((PAGES / r.wallMs) * 3_600_000)} | ${(peer.wallMs / r.wallMs).toFixed(2)}× | ${oneWorker ? (oneWorker.wallMs / r.wallMs).toFixed(2) + '×' : '–'} | ${r.load.toFixed(1)} |`,
);
process.stdout.write(`
\`npm run bench:fanout -- --pages ${PAGES} --workers ${args.workers} --shard-pages ${SHARD_PAGES}\` (${cpus().length} CPUs; object written → COMPLETED; each worker process one OCR thread):

| run | status | pages | upload → COMPLETED (s) | workers' CPU (s) | pages/hour | vs whole document | vs 1 worker in shards | load avg after |
|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}
`);
process.exit(0);
