/**
 * bench:load — many users at once against the local suite (upload, api, dispatch and the OCR
 * worker as functions-framework processes on the emulators; loopback only), with the per-user
 * rate limits and caps on requests at once at their defaults (shared/config.ts):
 *
 * 1. concurrent uploads from many users, half multipart, half through a signed URL: no 5xx, and
 *    every accepted upload becomes a task that COMPLETES; request latency p50/p95 (a 429 is
 *    waited out and sent again, its wait counted in the latency).
 * 2. a flood from one user (api reads and signed-URL requests, 400 a second by default — 40 times
 *    the api's sustained limit, 80 times upload's —, from a process of its own: bench/load-flood.ts)
 *    while another user makes the same requests one after another: the flood is answered 429 with
 *    Retry-After, and the other user's p95 is compared with their p95 on the idle system, in the
 *    same run (the peer). The flood's client shares this machine's cores with the servers: its pace
 *    is fixed, not as fast as it can, so what it costs is bounded and reported beside the servers'.
 *
 *   npm run bench:load -- --uploads 200 --users 20 --flood 2000 --probes 100 --timeout-minutes 20
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pLimit from 'p-limit';
import { createFirestore, TaskStore } from '../shared/adapters/firestore-tasks.ts';
import { fixture } from '../test/support/fixtures.ts';
import { startPipeline, type Pipeline } from '../test/support/pipeline.ts';
import { politely } from '../test/support/upload-one.ts';
import type { FloodReport } from './load-flood.ts';
import { groupCpuMs } from './proc-cpu.ts';

const { values: args } = parseArgs({
  options: {
    uploads: { type: 'string', default: '200' },
    users: { type: 'string', default: '20' },
    flood: { type: 'string', default: '2000' },
    /** Requests of the flood in the air at once: by default all of them (as fast as possible, not waiting for answers). */
    'flood-concurrency': { type: 'string' },
    probes: { type: 'string', default: '100' },
    file: { type: 'string', default: 'tessjs_simple_png.png' },
    'timeout-minutes': { type: 'string', default: '20' },
    /** API_CONCURRENT_REQUESTS and UPLOAD_CONCURRENT_REQUESTS for the run (default: the config's). */
    'api-at-once': { type: 'string' },
    'upload-at-once': { type: 'string' },
    /** The flood process's niceness: 0 (the default) with a fixed --flood-rate; at 19, on a machine loaded by others, it starved and sent a trickle. */
    'flood-nice': { type: 'string', default: '0' },
    /**
     * The flood's pace, requests a second (0: unpaced, as fast as its client can). A client on the same 2 cores
     * as the servers takes their CPU as it sends; a fixed rate far over the limits (the flooding user may make 10 a
     * second on the api and 5 on upload) floods as a caller elsewhere would, with the client's CPU bounded and reported.
     */
    'flood-rate': { type: 'string', default: '400' },
    /** A folder for CPU profiles of upload and api (node --cpu-prof, written as they stop). */
    'cpu-prof': { type: 'string' },
  },
});
const UPLOADS = Number(args.uploads);
const USERS = Number(args.users);
const FLOOD = Number(args.flood);
const FLOOD_CONCURRENCY = Number(args['flood-concurrency'] ?? FLOOD);
const PROBES = Number(args.probes);
const DEADLINE = Date.now() + Number(args['timeout-minutes']) * 60_000;
const bytes = Buffer.from(fixture(args.file!));
const startLoad = loadavg().map((l) => l.toFixed(1)).join(' ');

const say = (line: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!);
const ms = (x: number) => (Number.isNaN(x) ? '–' : String(Math.round(x)));
const who = (email: string, extra: Record<string, string> = {}) => ({ 'x-user-email': email, ...extra });

interface Outcome {
  kind: 'multipart' | 'signed-url';
  status: number;
  ms: number;
  taskId?: string;
}

/** 429s the uploaders were answered (each waited its Retry-After and sent again, as a well-behaved client does). */
let uploadRefusals = 0;

const countRefusal = () => void uploadRefusals++;

