/** dispatch's branches with in-memory ports: ignored, queued, a duplicate event, over-size, a claimed id. */
import { describe, expect, it, vi } from 'vitest';
import { derivedTaskId, newTaskId, type Task } from '../../../shared/core/task.ts';
import { messageFor } from '../../../shared/core/task.ts';
import { dispatchObject, UPLOAD_DISPATCH_GRACE_MS, uploadGraceMs, type DispatchDeps, type StorageObject } from '../../../shared/lifecycle/dispatch-object.ts';
import { OBJECT_METADATA } from '../../../shared/names.ts';
import { sealPassword } from '../../../shared/core/sealed-password.ts';
import { toHeaderText } from '../../../shared/core/header-text.ts';
import { MemoryAdmission, MemoryTaskStore, memoryLogger, RecordingQueue } from '../../support/fakes.ts';
import { makeTask } from '../../support/tasks.ts';

const UPLOADS = 'uploads';
const alice = 'a'.repeat(64);
const bob = 'b'.repeat(64);
const now = new Date('2026-12-01T12:00:00Z');

function dispatcher(...tasks: Task[]) {
  const store = new MemoryTaskStore(...tasks);
  const queue = new RecordingQueue();
  const deps: DispatchDeps = {
    tasks: store,
    admission: new MemoryAdmission(store),
    fairness: { cap: 2, agingMs: 60_000 },
    queue,
    log: memoryLogger().log,
    uploadsBucket: UPLOADS,
    maxAttempts: 3,
    priorityRules: [{ maxBytes: 1000, priority: 'high' }],
    maxBytes: 10_000,
    retentionMs: 1000,
    now: () => now,
  };
  return { deps, store, queue };
}

const object = (fields: Partial<StorageObject> = {}): StorageObject => ({ bucket: UPLOADS, name: `users/${alice}/scan.pdf`, generation: '7', size: 500, metadata: null, ...fields });

