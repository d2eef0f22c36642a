/**
 * The chaos run: the whole system on the emulator suite (the processes `npm start` runs), many
 * users' documents in over HTTP and `gcloud storage cp`, every push and every finalize event
 * delivered twice, workers killed, dispatch and the api restarted, Firestore paused — and then the
 * books checked: nothing lost, nothing stuck, nothing done twice, nobody sees another's task.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import pLimit from 'p-limit';
import { createFirestore, TaskStore } from '../../shared/adapters/firestore-tasks.ts';
import { Queue } from '../../shared/adapters/pubsub.ts';
import { isRetryableCode, type ErrorCode } from '../../shared/core/errors.ts';
import { derivedTaskId, resultObjectNames, userHashOf, type Task } from '../../shared/core/task.ts';
import { recoverStale } from '../../shared/lifecycle/recover-stale.ts';
import { HELD_GRACE_MS, releaseQueued } from '../../shared/lifecycle/release-queued.ts';
import { AdmissionStore } from '../../shared/adapters/firestore-admission.ts';
import { loadConfig } from '../../shared/config.ts';
import { createLogger } from '../../shared/log.ts';
import { COLLECTIONS, DEAD_LETTER_SUBSCRIPTION, EVENTS_TOPIC } from '../../shared/names.ts';
import { startPipeline, type Pipeline } from '../../test/support/pipeline.ts';
import { TEST_BUCKETS, TEST_SECRET } from '../../test/support/suite.ts';
import { EXPECTED_CODES, INFRASTRUCTURE_KINDS, makeDocument, type ChaosDocument } from './documents.ts';
import { DEFAULT_PUSH_RETRY, startDuplicatingPush, type PushRetry } from './duplicating-push.ts';
import { pushConcurrency } from '../../emulators/push-relay.ts';

export interface ChaosOptions {
  documents: number;
  users: number;
  /** One document in this many is a bad input (20: 5%). */
  badEvery: number;
  /** SIGKILL the worker each time this many more tasks have finished. */
  killEvery: number;
  /**
   * How often the run counts the finished tasks, which sets when the next kill comes: a count over every task, served by
   * the emulator being measured. Small documents read quickly finish faster than killEvery a look at 2 s.
   */
  pollMs: number;
  firestorePauseMs: number;
  maxAttempts: number;
  /** The whole run (uploads to last check) must end within this. */
  timeoutMs: number;
  /** Documents the worker process reads at once (WORKER_SLOTS): a kill stops every one of them. */
  workerSlots: number;
  /**
   * LEASE_SECONDS. A killed worker's tasks do not wait for it (the restarted worker, under the same WORKER_INSTANCE, frees
   * its predecessor's leases at its start); it is how late a live worker's renewal may come on a loaded machine.
   */
  leaseSeconds: number;
  /** Queue care (recover-stale, release-queued) this often, as the scheduler runs it (there: every few minutes). */
  careEveryMs: number;
  /** Queue care publishes again a QUEUED task admitted this long ago that no worker took (there: REPUBLISH_QUEUED_MINUTES). */
  republishAfterMs: number;
  /** Queue care admits a user's held tasks held this long, and publishes admitted ones never published this long after (there: release-queued.ts HELD_GRACE_MS, UNSENT_GRACE_MS). */
  heldGraceMs: number;
  /** How the duplicating push retries a push the worker did not take (down, or its lease busy): there, the subscription's retry policy. */
  pushRetry: PushRetry;
  /** Progress lines; quiet when absent. */
  say?: (line: string) => void;
  /** A JSON file for the run's timeline: kills, queue care's republishes, every push and each task's stamps. */
  traceFile?: string;
}