async function multipartUpload(p: Pipeline, email: string, name: string): Promise<Outcome> {
  const t0 = performance.now();
  const res = await politely(() => {
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: 'image/png' }), name);
    return fetch(`${p.functions.upload!.url}/`, { method: 'POST', body: form, headers: who(email) });
  }, countRefusal);
  const body = (await res.json()) as { tasks?: Array<{ taskId: string }> };
  return { kind: 'multipart', status: res.status, ms: performance.now() - t0, ...(res.status === 202 ? { taskId: body.tasks![0]!.taskId } : {}) };
}

function signedUrlRequest(p: Pipeline, email: string, name: string): Promise<Response> {
  return fetch(`${p.functions.upload!.url}/uploads`, {
    method: 'POST',
    headers: who(email, { 'content-type': 'application/json' }),
    body: JSON.stringify({ fileName: name, size: bytes.length, contentType: 'image/png' }),
  });
}

/** The three steps of a signed upload, timed together: the URL from upload, the session, the bytes. */
async function signedUpload(p: Pipeline, email: string, name: string): Promise<Outcome> {
  const t0 = performance.now();
  const res = await politely(() => signedUrlRequest(p, email, name), countRefusal);
  if (res.status !== 200) {
    await res.body?.cancel();
    return { kind: 'signed-url', status: res.status, ms: performance.now() - t0 };
  }
  const signed = (await res.json()) as { taskId: string; uploadUrl: string; headers: Record<string, string> };
  const start = await fetch(signed.uploadUrl, { method: 'POST', headers: signed.headers });
  await start.body?.cancel();
  const session = start.headers.get('location');
  if (start.status !== 201 || !session) return { kind: 'signed-url', status: start.status, ms: performance.now() - t0 };
  const put = await fetch(session, { method: 'PUT', body: bytes });
  await put.body?.cancel();
  const ok = put.status === 200 || put.status === 201;
  return { kind: 'signed-url', status: ok ? 202 : put.status, ms: performance.now() - t0, ...(ok ? { taskId: signed.taskId } : {}) };
}

/** Polls every task until it is COMPLETED or FAILED (or the run's deadline). */
async function waitForTasks(tasks: TaskStore, ids: string[]): Promise<Map<string, { status: string; ms: number | null }>> {
  const final = new Map<string, { status: string; ms: number | null }>();
  const limit = pLimit(16);
  while (final.size < ids.length && Date.now() < DEADLINE) {
    await Promise.all(
      ids.filter((id) => !final.has(id)).map((id) =>
        limit(async () => {
          const task = await tasks.get(id);
          if (task && (task.status === 'COMPLETED' || task.status === 'FAILED')) {
            final.set(id, { status: task.status, ms: task.completedAt ? task.completedAt.getTime() - task.createdAt.getTime() : null });
          }
        }),
      ),
    );
    if (final.size < ids.length) await sleep(2000);
  }
  return final;
}

/**
 * The other user's own connections: a user on another machine shares no client connection pool
 * with the flood (through fetch's one pool, the probe waited behind the flood's requests in this
 * process, not at the server).
 */
const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 });

/** One request on the probe's own connection: its status (0 for a broken connection). */
function probeRequest(url: string, method: 'GET' | 'POST', headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method, headers, agent: probeAgent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/**
 * Between the other user's requests: 4 a second, 2 on each function, well within their own limits (api 10/s,
 * upload 5/s by default). Unpaced, a flood that lasted a minute on a loaded machine had the probe spend its own
 * rate, and its refusals were counted as the flood's harm.
 */
const PROBE_PAUSE_MS = 250;

/** One user's requests, one after another, alternating an api read and a signed-URL request. */
async function probe(p: Pipeline, email: string, keepGoing: (done: number) => boolean): Promise<{ api: number[]; upload: number[]; other: number[]; slowest: string }> {
  const out = { api: [] as number[], upload: [] as number[], other: [] as number[], slowest: '' };
  const started = performance.now();
  const when: Array<{ ms: number; at: number; what: string }> = [];
  for (let i = 0; keepGoing(i); i++) {
    if (i > 0) await sleep(PROBE_PAUSE_MS);
    const t0 = performance.now();
    // A broken connection counts as a failed request (status 0), not the end of the run.
    const status = await (i % 2 === 0
      ? probeRequest(`${p.functions.api!.url}/tasks?limit=20`, 'GET', who(email))
      : probeRequest(`${p.functions.upload!.url}/uploads`, 'POST', who(email, { 'content-type': 'application/json' }), JSON.stringify({ fileName: `probe-${i}.png`, size: bytes.length, contentType: 'image/png' })));
    const took = performance.now() - t0;
    if (status !== 200) out.other.push(status);
    else (i % 2 === 0 ? out.api : out.upload).push(took);
    when.push({ ms: took, at: t0 - started, what: i % 2 === 0 ? 'api' : 'upload' });
  }
  // The three slowest and when they were sent: a tail at the start is the flood's first second (its burst, its connections).
  out.slowest = when
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 3)
    .map((w) => `${w.what} ${Math.round(w.ms)} ms at ${(w.at / 1000).toFixed(1)} s`)
    .join(', ');
  return out;
}

