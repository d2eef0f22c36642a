/**
 * The api function through the real functions framework, against the emulator suite: tasks seeded
 * in Firestore for two users; every read is the caller's own, another user's id answers exactly
 * like a missing one.
 */
import { PubSub, type Message, type Subscription } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiHandler } from '../../functions/api/index.ts';
import { newTaskId, resultObjectNames, uploadObjectName, type Task, type TaskSummary } from '../../shared/core/task.ts';
import { OBJECT_METADATA, PRIORITY_TOPICS } from '../../shared/names.ts';
import { createLogger } from '../../shared/log.ts';
import { MAX_WAITS_PER_CALLER } from '../../shared/services/api.ts';
import { appContext } from '../../shared/services/context.ts';
import { asUser, fetchJson, serveHttpFunction, type ServedFunction } from '../support/http.ts';
import { startSuite, TEST_BUCKETS, type Suite } from '../support/suite.ts';
import { makeTask } from '../support/tasks.ts';
import { waitFor } from '../support/wait.ts';
import { ALICE, aliceHash, BOB, bobHash } from '../support/users.ts';


let suite: Suite;
let storage: Storage;
let pubsub: PubSub;
let api: ServedFunction;
let ctx: ReturnType<typeof appContext>;
const logLines: string[] = [];

function taskOf(userHash: string, overrides: Partial<Task> = {}): Task {
  const taskId = overrides.taskId ?? newTaskId();
  return makeTask({ taskId, userHash, bucket: TEST_BUCKETS.uploads, object: uploadObjectName(userHash, taskId, 'doc.png'), ...overrides });
}

async function seed(...tasks: Task[]): Promise<Task[]> {
  for (const t of tasks) await ctx.tasks.createIfAbsent(t);
  return tasks;
}

function summary(userHash: string, taskId: string): TaskSummary {
  return { pages: 1, failedPages: 0, confidence: 91.5, languages: ['eng'], category: 'invoice', processingMs: 1200, resultBucket: TEST_BUCKETS.results, objects: resultObjectNames(userHash, taskId) };
}