export const DEFAULT_OPTIONS: ChaosOptions = {
  documents: 2000,
  users: 10,
  badEvery: 20,
  killEvery: 20,
  pollMs: 2_000,
  firestorePauseMs: 10_000,
  maxAttempts: 3,
  timeoutMs: 60 * 60_000,
  workerSlots: 1,
  leaseSeconds: 60,
  careEveryMs: 20_000,
  // Not a minute: ten users' forty admitted tasks wait longer than that behind a loaded worker, and each was published
  // again every minute, a flood of duplicates through the emulator's two pushes at a time (before the push relay).
  republishAfterMs: 5 * 60_000,
  heldGraceMs: HELD_GRACE_MS,
  pushRetry: DEFAULT_PUSH_RETRY,
};

export interface ChaosReport {
  options: Omit<ChaosOptions, 'say'>;
  submitted: number;
  refusedAtUpload: number;
  /** Refusals at upload by their code. */
  refusedCodes: Record<string, number>;
  accepted: number;
  completed: number;
  failed: Record<string, number>;
  stuck: number;
  deadLettered: number;
  faults: { workerKills: number; dispatchRestarts: number; apiRestarts: number; firestorePauses: number; pushCopies: number; pushesUnreachable: number; pushesRetried: number; pushesReleased: number; staleRequeued: number; freedAtRestart: number };
  /** Wall time the killed workers took to listen again, summed: no document is read meanwhile. */
  workerRestartMs: number;
  /** Tasks with more than one terminal event on ocr-events (reported; the worker announces once per finish). */
  duplicateEvents: number;
  wallMs: number;
  documentsPerMinute: number;
  violations: string[];
}

