/**
 * A worker process killed and started again under its stable name (WORKER_INSTANCE, as the local
 * suite's supervisor does): the new process frees the leases its predecessor held at its start, so
 * the killed task is read again long before its lease would have run out. Real functions-framework
 * processes on the emulator suite; the lease is ten minutes, so only the release can explain a
 * second attempt within the test.
 */
import { PubSub, type Message } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirestore, TaskStore } from '../../shared/adapters/firestore-tasks.ts';
import { holderId } from '../../shared/core/lease-holder.ts';
import { derivedTaskId, userHashOf, type Task } from '../../shared/core/task.ts';
import { DEAD_LETTER_SUBSCRIPTION } from '../../shared/names.ts';
import { workerInstance } from '../../emulators/worker-pool.ts';
import { fixture } from '../support/fixtures.ts';
import { startPipeline, type Pipeline } from '../support/pipeline.ts';
import { TEST_BUCKETS, TEST_SECRET } from '../support/suite.ts';
import { makeTask } from '../support/tasks.ts';
import { waitFor } from '../support/wait.ts';

const LEASE_SECONDS = 600;
let pipeline: Pipeline;
let storage: Storage;
let tasks: TaskStore;
const alice = userHashOf('alice@example.com', TEST_SECRET);

beforeAll(async () => {
  pipeline = await startPipeline({
    functions: ['dispatch', 'ocr-worker'],
    env: { 'ocr-worker': { LEASE_SECONDS: String(LEASE_SECONDS), MAX_ATTEMPTS: '3', OCR_WORKERS: '1' }, dispatch: { MAX_ATTEMPTS: '3' } },
  });
  storage = new Storage({ projectId: pipeline.suite.projectId });
  tasks = new TaskStore(createFirestore(pipeline.suite.projectId));
}, 180_000);
afterAll(() => pipeline?.stop());

async function drop(name: string, bytes: Uint8Array): Promise<string> {
  const file = storage.bucket(TEST_BUCKETS.uploads).file(`users/${alice}/${name}`);
  await file.save(Buffer.from(bytes), { resumable: false });
  const [meta] = await file.getMetadata();
  return derivedTaskId(TEST_BUCKETS.uploads, file.name, String(meta.generation));
}

describe('a worker restarted under its stable name', () => {
  it("frees its killed predecessor's leases at its start: the task is read again within its lease; no other holder's lease is touched", async () => {
    const taskId = await drop('killed.pdf', fixture('ocrmypdf_skew.pdf'));
    const leased = await waitFor('processing', async () => {
      const t = await tasks.get(taskId);
      return t?.status === 'PROCESSING' ? t : undefined;
    }, 90_000, 50);
    const self = workerInstance(0);
    expect(leased.lease!.workerId.startsWith(`${self}/`)).toBe(true);
    // Beside it, as a dead predecessor and a live stranger would leave them: one of its own name out of attempts, one of another instance's.
    const later = new Date(Date.now() + LEASE_SECONDS * 1000);
    const exhausted = makeTask({ status: 'PROCESSING', attempts: 3, maxAttempts: 3, userHash: alice, lease: { workerId: holderId(self, '1:dead'), expiresAt: later } });
    const stranger = makeTask({ status: 'PROCESSING', attempts: 1, userHash: alice, lease: { workerId: holderId(workerInstance(1), '2:live'), expiresAt: later } });
    await tasks.createIfAbsent(exhausted);
    await tasks.createIfAbsent(stranger);
    const deadLetters = collect(new PubSub({ projectId: pipeline.suite.projectId }));

    pipeline.functions['ocr-worker']!.kill();
    await pipeline.restart('ocr-worker');
    const done = await waitFor('the killed task to finish', async () => {
      const t = await tasks.get(taskId);
      return t?.status === 'COMPLETED' || t?.status === 'FAILED' ? t : undefined;
    }, 240_000, 250);

    expect(done).toMatchObject({ status: 'COMPLETED', attempts: 2 });
    // Read again and finished before the killed attempt's lease would have let anyone else take it.
    expect(done.completedAt!.getTime()).toBeLessThan(leased.lease!.expiresAt.getTime());
    const given: Task | null = await waitFor('the exhausted task given up', async () => ((await tasks.get(exhausted.taskId))?.status === 'FAILED' ? tasks.get(exhausted.taskId) : undefined), 30_000);
    expect(given).toMatchObject({ status: 'FAILED', error: { code: 'INTERNAL' }, lease: null });
    await waitFor('its dead letter', async () => (deadLetters.seen.includes(exhausted.taskId) ? true : undefined), 30_000);
    expect(await tasks.get(stranger.taskId)).toMatchObject({ status: 'PROCESSING', attempts: 1, lease: stranger.lease });
    const log = readFileSync(join(pipeline.logDir, 'ocr-worker.log'), 'utf8');
    expect(log).toMatch(/leases of this instance's predecessor released/);
    await deadLetters.close();
  }, 400_000);
});

function collect(pubsub: PubSub) {
  const seen: string[] = [];
  const sub = pubsub.subscription(DEAD_LETTER_SUBSCRIPTION);
  sub.on('message', (m: Message) => {
    seen.push(m.attributes.taskId ?? '?');
    m.ack();
  });
  sub.on('error', () => undefined);
  return {
    seen,
    close: async () => {
      await sub.close();
      await pubsub.close();
    },
  };
}
