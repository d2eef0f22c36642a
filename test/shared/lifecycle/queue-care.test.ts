/**
 * Queue care (`docvault queue …`) against the real emulators: gcloud's Firestore and Pub/Sub and
 * our Cloud Storage emulator. Tasks are seeded in the states an operator meets: failed ones,
 * ones whose worker died mid-lease, finished ones of various ages with their objects.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { Message, Subscription } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFirestore, TaskStore } from '../../../shared/adapters/firestore-tasks.ts';
import { createPubSub, Queue } from '../../../shared/adapters/pubsub.ts';
import { GcsBlobStore } from '../../../shared/adapters/storage.ts';
import { localSuiteEnv, runQueueCleanup, runQueueFailed, runQueueStats, runRecoverStale, runReleaseQueued, runRequeueFailed, statsText, type QueueCareDeps } from '../../../cli/queue-command.ts';
import { AdmissionStore } from '../../../shared/adapters/firestore-admission.ts';
import { resultObjectNames, type Task } from '../../../shared/core/task.ts';
import { createLogger } from '../../../shared/log.ts';
import { COLLECTIONS, DEAD_LETTER_TOPIC, EVENTS_TOPIC, PRIORITY_TOPICS } from '../../../shared/names.ts';
import { messageFor } from '../../../shared/core/task.ts';
import { recoverStale } from '../../../shared/lifecycle/recover-stale.ts';
import { requeueFailed } from '../../../shared/lifecycle/requeue.ts';
import { releaseQueued, UNSENT_GRACE_MS } from '../../../shared/lifecycle/release-queued.ts';
import { admitWithin } from '../../../shared/lifecycle/admission.ts';
import { cleanupTasks, DAY_MS } from '../../../shared/lifecycle/cleanup.ts';
import { startSuite, TEST_BUCKETS, TEST_SECRET, type Suite } from '../../support/suite.ts';
import { makeTask } from '../../support/tasks.ts';
import { captureIo } from '../../support/io.ts';
import { ALICE, aliceHash, bobHash } from '../../support/users.ts';


let suite: Suite;
let store: TaskStore;
let queue: Queue;
let storage: Storage;
let deps: QueueCareDeps;
let admission: AdmissionStore;
const fairness = { cap: 2, agingMs: 3_600_000, republishAfterMs: 10 * 60_000 };
/** Queue care's clients with admission, as the CLI builds them. */
const care = () => ({ ...deps, admission, fairness });

beforeAll(async () => {
  suite = await startSuite();
  store = new TaskStore(createFirestore(suite.projectId));
  queue = new Queue(createPubSub(suite.projectId));
  storage = new Storage({ projectId: suite.projectId });
  admission = new AdmissionStore(createFirestore(suite.projectId));
  deps = {
    tasks: store,
    queue,
    blobs: new GcsBlobStore(storage),
    resultsBucket: TEST_BUCKETS.results,
    retentionMs: 30 * DAY_MS,
    notify: { log: createLogger('test', {}, () => undefined), allowPrivateCallbacks: true },
  };
});
afterAll(async () => {
  await queue?.close();
  await suite?.stop();
});
beforeEach(() => suite.clearFirestore());

async function seed(...tasks: Task[]): Promise<Task[]> {
  for (const task of tasks) await store.createIfAbsent(task);
  return tasks;
}

const capture = captureIo;

