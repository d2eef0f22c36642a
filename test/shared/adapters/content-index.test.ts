/**
 * The content index against the real Firestore emulator: the user's own entry and the latest of
 * any user, found in one call; and cleanup, which deletes a task's results, forgets every entry
 * pointing at them.
 */
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FirestoreContentIndex } from '../../../shared/adapters/content-index.ts';
import { createFirestore, TaskStore } from '../../../shared/adapters/firestore-tasks.ts';
import { GcsBlobStore } from '../../../shared/adapters/storage.ts';
import { indexEntryOf, type ContentIndexEntry } from '../../../shared/core/result-reuse.ts';
import { resultObjectNames, type Task } from '../../../shared/core/task.ts';
import { cleanupTasks, DAY_MS } from '../../../shared/lifecycle/cleanup.ts';
import { startSuite, TEST_BUCKETS, type Suite } from '../../support/suite.ts';
import { makeTask } from '../../support/tasks.ts';
import { aliceHash, bobHash } from '../../support/users.ts';

let suite: Suite;
let index: FirestoreContentIndex;
let tasks: TaskStore;
let storage: Storage;
const KEY = 'e'.repeat(64);

beforeAll(async () => {
  suite = await startSuite();
  const db = createFirestore(suite.projectId);
  index = new FirestoreContentIndex(db);
  tasks = new TaskStore(db);
  storage = new Storage({ projectId: suite.projectId });
});
afterAll(() => suite?.stop());
beforeEach(() => suite.clearFirestore());

function completed(userHash: string, daysAgo = 0): Task {
  const at = new Date(Date.now() - daysAgo * DAY_MS);
  const base = makeTask({ userHash, createdAt: at });
  const summary = { pages: 2, failedPages: 0, confidence: 88, languages: ['eng'], category: 'letter', processingMs: 9000, resultBucket: TEST_BUCKETS.results, objects: resultObjectNames(userHash, base.taskId) };
  return { ...base, status: 'COMPLETED', summary, completedAt: at, updatedAt: at, expireAt: new Date(at.getTime() + 30 * DAY_MS) };
}

const entryOf = (task: Task): ContentIndexEntry => indexEntryOf(KEY, task)!;

describe('FirestoreContentIndex', () => {
  it("finds the user's own entry and the latest of any user, dates and all", async () => {
    expect(await index.find(KEY, aliceHash)).toEqual({ own: null, latest: null });
    const alices = completed(aliceHash);
    const bobs = completed(bobHash);
    await index.record(entryOf(alices));
    await index.record(entryOf(bobs));
    expect(await index.find(KEY, aliceHash)).toEqual({ own: entryOf(alices), latest: entryOf(bobs) });
    expect(await index.find(KEY, bobHash)).toEqual({ own: entryOf(bobs), latest: entryOf(bobs) });
    expect(await index.find('f'.repeat(64), aliceHash)).toEqual({ own: null, latest: null });
  });

  it('forgets every entry of a task', async () => {
    const alices = completed(aliceHash);
    await index.record(entryOf(alices));
    expect(await index.forgetTask(alices.taskId)).toBe(2);
    expect(await index.find(KEY, aliceHash)).toEqual({ own: null, latest: null });
    expect(await index.forgetTask(alices.taskId)).toBe(0);
  });

  it('cleanup deletes a task\'s results and the entries pointing at them, and leaves the others', async () => {
    const old = completed(aliceHash, 10);
    const recent = completed(bobHash, 1);
    for (const task of [old, recent]) {
      await tasks.createIfAbsent(task);
      for (const name of Object.values(task.summary!.objects)) await storage.bucket(TEST_BUCKETS.results).file(name).save('result', { resumable: false });
      await index.record(entryOf(task));
    }
    const report = await cleanupTasks({ tasks, blobs: new GcsBlobStore(storage), resultsBucket: TEST_BUCKETS.results, index }, { days: 7, failedDays: 30 });
    expect(report.tasks.COMPLETED).toBe(1);
    expect(await index.find(KEY, aliceHash)).toEqual({ own: null, latest: entryOf(recent) });
    expect(await index.find(KEY, bobHash)).toEqual({ own: entryOf(recent), latest: entryOf(recent) });
  });
});