const FAULT_MARKER = 'DOCVAULT-CHAOS-POISON';
const TERMINAL = ['COMPLETED', 'FAILED'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Accepted {
  taskId: string;
  doc: ChaosDocument;
}

// One long function on purpose: the run is a scenario read top to bottom (start, load, faults, drain, audit),
// and its phases share the suite, the clock and the counters.
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const say = options.say ?? (() => undefined);
  // each restarted function process adds an exit listener (to kill it if we die first)
  process.setMaxListeners(Math.max(process.getMaxListeners(), 100));
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const pipeline = await startPipeline({
    functions: ['upload', 'api', 'dispatch', 'ocr-worker'],
    // A function's start (and each restart after a kill) took over 30 s on a machine loaded ~25 deep.
    readyTimeoutMs: 120_000,
    env: {
      // upload writes the task (PENDING) and moves its own multipart documents on, dispatch every other arrival: both set its attempt limit.
      upload: { MAX_ATTEMPTS: String(options.maxAttempts) },
      dispatch: { MAX_ATTEMPTS: String(options.maxAttempts) },
      'ocr-worker': { LEASE_SECONDS: String(options.leaseSeconds), MAX_ATTEMPTS: String(options.maxAttempts), OCR_WORKERS: '2', WORKER_SLOTS: String(options.workerSlots), OCR_FAULT_MARKER: FAULT_MARKER },
    },
  });
  const { suite } = pipeline;
  const push = await startDuplicatingPush(() => pipeline.functions['ocr-worker']!.url, options.pushRetry);
  const firestore = createFirestore(suite.projectId);
  const pubsub = new PubSub({ projectId: suite.projectId });
  const queue = new Queue(pubsub);
  const storage = new Storage({ projectId: suite.projectId });
  const tasks = new TaskStore(firestore);
  const log = createLogger('chaos', {}, () => undefined);
  // The functions' own fairness settings; a lost message is published again within a bounded run, not after ten minutes.
  const fairness = { ...loadConfig(suite.env).fairness, republishAfterMs: options.republishAfterMs };
  const care = { tasks, queue, admission: new AdmissionStore(firestore), fairness, retentionMs: 7 * 86_400_000, notify: { log } };
  // As the scheduler's recover-stale run does: expired leases, then held-back and lost QUEUED tasks.
  const trace = { kills: [] as number[], care: [] as Array<{ at: number; admitted: string[]; republished: string[] }> };
  const queueCare = async () => {
    const recovered = await recoverStale(care);
    const released = await releaseQueued(care, { heldGraceMs: options.heldGraceMs, unsentGraceMs: options.heldGraceMs });
    if (released.admitted.length || released.republished.length) trace.care.push({ at: Date.now(), ...released });
    return recovered;
  };
  const work = mkdtempSync(join(tmpdir(), 'docvault-chaos-'));
  const faults = { workerKills: 0, dispatchRestarts: 0, apiRestarts: 0, firestorePauses: 0, pushCopies: 0, pushesUnreachable: 0, pushesRetried: 0, pushesReleased: 0, staleRequeued: 0, freedAtRestart: 0 };
  try {
    // Every push (the push relay's, as npm start's) through the duplicating proxy; every finalize event to dispatch twice.
    await suite.provision({ workerUrls: { high: push.url, normal: push.url, low: push.url }, maxDeliveryAttempts: 10, minimumBackoffSeconds: 1, maximumBackoffSeconds: 3, pushConcurrency: pushConcurrency(options.workerSlots, 1) });
    suite.storage.addEventTarget({ url: `${pipeline.functions.dispatch!.url}/again`, eventTypes: ['finalized'], buckets: [TEST_BUCKETS.uploads] });
    const deadLetters = collect(pubsub, DEAD_LETTER_SUBSCRIPTION);
    const [eventsSub] = await pubsub.topic(EVENTS_TOPIC).createSubscription(`chaos-events-${Date.now()}`);
    const events = collect(pubsub, eventsSub.name.split('/').pop()!);

    const docs: ChaosDocument[] = [];
    for (let i = 0; i < options.documents; i++) docs.push(await makeDocument(i, options.users, options.badEvery, FAULT_MARKER));
    const emails = Array.from({ length: options.users }, (_, u) => `chaos-user-${u}@example.com`);
    const hashes = emails.map((e) => userHashOf(e, TEST_SECRET));
    say(`${docs.length} documents for ${options.users} users made; submitting`);

    const accepted: Accepted[] = [];
    const refused: Array<{ doc: ChaosDocument; code: string }> = [];
    const submittedAt = Date.now();
    let submitted = 0;
    // Faults while documents arrive: dispatch restarted once, half-way through the submissions.
    const onSubmitted = async () => {
      submitted++;
      if (submitted === Math.floor(docs.length / 2)) {
        say('fault: dispatch killed and restarted');
        pipeline.functions.dispatch!.kill();
        faults.dispatchRestarts++;
        await sleep(1000);
        await pipeline.restart('dispatch');
      }
    };
    const byHttp = docs.filter((d) => Math.floor(d.index / options.users) % 2 === 0);
    const byDrop = docs.filter((d) => Math.floor(d.index / options.users) % 2 === 1);
    const http = pLimit(4);
    const uploads = Promise.all(
      byHttp.map((doc) =>
        http(async () => {
          const outcome = await uploadOverHttp(pipeline, emails[doc.user]!, doc);
          if ('taskId' in outcome) accepted.push({ taskId: outcome.taskId, doc });
          else refused.push({ doc, code: outcome.code });
          await onSubmitted();
        }),
      ),
    );
    // Every user's dropped files in one `gcloud storage cp -r` (a folder per user, named by its hash, into users/): the
    // CLI's own start costs ~2 CPU-s, which one call per user would pay ten times over.
    const drops = (async () => {
      for (const d of byDrop) {
        const dir = join(work, hashes[d.user]!);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, d.fileName), d.bytes);
      }
      const folders = [...new Set(byDrop.map((d) => hashes[d.user]!))];
      if (folders.length === 0) return;
      await dropWithGcloud(pipeline, folders.map((hash) => join(work, hash)), `gs://${TEST_BUCKETS.uploads}/users/`);
      const [files] = await storage.bucket(TEST_BUCKETS.uploads).getFiles({ prefix: 'users/' });
      for (const d of byDrop) {
        const name = `users/${hashes[d.user]}/${d.fileName}`;
        const file = files.find((f) => f.name === name);
        if (!file) throw new Error(`gcloud storage cp did not write ${name}`);
        accepted.push({ taskId: derivedTaskId(TEST_BUCKETS.uploads, file.name, String(file.metadata.generation)), doc: d });
        await onSubmitted();
      }
    })();
    await Promise.all([uploads, drops]);
    say(`submitted in ${((Date.now() - submittedAt) / 1000).toFixed(1)} s: ${accepted.length} accepted, ${refused.length} refused at upload`);

    // Faults while documents are read: a worker SIGKILL every killEvery finished tasks, the api
    // restarted and Firestore paused once each.
    const ids = accepted.map((a) => a.taskId);
    let finished = 0;
    let nextKill = options.killEvery;
    let apiDone = false;
    let pauseDone = false;
    let lastRecover = Date.now();
    let workerRestartMs = 0;
    // The Firestore pause, the api's restart and queue care run beside the loop: awaited in it, they held the next kill
    // back while the worker went on finishing tasks (the CI run's last 100 tasks finished during the api's restart).
    const aside: Array<Promise<unknown>> = [];
    let caring = false;
    while (Date.now() < deadline) {
      finished = await countFinished(firestore).catch(() => finished);
      if (finished >= accepted.length) break;
      if (finished >= nextKill) {
        nextKill += options.killEvery;
        faults.workerKills++;
        pipeline.functions['ocr-worker']!.kill();
        const killedAt = Date.now();
        trace.kills.push(killedAt);
        await sleep(300);
        await pipeline.restart('ocr-worker');
        workerRestartMs += Date.now() - killedAt;
      }
      if (!pauseDone && finished >= accepted.length * 0.3) {
        pauseDone = true;
        say(`fault: Firestore emulator paused for ${options.firestorePauseMs / 1000} s`);
        faults.firestorePauses++;
        aside.push((async () => {
          process.kill(-suite.firestore.pid, 'SIGSTOP');
          await sleep(options.firestorePauseMs);
          process.kill(-suite.firestore.pid, 'SIGCONT');
        })());
      }
      if (!apiDone && finished >= accepted.length * 0.5) {
        apiDone = true;
        say('fault: api killed and restarted');
        faults.apiRestarts++;
        pipeline.functions.api!.kill();
        aside.push(sleep(500).then(() => pipeline.restart('api')));
      }
      // The scheduled recover-stale, as Cloud Scheduler runs it every few minutes; one run at a time.
      if (!caring && Date.now() - lastRecover > options.careEveryMs) {
        lastRecover = Date.now();
        caring = true;
        aside.push(
          queueCare()
            .catch(() => ({ requeued: [] }))
            .then(({ requeued }) => {
              faults.staleRequeued += requeued.length;
              caring = false;
              say(`  ${finished}/${accepted.length} finished, ${faults.workerKills} worker kills`);
            }),
        );
      }
      // Each look is a count over every task, served by the same emulator the run is measuring: not too often.
      await sleep(options.pollMs);
    }
    await Promise.all(aside);
    // One last recovery for whatever a kill left behind, and a short wait for it.
    faults.staleRequeued += (await queueCare()).requeued.length;
    const settleBy = Math.min(deadline, Date.now() + 60_000);
    while (Date.now() < settleBy && (await countFinished(firestore)) < accepted.length) await sleep(options.pollMs);
    const wallMs = Date.now() - submittedAt;
    await sleep(3000); // the last dead letters and events in flight
    faults.pushCopies = push.stats.copies;
    faults.pushesUnreachable = push.stats.unreachable;
    faults.pushesRetried = push.stats.redelivered;
    faults.pushesReleased = push.stats.released;
    faults.freedAtRestart = freedAtRestart(join(pipeline.logDir, 'ocr-worker.log'));

    if (options.traceFile) await writeTrace(options.traceFile, firestore, { ...trace, logDir: pipeline.logDir, submittedAt, pushes: push.records });
    const report = await audit({ pipeline, tasks, storage, accepted, refused, hashes, emails, deadLetters: deadLetters.seen, events: events.seen, maxAttempts: options.maxAttempts });
    await Promise.all([deadLetters.close(), events.close()]);
    const { say: _say, ...opts } = options;
    return {
      options: opts,
      submitted: docs.length,
      refusedAtUpload: refused.length,
      refusedCodes: refused.reduce<Record<string, number>>((n, r) => ({ ...n, [r.code]: (n[r.code] ?? 0) + 1 }), {}),
      accepted: ids.length,
      ...report,
      faults,
      workerRestartMs,
      wallMs,
      // Finished documents, not accepted ones: a run stopped at its time limit counts only what it got through.
      documentsPerMinute: ((report.completed + Object.values(report.failed).reduce((a, b) => a + b, 0)) / wallMs) * 60_000,
    };
  } finally {
    try {
      process.kill(-suite.firestore.pid, 'SIGCONT');
    } catch {
      // gone already
    }
    rmSync(work, { recursive: true, force: true });
    await queue.close().catch(() => undefined);
    await Promise.allSettled([pubsub.close(), firestore.terminate(), push.close()]);
    await pipeline.stop();
  }
}

