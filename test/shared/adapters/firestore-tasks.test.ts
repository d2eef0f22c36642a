/** The task store against the real Firestore emulator. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFirestore, TaskStore } from '../../../shared/adapters/firestore-tasks.ts';
import { startSuite, type Suite } from '../../support/suite.ts';
import { makeTask } from '../../support/tasks.ts';

let suite: Suite;
let store: TaskStore;
const LEASE_MS = 60_000;

beforeAll(async () => {
  suite = await startSuite();
  store = new TaskStore(createFirestore(suite.projectId));
});
afterAll(() => suite?.stop());
beforeEach(() => suite.clearFirestore());

describe('TaskStore', () => {
  it('creates a task once; a repeated create returns the stored one unchanged', async () => {
    const task = makeTask();
    expect((await store.createIfAbsent(task)).created).toBe(true);
    const again = await store.createIfAbsent({ ...task, priority: 'low' });
    expect(again.created).toBe(false);
    expect(again.task.priority).toBe('high');
    expect(again.task.createdAt).toEqual(task.createdAt);
  });

  it('createOrArrive: creates an absent task, moves a PENDING one to QUEUED in one transaction, leaves another user\'s alone', async () => {
    const arrival = (t: ReturnType<typeof makeTask>) => ({ object: t.object, generation: '7', size: 321, contentType: 'image/png', priority: 'normal' as const });
    const fresh = makeTask();
    expect(await store.createOrArrive(fresh, arrival(fresh))).toMatchObject({ created: true, task: { status: 'QUEUED', taskId: fresh.taskId } });
    const pending = makeTask({ status: 'PENDING', size: 0 });
    await store.createIfAbsent(pending);
    const arrived = await store.createOrArrive({ ...pending, status: 'QUEUED' }, arrival(pending));
    expect(arrived).toMatchObject({ created: false, task: { status: 'QUEUED', generation: '7', size: 321, priority: 'normal' } });
    expect(await store.get(pending.taskId)).toMatchObject({ status: 'QUEUED', size: 321 });
    const theirs = makeTask({ status: 'PENDING', size: 0 });
    await store.createIfAbsent(theirs);
    const claimed = await store.createOrArrive({ ...theirs, userHash: 'someone-else', status: 'QUEUED' }, arrival(theirs));
    expect(claimed).toMatchObject({ created: false, task: { status: 'PENDING', size: 0 } });
    expect(claimed.task.userHash).toBe(theirs.userHash);
  });

  it('leases a queued task, counts the attempt, and refuses a second worker while the lease lives', async () => {
    const task = makeTask();
    await store.createIfAbsent(task);
    const first = await store.lease(task.taskId, 'worker-a', LEASE_MS);
    expect(first).toMatchObject({ kind: 'leased', task: { status: 'PROCESSING', attempts: 1, lease: { workerId: 'worker-a' } } });
    expect((await store.lease(task.taskId, 'worker-b', LEASE_MS)).kind).toBe('busy');
  });

  it('lets another worker take over an expired lease, recording that the last attempt died', async () => {
    const task = makeTask();
    await store.createIfAbsent(task);
    const past = new Date(Date.now() - 2 * LEASE_MS);
    await store.lease(task.taskId, 'worker-a', LEASE_MS, past);
    const takeover = await store.lease(task.taskId, 'worker-b', LEASE_MS);
    expect(takeover).toMatchObject({ kind: 'leased', task: { attempts: 2, lease: { workerId: 'worker-b' }, error: { code: 'INTERNAL' } } });
  });

  it('fails a task that has used all its attempts, with its last error', async () => {
    const task = makeTask({ attempts: 3, maxAttempts: 3, error: { code: 'ENGINE_FAILURE', message: 'boom' } });
    await store.createIfAbsent(task);
    const outcome = await store.lease(task.taskId, 'worker-a', LEASE_MS);
    expect(outcome).toMatchObject({ kind: 'exhausted', task: { status: 'FAILED', error: { code: 'ENGINE_FAILURE' } } });
    expect(outcome.kind === 'exhausted' && outcome.task.error?.message).toMatch(/Gave up after 3 attempts: boom/);
  });

  it('moves only forward: completion is final, a finished task is not leased again', async () => {
    const task = makeTask();
    await store.createIfAbsent(task);
    await store.lease(task.taskId, 'w', LEASE_MS);
    expect(await store.heartbeat(task.taskId, 'w', LEASE_MS, { percent: 40, message: 'page 2/5' })).toBe(true);
    expect(await store.heartbeat(task.taskId, 'other', LEASE_MS)).toBe(false);
    const summary = { pages: 1, failedPages: 0, confidence: 90, languages: ['eng'], category: 'other', processingMs: 5, resultBucket: 'r', objects: { json: 'a', txt: 'b', hocr: 'c', pdf: 'd' } };
    expect(await store.complete(task.taskId, 'other', summary, 1000)).toBeNull();
    const done = await store.complete(task.taskId, 'w', summary, 1000);
    expect(done).toMatchObject({ status: 'COMPLETED', progress: 100, lease: null });
    expect((await store.lease(task.taskId, 'w2', LEASE_MS)).kind).toBe('finished');
    expect(await store.fail(task.taskId, { code: 'INTERNAL', message: 'late' }, { retentionMs: 1000 })).toBeNull();
    expect((await store.get(task.taskId))!.status).toBe('COMPLETED');
  });

  it('releases a retryable failure back to the queue and requeues a failed task with fresh attempts', async () => {
    const task = makeTask();
    await store.createIfAbsent(task);
    await store.lease(task.taskId, 'w', LEASE_MS);
    expect(await store.release(task.taskId, 'w', { code: 'ENGINE_FAILURE', message: 'flaky' })).toMatchObject({ status: 'QUEUED', attempts: 1 });
    await store.lease(task.taskId, 'w', LEASE_MS);
    await store.fail(task.taskId, { code: 'CORRUPT_DOCUMENT', message: 'bad' }, { workerId: 'w', retentionMs: 1000 });
    expect(await store.requeue(task.taskId)).toMatchObject({ status: 'QUEUED', attempts: 0, error: { code: 'CORRUPT_DOCUMENT' } });
  });

  it("scopes reads to the owner: another user's task is null, lists hold only the caller's tasks", async () => {
    const alice = 'a'.repeat(64);
    const bob = 'b'.repeat(64);
    const base = Date.now();
    for (let i = 0; i < 5; i++) await store.createIfAbsent(makeTask({ userHash: alice, createdAt: new Date(base - i * 1000) }));
    const bobs = makeTask({ userHash: bob });
    await store.createIfAbsent(bobs);
    expect(await store.getForUser(bobs.taskId, alice)).toBeNull();
    expect(await store.getForUser(bobs.taskId, bob)).not.toBeNull();

    const page1 = await store.list(alice, { limit: 3 });
    const page2 = await store.list(alice, { limit: 3, cursor: page1.nextCursor });
    expect(page1.tasks).toHaveLength(3);
    expect(page2.tasks).toHaveLength(2);
    expect(page2.nextCursor).toBeNull();
    const all = [...page1.tasks, ...page2.tasks];
    expect(all.every((t) => t.userHash === alice)).toBe(true);
    expect(new Set(all.map((t) => t.taskId)).size).toBe(5);
    expect(all.map((t) => t.createdAt.getTime())).toEqual([...all.map((t) => t.createdAt.getTime())].sort((a, b) => b - a));
  });

  it('counts the queue with aggregations', async () => {
    const old = new Date(Date.now() - 3_600_000);
    await store.createIfAbsent(makeTask({ createdAt: old }));
    await store.createIfAbsent(makeTask());
    const leased = makeTask();
    await store.createIfAbsent(leased);
    await store.lease(leased.taskId, 'w', LEASE_MS);
    const failed = makeTask({ status: 'FAILED', error: { code: 'CORRUPT_DOCUMENT', message: 'x' } });
    await store.createIfAbsent(failed);
    const stats = await store.stats();
    expect(stats).toMatchObject({ queued: 2, processing: 1, failed: 1, completedToday: 0, oldestQueuedAt: old.toISOString() });
    expect(stats.averageWaitMs).not.toBeNull();
    expect(await store.failedTaskIds({ code: 'CORRUPT_DOCUMENT', limit: 10 })).toEqual([failed.taskId]);
  });
});

describe('TaskStore.waitUntilFinished', () => {
  const SUMMARY = { pages: 1, failedPages: 0, confidence: 90, languages: ['eng'], category: 'other', processingMs: 5, resultBucket: 'r', objects: { json: 'a', txt: 'b', hocr: 'c', pdf: 'd' } };

  async function processing() {
    const task = makeTask();
    await store.createIfAbsent(task);
    await store.lease(task.taskId, 'w', LEASE_MS);
    return task;
  }

  it('answers a completion that lands between the caller\'s first read and the listener\'s start', async () => {
    const task = await processing();
    const read = await store.getForUser(task.taskId, task.userHash);
    expect(read!.status).toBe('PROCESSING');
    const started = Date.now();
    const finished = await store.waitUntilFinished(task.taskId, task.userHash, 20_000, {
      beforeListen: async () => {
        await store.complete(task.taskId, 'w', SUMMARY, 1000);
      },
    });
    expect(finished?.status).toBe('COMPLETED');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('answers by re-reading when the listener misses the completion (as the emulator\'s has)', async () => {
    const task = await processing();
    // A listener that delivers its first snapshot (PROCESSING) and then nothing more.
    const deaf: NonNullable<Parameters<TaskStore['waitUntilFinished']>[3]>['listen'] = (ref, onNext, onError) => {
      let first = true;
      return ref.onSnapshot((snap) => {
        if (first) onNext(snap);
        first = false;
      }, onError);
    };
    const started = Date.now();
    const waiting = store.waitUntilFinished(task.taskId, task.userHash, 20_000, { listen: deaf, rereadMs: 300 });
    await new Promise((r) => setTimeout(r, 500));
    await store.complete(task.taskId, 'w', SUMMARY, 1000);
    expect((await waiting)?.status).toBe('COMPLETED');
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it('answers a task as it stands at the time limit, and nothing for another user', async () => {
    const task = await processing();
    expect((await store.waitUntilFinished(task.taskId, task.userHash, 700, { rereadMs: 200 }))?.status).toBe('PROCESSING');
    expect(await store.waitUntilFinished(task.taskId, 'c'.repeat(64), 700, { rereadMs: 200 })).toBeNull();
  });
});
