/**
 * bench:pipeline — single-page documents through the whole local suite (upload over HTTP → storage
 * event → dispatch → Pub/Sub push → worker → results → COMPLETED), one at a time so the figures are
 * latency, not queueing. The pipeline's own overhead per task is the end-to-end time minus the core's
 * time on the same document (result.timings.totalMs), measured in the same run.
 *
 *   npm run bench:pipeline -- --tasks 40
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { createFirestore, TaskStore } from '../shared/adapters/firestore-tasks.ts';
import { fixture } from '../test/support/fixtures.ts';
import { startPipeline } from '../test/support/pipeline.ts';
import { TEST_BUCKETS } from '../test/support/suite.ts';

const { values: args } = parseArgs({ options: { tasks: { type: 'string', default: '40' }, file: { type: 'string', default: 'tessjs_testocr.png' } } });
const N = Number(args.tasks);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const pipeline = await startPipeline({ functions: ['upload', 'api', 'dispatch', 'ocr-worker'], env: { 'ocr-worker': { OCR_WORKERS: '1', DEDUPE_RESULTS: 'false' } } }); // the same file each time: every one read
const tasks = new TaskStore(createFirestore(pipeline.suite.projectId));
const storage = new Storage({ projectId: pipeline.suite.projectId });
const bytes = fixture(args.file!);
const rows: Array<{ e2e: number; core: number; ocr: number; queue: number; seen: number }> = [];
const pushDelays: number[] = [];

/**
 * The peer figure: how long the Pub/Sub emulator itself takes from a publish to the push request,
 * for an empty message to an endpoint that answers at once. Every task pays it once; it is the
 * emulator's, not the pipeline's (the cloud service pushes in tens of milliseconds).
 */
async function emulatorPushDelays(projectId: string, count: number): Promise<number[]> {
  let arrived: (() => void) | undefined;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(204).end();
      arrived?.();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const pubsub = new PubSub({ projectId });
  const [topic] = await pubsub.createTopic('bench-push-probe');
  await topic.createSubscription('bench-push-probe', { pushConfig: { pushEndpoint: `http://127.0.0.1:${port}/probe` }, ackDeadlineSeconds: 60 });
  const publisher = pubsub.topic('bench-push-probe', { batching: { maxMessages: 1, maxMilliseconds: 0 } });
  const delays: number[] = [];
  for (let i = 0; i < count; i++) {
    const got = new Promise<void>((r) => (arrived = r));
    const t0 = performance.now();
    await publisher.publishMessage({ data: Buffer.from('probe') });
    await got;
    delays.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
  }
  await pubsub.close();
  server.close();
  return delays;
}
try {
  for (let i = 0; i < N + 2; i++) {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from(bytes)]), args.file!);
    const t0 = Date.now();
    const res = await fetch(`${pipeline.functions.upload!.url}/`, { method: 'POST', body: form, headers: { 'x-user-email': 'bench@example.com' } });
    if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
    const taskId = ((await res.json()) as { tasks: Array<{ taskId: string }> }).tasks[0]!.taskId;
    // The client waits the way the api offers: one request answered when the task finishes.
    let status = '';
    while (status !== 'COMPLETED' && status !== 'FAILED') {
      const view = await fetch(`${pipeline.functions.api!.url}/tasks/${taskId}?wait=30`, { headers: { 'x-user-email': 'bench@example.com' } });
      if (view.status !== 200) throw new Error(`api answered ${view.status}: ${await view.text()}`);
      status = ((await view.json()) as { status: string }).status;
    }
    const seenAt = Date.now();
    const task = (await tasks.get(taskId))!;
    if (task.status !== 'COMPLETED') throw new Error(`task ${taskId} failed: ${JSON.stringify(task.error)}`);
    const [json] = await storage.bucket(TEST_BUCKETS.results).file(task.summary!.objects.json).download();
    const result = JSON.parse(json.toString('utf8')) as { timings: { totalMs: number; ocrMs: number } };
    if (i >= 2) {
      // The first two warm the functions and engines (cold starts are their own benchmark).
      rows.push({ e2e: seenAt - t0, core: result.timings.totalMs, ocr: result.timings.ocrMs, queue: task.startedAt!.getTime() - t0, seen: seenAt - task.completedAt!.getTime() });
    }
  }
  pushDelays.push(...(await emulatorPushDelays(pipeline.suite.projectId, 100)));
} finally {
  await pipeline.stop();
  process.stderr.write(`function logs: ${pipeline.logDir}\n`);
}

const e2e = rows.map((r) => r.e2e);
const core = rows.map((r) => r.core);
const overhead = rows.map((r) => r.e2e - r.core);
const toStart = rows.map((r) => r.queue);
const seen = rows.map((r) => r.seen);
process.stdout.write(`### bench:pipeline — ${new Date().toISOString().slice(0, 10)}, ${process.version}

Command: \`npm run bench:pipeline -- --tasks ${N} --file ${args.file}\`. ${N} single-page documents (${args.file}, ${bytes.length} bytes), one
at a time, through the local suite (functions-framework processes; Firestore and Pub/Sub emulators; our storage emulator),
after two warm-up tasks. End to end = from the upload request until the client reads COMPLETED (\`GET /tasks/{id}?wait=30\` through the api function); core = the OCR pipeline's own
time on the document (result.timings.totalMs); overhead = the difference.

| ms | p50 | p95 | max |
|---|---|---|---|
| end to end | ${pct(e2e, 50)} | ${pct(e2e, 95)} | ${Math.max(...e2e)} |
| upload request → worker starts | ${pct(toStart, 50)} | ${pct(toStart, 95)} | ${Math.max(...toStart)} |
| core (render + OCR + metadata) | ${pct(core, 50)} | ${pct(core, 95)} | ${Math.max(...core)} |
| worker completes (completedAt) → client has the answer | ${pct(seen, 50)} | ${pct(seen, 95)} | ${Math.max(...seen)} |
| pipeline overhead | **${pct(overhead, 50)}** | ${pct(overhead, 95)} | ${Math.max(...overhead)} |
| peer: the Pub/Sub emulator's own publish → push delay | ${Math.round(pct(pushDelays, 50))} | ${Math.round(pct(pushDelays, 95))} | ${Math.round(Math.max(...pushDelays))} |
| pipeline overhead net of that delay (p50 − p50) | **${Math.round(pct(overhead, 50) - pct(pushDelays, 50))}** | | |
`);