/** The run's timeline as JSON: what happened when, for a look at where a stall came from. */
async function writeTrace(file: string, firestore: ReturnType<typeof createFirestore>, trace: object): Promise<void> {
  const snap = await firestore.collection(COLLECTIONS.tasks).get();
  const ms = (v: unknown) => (v && typeof v === 'object' && 'toMillis' in v ? (v as { toMillis(): number }).toMillis() : null);
  const stamps = snap.docs.map((d) => {
    const t = d.data();
    return { taskId: d.id, userHash: t.userHash, status: t.status, attempts: t.attempts, source: t.source, createdAt: ms(t.createdAt), admittedAt: ms(t.admittedAt), dispatchedAt: ms(t.dispatchedAt), startedAt: ms(t.startedAt), completedAt: ms(t.completedAt) };
  });
  writeFileSync(file, JSON.stringify({ ...trace, tasks: stamps }));
}

/** Tasks the restarted workers took back from their killed predecessors at start (their log's release lines). */
function freedAtRestart(workerLog: string): number {
  let freed = 0;
  for (const line of readFileSync(workerLog, 'utf8').split('\n')) {
    if (!line.includes('predecessor released')) continue;
    try {
      const entry = JSON.parse(line) as { requeued?: number; failed?: number };
      freed += (entry.requeued ?? 0) + (entry.failed ?? 0);
    } catch {
      // a line cut short by a kill
    }
  }
  return freed;
}

