/**
 * bench:fair — per-user fairness on the whole local suite (loopback only). User A ingests
 * --documents small files with `docvault ingest`'s code (dropped into the bucket: the bulk lane)
 * while users B and C take turns: for --window s they each upload one small page every --interval
 * s (C half an interval after B), then for --window s they are quiet, and so on until A's batch
 * is done. A's throughput is its completions per second in the windows with B and C against
 * the windows without them, in the same ingest: the machine this runs on is shared, and its load
 * moves more between two runs one after the other than B and C could move A. B's and C's upload →
 * COMPLETED times are compared with the same uploads on the idle system, before and after A's
 * ingest, and so is their way into the lanes (task created → published), which behind A's finalize
 * events was the long part before upload dispatched its own documents. The worker's slots are
 * accounted from the tasks' own times. Then the hostile case: B's page while A uploads the
 * 1,257-byte 10-page 14400 pt PDF again and again.
 *
 *   npm run bench:fair -- --documents 2000 --slots 2 --cap 4 --idle-cap 8
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Storage } from '@google-cloud/storage';
import sharp from 'sharp';
import { loadavg } from 'node:os';
import { createFirestore } from '../shared/adapters/firestore-tasks.ts';
import { userHashOf } from '../shared/core/task.ts';
import { COLLECTIONS } from '../shared/names.ts';
import { groupCpuMs } from './proc-cpu.ts';
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
    /** USER_IN_FLIGHT_IDLE_CAP: A's cap while nobody else has work held back. */
    'idle-cap': { type: 'string', default: '8' },
    interval: { type: 'string', default: '3' },
    /** Seconds of each turn: B and C uploading, then quiet. */
    window: { type: 'string', default: '60' },
    /** Stop the turns after this many minutes of A's ingest, finished or not (a loaded machine). */
    minutes: { type: 'string', default: '600' },
    /** B's and C's uploads each on the idle system, before A's ingest and again after it. */
    rounds: { type: 'string', default: '8' },
    'hostile-rounds': { type: 'string', default: '5' },
    /** Only the hostile-PDF case. */
    'hostile-only': { type: 'boolean', default: false },
    /** Leave the hostile-PDF case out. */
    'no-hostile': { type: 'boolean', default: false },
  },
});
const DOCUMENTS = Number(args.documents);
const INTERVAL_MS = Number(args.interval) * 1000;
const WINDOW_MS = Number(args.window) * 1000;
const ROUNDS = Number(args.rounds);
const SLOTS = Number(args.slots);
const A = 'bench-a@example.com';
const B = 'bench-b@example.com';
const C = 'bench-c@example.com';

const fairness = { USER_IN_FLIGHT_CAP: args.cap, USER_IN_FLIGHT_IDLE_CAP: args['idle-cap'] };
const pipeline = await startPipeline({
  functions: ['upload', 'api', 'dispatch', 'ocr-worker'],
  env: { upload: fairness, dispatch: fairness, api: fairness, 'ocr-worker': { ...fairness, WORKER_SLOTS: args.slots } },
  readyTimeoutMs: 120_000,
});
const upload = pipeline.functions.upload!.url;
const api = pipeline.functions.api!.url;
const storage = new Storage({ projectId: pipeline.suite.projectId });
const firestore = createFirestore(pipeline.suite.projectId);
const loads: number[] = [];
const load = () => {
  loads.push(loadavg()[0]!);
  return loadavg()[0]!.toFixed(1);
};

/** The processes whose CPU is counted per kind of turn: the functions, the emulators, and this one (our storage emulator and the clients). */
const processes: Record<string, () => number> = {
  ...Object.fromEntries(Object.values(pipeline.functions).map((f) => [f.target, () => groupCpuMs(f.child.pid)])),
  firestore: () => groupCpuMs(pipeline.suite.firestore.pid),
  pubsub: () => groupCpuMs(pipeline.suite.pubsub.pid),
  'bench + storage emulator': () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  },
};
const cpuNow = () => Object.fromEntries(Object.entries(processes).map(([k, f]) => [k, f()]));
/** CPU-ms of all the suite's processes since `before`. */
const sumCpu = (before: Record<string, number>) => Object.entries(cpuNow()).reduce((sum, [k, v]) => sum + v - before[k]!, 0);
/** CPU-ms per process, summed over the turns of one kind. */
const cpuQuiet: Record<string, number> = {};
const cpuWith: Record<string, number> = {};
function addCpu(into: Record<string, number>, before: Record<string, number>): void {
  const after = cpuNow();
  for (const k of Object.keys(after)) into[k] = (into[k] ?? 0) + after[k]! - before[k]!;
}