/** CPU-ms of the api, upload and Firestore emulator processes over `phase`. */
async function cpuOver<T>(p: Pipeline, phase: () => Promise<T>): Promise<{ result: T; cpuMs: Record<'api' | 'upload' | 'firestore', number> }> {
  const groups = { api: p.functions.api!.child.pid, upload: p.functions.upload!.child.pid, firestore: p.suite.firestore.pid };
  const before = Object.fromEntries(Object.entries(groups).map(([k, pid]) => [k, groupCpuMs(pid)]));
  const result = await phase();
  const cpuMs = Object.fromEntries(Object.entries(groups).map(([k, pid]) => [k, groupCpuMs(pid) - before[k]!])) as Record<'api' | 'upload' | 'firestore', number>;
  return { result, cpuMs };
}

/** The flood from its own process at the lowest CPU priority (a client elsewhere takes none of the server's CPU). */
async function runFlood(p: Pipeline): Promise<FloodReport> {
  const paced = Number(args['flood-rate']) > 0 ? ['--rate', args['flood-rate']!] : [];
  const child = spawn('nice', ['-n', args['flood-nice']!, process.execPath, fileURLToPath(new URL('./load-flood.ts', import.meta.url)), '--api', p.functions.api!.url, '--upload', p.functions.upload!.url, '--count', String(FLOOD), '--concurrency', String(FLOOD_CONCURRENCY), '--size', String(bytes.length), ...paced], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the flood process exited with ${code}`);
  return JSON.parse(out) as FloodReport;
}

const profiled: Record<string, string> = args['cpu-prof'] ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${args['cpu-prof']}` } : {};
const atOnce: Record<'api' | 'upload', Record<string, string>> = {
  api: { ...profiled, ...(args['api-at-once'] ? { API_CONCURRENT_REQUESTS: args['api-at-once'] } : {}) },
  upload: { ...profiled, ...(args['upload-at-once'] ? { UPLOAD_CONCURRENT_REQUESTS: args['upload-at-once'] } : {}) },
};
const pipeline = await startPipeline({ functions: ['upload', 'api', 'dispatch', 'ocr-worker'], env: atOnce, readyTimeoutMs: 120_000 });
// Interrupted, the emulators and functions stop with the run.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void pipeline.stop().finally(() => process.exit(130)));
const store = new TaskStore(createFirestore(pipeline.suite.projectId));

try {
  // Warm both HTTP functions (their first request loads the handler) with a user who takes no part.
  await (await fetch(`${pipeline.functions.api!.url}/tasks`, { headers: who('warm@example.com') })).body?.cancel();
  await (await signedUrlRequest(pipeline, 'warm@example.com', 'warm.png')).body?.cancel();

  // ── 1. concurrent uploads ──
  say(`${UPLOADS} uploads at once from ${USERS} users`);
  const started = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: UPLOADS }, (_, i) => {
      const email = `user-${i % USERS}@example.com`;
      const send = i % 2 === 0 ? multipartUpload : signedUpload;
      return send(pipeline, email, `load-${i}.png`).catch((err: unknown): Outcome => {
        say(`upload ${i} broke: ${String(err)}`);
        return { kind: i % 2 === 0 ? 'multipart' : 'signed-url', status: 0, ms: performance.now() - started };
      });
    }),
  );
  const submittedMs = performance.now() - started;
  const accepted = outcomes.filter((o) => o.taskId).map((o) => o.taskId!);
  const errors5xx = outcomes.filter((o) => o.status >= 500 || o.status === 0).length;
  const refused = outcomes.filter((o) => !o.taskId && o.status < 500 && o.status !== 0);
  say(`submitted in ${(submittedMs / 1000).toFixed(1)} s: ${accepted.length} accepted, ${errors5xx} 5xx or broken, ${refused.length} refused ${JSON.stringify(refused.map((o) => o.status))}`);
  const final = await waitForTasks(store, accepted);
  const completed = [...final.values()].filter((f) => f.status === 'COMPLETED');
  const failed = [...final.values()].filter((f) => f.status === 'FAILED').length;
  const lost = accepted.length - final.size;
  const allDoneMs = performance.now() - started;
  say(`${completed.length} COMPLETED, ${failed} FAILED, ${lost} not finished, in ${(allDoneMs / 1000).toFixed(0)} s`);
  const uploadMs = (kind: Outcome['kind']) => outcomes.filter((o) => o.kind === kind && o.taskId).map((o) => o.ms);
  const all = outcomes.filter((o) => o.taskId).map((o) => o.ms);
  const e2e = completed.map((c) => c.ms!).filter((x) => x !== null);
  const row = (label: string, xs: number[]) => `| ${label} | ${ms(pct(xs, 50))} | ${ms(pct(xs, 95))} | ${ms(Math.max(...xs))} |`;
  const uploadsReport = `**${UPLOADS} uploads at once from ${USERS} users** (${args.file}, ${bytes.length} bytes; even ones multipart, odd ones through a signed URL:
the URL from upload, the session, the bytes, timed together): ${accepted.length} accepted, **${errors5xx} 5xx** or broken connections,
${refused.length} refused (${uploadRefusals} answers 429, each sent again after its Retry-After); **${completed.length} COMPLETED, ${failed} FAILED, ${lost} lost** (every accepted upload a task that finished);
all submitted in ${(submittedMs / 1000).toFixed(1)} s, all finished ${(allDoneMs / 1000).toFixed(0)} s after the first request.

| ms | p50 | p95 | max |
|---|---|---|---|
${row('multipart upload request', uploadMs('multipart'))}
${row('signed-URL upload (3 requests)', uploadMs('signed-url'))}
${row('any upload', all)}
${row(`task created → COMPLETED (queueing behind the other ${UPLOADS - 1} on one worker included)`, e2e)}
`;
  // Written at once: the figures stand even if the flood below breaks the run.
  process.stdout.write(uploadsReport + '\n');

  // ── 2. a flood from one user, and another user's requests beside it ──
  say(`idle: ${PROBES} requests from one user, one after another`);
  const { result: idle, cpuMs: idleCpu } = await cpuOver(pipeline, () => probe(pipeline, 'victim@example.com', (done) => done < PROBES));
  const idleLoad = loadavg()[0]!.toFixed(1);
  say(`flood: ${FLOOD} requests from one user, ${FLOOD_CONCURRENCY} at a time${Number(args['flood-rate']) > 0 ? `, ${args['flood-rate']} a second` : ''}, while the same user probes again (load ${idleLoad})`);
  let flooding = true;
  const floodDone = runFlood(pipeline).finally(() => {
    flooding = false;
  });
  // The other user probes for as long as the flood lasts (at least a few requests).
  const { result: busy, cpuMs: busyCpu } = await cpuOver(pipeline, async () => {
    const probed = await probe(pipeline, 'victim@example.com', (done) => flooding || done < 10);
    await floodDone;
    return probed;
  });
  const flood = await floodDone;
  const floodLoad = loadavg()[0]!.toFixed(1);
  const count = (s: number) => flood.statuses[s] ?? 0;
  const floodErrors = Object.entries(flood.statuses).filter(([s]) => Number(s) >= 500).reduce((a, [, n]) => a + n, 0);
  // The flood's own connections that got no answer: its starved nice -n 19 process timing out, not a server's failure
  // (a server error is a 5xx, and a request the server saw is in its request log).
  const floodUnanswered = count(0);

  const ratio = (a: number[], b: number[]) => (pct(a, 95) / pct(b, 95)).toFixed(2);
  const report = `### bench:load — ${new Date().toISOString().slice(0, 10)}, ${process.version}

Command: \`npm run bench:load -- --uploads ${UPLOADS} --users ${USERS} --flood ${FLOOD} --flood-concurrency ${FLOOD_CONCURRENCY} --probes ${PROBES} --flood-rate ${args['flood-rate']}${args['api-at-once'] ? ` --api-at-once ${args['api-at-once']}` : ''}${args['upload-at-once'] ? ` --upload-at-once ${args['upload-at-once']}` : ''}${args['flood-nice'] !== '0' ? ` --flood-nice ${args['flood-nice']}` : ''}\`.
The local suite (upload, api, dispatch and one OCR worker as functions-framework processes; Firestore and Pub/Sub
emulators; our storage emulator) on this machine, the load generated by the same machine; rate limits at their defaults.
The flood comes from a process of its own (\`nice -n ${args['flood-nice']}\`, bench/load-flood.ts, node:http on keep-alive connections),
${Number(args['flood-rate']) > 0 ? `paced at ${args['flood-rate']} requests a second` : 'as fast as it can'}: it shares this machine's cores with the servers, and its CPU is reported; the other user's requests from this process.
Load average at the start ${startLoad}, at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}.

${uploadsReport}
**A flood from one user**: ${FLOOD} requests (half \`GET /tasks\` on the api, half \`POST /uploads\` on upload), ${FLOOD_CONCURRENCY} at a time,
in ${(flood.ms / 1000).toFixed(1)} s (${Math.round(FLOOD / (flood.ms / 1000))} requests/s${Number(args['flood-rate']) > 0 ? `, paced at ${args['flood-rate']}` : ''}; the flood's client used ${flood.cpuMs} CPU-ms, ${(flood.cpuMs / flood.ms).toFixed(2)} of a core): ${count(200)} answered 200, **${count(429)} answered 429**
(${flood.withoutRetryAfter} without a Retry-After; answered in ${ms(pct(flood.refusedMs, 50))} ms p50, ${ms(pct(flood.refusedMs, 95))} ms p95; Retry-After ${flood.retryAfter.length ? `${Math.min(...flood.retryAfter)}–${Math.max(...flood.retryAfter)} s` : '–'}), **${floodErrors} 5xx**, ${floodUnanswered} without an answer on the flood's side (its connections timing out),
other: ${JSON.stringify(Object.fromEntries(Object.entries(flood.statuses).filter(([s]) => !['200', '429', '0'].includes(s) && Number(s) < 500)))}.
Meanwhile another user made the same two requests one after another, ${PROBE_PAUSE_MS} ms apart, on connections of their own (${busy.api.length + busy.upload.length} requests during the flood;
${idle.api.length + idle.upload.length} on the idle system before it, the peer); refused or failed: ${idle.other.length} idle, ${busy.other.length} flooded.
Slowest of the other user's requests: idle ${idle.slowest}; under the flood ${busy.slowest} (from the phase's start).

| the other user's requests, ms | idle p50 | idle p95 | under the flood p50 | under the flood p95 | p95 ratio |
|---|---|---|---|---|---|
| \`GET /tasks?limit=20\` (api) | ${ms(pct(idle.api, 50))} | ${ms(pct(idle.api, 95))} | ${ms(pct(busy.api, 50))} | ${ms(pct(busy.api, 95))} | **${ratio(busy.api, idle.api)}×** |
| \`POST /uploads\` (upload) | ${ms(pct(idle.upload, 50))} | ${ms(pct(idle.upload, 95))} | ${ms(pct(busy.upload, 50))} | ${ms(pct(busy.upload, 95))} | **${ratio(busy.upload, idle.upload)}×** |

CPU of the servers (ms, from /proc): idle phase (${idle.api.length + idle.upload.length + idle.other.length} requests) api ${idleCpu.api}, upload ${idleCpu.upload}, Firestore emulator ${idleCpu.firestore};
flood phase (${FLOOD + busy.api.length + busy.upload.length + busy.other.length} requests) api ${busyCpu.api}, upload ${busyCpu.upload}, Firestore emulator ${busyCpu.firestore}.
Load average (1 min) at the end of the idle phase ${idleLoad}, at the end of the flood ${floodLoad}.
`;
  process.stdout.write(report);
  const broken = errors5xx > 0 || lost > 0 || failed > 0 || floodErrors > 0 || count(429) === 0 || flood.withoutRetryAfter > 0 || busy.other.length > 0;
  if (broken) {
    say('FAILED: a 5xx, a lost or failed upload, a flood not limited, or the other user refused');
    process.exitCode = 1;
  }
} finally {
  await pipeline.stop();
  say(`function logs: ${pipeline.logDir}`);
}
process.exit(process.exitCode ?? 0);