async function uploadOverHttp(pipeline: Pipeline, email: string, doc: ChaosDocument): Promise<{ taskId: string } | { code: string }> {
  for (let attempt = 1; ; attempt++) {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from(doc.bytes)], { type: doc.contentType }), doc.fileName);
    try {
      const res = await fetch(`${pipeline.functions.upload!.url}/`, { method: 'POST', body: form, headers: { 'x-user-email': email } });
      const body = (await res.json()) as { tasks?: Array<{ taskId: string }>; error?: { code: string }; code?: string };
      if (res.status === 202) return { taskId: body.tasks![0]!.taskId };
      if (res.status >= 400 && res.status < 500 && res.status !== 429) return { code: body.error?.code ?? body.code ?? `HTTP ${res.status}` };
    } catch {
      // a refused connection or a reset: try again, as a client would
    }
    if (attempt >= 5) throw new Error(`upload of ${doc.fileName} failed ${attempt} times`);
    await sleep(500 * attempt);
  }
}

async function dropWithGcloud(pipeline: Pipeline, folders: string[], destination: string): Promise<void> {
  const config = mkdtempSync(join(tmpdir(), 'gcloud-config-'));
  try {
    await promisify(execFile)('gcloud', ['storage', 'cp', '-r', ...folders, destination], {
      env: {
        ...process.env,
        CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE: `${pipeline.suite.storage.url}/`,
        CLOUDSDK_AUTH_DISABLE_CREDENTIALS: 'True',
        CLOUDSDK_CORE_PROJECT: pipeline.suite.projectId,
        CLOUDSDK_CONFIG: config,
        CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
      },
      maxBuffer: 16 * 1024 * 1024,
    });
  } finally {
    rmSync(config, { recursive: true, force: true });
  }
}