describe('dispatchObject', () => {
  it.each([
    ['another bucket', object({ bucket: 'elsewhere' }), 'not the uploads bucket'],
    ['outside users/{userHash}/', object({ name: 'loose/scan.pdf' }), 'outside the users/{userHash}/ layout'],
  ])('ignores an object in %s', async (_what, obj, reason) => {
    const d = dispatcher();
    expect(await dispatchObject(obj, d.deps)).toEqual({ kind: 'ignored', reason });
    expect(d.store.tasks.size).toBe(0);
  });

  it('a dropped object becomes a QUEUED task with a derived id on the bulk (low) lane, published once and marked dispatched', async () => {
    const d = dispatcher();
    const outcome = await dispatchObject(object(), d.deps);
    const taskId = derivedTaskId(UPLOADS, `users/${alice}/scan.pdf`, '7');
    expect(outcome).toMatchObject({ kind: 'queued', created: true, published: true, task: { taskId, source: 'drop', priority: 'low', status: 'QUEUED' } });
    expect(d.queue.tasks).toEqual([messageFor(d.store.tasks.get(taskId)!)]);
    expect(d.store.dispatched).toEqual([taskId]);
  });

  it('a duplicate event publishes nothing more; an event whose first delivery died before publishing publishes', async () => {
    const d = dispatcher();
    await dispatchObject(object(), d.deps);
    expect(await dispatchObject(object(), d.deps)).toMatchObject({ kind: 'queued', created: false, published: false });
    expect(d.queue.tasks).toHaveLength(1);

    const undispatched = makeTask({ taskId: derivedTaskId(UPLOADS, `users/${alice}/other.pdf`, '7'), userHash: alice, bucket: UPLOADS, object: `users/${alice}/other.pdf`, generation: '7' });
    const e = dispatcher(undispatched);
    expect(await dispatchObject(object({ name: undispatched.object }), e.deps)).toMatchObject({ kind: 'queued', created: false, published: true });
  });

  it('over-size: FAILED with FILE_TOO_LARGE at once, announced, never published', async () => {
    const d = dispatcher();
    const outcome = await dispatchObject(object({ size: 20_000 }), d.deps);
    expect(outcome).toMatchObject({ kind: 'refused', code: 'FILE_TOO_LARGE', task: { status: 'FAILED', error: { code: 'FILE_TOO_LARGE' } } });
    expect(d.queue.tasks).toEqual([]);
    expect(d.queue.events).toMatchObject([{ type: 'task.failed' }]);
  });

  it('the event of a document upload has dispatched itself is answered by one read, without a transaction; an undispatched one goes through it', async () => {
    const taskId = newTaskId();
    const d = dispatcher();
    const uploaded = object({ name: `users/${alice}/${taskId}/scan.pdf`, metadata: { [OBJECT_METADATA.taskId]: taskId, [OBJECT_METADATA.source]: 'upload' } });
    expect(await dispatchObject(uploaded, d.deps)).toMatchObject({ kind: 'queued', created: true, published: true });
    const transactions = vi.spyOn(d.store, 'createOrArrive');
    expect(await dispatchObject(uploaded, d.deps)).toMatchObject({ kind: 'queued', created: false, published: false, task: { taskId, status: 'QUEUED' } });
    expect(transactions).not.toHaveBeenCalled();
    expect(d.queue.tasks).toHaveLength(1);

    d.store.tasks.set(taskId, { ...d.store.tasks.get(taskId)!, dispatchedAt: null, admittedAt: null });
    expect(await dispatchObject(uploaded, d.deps)).toMatchObject({ kind: 'queued', created: false, published: true });
    expect(transactions).toHaveBeenCalledTimes(1);
    expect(d.queue.tasks).toHaveLength(2);
  });

  it('upload\'s task id and settings come from the metadata; an id claimed from another user is ignored', async () => {
    const taskId = newTaskId();
    const d = dispatcher();
    const metadata = { [OBJECT_METADATA.taskId]: taskId, [OBJECT_METADATA.priority]: 'low', [OBJECT_METADATA.originalName]: 'Scan 1.pdf' };
    const outcome = await dispatchObject(object({ name: `users/${alice}/${taskId}/scan.pdf`, metadata }), d.deps);
    // The lane is the system's (a small upload: high); the caller's priority orders only their own backlog.
    expect(outcome).toMatchObject({ kind: 'queued', task: { taskId, source: 'upload', priority: 'high', requestedPriority: 'low', fileName: 'Scan 1.pdf' } });

    const bobs = dispatchObject(object({ name: `users/${bob}/${taskId}/scan.pdf`, metadata }), d.deps);
    expect(await bobs).toEqual({ kind: 'ignored', reason: 'task id belongs to another user' });
    expect(d.store.tasks.get(taskId)!.userHash).toBe(alice);
  });
  it('decodes a header-safe original name for display; a callback with user-info in metadata is not taken', async () => {
    const d = dispatcher();
    const taskId = newTaskId();
    const metadata = {
      [OBJECT_METADATA.taskId]: taskId,
      [OBJECT_METADATA.originalName]: toHeaderText('報告 été.png'),
      [OBJECT_METADATA.callbackUrl]: 'https://user:secret@hooks.example.com/',
    };
    const outcome = await dispatchObject(object({ name: `users/${alice}/${taskId}/document.png`, metadata }), d.deps);
    expect(outcome).toMatchObject({ kind: 'queued', task: { taskId, fileName: '報告 été.png', callbackUrl: null } });
  });
  it('a dropped object\'s sealed password (docvault ingest --password) goes into its task; a plain one in metadata is not taken', async () => {
    const d = dispatcher();
    const sealed = sealPassword('a-password-key-for-tests-0123456789', 's3cret');
    const withSealed = await dispatchObject(object({ name: `users/${alice}/secret.pdf`, metadata: { [OBJECT_METADATA.sealedPassword]: sealed } }), d.deps);
    expect(withSealed).toMatchObject({ kind: 'queued', task: { sealedPassword: sealed } });
    const withPlain = await dispatchObject(object({ name: `users/${alice}/other.pdf`, metadata: { [OBJECT_METADATA.sealedPassword]: 's3cret' } }), d.deps);
    expect(withPlain).toMatchObject({ kind: 'queued', task: { sealedPassword: null } });
  });

  it('moves the PENDING task upload wrote to QUEUED with the object\'s generation and size, once; a cancelled one stays cancelled', async () => {
    const taskId = newTaskId();
    const name = `users/${alice}/${taskId}/scan.pdf`;
    const pending = makeTask({ taskId, userHash: alice, bucket: UPLOADS, object: name, generation: '', size: 50_000, status: 'PENDING', source: 'signed-url', priority: 'low', expireAt: now });
    const d = dispatcher(pending);
    const obj = object({ name, generation: '9', size: 500, metadata: { [OBJECT_METADATA.taskId]: taskId, [OBJECT_METADATA.source]: 'signed-url' } });
    const transactions = vi.spyOn(d.store, 'createOrArrive');
    const outcome = await dispatchObject(obj, d.deps);
    expect(transactions).toHaveBeenCalledTimes(1);
    expect(outcome).toMatchObject({ kind: 'queued', created: false, published: true, task: { taskId, status: 'QUEUED', generation: '9', size: 500, priority: 'high', expireAt: null } });
    expect(d.queue.tasks).toEqual([messageFor(d.store.tasks.get(taskId)!)]);
    expect(await dispatchObject(obj, d.deps)).toMatchObject({ kind: 'queued', published: false });
    expect(d.queue.tasks).toHaveLength(1);

    const cancelled = dispatcher({ ...pending, status: 'CANCELLED' });
    expect(await dispatchObject(obj, cancelled.deps)).toMatchObject({ published: false, task: { status: 'CANCELLED' } });
    expect(cancelled.queue.tasks).toHaveLength(0);
  });

  it('holds a user\'s tasks beyond the cap back, unpublished, while another user\'s task is published at once', async () => {
    const d = dispatcher();
    const outcomes = [];
    for (const n of [1, 2, 3, 4]) outcomes.push(await dispatchObject(object({ name: `users/${alice}/scan${n}.pdf` }), d.deps));
    expect(outcomes.map((o) => (o.kind === 'queued' ? o.published : null))).toEqual([true, true, false, false]);
    expect(await dispatchObject(object({ name: `users/${bob}/scan.pdf` }), d.deps)).toMatchObject({ published: true });
    expect(d.queue.tasks.map((m) => m.userHash)).toEqual([alice, alice, bob]);
    expect([...d.store.tasks.values()].filter((t) => t.status === 'QUEUED' && !t.admittedAt)).toHaveLength(2);
  });

  it('publishes a task admitted by an earlier delivery that died before publishing, without admitting another', async () => {
    const name = `users/${alice}/scan.pdf`;
    const admitted = makeTask({ taskId: derivedTaskId(UPLOADS, name, '7'), userHash: alice, bucket: UPLOADS, object: name, generation: '7', admittedAt: now });
    const held = makeTask({ userHash: alice, bucket: UPLOADS, createdAt: new Date(now.getTime() - 1000) });
    const d = dispatcher(admitted, held);
    expect(await dispatchObject(object(), d.deps)).toMatchObject({ kind: 'queued', published: true });
    expect(d.queue.tasks.map((m) => m.taskId)).toEqual([admitted.taskId]);
    expect(d.store.dispatched).toEqual([admitted.taskId]);
    expect(d.store.tasks.get(held.taskId)!.admittedAt).toBeNull();
  });
});

describe('uploadGraceMs', () => {
  const at = (msAgo: number) => new Date(now.getTime() - msAgo).toISOString();
  it.each([
    ['a multipart upload written just now', 'upload', at(0), UPLOAD_DISPATCH_GRACE_MS],
    ['a multipart upload written a second ago', 'upload', at(1000), UPLOAD_DISPATCH_GRACE_MS - 1000],
    ['a multipart upload whose event waited behind others', 'upload', at(60_000), 0],
    ['a clock ahead of the event', 'upload', at(-60_000), UPLOAD_DISPATCH_GRACE_MS],
    ['a signed URL\'s upload (upload does not dispatch it)', 'signed-url', at(0), 0],
    ['a drop', undefined, at(0), 0],
    ['an object without its time', 'upload', undefined, 0],
  ])('%s: %d ms', (_what, source, timeCreated, ms) => {
    const metadata = source ? { [OBJECT_METADATA.source]: source } : null;
    expect(uploadGraceMs(object({ metadata, ...(timeCreated ? { timeCreated } : {}) }), now)).toBe(ms);
  });
});
