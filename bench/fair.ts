/**
 * bench:fair — per-user fairness on the whole local suite (loopback only). Users B and C each
 * upload one small page every few seconds; their upload → COMPLETED times are measured on an idle
 * system (the peer, in the same run) and while user A ingests --documents small files with
 * `docvault ingest`'s code (dropped into the bucket: the bulk lane); A's throughput is measured
 * alone and with B and C. Then the hostile case: B's page while A uploads the 1,257-byte 10-page
 * 14400 pt PDF again and again.
 *
 *   npm run bench:fair -- --documents 2000 --slots 2 --cap 4 --idle-cap 8
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Storage } from '@google-cloud/storage';
import sharp from 'sharp';
import { userHashOf } from '../shared/core/task.ts';
import { ingest } from '../shared/ops/ingest.ts';
import { fixture } from '../test/support/fixtures.ts';
import { hugeEmptyPagesPdf } from '../test/support/hostile-files.ts';
import { startPipeline } from '../test/support/pipeline.ts';
import { uploadOne } from '../test/support/upload-one.ts';
import { TEST_BUCKETS, TEST_SECRET } from '../test/support/suite.ts';

const { values: args } = parseArgs({
  options: {
    documents: { type: 'string', default: '2000' },
    slots: { type: 'string', default: '2' },
    cap: { type: 'string', default: '4' },
    /** USER_IN_FLIGHT_IDLE_CAP: A's cap while nobody else has work held back (the cap itself: not work-conserving). */
    'idle-cap': { type: 'string', default: '8' },
    interval: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '8' },
    'hostile-rounds': { type: 'string', default: '5' },
    /** Only the hostile-PDF case. */
    'hostile-only': { type: 'boolean', default: false },
  },
});
const DOCUMENTS = Number(args.documents);
const INTERVAL_MS = Number(args.interval) * 1000;
const ROUNDS = Number(args.rounds);
const A = 'bench-a@example.com';
const B = 'bench-b@example.com';
const C = 'bench-c@example.com';

const fairness = { USER_IN_FLIGHT_CAP: args.cap, USER_IN_FLIGHT_IDLE_CAP: args['idle-cap'] };
const pipeline = await startPipeline({
  functions: ['upload', 'api', 'dispatch', 'ocr-worker'],
  env: { dispatch: fairness, api: fairness, 'ocr-worker': { ...fairness, WORKER_SLOTS: args.slots } },
});
const upload = pipeline.functions.upload!.url;
const api = pipeline.functions.api!.url;
const storage = new Storage({ projectId: pipeline.suite.projectId });

const send = (user: string, name: string, bytes: Uint8Array) => uploadOne(upload, user, name, bytes);

async function finish(user: string, taskId: string): Promise<string> {
  for (;;) {
    const res = await fetch(`${api}/tasks/${taskId}?wait=30`, { headers: { 'x-user-email': user } });
    const body = (await res.json()) as { status: string };
    if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(body.status)) return body.status;
  }
}

/** Upload → COMPLETED in ms (Infinity if it did not complete). */
async function timed(user: string, name: string, bytes: Uint8Array): Promise<number> {
  const t0 = Date.now();
  const status = await finish(user, await send(user, name, bytes));
  return status === 'COMPLETED' ? Date.now() - t0 : Number.POSITIVE_INFINITY;
}

/** B and C each upload one page every INTERVAL_MS, ROUNDS times (and on until `until` settles), C half an interval after B. */
async function interactive(page: Uint8Array, label: string, until?: Promise<unknown>): Promise<number[]> {
  let settled = !until;
  void until?.finally(() => (settled = true));
  const user = async (email: string, offsetMs: number) => {
    await new Promise((r) => setTimeout(r, offsetMs));
    const times: number[] = [];
    for (let i = 0; i < ROUNDS || !settled; i++) {
      const started = Date.now();
      times.push(await timed(email, `${label}-${i}.png`, page));
      await new Promise((r) => setTimeout(r, Math.max(0, INTERVAL_MS - (Date.now() - started))));
    }
    return times;
  };
  return (await Promise.all([user(B, 0), user(C, INTERVAL_MS / 2)])).flat();
}

/**
 * A folder of `n` distinct small pages, named and worded per run: a second run's objects are new
 * objects (ingest leaves the bytes already in the bucket alone), and no two pages share bytes.
 */