async function countFinished(firestore: ReturnType<typeof createFirestore>): Promise<number> {
  const snap = await firestore.collection(COLLECTIONS.tasks).where('status', 'in', TERMINAL).count().get();
  return snap.data().count;
}

/** Task ids of the messages on a subscription, from its attributes or its JSON body; acked as they come. */
function collect(pubsub: PubSub, subscription: string) {
  const seen: Array<{ taskId: string; type: string | undefined }> = [];
  const sub = pubsub.subscription(subscription);
  sub.on('message', (m: Message) => {
    let body: { taskId?: string; type?: string } = {};
    try {
      body = JSON.parse(m.data.toString('utf8'));
    } catch {
      // not JSON: the attributes must say
    }
    seen.push({ taskId: m.attributes.taskId ?? body.taskId ?? '?', type: body.type });
    m.ack();
  });
  sub.on('error', () => undefined);
  return { seen, close: () => sub.close() };
}

interface AuditInput {
  pipeline: Pipeline;
  tasks: TaskStore;
  storage: Storage;
  accepted: Accepted[];
  refused: Array<{ doc: ChaosDocument; code: string }>;
  hashes: string[];
  emails: string[];
  deadLetters: Array<{ taskId: string }>;
  events: Array<{ taskId: string; type: string | undefined }>;
  maxAttempts: number;
}