const send = (user: string, name: string, bytes: Uint8Array) => uploadOne(upload, user, name, bytes);

async function finish(user: string, taskId: string): Promise<string> {
  for (;;) {
    const res = await fetch(`${api}/tasks/${taskId}?wait=30`, { headers: { 'x-user-email': user } });
    const body = (await res.json()) as { status: string };
    if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(body.status)) return body.status;
  }
}

/** Upload → COMPLETED in ms (Infinity if it did not complete). */
async function timed(user: string, name: string, bytes: Uint8Array, trace?: string[]): Promise<number> {
  const t0 = Date.now();
  const taskId = await send(user, name, bytes);
  trace?.push(taskId);
  const status = await finish(user, taskId);
  return status === 'COMPLETED' ? Date.now() - t0 : Number.POSITIVE_INFINITY;
}

/** Median ms of each step of these tasks: created → admitted → dispatched (published) → started (leased in a slot) → completed. */
async function steps(taskIds: readonly string[]): Promise<string> {
  const ms = (v: unknown) => (v as { toMillis(): number } | null | undefined)?.toMillis() ?? NaN;
  const docs = await Promise.all(taskIds.map((id) => firestore.collection(COLLECTIONS.tasks).doc(id).get()));
  const names = ['createdAt', 'admittedAt', 'dispatchedAt', 'startedAt', 'completedAt'];
  const times = docs.map((d) => names.map((n) => ms(d.get(n))));
  return names
    .slice(1)
    .map((n, i) => `${names[i]!.replace('At', '')}→${n.replace('At', '')} ${Math.round(quantile(times.map((t) => t[i + 1]! - t[i]!), 0.5))}`)
    .join(', ');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Each task's wait from its creation (upload writes it) to its publish (dispatchedAt), in ms: the way into the lanes. */
async function dispatchWaits(taskIds: readonly string[]): Promise<number[]> {
  const ms = (v: unknown) => (v as { toMillis(): number } | null | undefined)?.toMillis() ?? NaN;
  const docs = await Promise.all(taskIds.map((id) => firestore.collection(COLLECTIONS.tasks).doc(id).get()));
  return docs.map((d) => ms(d.get('dispatchedAt')) - ms(d.get('createdAt')));
}

/** B and C each upload one page every INTERVAL_MS while `go(i)` says so, C half an interval after B; their task ids into `trace`. */
async function interactive(page: Uint8Array, label: string, go: (i: number) => boolean, trace?: string[]): Promise<number[]> {
  const user = async (email: string, offsetMs: number) => {
    await sleep(offsetMs);
    const times: number[] = [];
    for (let i = 0; go(i); i++) {
      const started = Date.now();
      times.push(await timed(email, `${label}-${email[6]}-${i}.png`, page, trace));
      await sleep(Math.max(0, INTERVAL_MS - (Date.now() - started)));
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

/** A's ingest of `dir` until every task of its batch has finished: first upload to last finish. */
async function ingestA(dir: string, stop: () => boolean, uploaded: (batchId: string) => void): Promise<{ wallMs: number; completed: number; batchId: string; done: boolean }> {
  const t0 = Date.now();
  const report = await ingest(storage, { dir, bucket: TEST_BUCKETS.uploads, userHash: userHashOf(A, TEST_SECRET), statePath: join(dir, `.state-${t0}.jsonl`) });
  const batchId = report.batchId;
  uploaded(batchId);
  if (report.outcomes.uploaded !== DOCUMENTS) throw new Error(`ingest uploaded ${report.outcomes.uploaded} of ${DOCUMENTS} files: ${JSON.stringify(report.outcomes)}`);
  for (;;) {
    const res = await fetch(`${api}/batches/${batchId}?limit=1`, { headers: { 'x-user-email': A } });
    if (res.ok) {
      const batch = (await res.json()) as { total: number; done: boolean; byStatus: Record<string, number> };
      const done = batch.total >= DOCUMENTS && batch.done;
      if (done || stop()) return { wallMs: Date.now() - t0, completed: batch.byStatus.COMPLETED ?? 0, batchId, done };
    }
    await sleep(500);
  }
}

interface Span {
  from: number;
  to: number;
}

interface TaskTimes {
  a: boolean;
  admittedAt: number | undefined;
  startedAt: number;
  completedAt: number;
}

/** Every task that started since `since`, with its times (ms). */
async function taskTimes(batchId: string, since: number): Promise<TaskTimes[]> {
  const ms = (v: unknown) => (v as { toMillis(): number } | null | undefined)?.toMillis();
  const snap = await firestore.collection(COLLECTIONS.tasks).where('startedAt', '>=', new Date(since)).get();
  return snap.docs.flatMap((d) => {
    const startedAt = ms(d.get('startedAt'));
    const completedAt = ms(d.get('completedAt'));
    if (startedAt === undefined || completedAt === undefined) return [];
    return [{ a: d.get('batchId') === batchId, admittedAt: ms(d.get('admittedAt')), startedAt, completedAt }];
  });
}

interface Occupancy {
  seconds: number;
  /** A's tasks completed. */
  aDone: number;
  /** Slot-seconds held by A's tasks and by B's and C's (startedAt → completedAt: a little less than the slot's hold). */
  aSlotS: number;
  othersSlotS: number;
  /** Slot-seconds no task held, while one of A's tasks was admitted and not started (released, on its way to a slot), and while none was. */
  idleReleasedS: number;
  idleNoneS: number;
}

/** How the slots were used over `spans` (summed). */
function occupancy(tasks: readonly TaskTimes[], spans: readonly Span[]): Occupancy {
  const total: Occupancy = { seconds: 0, aDone: 0, aSlotS: 0, othersSlotS: 0, idleReleasedS: 0, idleNoneS: 0 };
  for (const { from, to } of spans) {
    // [time, running delta, A's running delta, A's released delta]
    const events: Array<[number, number, number, number]> = [];
    const clip = (t: number) => Math.min(to, Math.max(from, t));
    for (const t of tasks) {
      if (t.completedAt <= from || (t.a ? Math.min(t.admittedAt ?? t.startedAt, t.startedAt) : t.startedAt) >= to) continue;
      if (t.a && t.completedAt > from && t.completedAt <= to) total.aDone++;
      events.push([clip(t.startedAt), 1, t.a ? 1 : 0, 0], [clip(t.completedAt), -1, t.a ? -1 : 0, 0]);
      if (t.a && t.admittedAt !== undefined && t.admittedAt < t.startedAt) events.push([clip(t.admittedAt), 0, 0, 1], [clip(t.startedAt), 0, 0, -1]);
    }
    events.sort((x, y) => x[0] - y[0]);
    let at = from;
    let running = 0;
    let runningA = 0;
    let released = 0;
    for (const [t, d, dA, dR] of [...events, [to, 0, 0, 0] as [number, number, number, number]]) {
      const dt = (t - at) / 1000;
      total.aSlotS += runningA * dt;
      total.othersSlotS += (running - runningA) * dt;
      const idle = Math.max(0, SLOTS - running) * dt;
      if (released > 0) total.idleReleasedS += idle;
      else total.idleNoneS += idle;
      at = t;
      running += d;
      runningA += dA;
      released += dR;
    }
    total.seconds += (to - from) / 1000;
  }
  return total;
}

const describe = (o: Occupancy) =>
  `${o.aDone} of A's in ${o.seconds.toFixed(0)} s (${((60 * o.aDone) / o.seconds).toFixed(1)}/min); slot-s: A ${o.aSlotS.toFixed(0)} (${(o.aSlotS / o.aDone).toFixed(2)} a task), B and C ${o.othersSlotS.toFixed(0)}, idle ${(o.idleReleasedS + o.idleNoneS).toFixed(0)} (${((100 * (o.idleReleasedS + o.idleNoneS)) / (SLOTS * o.seconds)).toFixed(0)}%: ${o.idleReleasedS.toFixed(0)} with A's next released, ${o.idleNoneS.toFixed(0)} with none)`;

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const s = (ms: number) => (ms / 1000).toFixed(1);
const small = fixture('tessjs_simple_png.png');
const lines: string[] = [];
const say = (line: string) => {
  lines.push(line);
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

/** B's page, idle and while A uploads the 10-page 14400 pt PDF again and again (each after the last finished). */
async function hostileCase(): Promise<{ idle: number[]; busy: number[]; floods: number; ratio: number }> {
  const hostileRounds = Number(args['hostile-rounds']);
  const hostile = await hugeEmptyPagesPdf(10);
  const idle: number[] = [];
  const idleIds: string[] = [];
  const busyIds: string[] = [];
  for (let i = 0; i < hostileRounds; i++) idle.push(await timed(B, `h-idle${i}.png`, small, idleIds));
  let flooding = true;
  let floods = 0;
  const flood = (async () => {
    while (flooding) await finish(A, await send(A, `flood${floods++}.pdf`, hostile));
  })();
  await sleep(1500);
  const busy: number[] = [];
  for (let i = 0; i < hostileRounds; i++) busy.push(await timed(B, `h-busy${i}.png`, small, busyIds));
  flooding = false;
  await flood;
  say(`hostile case, B's steps in ms (medians): idle ${await steps(idleIds)}; busy ${await steps(busyIds)}`);
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
  const pushes = pipeline.suite.relay?.stats;
  await pipeline.stop();
  if (pushes) lines.push(`pushes (the push relay): ${pushes.pushed} made, ${pushes.nacked} not acknowledged, at most ${pushes.peakOutstanding} open at once on a lane`);
  process.stderr.write(`function logs: ${pipeline.logDir}\n${lines.join('\n')}\n`);
}

async function allCases(): Promise<void> {
  say(`load ${load()} at the start`);
  const idleIds: string[] = [];
  const busyIds: string[] = [];
  const cpuIdle = cpuNow();
  const idleBefore = await interactive(small, 'idle', (i) => i < ROUNDS, idleIds);
  // What one of B's and C's pages costs the whole suite, on its own: their share of the machine beside A's ingest.
  const perPageCpuMs = sumCpu(cpuIdle) / idleBefore.length;
  say(`B and C idle: ${idleBefore.map(s).join(', ')} s, load ${load()}, the suite's CPU per page ${perPageCpuMs.toFixed(0)} ms`);

  const dir = dirs[dirs.push(await pages(DOCUMENTS, 'a')) - 1]!;
  const started = Date.now();
  // At --minutes the turns stop and A's rates are taken from what ran (its backlog left unfinished).
  const stopAt = started + Number(args.minutes) * 60_000;
  let batch = '';
  const run = ingestA(dir, () => Date.now() >= stopAt, (id) => (batch = id));
  let done = false;
  void run.finally(() => (done = true));
  // Turns: quiet, then B and C, and so on until A's batch is done; the times each turn began.
  const quiet: Span[] = [];
  const withOthers: Span[] = [];
  const busy: number[] = [];
  while (!done) {
    const q = Date.now();
    const cpuQ = cpuNow();
    await Promise.race([sleep(WINDOW_MS), run]);
    quiet.push({ from: q, to: Date.now() });
    if (quiet.length > 1) addCpu(cpuQuiet, cpuQ);
    if (done) break;
    const w = Date.now();
    const cpuW = cpuNow();
    busy.push(...(await interactive(small, `busy${withOthers.length}`, () => !done && Date.now() - w < WINDOW_MS, busyIds)));
    withOthers.push({ from: w, to: Date.now() });
    addCpu(cpuWith, cpuW);
    say(`turn ${withOthers.length}: B and C ${busy.length} uploads so far, load ${load()}`);
    if (batch) {
      // What the turns say so far, in case the run is stopped before its end.
      const [alone, beside] = rates(await taskTimes(batch, started), Date.now());
      say(`so far: A without B and C ${describe(alone)}; with ${describe(beside)}; B and C p95 ${s(quantile(busy, 0.95))} s`);
    }
    if (Date.now() >= stopAt) break;
  }
  const shared = await run;
  say(`A: ${shared.completed} of ${DOCUMENTS} files COMPLETED in ${s(shared.wallMs)} s${shared.done ? '' : ` (stopped at --minutes ${args.minutes})`}, load ${load()}`);
  // After a stopped run A's backlog is still there: the idle peer is the one before.
  const idleAfter = shared.done ? await interactive(small, 'idle-after', (i) => i < ROUNDS, idleIds) : [];
  say(`B and C idle after: ${idleAfter.map(s).join(', ')} s, load ${load()}`);
  const idle = [...idleBefore, ...idleAfter];

  const [alone, beside] = rates(await taskTimes(shared.batchId, started), shared.done ? Number.POSITIVE_INFINITY : Date.now());
  say(`A without B and C: ${describe(alone)}`);
  say(`A with B and C: ${describe(beside)}`);

  /**
   * A's slots and rate in each kind of turn, where A had a backlog: from the end of its first turn (the
   * ingest still uploading, the queue filling) to the last of its tasks starting (after it, the tail drains).
   */
  function rates(tasks: TaskTimes[], until: number): [Occupancy, Occupancy] {
    const lastStart = Math.min(until, Math.max(...tasks.filter((t) => t.a).map((t) => t.startedAt)));
    const within = (spans: Span[]) => spans.map(({ from, to }) => ({ from: Math.max(from, quiet[0]!.to), to: Math.min(to, lastStart) })).filter(({ from, to }) => to > from);
    return [occupancy(tasks, within(quiet)), occupancy(tasks, within(withOthers))];
  }

  const hostile = args['no-hostile'] ? undefined : await hostileCase();

  const span = (spans: Span[]) => spans.reduce((sum, { from, to }) => sum + (to - from) / 1000, 0) || NaN;
  const p95 = quantile(busy, 0.95) / quantile(idle, 0.95);
  const [idleWaits, busyWaits] = [await dispatchWaits(idleIds), await dispatchWaits(busyIds)];
  say(`B's and C's steps in ms (medians): idle ${await steps(idleIds)}; while A ingests ${await steps(busyIds)}`);
  const waitRow = (q: number, label: string) =>
    `| B and C, ${label} of created → published (the way into the lanes) | ${s(quantile(idleWaits, q))} s | ${s(quantile(busyWaits, q))} s | ${(quantile(busyWaits, q) / quantile(idleWaits, q)).toFixed(2)}× | — |`;
  const rate = (o: Occupancy) => (60 * o.aDone) / o.seconds;
  const throughput = rate(beside) / rate(alone);
  /**
   * What A can expect with B and C, their own work taken out: (1) of the worker, the share of its busy slot-seconds
   * B's and C's pages held; (2) of the whole suite on this machine, the CPU of B's and C's uploads in the turns with
   * them (their count × one page's CPU on the idle suite, all processes) over the suite's CPU in those turns.
   */
  const ocrShare = 1 - beside.othersSlotS / (beside.aSlotS + beside.othersSlotS);
  const suiteCpuWith = Object.values(cpuWith).reduce((a, b) => a + b, 0);
  const suiteShare = 1 - Math.min(1, (busy.length * perPageCpuMs) / suiteCpuWith);
  /**
   * The worker's CPU that went to A's pages (the worker's CPU-ms a second × A's share of its busy slot-seconds), a
   * second and per document of A, in each kind of turn: equal per document means B and C made none of A's pages dearer,
   * and A's rate then follows the CPU its pages got.
   */
  const workerPerS = (cpu: Record<string, number>, spans: Span[]) => (cpu['ocr-worker'] ?? NaN) / span(spans);
  const aWorker = (o: Occupancy, perS: number) => (perS * o.aSlotS) / (o.aSlotS + o.othersSlotS);
  const [aWorkerQuiet, aWorkerWith] = [aWorker(alone, workerPerS(cpuQuiet, quiet.slice(1))), aWorker(beside, workerPerS(cpuWith, withOthers))];
  const perDoc = (perS: number, o: Occupancy) => (perS * o.seconds) / o.aDone;
  const slotRow = (o: Occupancy) => `${o.aSlotS.toFixed(0)} / ${o.othersSlotS.toFixed(0)} / ${o.idleReleasedS.toFixed(0)} / ${o.idleNoneS.toFixed(0)}`;
  process.stdout.write(`### bench:fair — ${new Date().toISOString().slice(0, 10)}, ${process.version} (load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} at the phases' ends)

Command: \`npm run bench:fair -- --documents ${DOCUMENTS} --slots ${SLOTS} --cap ${args.cap} --idle-cap ${args['idle-cap']} --interval ${args.interval} --window ${args.window} --rounds ${ROUNDS}${shared.done ? '' : ` --minutes ${args.minutes}`}\`.
The local suite (upload → dispatch → worker → api; one worker process with ${SLOTS} slots, \`USER_IN_FLIGHT_CAP=${args.cap}\`, \`USER_IN_FLIGHT_IDLE_CAP=${args['idle-cap']}\`).
A ingests ${DOCUMENTS} distinct small PNGs with \`docvault ingest\`'s code (the bulk lane): ${shared.completed} COMPLETED in ${s(shared.wallMs)} s${shared.done ? '' : ` (stopped there, at \`--minutes ${args.minutes}\`)`}. Meanwhile B and C take turns
of ${args.window} s: each uploads a ${small.length}-byte PNG every ${args.interval} s, then both are quiet (${withOthers.length} turns with them, ${quiet.length} without).
Idle peer: the same uploads on the idle system, ${ROUNDS} each before A's ingest and ${ROUNDS} each after it. Times are upload request → COMPLETED reported by the api.
A's rate counts its tasks completed in each kind of turn, from the end of the first turn to the start of its last task.

| measure | peer | while A ingests / with B and C | ratio | target |
|---|---|---|---|---|
| B and C, p50 | ${s(quantile(idle, 0.5))} s | ${s(quantile(busy, 0.5))} s | ${(quantile(busy, 0.5) / quantile(idle, 0.5)).toFixed(2)}× | — |
| B and C, p95 | ${s(quantile(idle, 0.95))} s | ${s(quantile(busy, 0.95))} s | **${p95.toFixed(2)}×** | ≤ 2× |
${waitRow(0.5, 'p50')}
${waitRow(0.95, 'p95')}
${waitRow(1, 'max')}
| B and C, max | ${s(quantile(idle, 1))} s | ${s(quantile(busy, 1))} s | ${(quantile(busy, 1) / quantile(idle, 1)).toFixed(2)}× | — |
| A, documents/min (turns without B and C → with them) | ${rate(alone).toFixed(1)} (${alone.aDone} in ${alone.seconds.toFixed(0)} s) | ${rate(beside).toFixed(1)} (${beside.aDone} in ${beside.seconds.toFixed(0)} s) | **${throughput.toFixed(2)}** | ≥ 0.90 |
| A's expected share with B and C: 1 − their share of the worker's busy slot-seconds / 1 − their share of the suite's CPU (${busy.length} pages × ${perPageCpuMs.toFixed(0)} CPU-ms of ${(suiteCpuWith / 1000).toFixed(0)} CPU-s) | — | ${ocrShare.toFixed(2)} / ${suiteShare.toFixed(2)} | **${(throughput / ocrShare).toFixed(2)} / ${(throughput / suiteShare).toFixed(2)}** of expected | ≥ 0.90 |
| the worker's CPU-ms a second on A's pages (its CPU × A's share of its slot-seconds); per document of A | ${aWorkerQuiet.toFixed(0)}; ${perDoc(aWorkerQuiet, alone).toFixed(0)} | ${aWorkerWith.toFixed(0)}; ${perDoc(aWorkerWith, beside).toFixed(0)} | ${(aWorkerWith / aWorkerQuiet).toFixed(2)}; A's rate **${(throughput / (aWorkerWith / aWorkerQuiet)).toFixed(2)}** of it | — |
${hostile ? `| B's PNG while A floods the 10-page 14400 pt PDF (${hostile.floods} uploads), median of ${args['hostile-rounds']} | ${s(quantile(hostile.idle, 0.5))} s | ${s(quantile(hostile.busy, 0.5))} s | **${hostile.ratio.toFixed(2)}×** | ≤ 2× |\n` : ''}
Slot-seconds (${SLOTS} slots) in the turns without / with B and C — A's tasks / B's and C's / idle while one of A's tasks was released and on its way / idle with none released:
${slotRow(alone)} and ${slotRow(beside)}.

CPU-ms per second of turn, without → with B and C (each process and its children, from /proc; the first turn left out): ${Object.keys(cpuWith)
    .map((k) => `${k} ${Math.round((cpuQuiet[k] ?? 0) / span(quiet.slice(1)))} → ${Math.round(cpuWith[k]! / span(withOthers))}`)
    .join(', ')}.

Runs: idle ${idle.map(s).join(', ')} s; with A ${busy.map(s).join(', ')} s${hostile ? `; hostile idle ${hostile.idle.map(s).join(', ')} s, busy ${hostile.busy.map(s).join(', ')} s` : ''}.
`);
}