const get = (path: string, email?: string) => fetchJson(`${api.url}${path}`, { headers: email ? asUser(email) : {} });
const post = (path: string, email: string, body?: unknown) =>
  fetchJson(`${api.url}${path}`, {
    method: 'POST',
    headers: asUser(email, body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

beforeAll(async () => {
  suite = await startSuite();
  storage = new Storage({ projectId: suite.projectId });
  pubsub = new PubSub({ projectId: suite.projectId });
  ctx = { ...appContext('api'), log: createLogger('api', {}, (line) => logLines.push(line)) };
  api = await serveHttpFunction('api', createApiHandler(() => ctx));
});
afterAll(async () => {
  await api?.close();
  await pubsub?.close();
  await suite?.stop();
});
beforeEach(() => suite.clearFirestore());

describe('api: health and routing', () => {
  it('GET /health needs no identity and reports the version and Firestore', async () => {
    // Health gives Firestore 3 s (HEALTH_TIMEOUT_MS); a client's first read sets up its channel and,
    // on a loaded machine, can take longer: that one answer is 503, the next ones 200.
    const res = await waitFor('a 200 from /health', async () => {
      const answer = await get('/health');
      return answer.status === 200 ? answer : undefined;
    }, 30_000, 500);
    expect(res.body).toEqual({ status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/), firestore: 'reachable' });
  });

  it('answers 401 without an identity, 404 for an unknown route and 405 for a wrong method', async () => {
    for (const path of ['/tasks', `/tasks/${newTaskId()}`, '/queue/stats', `/batches/${newTaskId()}`]) {
      const res = await get(path);
      expect(res.status, path).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
    }
    expect((await get('/nothing-here', ALICE)).body.error.code).toBe('NOT_FOUND');
    const wrong = await post('/tasks', ALICE);
    expect(wrong.status).toBe(405);
    expect(wrong.body.error.code).toBe('METHOD_NOT_ALLOWED');
  });
});

describe('api: tasks', () => {
  it("GET /tasks/{id} shows the caller's task; another user's id answers exactly like a missing one", async () => {
    const created = new Date('2026-01-02T03:04:05.000Z');
    const [task] = await seed(taskOf(aliceHash, { status: 'PROCESSING', progress: 40, message: 'page 2/5', attempts: 1, startedAt: created, createdAt: created, updatedAt: created, waitMs: 0 }));
    const res = await get(`/tasks/${task!.taskId}`, ALICE);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      taskId: task!.taskId,
      status: 'PROCESSING',
      progress: 40,
      message: 'page 2/5',
      attempts: 1,
      maxAttempts: 3,
      priority: 'high',
      error: null,
      summary: null,
      resultUrl: null,
      createdAt: '2026-01-02T03:04:05.000Z',
      startedAt: '2026-01-02T03:04:05.000Z',
      completedAt: null,
    });
    expect(res.body).not.toHaveProperty('userHash');
    const other = await get(`/tasks/${task!.taskId}`, BOB);
    const missing = await get(`/tasks/${newTaskId()}`, BOB);
    const malformed = await get('/tasks/..%2F..%2Fetc', BOB);
    expect(other.status).toBe(404);
    expect(other.body).toEqual(missing.body);
    expect(malformed.body).toEqual(missing.body);
    expect(other.body).toEqual({ error: { code: 'NOT_FOUND', message: 'No such task.' } });
  });

  it('answers QUEUED for a just-uploaded document whose task dispatch has not created yet', async () => {
    const taskId = newTaskId();
    await storage
      .bucket(TEST_BUCKETS.uploads)
      .file(uploadObjectName(aliceHash, taskId, 'scan.png'))
      .save(Buffer.from('png'), { metadata: { metadata: { [OBJECT_METADATA.taskId]: taskId, [OBJECT_METADATA.source]: 'upload', [OBJECT_METADATA.originalName]: 'Scan 1.png' } } });
    const res = await get(`/tasks/${taskId}`, ALICE);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ taskId, status: 'QUEUED', progress: 0, fileName: 'Scan 1.png', source: 'upload' });
    expect((await get(`/tasks/${taskId}`, BOB)).status).toBe(404);
    expect((await get(`/tasks/${taskId}/result`, ALICE)).body.error).toMatchObject({ code: 'NOT_READY', details: { status: 'QUEUED' } });
    const cancel = await post(`/tasks/${taskId}/cancel`, ALICE);
    expect(cancel.status).toBe(409);
    expect(cancel.body.error.code).toBe('NOT_READY');
    expect((await post(`/tasks/${taskId}/cancel`, BOB)).status).toBe(404);
  });

  it('GET /tasks/{id}?wait=S answers when the task finishes, or as it stands after S seconds; never waits for another user', async () => {
    const [task] = await seed(taskOf(aliceHash));
    let answered = false;
    const waiting = get(`/tasks/${task!.taskId}?wait=20`, ALICE).finally(() => (answered = true));
    await new Promise((r) => setTimeout(r, 400));
    expect(answered).toBe(false);
    const leased = await ctx.tasks.lease(task!.taskId, 'worker-1', 60_000);
    expect(leased.kind).toBe('leased');
    await ctx.tasks.complete(task!.taskId, 'worker-1', summary(aliceHash, task!.taskId), 86_400_000);
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ taskId: task!.taskId, status: 'COMPLETED', progress: 100, summary: { pages: 1 } });

    // Finished already: answered at once. Still running: answered after the wait, as it stands.
    const started = Date.now();
    expect((await get(`/tasks/${task!.taskId}?wait=20`, ALICE)).body.status).toBe('COMPLETED');
    expect(Date.now() - started).toBeLessThan(5_000);
    const [running] = await seed(taskOf(aliceHash, { status: 'PROCESSING', progress: 50, attempts: 1 }));
    const t0 = Date.now();
    const stillRunning = await get(`/tasks/${running!.taskId}?wait=1`, ALICE);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(stillRunning.body).toMatchObject({ status: 'PROCESSING', progress: 50 });

    // Another user's task and an unknown id: the same 404, without waiting.
    const t1 = Date.now();
    const other = await get(`/tasks/${running!.taskId}?wait=20`, BOB);
    const unknown = await get(`/tasks/${newTaskId()}?wait=20`, BOB);
    expect(Date.now() - t1).toBeLessThan(5_000);
    expect(other.status).toBe(404);
    expect(other.body).toEqual(unknown.body);
    for (const wait of ['-1', '51', 'soon']) {
      const bad = await get(`/tasks/${running!.taskId}?wait=${wait}`, ALICE);
      expect(bad.status, wait).toBe(400);
      expect(bad.body.error.code).toBe('INVALID_REQUEST');
    }
  });

  it('GET /tasks/{id}?wait=S also waits for a just-uploaded document until dispatch creates its task and it finishes', async () => {
    const taskId = newTaskId();
    await storage
      .bucket(TEST_BUCKETS.uploads)
      .file(uploadObjectName(aliceHash, taskId, 'scan.png'))
      .save(Buffer.from('png'), { metadata: { metadata: { [OBJECT_METADATA.taskId]: taskId, [OBJECT_METADATA.source]: 'upload' } } });
    const waiting = get(`/tasks/${taskId}?wait=20`, ALICE);
    await new Promise((r) => setTimeout(r, 300));
    await seed(taskOf(aliceHash, { taskId }));
    await ctx.tasks.lease(taskId, 'worker-1', 60_000);
    await ctx.tasks.complete(taskId, 'worker-1', summary(aliceHash, taskId), 86_400_000);
    expect((await waiting).body).toMatchObject({ taskId, status: 'COMPLETED' });
  });

  it(`answers waits past ${MAX_WAITS_PER_CALLER} of one caller at once, as without wait`, async () => {
    const [task] = await seed(taskOf(aliceHash));
    const held = Array.from({ length: MAX_WAITS_PER_CALLER }, () => get(`/tasks/${task!.taskId}?wait=20`, ALICE));
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    const extra = await get(`/tasks/${task!.taskId}?wait=20`, ALICE);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(extra.body.status).toBe('QUEUED');
    // Another caller's wait is not affected by Alice's.
    const [bobs] = await seed(taskOf(bobHash));
    const t1 = Date.now();
    expect((await get(`/tasks/${bobs!.taskId}?wait=1`, BOB)).body.status).toBe('QUEUED');
    expect(Date.now() - t1).toBeGreaterThanOrEqual(950);
    await ctx.tasks.cancel(task!.taskId, aliceHash);
    for (const res of await Promise.all(held)) expect(res.body.status).toBe('CANCELLED');
  });

  it('GET /tasks pages through the caller’s own tasks, newest first, with a status filter', async () => {
    const t0 = Date.now() - 60_000;
    const mine = await seed(...[0, 1, 2, 3, 4].map((i) => taskOf(aliceHash, { createdAt: new Date(t0 + i * 1000), status: i === 4 ? 'FAILED' : 'QUEUED' })));
    await seed(taskOf(bobHash), taskOf(bobHash));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(`/tasks?limit=2${cursor ? `&cursor=${cursor}` : ''}`, ALICE);
      expect(res.status).toBe(200);
      expect(res.body.tasks.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.tasks.map((t: { taskId: string }) => t.taskId));
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(mine.map((t) => t.taskId).reverse());
    const failed = await get('/tasks?status=FAILED', ALICE);
    expect(failed.body.tasks.map((t: { taskId: string }) => t.taskId)).toEqual([mine[4]!.taskId]);
    expect(failed.body.nextCursor).toBeNull();
    // A crafted cursor: past Firestore's last instant (was a Timestamp range error, 500), or negative.
    const crafted = (text: string) => Buffer.from(text).toString('base64url');
    for (const bad of ['limit=101', 'limit=0', 'status=DONE', 'cursor=nonsense', `cursor=${crafted(`253402300800000:${mine[0]!.taskId}`)}`, `cursor=${crafted(`9999999999999999999:${mine[0]!.taskId}`)}`]) {
      const res = await get(`/tasks?${bad}`, ALICE);
      expect(res.status, bad).toBe(400);
      expect(res.body.error.code).toBe('INVALID_REQUEST');
    }
  });

  it('POST /tasks/{id}/cancel cancels a queued task (again: the same answer), 409 for a finished one, 404 for another user', async () => {
    const [queued, done, bobs] = await seed(taskOf(aliceHash), taskOf(aliceHash, { status: 'COMPLETED', progress: 100 }), taskOf(bobHash));
    const res = await post(`/tasks/${queued!.taskId}/cancel`, ALICE);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ taskId: queued!.taskId, status: 'CANCELLED', completedAt: expect.any(String) });
    expect((await post(`/tasks/${queued!.taskId}/cancel`, ALICE)).status).toBe(200);
    const finished = await post(`/tasks/${done!.taskId}/cancel`, ALICE);
    expect(finished.status).toBe(409);
    expect(finished.body.error).toMatchObject({ code: 'ALREADY_FINISHED', details: { status: 'COMPLETED' } });
    expect((await post(`/tasks/${bobs!.taskId}/cancel`, ALICE)).status).toBe(404);
    expect((await ctx.tasks.get(bobs!.taskId))!.status).toBe('QUEUED');
  });
});