/** The books: every invariant the issue names, each violation a line (one check after another, kept together so the list reads as the issue's). */
async function audit(input: AuditInput) {
  const violations: string[] = [];
  const failed: Record<string, number> = {};
  let completed = 0;
  let stuck = 0;
  for (const { doc, code } of input.refused) {
    const expected = EXPECTED_CODES[doc.kind];
    if (!expected?.includes(code)) violations.push(`${doc.fileName} (${doc.kind}) refused at upload with ${code}`);
  }
  const limit = pLimit(16);
  const stored = await Promise.all(input.accepted.map((a) => limit(() => input.tasks.get(a.taskId))));
  const infrastructureFailed = new Set<string>();
  input.accepted.forEach(({ taskId, doc }, i) => {
    const task = stored[i];
    if (!task) return void violations.push(`lost: ${doc.fileName} (${taskId}) has no task`);
    if (task.userHash !== input.hashes[doc.user]) violations.push(`task ${taskId} belongs to the wrong user`);
    if (task.attempts > task.maxAttempts || task.maxAttempts > input.maxAttempts) violations.push(`task ${taskId} made ${task.attempts} attempts of ${task.maxAttempts}`);
    if (!TERMINAL.includes(task.status)) {
      stuck++;
      // Held back by per-user admission, or admitted and waiting for its message: a backlog left at a time limit reads differently from a lost message.
      const where = task.admittedAt ? `admitted ${task.admittedAt.toISOString()}, ${task.attempts} attempts` : 'held back (not yet admitted)';
      return void violations.push(`stuck: ${doc.fileName} (${taskId}) of user ${doc.user} is ${task.status}, ${where}`);
    }
    if (task.status === 'COMPLETED') {
      completed++;
      if (EXPECTED_CODES[doc.kind]) violations.push(`${doc.fileName} (${doc.kind}) COMPLETED but must fail`);
      return;
    }
    const code = task.error?.code;
    if (!code) return void violations.push(`task ${taskId} FAILED without a code`);
    failed[code] = (failed[code] ?? 0) + 1;
    const infrastructure = isRetryableCode(code as ErrorCode);
    if (infrastructure) infrastructureFailed.add(taskId);
    const expected = EXPECTED_CODES[doc.kind];
    // A good document may fail only for want of attempts (killed on each one): an infrastructure failure.
    if (expected ? !expected.includes(code) : !infrastructure) violations.push(`${doc.fileName} (${doc.kind}) FAILED with ${code}`);
    if (INFRASTRUCTURE_KINDS.has(doc.kind) && !infrastructure) violations.push(`${doc.fileName} (${doc.kind}) should fail for infrastructure, not ${code}`);
  });

  // Exactly one result per completed task, none for a failed one, nothing else in the bucket.
  const [files] = await input.storage.bucket(TEST_BUCKETS.results).getFiles({ prefix: 'users/' });
  const resultsByTask = new Map<string, string[]>();
  for (const f of files) {
    const taskId = f.name.split('/')[2]!;
    resultsByTask.set(taskId, [...(resultsByTask.get(taskId) ?? []), f.name]);
  }
  input.accepted.forEach(({ taskId }, i) => {
    const task = stored[i];
    // The console's page previews are stored beside the results; the results are what must be exactly once.
    const have = (resultsByTask.get(taskId) ?? []).filter((name) => !/\/preview-\d+\.webp$/.test(name)).sort();
    resultsByTask.delete(taskId);
    if (!task) return;
    const want = task.status === 'COMPLETED' ? Object.values(resultObjectNames(task.userHash, taskId)).sort() : [];
    if (JSON.stringify(have) !== JSON.stringify(want)) violations.push(`task ${taskId} (${task.status}) has results [${have.join(', ')}]`);
  });
  for (const [taskId, names] of resultsByTask) violations.push(`results for no accepted task ${taskId}: ${names.length} objects`);

  // Each user's listing over the api: exactly their own tasks.
  for (let user = 0; user < input.emails.length; user++) {
    const listed = await listAll(input.pipeline, input.emails[user]!);
    const own = new Set(input.accepted.filter((a) => a.doc.user === user).map((a) => a.taskId));
    const extra = listed.filter((id) => !own.has(id));
    const missing = [...own].filter((id) => !listed.includes(id));
    if (extra.length || missing.length || listed.length !== own.size) {
      violations.push(`user ${user}'s listing: ${listed.length} tasks, ${extra.length} not theirs, ${missing.length} of theirs missing`);
    }
  }

  // The dead-letter topic: exactly the tasks that failed for infrastructure reasons.
  const dead = new Set(input.deadLetters.map((d) => d.taskId));
  for (const id of dead) if (!infrastructureFailed.has(id)) violations.push(`dead-lettered but not failed for infrastructure: ${id}`);
  for (const id of infrastructureFailed) if (!dead.has(id)) violations.push(`failed for infrastructure but not dead-lettered: ${id}`);

  const terminalEvents = new Map<string, number>();
  for (const e of input.events) if (e.type === 'task.completed' || e.type === 'task.failed') terminalEvents.set(e.taskId, (terminalEvents.get(e.taskId) ?? 0) + 1);
  const duplicateEvents = [...terminalEvents.values()].filter((n) => n > 1).length;
  return { completed, failed, stuck, deadLettered: dead.size, duplicateEvents, violations };
}

async function listAll(pipeline: Pipeline, email: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const url = `${pipeline.functions.api!.url}/tasks?limit=100${cursor ? `&cursor=${cursor}` : ''}`;
    const res = await fetch(url, { headers: { 'x-user-email': email } });
    if (!res.ok) throw new Error(`GET /tasks for a user answered ${res.status}`);
    const page = (await res.json()) as { tasks: Task[]; nextCursor: string | null };
    ids.push(...page.tasks.map((t) => t.taskId));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}