async function pages(n: number, run: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-fair-'));
  mkdirSync(join(dir, run));
  for (let i = 0; i < n; i++) {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="600" height="120"><rect width="100%" height="100%" fill="#fff"/><text x="20" y="70" font-family="DejaVu Sans" font-size="36">Invoice ${i} of ${n} (${run})</text></svg>`;
    writeFileSync(join(dir, run, `page-${String(i).padStart(5, '0')}.png`), await sharp(Buffer.from(svg)).png().toBuffer());
  }
  return dir;
}

/** A's ingest of `dir` until every task of its batch has finished: documents per minute, first upload to last finish. */
async function ingestA(dir: string): Promise<{ perMinute: number; wallMs: number; completed: number }> {
  const t0 = Date.now();
  const report = await ingest(storage, { dir, bucket: TEST_BUCKETS.uploads, userHash: userHashOf(A, TEST_SECRET), statePath: join(dir, `.state-${t0}.jsonl`) });
  const batchId = report.batchId;
  if (report.outcomes.uploaded !== DOCUMENTS) throw new Error(`ingest uploaded ${report.outcomes.uploaded} of ${DOCUMENTS} files: ${JSON.stringify(report.outcomes)}`);
  for (;;) {
    const res = await fetch(`${api}/batches/${batchId}?limit=1`, { headers: { 'x-user-email': A } });
    if (res.ok) {
      const batch = (await res.json()) as { total: number; done: boolean; byStatus: Record<string, number> };
      if (batch.total >= DOCUMENTS && batch.done) {
        const wallMs = Date.now() - t0;
        return { perMinute: (DOCUMENTS / wallMs) * 60_000, wallMs, completed: batch.byStatus.COMPLETED ?? 0 };
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const s = (ms: number) => (ms / 1000).toFixed(1);
const small = fixture('tessjs_simple_png.png');
const lines: string[] = [];
const say = (line: string) => {
  lines.push(line);
  process.stderr.write(`${line}\n`);
};

/** B's page, idle and while A uploads the 10-page 14400 pt PDF again and again (each after the last finished). */
async function hostileCase(): Promise<{ idle: number[]; busy: number[]; floods: number; ratio: number }> {
  const hostileRounds = Number(args['hostile-rounds']);
  const hostile = await hugeEmptyPagesPdf(10);
  const idle: number[] = [];
  for (let i = 0; i < hostileRounds; i++) idle.push(await timed(B, `h-idle${i}.png`, small));
  let flooding = true;
  let floods = 0;
  const flood = (async () => {
    while (flooding) await finish(A, await send(A, `flood${floods++}.pdf`, hostile));
  })();
  await new Promise((r) => setTimeout(r, 1500));
  const busy: number[] = [];
  for (let i = 0; i < hostileRounds; i++) busy.push(await timed(B, `h-busy${i}.png`, small));
  flooding = false;
  await flood;
  return { idle, busy, floods, ratio: quantile(busy, 0.5) / quantile(idle, 0.5) };
}

const dirs: string[] = [];
try {
  await timed(B, 'warm.png', small);
  if (args['hostile-only']) {
    const r = await hostileCase();
    process.stdout.write(`B's PNG while A floods the 10-page 14400 pt PDF (${r.floods} uploads): idle ${r.idle.map(s).join(', ')} s, busy ${r.busy.map(s).join(', ')} s, median ratio **${r.ratio.toFixed(2)}×** (target ≤ 2×)\n`);
  } else await allCases();
} finally {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await pipeline.stop();
  process.stderr.write(`function logs: ${pipeline.logDir}\n${lines.join('\n')}\n`);
}

async function allCases(): Promise<void> {
  const idle = await interactive(small, 'idle');
  say(`B and C idle: p50 ${s(quantile(idle, 0.5))} s, p95 ${s(quantile(idle, 0.95))} s (${idle.length} uploads)`);

  const alone = await ingestA(dirs[dirs.push(await pages(DOCUMENTS, 'alone')) - 1]!);
  say(`A alone: ${DOCUMENTS} files in ${s(alone.wallMs)} s, ${alone.perMinute.toFixed(1)} documents/min (${alone.completed} COMPLETED)`);

  const withOthers = ingestA(dirs[dirs.push(await pages(DOCUMENTS, 'shared')) - 1]!);
  await new Promise((r) => setTimeout(r, 3000)); // A's backlog is building up
  const busy = await interactive(small, 'busy', withOthers);
  const shared = await withOthers;
  say(`B and C while A ingests: p50 ${s(quantile(busy, 0.5))} s, p95 ${s(quantile(busy, 0.95))} s`);
  say(`A with B and C: ${s(shared.wallMs)} s, ${shared.perMinute.toFixed(1)} documents/min (${shared.completed} COMPLETED)`);

  const { idle: hostileIdle, busy: hostileBusy, floods, ratio: hostileRatio } = await hostileCase();

  const p95 = quantile(busy, 0.95) / quantile(idle, 0.95);
  const throughput = shared.perMinute / alone.perMinute;
  process.stdout.write(`### bench:fair — ${new Date().toISOString().slice(0, 10)}, ${process.version}

Command: \`npm run bench:fair -- --documents ${DOCUMENTS} --slots ${args.slots} --cap ${args.cap} --idle-cap ${args['idle-cap']} --interval ${args.interval} --rounds ${ROUNDS}\`.
The local suite (upload → dispatch → worker → api; one worker process with ${args.slots} slots, \`USER_IN_FLIGHT_CAP=${args.cap}\`, \`USER_IN_FLIGHT_IDLE_CAP=${args['idle-cap']}\`).
B and C each upload a ${small.length}-byte PNG every ${args.interval} s (${ROUNDS} times idle; throughout A's second run); A ingests ${DOCUMENTS} distinct small PNGs
with \`docvault ingest\`'s code (the bulk lane). Times are upload request → COMPLETED reported by the api.

| measure | idle / alone (peer) | while A ingests / with B and C | ratio | target |
|---|---|---|---|---|
| B and C, p50 | ${s(quantile(idle, 0.5))} s | ${s(quantile(busy, 0.5))} s | ${(quantile(busy, 0.5) / quantile(idle, 0.5)).toFixed(2)}× | — |
| B and C, p95 | ${s(quantile(idle, 0.95))} s | ${s(quantile(busy, 0.95))} s | **${p95.toFixed(2)}×** | ≤ 2× |
| A, documents/min | ${alone.perMinute.toFixed(1)} | ${shared.perMinute.toFixed(1)} | **${throughput.toFixed(2)}** | ≥ 0.90 |
| B's PNG while A floods the 10-page 14400 pt PDF (${floods} uploads), median of ${args['hostile-rounds']} | ${s(quantile(hostileIdle, 0.5))} s | ${s(quantile(hostileBusy, 0.5))} s | **${hostileRatio.toFixed(2)}×** | ≤ 2× |

Runs: idle ${idle.map(s).join(', ')} s; busy ${busy.map(s).join(', ')} s; hostile idle ${hostileIdle.map(s).join(', ')} s, busy ${hostileBusy.map(s).join(', ')} s.
`);
}