describe('api: results', () => {
  it('streams each format of a completed task with its content type; 409 before completion; 404 for another user', async () => {
    const taskId = newTaskId();
    const [task] = await seed(taskOf(aliceHash, { taskId, status: 'COMPLETED', progress: 100, fileName: 'Invoice 7.pdf', summary: summary(aliceHash, taskId), completedAt: new Date() }));
    const names = resultObjectNames(aliceHash, taskId);
    const results = storage.bucket(TEST_BUCKETS.results);
    await results.file(names.json).save(JSON.stringify({ v: 1, text: 'Hello world' }), { contentType: 'application/json' });
    await results.file(names.txt).save('Hello world\n', { contentType: 'text/plain' });
    await results.file(names.hocr).save('<html><body class="ocr_page">Hello</body></html>', { contentType: 'text/html' });

    const json = await fetch(`${api.url}/tasks/${taskId}/result`, { headers: asUser(ALICE) });
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await json.json()).toEqual({ v: 1, text: 'Hello world' });
    const txt = await fetch(`${api.url}/tasks/${taskId}/result?format=txt`, { headers: asUser(ALICE) });
    expect(txt.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(txt.headers.get('content-disposition')).toBe('inline; filename="Invoice_7.txt"');
    expect(await txt.text()).toBe('Hello world\n');
    const hocr = await fetch(`${api.url}/tasks/${taskId}/result?format=hocr`, { headers: asUser(ALICE) });
    expect(hocr.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await hocr.text()).toContain('ocr_page');
    // A user's content is never sniffed into another type, and opened in a sandbox (no script).
    for (const res of [json, txt, hocr]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toMatch(/^sandbox;.*default-src 'none'/);
    }

    const noPdf = await get(`/tasks/${taskId}/result?format=pdf`, ALICE);
    expect(noPdf.status).toBe(404);
    expect((await get(`/tasks/${taskId}/result?format=docx`, ALICE)).body.error.code).toBe('INVALID_REQUEST');
    const other = await get(`/tasks/${task!.taskId}/result?format=txt`, BOB);
    expect(other.status).toBe(404);
    expect(other.body.error).toEqual({ code: 'NOT_FOUND', message: 'No such task.' });

    const [running] = await seed(taskOf(aliceHash, { status: 'PROCESSING', progress: 10 }));
    const early = await get(`/tasks/${running!.taskId}/result`, ALICE);
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({ code: 'NOT_READY', details: { status: 'PROCESSING' } });
  });

  it('a result of a non-Latin file name downloads under that name (filename*=UTF-8\'\'…) with an ASCII fallback', async () => {
    const taskId = newTaskId();
    await seed(taskOf(aliceHash, { taskId, status: 'COMPLETED', progress: 100, fileName: '報告 été.png', summary: summary(aliceHash, taskId), completedAt: new Date() }));
    await storage.bucket(TEST_BUCKETS.results).file(resultObjectNames(aliceHash, taskId).txt).save('x\n', { contentType: 'text/plain' });
    const txt = await fetch(`${api.url}/tasks/${taskId}/result?format=txt`, { headers: asUser(ALICE) });
    expect(txt.status).toBe(200);
    const disposition = txt.headers.get('content-disposition')!;
    expect(disposition).toBe(`inline; filename="ete.txt"; filename*=UTF-8''${encodeURIComponent('報告_été.txt')}`);
  });
});