/** Temporary pull subscriptions on some topics, collecting every message's JSON body. */
async function listen(topics: string[]): Promise<{ messages: Array<Record<string, unknown>>; waitFor(n: number): Promise<void>; close(): Promise<void> }> {
  const pubsub = createPubSub(suite.projectId);
  const subs: Subscription[] = [];
  const messages: Array<Record<string, unknown>> = [];
  for (const topic of topics) {
    const [sub] = await pubsub.topic(topic).createSubscription(`care-${topic}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
    sub.on('message', (m: Message) => {
      messages.push({ ...JSON.parse(m.data.toString()), _topic: topic });
      m.ack();
    });
    subs.push(sub);
  }
  return {
    messages,
    async waitFor(n) {
      const deadline = Date.now() + 10_000;
      while (messages.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300)); // and nothing more follows
    },
    async close() {
      for (const sub of subs) {
        await sub.close();
        await sub.delete().catch(() => undefined);
      }
      await pubsub.close();
    },
  };
}

const without = <T extends Record<string, unknown>>(m: T) => {
  const { _topic, ...rest } = m;
  return rest;
};

describe('queue stats', () => {
  it('counts every user\'s tasks, with the figures of GET /queue/stats', async () => {
    const now = Date.now();
    await seed(
      makeTask({ userHash: aliceHash, createdAt: new Date(now - 30_000) }),
      makeTask({ userHash: bobHash, createdAt: new Date(now - 10_000) }),
      makeTask({ userHash: aliceHash, status: 'PROCESSING', attempts: 1, startedAt: new Date(now), waitMs: 200, lease: { workerId: 'w', expiresAt: new Date(now + 60_000) } }),
      makeTask({ userHash: bobHash, status: 'FAILED', error: { code: 'CORRUPT_DOCUMENT', message: 'x' }, completedAt: new Date(now) }),
      makeTask({ userHash: bobHash, status: 'COMPLETED', startedAt: new Date(now), waitMs: 400, completedAt: new Date(now) }),
    );
    const io = capture();
    expect(await runQueueStats(deps, { json: true }, io)).toBe(0);
    expect(JSON.parse(io.out())).toEqual({
      pending: 2,
      processing: 1,
      failed: 1,
      completedToday: 1,
      averageWaitMs: 300,
      oldestQueuedAt: new Date(now - 30_000).toISOString(),
    });
    const text = capture();
    await runQueueStats(deps, {}, text);
    expect(text.out()).toMatch(/^pending +2\nprocessing +1\nfailed +1\ncompleted today +1\naverage wait +0\.3 s\noldest queued +\S+Z\n$/);
  });
});

describe('queue stats as text', () => {
  it('keeps a space between every label and its figure, the lanes included', () => {
    const text = statsText({
      pending: 0, processing: 0, failed: 0, completedToday: 1, averageWaitMs: 2100, oldestQueuedAt: null,
      lanes: { interactive: { published: 0, held: 0 }, bulk: { published: 2, held: 5 } },
      backlogs: [],
    });
    expect(text).toMatch(/^interactive lane +0 published, 0 held back$/m);
    for (const line of text.trimEnd().split('\n')) expect(line).toMatch(/^[a-z ]*[a-z] {2,}\S/);
  });
});

describe('queue requeue-failed', () => {
  it('requeues failed tasks by code and user, with fresh attempts, and publishes each again', async () => {
    const listener = await listen([PRIORITY_TOPICS.high, PRIORITY_TOPICS.low]);
    try {
      const failed = (userHash: string, code: 'ENGINE_FAILURE' | 'CORRUPT_DOCUMENT', priority: Task['priority']) =>
        makeTask({ userHash, status: 'FAILED', attempts: 3, error: { code, message: 'x' }, priority, generation: '1700000000000001', completedAt: new Date() });
      const [aliceEngine, aliceCorrupt, bobEngine] = await seed(failed(aliceHash, 'ENGINE_FAILURE', 'high'), failed(aliceHash, 'CORRUPT_DOCUMENT', 'low'), failed(bobHash, 'ENGINE_FAILURE', 'high'));

      const io = capture();
      expect(await runRequeueFailed(care(), TEST_SECRET, { code: 'ENGINE_FAILURE', user: ALICE }, io)).toBe(0);
      expect(io.out()).toBe(`requeued  ${aliceEngine!.taskId}  high  ENGINE_FAILURE\n1 task requeued (code ENGINE_FAILURE, user ${aliceHash.slice(0, 12)}…): 1 published now\n`);
      expect(io.out()).not.toContain(ALICE);
      expect(await store.get(aliceEngine!.taskId)).toMatchObject({ status: 'QUEUED', attempts: 0, completedAt: null });
      expect((await store.get(bobEngine!.taskId))!.status).toBe('FAILED');

      // With no code, only failures another attempt may cure: the corrupt document stays FAILED …
      const rest = await requeueFailed(care(), { limit: 100 });
      expect(rest.requeued.map((r) => r.taskId)).toEqual([bobEngine!.taskId]);
      expect((await store.get(aliceCorrupt!.taskId))!.status).toBe('FAILED');
      // … until an operator names its code.
      expect((await requeueFailed(care(), { code: 'CORRUPT_DOCUMENT', limit: 100 })).requeued.map((r) => r.taskId)).toEqual([aliceCorrupt!.taskId]);
      expect((await requeueFailed(care(), { limit: 100 })).requeued).toEqual([]);

      await listener.waitFor(3);
      expect(listener.messages.map(without)).toHaveLength(3);
      expect(listener.messages).toEqual(
        expect.arrayContaining([
          { ...messageFor(aliceEngine!), _topic: PRIORITY_TOPICS.high },
          { ...messageFor(aliceCorrupt!), _topic: PRIORITY_TOPICS.low },
          { ...messageFor(bobEngine!), _topic: PRIORITY_TOPICS.high },
        ]),
      );
      expect(messageFor(aliceEngine!)).toEqual({ v: 1, taskId: aliceEngine!.taskId, bucket: TEST_BUCKETS.uploads, name: aliceEngine!.object, generation: '1700000000000001', priority: 'high', userHash: aliceHash });
    } finally {
      await listener.close();
    }
  });
});

describe('queue requeue-failed leaves failures that cannot change', () => {
  it('a STORAGE_REFUSED task is not requeued without --code; the report names the codes it looked for', async () => {
    const [refused] = await seed(
      makeTask({ userHash: aliceHash, status: 'FAILED', attempts: 1, error: { code: 'STORAGE_REFUSED', message: 'x' }, completedAt: new Date() }),
    );
    const io = capture();
    expect(await runRequeueFailed(care(), TEST_SECRET, { user: ALICE }, io)).toBe(0);
    expect(io.out()).toBe(`0 tasks requeued (codes ENGINE_FAILURE, INTERNAL, user ${aliceHash.slice(0, 12)}…): 0 published now\n`);
    expect((await store.get(refused!.taskId))!.status).toBe('FAILED');
  });
});

describe('queue recover-stale', () => {
  it('brings back a task whose lease expired, fails one out of attempts (removing the results a killed attempt left), and leaves live work alone', async () => {
    const listener = await listen([PRIORITY_TOPICS.normal, DEAD_LETTER_TOPIC, EVENTS_TOPIC]);
    try {
      const now = Date.now();
      const expired = { workerId: 'dead-worker', expiresAt: new Date(now - 60_000) };
      const [comesBack, outOfAttempts, alive, queued] = await seed(
        makeTask({ status: 'PROCESSING', priority: 'normal', attempts: 1, lease: expired, startedAt: new Date(now - 120_000) }),
        makeTask({ status: 'PROCESSING', priority: 'normal', attempts: 3, maxAttempts: 3, lease: expired, error: { code: 'ENGINE_FAILURE', message: 'worker crashed' } }),
        makeTask({ status: 'PROCESSING', priority: 'normal', attempts: 1, lease: { workerId: 'busy-worker', expiresAt: new Date(now + 60_000) } }),
        makeTask({ priority: 'normal' }),
      );

      // Results an attempt wrote before it was killed short of COMPLETED: the failed task's go, the requeued one's stay.
      const results = storage.bucket(TEST_BUCKETS.results);
      const leftBehind = (task: Task) => Object.values(resultObjectNames(task.userHash, task.taskId));
      for (const name of [...leftBehind(outOfAttempts!), ...leftBehind(comesBack!)]) await results.file(name).save('written by a killed attempt');
      const resultsOf = async (task: Task) => (await results.getFiles({ prefix: leftBehind(task)[0]!.replace(/[^/]+$/, '') }))[0].map((f) => f.name).sort();

      const io = capture();
      expect(await runRecoverStale(deps, {}, io)).toBe(0);
      expect(io.out()).toBe(
        `requeued  ${comesBack!.taskId}  (lease expired)\nfailed    ${outOfAttempts!.taskId}  ENGINE_FAILURE  (out of attempts)\n1 task back in the queue, 1 task failed\n`,
      );
      expect(await store.get(comesBack!.taskId)).toMatchObject({ status: 'QUEUED', attempts: 1, lease: null, error: { code: 'INTERNAL' } });
      const failed = await store.get(outOfAttempts!.taskId);
      expect(failed).toMatchObject({ status: 'FAILED', lease: null, error: { code: 'ENGINE_FAILURE', message: 'Gave up after 3 attempts: worker crashed' } });
      expect(failed!.expireAt!.getTime()).toBeGreaterThan(now + 29 * DAY_MS);
      expect(await resultsOf(outOfAttempts!)).toEqual([]);
      expect(await resultsOf(comesBack!)).toEqual(leftBehind(comesBack!).sort());
      // The cleanup test below counts the bucket's objects.
      await Promise.all(leftBehind(comesBack!).map((name) => results.file(name).delete()));
      expect(await store.get(alive!.taskId)).toMatchObject({ status: 'PROCESSING', lease: { workerId: 'busy-worker' } });
      expect((await store.get(queued!.taskId))!.status).toBe('QUEUED');
      expect(await recoverStale(deps)).toEqual({ requeued: [], failed: [], skipped: 0 });
      // a lease renewed between the query and the transaction wins
      expect(await store.recoverStale(alive!.taskId, { retentionMs: DAY_MS })).toMatchObject({ kind: 'skipped', task: { status: 'PROCESSING' } });

      // the requeued task is published again, and a worker takes it and completes it
      await listener.waitFor(3);
      const byTopic = (topic: string) => listener.messages.filter((m) => m._topic === topic).map(without);
      expect(byTopic(PRIORITY_TOPICS.normal)).toEqual([messageFor(comesBack!)]);
      expect(byTopic(DEAD_LETTER_TOPIC)).toEqual([messageFor(outOfAttempts!)]);
      expect(byTopic(EVENTS_TOPIC)).toEqual([expect.objectContaining({ type: 'task.failed', taskId: outOfAttempts!.taskId, status: 'FAILED' })]);
      const leased = await store.lease(comesBack!.taskId, 'new-worker', 60_000);
      expect(leased).toMatchObject({ kind: 'leased', task: { attempts: 2 } });
      const summary = { pages: 1, failedPages: 0, confidence: 90, languages: ['eng'], category: 'other', processingMs: 5, resultBucket: 'r', objects: { json: 'a', txt: 'b', hocr: 'c', pdf: 'd' } };
      expect(await store.complete(comesBack!.taskId, 'new-worker', summary, DAY_MS)).toMatchObject({ status: 'COMPLETED' });
    } finally {
      await listener.close();
    }
  });
});

describe('queue cleanup', () => {
  const bucketNames = async (bucket: string) => (await storage.bucket(bucket).getFiles())[0].map((f) => f.name).sort();

  /** A finished task with its upload (optional) and result objects, finished `daysAgo` days ago. */
  async function finished(status: 'COMPLETED' | 'FAILED' | 'CANCELLED', daysAgo: number, options: { upload?: boolean; results?: boolean } = {}): Promise<Task> {
    const at = new Date(Date.now() - daysAgo * DAY_MS);
    const base = makeTask({ userHash: aliceHash, createdAt: at });
    let generation = '1';
    if (options.upload ?? true) {
      const file = storage.bucket(TEST_BUCKETS.uploads).file(base.object);
      await file.save('a document', { resumable: false });
      generation = String((await file.getMetadata())[0].generation);
    }
    if (options.results ?? status === 'COMPLETED') {
      for (const name of Object.values(resultObjectNames(aliceHash, base.taskId))) {
        await storage.bucket(TEST_BUCKETS.results).file(name).save('result', { resumable: false });
      }
    }
    const task: Task = {
      ...base,
      generation,
      status,
      completedAt: at,
      updatedAt: at,
      ...(status === 'FAILED' ? { error: { code: 'CORRUPT_DOCUMENT' as const, message: 'bad' } } : {}),
    };
    await store.createIfAbsent(task);
    return task;
  }

  it('deletes old completed tasks with their objects, keeps recent and failed ones; a dry run changes nothing', async () => {
    const oldDone = await finished('COMPLETED', 10);
    const oldDoneUploadGone = await finished('COMPLETED', 9, { upload: false });
    const recentDone = await finished('COMPLETED', 2);
    const failedRecently = await finished('FAILED', 10);
    const failedLongAgo = await finished('FAILED', 40);
    const cancelled = await finished('CANCELLED', 8);
    const [oldQueued] = await seed(makeTask({ userHash: aliceHash, createdAt: new Date(Date.now() - 20 * DAY_MS) }));
    const ids = [oldDone, oldDoneUploadGone, recentDone, failedRecently, failedLongAgo, cancelled, oldQueued!].map((t) => t.taskId);
    const state = async () => ({
      uploads: await bucketNames(TEST_BUCKETS.uploads),
      results: await bucketNames(TEST_BUCKETS.results),
      tasks: (await Promise.all(ids.map((id) => store.get(id)))).map((t) => t?.taskId ?? null),
    });
    const before = await state();
    expect(before.results).toHaveLength(12);
    expect(before.uploads).toHaveLength(5);

    const dry = capture();
    expect(await runQueueCleanup(deps, { days: 7, failedDays: 30, dryRun: true }, dry)).toBe(0);
    expect(dry.out()).toMatch(/^would delete: 2 completed and 1 cancelled \(finished before .*\), 1 failed \(before .*\); 8 result objects, 3 uploads — dry run, nothing changed\n$/);
    expect(await state()).toEqual(before);

    const report = await cleanupTasks(deps, { days: 7, failedDays: 30 });
    expect(report).toMatchObject({ dryRun: false, tasks: { COMPLETED: 2, CANCELLED: 1, FAILED: 1 }, resultObjects: 8, uploads: 3, skipped: 0 });
    const after = await state();
    const gone = new Set([oldDone, oldDoneUploadGone, cancelled, failedLongAgo].map((t) => t.taskId));
    expect(after.tasks).toEqual(ids.map((id) => (gone.has(id) ? null : id)));
    expect(after.results).toEqual(Object.values(resultObjectNames(aliceHash, recentDone.taskId)).sort());
    expect(after.uploads).toEqual([recentDone.object, failedRecently.object, oldQueued!.object].filter((n) => before.uploads.includes(n)).sort());

    // a FAILED task requeued between the read and the delete keeps its document
    await store.requeue(failedRecently.taskId);
    expect(await store.deleteIfUnchanged(failedRecently)).toBe(false);
    expect((await store.get(failedRecently.taskId))!.status).toBe('QUEUED');

    // nothing left to do: a second run deletes nothing
    expect(await cleanupTasks(deps, { days: 7, failedDays: 30 })).toMatchObject({ tasks: { COMPLETED: 0, CANCELLED: 0, FAILED: 0 }, resultObjects: 0, uploads: 0 });
  });

  it('refuses fewer than one day', async () => {
    const io = capture();
    expect(await runQueueCleanup(deps, { days: 0, failedDays: 30 }, io)).toBe(2); // a usage error
    expect(io.err()).toMatch(/^error INVALID_ARGUMENT: --days must be a whole number of days, at least 1/);
  });
});

describe('queue care in pages', () => {
  it('works through more tasks than one page, and stops at --limit', async () => {
    const now = Date.now();
    const five = (overrides: Partial<Task>) => Array.from({ length: 5 }, () => makeTask(overrides));
    const failed = await seed(...five({ status: 'FAILED', error: { code: 'INTERNAL', message: 'x' }, completedAt: new Date(now) }));
    const stale = await seed(...five({ status: 'PROCESSING', attempts: 1, lease: { workerId: 'gone', expiresAt: new Date(now - 1000) } }));
    const old = new Date(now - 10 * DAY_MS);
    const done = await seed(...five({ status: 'COMPLETED', completedAt: old, updatedAt: old, generation: '7' }));

    expect((await requeueFailed(care(), { limit: 4, pageSize: 2 })).requeued).toHaveLength(4);
    expect((await requeueFailed(care(), { limit: 100, pageSize: 2 })).requeued).toHaveLength(1);
    expect((await Promise.all(failed.map((t) => store.get(t.taskId)))).every((t) => t!.status === 'QUEUED')).toBe(true);

    expect((await recoverStale(deps, { pageSize: 2 })).requeued.sort()).toEqual(stale.map((t) => t.taskId).sort());

    expect((await cleanupTasks(deps, { days: 7, failedDays: 30, dryRun: true, pageSize: 2 })).tasks.COMPLETED).toBe(5);
    expect((await cleanupTasks(deps, { days: 7, failedDays: 30, pageSize: 2 })).tasks.COMPLETED).toBe(5);
    expect(await Promise.all(done.map((t) => store.get(t.taskId)))).toEqual([null, null, null, null, null]);
  });
});

describe('queue failed', () => {
  it('lists failed tasks with their codes and counts them by code, naming no user', async () => {
    const failed = (code: 'PAGE_TIMEOUT' | 'WRONG_PASSWORD') => makeTask({ userHash: aliceHash, status: 'FAILED', attempts: 3, error: { code, message: `failed with ${code}` }, completedAt: new Date() });
    const seeded = await seed(failed('PAGE_TIMEOUT'), failed('PAGE_TIMEOUT'), failed('WRONG_PASSWORD'));
    const io = capture();
    expect(await runQueueFailed(deps, { limit: 1000 }, io)).toBe(0);
    for (const t of seeded) expect(io.out()).toMatch(new RegExp(`^${t!.taskId}  ${t!.error!.code} +failed with ${t!.error!.code}$`, 'm'));
    expect(io.out()).toMatch(/tasks failed: .*PAGE_TIMEOUT \d+/);
    expect(io.out()).not.toContain(ALICE);
    const only = capture();
    await runQueueFailed(deps, { code: 'WRONG_PASSWORD', limit: 1000, json: true }, only);
    const rows = JSON.parse(only.out()) as Array<{ taskId: string; code: string }>;
    expect(rows.map((r) => r.code)).toEqual(rows.map(() => 'WRONG_PASSWORD'));
    expect(rows.map((r) => r.taskId)).toContain(seeded[2]!.taskId);
  });
});

describe('docvault queue (the command line)', () => {
  it('is registered on docvault, reads the environment and exits when done', async () => {
    await seed(makeTask({ userHash: aliceHash }), makeTask({ userHash: bobHash, status: 'FAILED', error: { code: 'INTERNAL', message: 'x' }, completedAt: new Date() }));
    const cli = resolve(import.meta.dirname, '../../../cli/docvault.ts');
    const child = spawn(process.execPath, [cli, 'queue', 'stats', '--json'], { env: { ...process.env, ...suite.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ pending: 1, failed: 1, processing: 0 });

    const missing = spawn(process.execPath, [cli, 'queue', 'stats'], { env: { PATH: process.env.PATH ?? '', DOCVAULT_DATA_ROOT: '/nonexistent' } });
    let missingErr = '';
    missing.stderr.on('data', (c: Buffer) => (missingErr += c.toString()));
    expect(await new Promise((done) => missing.on('close', done))).toBe(2);
    expect(missingErr).toMatch(/^error INVALID_ARGUMENT: Invalid environment: .*RESULTS_BUCKET.*add --local\)\n$/);

    // a suite that is not running is said at once, not after the clients' retries
    const stopped = spawn(process.execPath, [cli, 'queue', '--local', 'stats'], { env: { PATH: process.env.PATH ?? '', FIRESTORE_PORT: '1', DOCVAULT_DATA_ROOT: '/nonexistent' } });
    let stoppedErr = '';
    stopped.stderr.on('data', (c: Buffer) => (stoppedErr += c.toString()));
    expect(await new Promise((done) => stopped.on('close', done))).toBe(2);
    expect(stoppedErr).toBe('the Firestore emulator at 127.0.0.1:1 does not answer: is the local suite running (npm start)?\n');
  });

  it('--local fills in what npm start uses, under what the caller set', () => {
    const env = localSuiteEnv({ FIRESTORE_PORT: '9999', RESULTS_BUCKET: 'mine' });
    expect(env).toMatchObject({
      FIRESTORE_EMULATOR_HOST: '127.0.0.1:9999',
      PUBSUB_EMULATOR_HOST: '127.0.0.1:8085',
      STORAGE_EMULATOR_HOST: 'http://127.0.0.1:9023',
      UPLOADS_BUCKET: 'docvault-uploads',
      RESULTS_BUCKET: 'mine',
      GOOGLE_CLOUD_PROJECT: 'docvault-local',
    });
  });
});

describe('release-queued and admission (per-user fairness)', () => {
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
  /** An admission store whose transactions are counted on the real client: one per admission run. */
  const countedAdmission = () => {
    let transactions = 0;
    const counted = new Proxy(createFirestore(suite.projectId), {
      get(target, key) {
        const value = Reflect.get(target, key) as unknown;
        if (key === 'runTransaction') transactions++;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    return { store: new AdmissionStore(counted), transactions: () => transactions };
  };

  it('admits held tasks up to the user\'s cap, its own priority first, and publishes again only what was admitted long ago and never taken up', async () => {
    const [aliceOld, aliceUrgent, aliceNew] = await seed(
      makeTask({ userHash: aliceHash, createdAt: minutesAgo(5), priority: 'normal' }),
      makeTask({ userHash: aliceHash, createdAt: minutesAgo(2), requestedPriority: 'high', priority: 'low', source: 'drop' }),
      makeTask({ userHash: aliceHash, createdAt: minutesAgo(1), priority: 'low', source: 'drop' }),
    );
    await seed(makeTask({ userHash: aliceHash, createdAt: minutesAgo(6), admittedAt: minutesAgo(1), dispatchedAt: minutesAgo(1) }));
    const [bobLost] = await seed(
      // Admitted 20 minutes ago and never published (its dispatch died): published now.
      makeTask({ userHash: bobHash, createdAt: minutesAgo(30), admittedAt: minutesAgo(20) }),
      makeTask({ userHash: bobHash, createdAt: minutesAgo(3), admittedAt: minutesAgo(3), dispatchedAt: minutesAgo(3) }),
    );
    const topics = listen(Object.values(PRIORITY_TOPICS));
    const sink = await topics;
    try {
      const io = capture();
      const code = await runReleaseQueued({ ...deps, admission, fairness }, { json: true }, io);
      expect(io.err()).toBe('');
      expect(code).toBe(0);
      const report = JSON.parse(io.out()) as { admitted: string[]; republished: string[] };
      // Alice had one in flight and a cap of 2: her own high request goes first (lane low, asked high).
      expect(report).toEqual({ admitted: [aliceUrgent!.taskId], republished: [bobLost!.taskId] });
      await sink.waitFor(2);
      expect(sink.messages.map((m) => [m.taskId, m._topic])).toEqual(
        expect.arrayContaining([
          [aliceUrgent!.taskId, PRIORITY_TOPICS.low],
          [bobLost!.taskId, PRIORITY_TOPICS.high],
        ]),
      );
      expect(sink.messages).toHaveLength(2);
      expect((await store.get(aliceOld!.taskId))!.admittedAt).toBeNull();
      expect((await store.get(aliceNew!.taskId))!.admittedAt).toBeNull();
      expect((await store.get(bobLost!.taskId))!.dispatchedAt).not.toBeNull();

      // A second run right after: Alice is at her cap, Bob's task was just published again.
      const again = capture();
      await runReleaseQueued({ ...deps, admission, fairness }, { json: true }, again);
      expect(JSON.parse(again.out())).toEqual({ admitted: [], republished: [] });

      // The operators' view: lanes and Alice's backlog.
      const stats = capture();
      await runQueueStats({ ...deps, admission }, { json: true }, stats);
      expect(JSON.parse(stats.out())).toMatchObject({
        lanes: { interactive: { held: 1, published: 3 }, bulk: { held: 1, published: 1 } },
        backlogs: [{ userHash: aliceHash, held: 2, inFlight: 2 }],
      });
    } finally {
      await sink.close();
    }
  }, 60_000);

  it("a delivery's answer does not wait for its user's next admission while another admitter holds the user's admission document (as a worker killed mid-admission leaves it); the admission ends behind it, once", async () => {
    await seed(makeTask({ userHash: aliceHash, createdAt: minutesAgo(3), admittedAt: minutesAgo(1), dispatchedAt: minutesAgo(1) }));
    const [next] = await seed(makeTask({ userHash: aliceHash, createdAt: minutesAgo(2) }));
    // The other admitter: a transaction of its own client, holding the lock until the caller has its answer (15 s at most).
    const other = createFirestore(suite.projectId);
    let answered = false;
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const admitter = other.runTransaction(async (tx) => {
      await tx.get(other.collection(COLLECTIONS.admission).doc(aliceHash));
      holding();
      const until = Date.now() + 15_000;
      while (!answered && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    });
    let released = false;
    void admitter.finally(() => (released = true)).catch(() => undefined);
    const sink = await listen(Object.values(PRIORITY_TOPICS));
    try {
      await held;
      let late!: (outcome: PromiseSettledResult<Task[]>) => void;
      const ended = new Promise<PromiseSettledResult<Task[]>>((resolve) => (late = resolve));
      const admitted = await admitWithin({ ...care(), tasks: store }, aliceHash, 300, late);
      const releasedFirst = released;
      answered = true;
      // Before, this waited for the other admitter (a killed one's lock: a minute and more).
      expect(releasedFirst).toBe(false);
      expect(admitted).toBeUndefined();
      await admitter;
      // Behind the answer, the admission takes the free place: Alice's next task, published once.
      const outcome = await ended;
      expect(outcome.status === 'fulfilled' ? outcome.value.map((t) => t.taskId) : outcome.reason).toEqual([next!.taskId]);
      await sink.waitFor(1);
      expect(sink.messages.map((m) => m.taskId)).toEqual([next!.taskId]);
      expect(await store.get(next!.taskId)).toMatchObject({ admittedAt: expect.any(Date), dispatchedAt: expect.any(Date) });
    } finally {
      answered = true;
      await admitter.catch(() => undefined);
      await other.terminate();
      await sink.close();
    }
  }, 60_000);

  it('an admission whose publish never came (its admitter killed in between) is published once its grace is over, long before the republish window; a duplicate is then a no-op', async () => {
    const [held] = await seed(makeTask({ userHash: aliceHash, createdAt: minutesAgo(2) }));
    // Bob's task was published a minute ago and waits for a slot: its message is on its way, and is left to it.
    const [waiting] = await seed(makeTask({ userHash: bobHash, createdAt: minutesAgo(2), admittedAt: minutesAgo(1), dispatchedAt: minutesAgo(1) }));
    // What a worker killed between its admission of the user's next task and the publish leaves: the admission committed, nothing sent.
    const admittedAt = new Date();
    expect((await admission.admit(aliceHash, fairness, admittedAt)).map((t) => t.taskId)).toEqual([held!.taskId]);
    const sink = await listen(Object.values(PRIORITY_TOPICS));
    try {
      // Within the grace its admitter may be publishing it right now: left alone.
      const at = (ms: number) => ({ now: new Date(admittedAt.getTime() + ms) });
      expect(await releaseQueued({ ...care(), tasks: store }, at(UNSENT_GRACE_MS - 1_000))).toEqual({ admitted: [], republished: [] });
      // Just after it, and ~9 minutes before REPUBLISH_QUEUED_MINUTES (10) would take it for a lost message: published.
      expect(fairness.republishAfterMs).toBeGreaterThan(UNSENT_GRACE_MS * 10);
      expect(await releaseQueued({ ...care(), tasks: store }, at(UNSENT_GRACE_MS + 1_000))).toEqual({ admitted: [], republished: [held!.taskId] });
      await sink.waitFor(1);
      expect(sink.messages.map((m) => m.taskId)).toEqual([held!.taskId]);
      expect(await store.get(held!.taskId)).toMatchObject({ status: 'QUEUED', dispatchedAt: expect.any(Date) });
      // Published now, it is not taken for unsent again: the next run leaves it to its message.
      expect(await releaseQueued({ ...care(), tasks: store }, at(UNSENT_GRACE_MS + 60_000))).toEqual({ admitted: [], republished: [] });
      expect(await store.get(waiting!.taskId)).toMatchObject({ admittedAt: waiting!.admittedAt, dispatchedAt: waiting!.dispatchedAt });
      // A worker takes it up; had the first message come after all, its delivery finds the lease and changes nothing.
      expect((await store.lease(held!.taskId, 'worker-1', 60_000)).kind).toBe('leased');
      expect((await store.lease(held!.taskId, 'worker-2', 60_000)).kind).toBe('busy');
    } finally {
      await sink.close();
    }
  }, 60_000);

  it('a requeue is admitted afresh: held under the user\'s cap, stamped now, never published again as lost by release-queued', async () => {
    const failed = (minutes: number) =>
      makeTask({ userHash: aliceHash, status: 'FAILED', attempts: 3, error: { code: 'ENGINE_FAILURE', message: 'x' }, createdAt: minutesAgo(minutes), admittedAt: minutesAgo(minutes), dispatchedAt: minutesAgo(minutes), completedAt: minutesAgo(1) });
    const [inFlight] = await seed(makeTask({ userHash: aliceHash, createdAt: minutesAgo(40), admittedAt: minutesAgo(1), dispatchedAt: minutesAgo(1) }));
    const requeued = await seed(failed(30), failed(25), failed(20));
    const sink = await listen(Object.values(PRIORITY_TOPICS));
    try {
      const started = new Date();
      const report = await requeueFailed(care(), { limit: 100 });
      expect(report.requeued.map((r) => r.taskId).sort()).toEqual(requeued.map((t) => t!.taskId).sort());
      // Alice holds one place of two: exactly one requeued task goes, the oldest; the others wait held.
      expect(report.admitted).toEqual([requeued[0]!.taskId]);
      const after = await Promise.all(requeued.map((t) => store.get(t!.taskId)));
      expect(after[0]!.admittedAt!.getTime()).toBeGreaterThanOrEqual(started.getTime());
      expect(after.slice(1).map((t) => [t!.status, t!.admittedAt, t!.dispatchedAt])).toEqual([
        ['QUEUED', null, null],
        ['QUEUED', null, null],
      ]);
      // Queue care right after: Alice is at her cap, and the fresh stamp is not taken for a lost message.
      const release = await releaseQueued({ ...care(), tasks: store });
      expect(release).toEqual({ admitted: [], republished: [] });
      await sink.waitFor(1);
      expect(sink.messages.map((m) => m.taskId)).toEqual([requeued[0]!.taskId]);
      expect(inFlight).toBeDefined();
    } finally {
      await sink.close();
    }
  }, 60_000);

  it('a task released for a retry after a long wait is not published again as lost: its stamp is the release\'s', async () => {
    // Admitted 30 minutes ago (a long queue), leased only now, and released on a retryable failure:
    // Pub/Sub delivers it again, and queue care must not count the wait before its attempt as a lost message.
    const [task] = await seed(makeTask({ userHash: aliceHash, createdAt: minutesAgo(31), admittedAt: minutesAgo(30), dispatchedAt: minutesAgo(30) }));
    const lease = await store.lease(task!.taskId, 'worker-1', 60_000);
    expect(lease.kind).toBe('leased');
    const started = new Date();
    const released = await store.release(task!.taskId, 'worker-1', { code: 'ENGINE_FAILURE', message: 'x' });
    expect(released).toMatchObject({ status: 'QUEUED' });
    expect(released!.admittedAt!.getTime()).toBeGreaterThanOrEqual(started.getTime());
    expect(await releaseQueued({ ...care(), tasks: store })).toEqual({ admitted: [], republished: [] });
  }, 60_000);

  it('work-conserving: a user alone has up to the idle cap in flight; once another user has work held back, the cap bites', async () => {
    await seed(...Array.from({ length: 10 }, (_, i) => makeTask({ userHash: aliceHash, createdAt: minutesAgo(20 - i) })));
    const settings = { cap: 2, idleCap: 5, agingMs: 3_600_000 };
    expect(await admission.admit(aliceHash, settings)).toHaveLength(5);
    // Bob arrives: Alice's held work does not make Bob wait longer than his cap says, and Bob's does cap Alice.
    await seed(...Array.from({ length: 3 }, (_, i) => makeTask({ userHash: bobHash, createdAt: minutesAgo(5 - i) })));
    expect(await admission.admit(bobHash, settings)).toHaveLength(2);
    expect(await admission.admit(aliceHash, settings)).toEqual([]);
    // Without an idle cap, the cap always bites.
    expect(await admission.admit(aliceHash, { cap: 6, agingMs: 3_600_000 })).toHaveLength(1);
  }, 60_000);

  it('arrivals of one user while an admission of theirs waits its turn join it: one admission, the cap\'s worth admitted, the rest answered []', async () => {
    await seed(...Array.from({ length: 10 }, (_, i) => makeTask({ userHash: aliceHash, createdAt: minutesAgo(10 - i) })));
    const { store: joined, transactions } = countedAdmission();
    const results = await Promise.all(Array.from({ length: 10 }, () => joined.admit(aliceHash, { cap: 3, agingMs: 60_000 })));
    expect(results.map((r) => r.length).sort()).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 3]);
    expect(transactions()).toBe(1);
    // A later arrival, once that admission has run, is admitted by an admission of its own.
    await seed(makeTask({ userHash: aliceHash, createdAt: minutesAgo(30) }));
    expect(await joined.admit(aliceHash, { cap: 4, agingMs: 60_000 })).toHaveLength(1);
    expect(transactions()).toBe(2);
  }, 60_000);

  it('a user with nothing held back is answered [] without a transaction (a finished interactive page)', async () => {
    await seed(makeTask({ userHash: bobHash, admittedAt: minutesAgo(1) }), makeTask({ userHash: aliceHash, createdAt: minutesAgo(2) }));
    const { store, transactions } = countedAdmission();
    expect(await store.admit(bobHash, { cap: 3, agingMs: 60_000 })).toEqual([]);
    expect(transactions()).toBe(0);
    // Alice's held task is admitted as before.
    expect(await store.admit(aliceHash, { cap: 3, agingMs: 60_000 })).toHaveLength(1);
    expect(transactions()).toBe(1);
  }, 60_000);

  it('concurrent admissions of one user (two instances, many events) never take more places than the cap', async () => {
    await seed(...Array.from({ length: 10 }, (_, i) => makeTask({ userHash: aliceHash, createdAt: minutesAgo(10 - i) })));
    const other = new AdmissionStore(createFirestore(suite.projectId));
    const admitted = (await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? admission : other).admit(aliceHash, { cap: 3, agingMs: 60_000 })))).flat();
    expect(admitted).toHaveLength(3);
    expect(new Set(admitted.map((t) => t.taskId)).size).toBe(3);
    const marked = (await store.list(aliceHash, { limit: 20 })).tasks.filter((t) => t.admittedAt);
    expect(marked.map((t) => t.taskId).sort()).toEqual(admitted.map((t) => t.taskId).sort());
  }, 60_000);
});