describe('api: batches', () => {
  it('aggregates the caller’s tasks of a batch; another user gets 404', async () => {
    const batchId = newTaskId();
    await seed(
      taskOf(aliceHash, { batchId, status: 'COMPLETED', progress: 100 }),
      taskOf(aliceHash, { batchId, status: 'PROCESSING', progress: 50 }),
      taskOf(aliceHash, { batchId }),
      taskOf(aliceHash, { batchId: newTaskId() }),
    );
    const res = await get(`/batches/${batchId}`, ALICE);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ batchId, total: 3, byStatus: { QUEUED: 1, PROCESSING: 1, COMPLETED: 1, FAILED: 0, CANCELLED: 0 }, progress: 50, done: false });
    expect(res.body.tasks).toHaveLength(3);
    expect(res.body.nextCursor).toBeNull();

    // Tasks are paged (newest first) and filtered like GET /tasks; the figures stay the whole batch's.
    const first = await get(`/batches/${batchId}?limit=2`, ALICE);
    expect(first.body.tasks).toHaveLength(2);
    expect(first.body.total).toBe(3);
    const rest = await get(`/batches/${batchId}?limit=2&cursor=${first.body.nextCursor}`, ALICE);
    expect(rest.body.tasks).toHaveLength(1);
    expect(rest.body.nextCursor).toBeNull();
    const seen = [...first.body.tasks, ...rest.body.tasks].map((t: { taskId: string }) => t.taskId);
    expect(new Set(seen).size).toBe(3);
    const processing = await get(`/batches/${batchId}?status=PROCESSING`, ALICE);
    expect(processing.body.tasks).toEqual([expect.objectContaining({ status: 'PROCESSING', progress: 50 })]);
    expect((await get(`/batches/${batchId}?limit=0`, ALICE)).body.error.code).toBe('INVALID_REQUEST');

    const other = await get(`/batches/${batchId}`, BOB);
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('NOT_FOUND');
  });

  it('GET /batches lists the caller’s batches with their figures, a page at a time; ?status= in any case', async () => {
    const [b1, b2, b3] = [newTaskId(), newTaskId(), newTaskId()].sort();
    await seed(
      taskOf(aliceHash, { batchId: b1!, status: 'COMPLETED', progress: 100 }),
      taskOf(aliceHash, { batchId: b1!, status: 'FAILED' }),
      taskOf(aliceHash, { batchId: b2! }),
      taskOf(aliceHash, { batchId: null }),
      taskOf(bobHash, { batchId: b3! }),
    );
    const all = await get('/batches', ALICE);
    expect(all.status).toBe(200);
    expect(all.body).toEqual({
      batches: [
        { batchId: b1, total: 2, byStatus: { PENDING: 0, QUEUED: 0, PROCESSING: 0, COMPLETED: 1, FAILED: 1, CANCELLED: 0 }, progress: 100, done: true },
        { batchId: b2, total: 1, byStatus: { PENDING: 0, QUEUED: 1, PROCESSING: 0, COMPLETED: 0, FAILED: 0, CANCELLED: 0 }, progress: 0, done: false },
      ],
      nextCursor: null,
    });
    const first = await get('/batches?limit=1', ALICE);
    expect(first.body.batches.map((b: { batchId: string }) => b.batchId)).toEqual([b1]);
    const rest = await get(`/batches?limit=1&cursor=${first.body.nextCursor}`, ALICE);
    expect(rest.body).toMatchObject({ batches: [{ batchId: b2 }], nextCursor: null });
    expect((await get('/batches', BOB)).body.batches.map((b: { batchId: string }) => b.batchId)).toEqual([b3]);
    expect((await get('/batches?cursor=../x', ALICE)).body.error.code).toBe('INVALID_REQUEST');

    for (const status of ['failed', 'Failed', 'FAILED']) {
      const res = await get(`/tasks?status=${status}`, ALICE);
      expect(res.status, status).toBe(200);
      expect(res.body.tasks.map((t: { status: string }) => t.status)).toEqual(['FAILED']);
      expect((await get(`/batches/${b1}?status=${status}`, ALICE)).body.tasks).toHaveLength(1);
    }
  });
});

describe('api: queue', () => {
  it('GET /queue/stats counts the caller’s own tasks only', async () => {
    const now = Date.now();
    await seed(
      taskOf(aliceHash, { createdAt: new Date(now - 30_000) }),
      taskOf(aliceHash, { createdAt: new Date(now - 10_000) }),
      taskOf(aliceHash, { status: 'PROCESSING', startedAt: new Date(now - 5000), waitMs: 400 }),
      taskOf(aliceHash, { status: 'COMPLETED', startedAt: new Date(now - 4000), completedAt: new Date(now - 1000), waitMs: 200 }),
      taskOf(aliceHash, { status: 'FAILED', error: { code: 'CORRUPT_DOCUMENT', message: 'bad' } }),
      taskOf(bobHash),
      taskOf(bobHash, { status: 'FAILED' }),
    );
    const res = await get('/queue/stats', ALICE);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      pending: 2,
      processing: 1,
      failed: 1,
      completedToday: 1,
      averageWaitMs: 300,
      oldestQueuedAt: new Date(now - 30_000).toISOString(),
    });
    expect((await get('/queue/stats', BOB)).body).toMatchObject({ pending: 1, failed: 1, processing: 0 });
  });

  it('POST /queue/requeue-failed pages past the tasks it may no longer requeue', async () => {
    const worn = Array.from({ length: 120 }, () =>
      taskOf(aliceHash, { status: 'FAILED', attempts: 3, requeues: 3, error: { code: 'ENGINE_FAILURE', message: 'x' }, completedAt: new Date() }),
    );
    // Task ids sort by id: the fresh one comes after every worn one.
    const [fresh] = await seed(taskOf(aliceHash, { taskId: 'f'.repeat(32), status: 'FAILED', attempts: 3, error: { code: 'INTERNAL', message: 'x' }, completedAt: new Date() }));
    await seed(...worn.map((t) => ({ ...t, taskId: '0' + t.taskId.slice(1) })));
    const res = await post('/queue/requeue-failed', ALICE);
    expect(res.body).toEqual({ requeued: 1, taskIds: [fresh!.taskId], skipped: 120 });
  });

  it('POST /queue/requeue-failed requeues the caller’s failed tasks that another attempt may cure (optionally by code) and republishes them', async () => {
    const subs: Subscription[] = [];
    const received: Message[] = [];
    for (const topic of [PRIORITY_TOPICS.high, PRIORITY_TOPICS.low]) {
      const [sub] = await pubsub.topic(topic).createSubscription(`requeue-test-${topic}-${Date.now()}`);
      sub.on('message', (m: Message) => {
        received.push(m);
        m.ack();
      });
      subs.push(sub);
    }
    try {
      const failed = (code: 'ENGINE_FAILURE' | 'INTERNAL' | 'CORRUPT_DOCUMENT', priority: Task['priority'], userHash = aliceHash, requeues = 0) =>
        taskOf(userHash, { status: 'FAILED', attempts: 3, requeues, error: { code, message: 'x' }, priority, generation: '1700000000000001', completedAt: new Date() });
      const [engine, internal, corrupt, worn, bobs] = await seed(
        failed('ENGINE_FAILURE', 'high'),
        failed('INTERNAL', 'low'),
        failed('CORRUPT_DOCUMENT', 'low'),
        failed('ENGINE_FAILURE', 'low', aliceHash, 3),
        failed('ENGINE_FAILURE', 'high', bobHash),
      );

      const byCode = await post('/queue/requeue-failed', ALICE, { code: 'CORRUPT_DOCUMENT' });
      expect(byCode.status).toBe(200);
      expect(byCode.body).toEqual({ requeued: 0, taskIds: [], skipped: 0 });
      expect((await post('/queue/requeue-failed', ALICE, { code: 'NO_SUCH_CODE' })).status).toBe(400);
      const rest = await post('/queue/requeue-failed', ALICE);
      expect(rest.body).toEqual({ requeued: 2, taskIds: expect.arrayContaining([engine!.taskId, internal!.taskId]), skipped: 1 });
      expect(await ctx.tasks.get(engine!.taskId)).toMatchObject({ status: 'QUEUED', attempts: 0, requeues: 1 });
      // A document's own fault, and a task requeued three times already, stay FAILED.
      expect((await ctx.tasks.get(corrupt!.taskId))!.status).toBe('FAILED');
      expect(await ctx.tasks.get(worn!.taskId)).toMatchObject({ status: 'FAILED', requeues: 3 });
      expect((await ctx.tasks.get(bobs!.taskId))!.status).toBe('FAILED');

      const deadline = Date.now() + 10_000;
      while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300)); // nothing else (Bob's) should follow
      const messages = received.map((m) => JSON.parse(m.data.toString()));
      expect(messages).toHaveLength(2);
      expect(messages).toEqual(
        expect.arrayContaining([
          { v: 1, taskId: engine!.taskId, bucket: TEST_BUCKETS.uploads, name: engine!.object, generation: '1700000000000001', priority: 'high', userHash: aliceHash },
          { v: 1, taskId: internal!.taskId, bucket: TEST_BUCKETS.uploads, name: internal!.object, generation: '1700000000000001', priority: 'low', userHash: aliceHash },
        ]),
      );
    } finally {
      for (const sub of subs) {
        await sub.close();
        await sub.delete().catch(() => undefined);
      }
    }
  });
});

describe('api: logs', () => {
  it('never wrote an email to the logs', () => {
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('\n')).not.toMatch(/@example\.com/i);
  });
});
