/**
 * The pipeline end to end on the emulator suite: our storage emulator delivers finalize events to
 * the dispatch function, dispatch publishes to the priority topics, the Pub/Sub emulator pushes to
 * the OCR worker, Firestore keeps the task. Functions run as real functions-framework processes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirestore, TaskStore } from '../../shared/adapters/firestore-tasks.ts';
import { characterErrorRate } from '../../shared/core/text-metrics.ts';
import { derivedTaskId, resultObjectNames, userHashOf, type Task } from '../../shared/core/task.ts';
import { DEAD_LETTER_SUBSCRIPTION, EVENTS_TOPIC, OBJECT_METADATA, PRIORITY_TOPICS } from '../../shared/names.ts';
import { previewObjectName } from '../../shared/outputs/preview.ts';
import { admitAndPublish } from '../../shared/lifecycle/admission.ts';
import { appContext } from '../../shared/services/context.ts';
import { fixture, FIXTURES_DIR, groundTruth } from '../support/fixtures.ts';
import { startPipeline, type Pipeline } from '../support/pipeline.ts';
import { TEST_BUCKETS, TEST_SECRET, type Suite } from '../support/suite.ts';
import { makeTask } from '../support/tasks.ts';
import { waitFor } from '../support/wait.ts';

const POISON = 'DOCVAULT-TEST-POISON';
const MAX_ATTEMPTS = 3;
/** Above every fixture; a larger drop fails in dispatch, before any worker downloads it. */
const MAX_BYTES = 1024 * 1024;
const AGING_SECONDS = 3600;
let pipeline: Pipeline;
let suite: Suite;
let storage: Storage;
let tasks: TaskStore;

const alice = userHashOf('alice@example.com', TEST_SECRET);
const dispatchUrl = () => pipeline.functions.dispatch!.url;

beforeAll(async () => {
  pipeline = await startPipeline({
    functions: ['dispatch', 'ocr-worker'],
    env: {
      // One task of a user in flight, alone or not (no work-conserving idle cap): the rest held back, admitted in the user's own priority order.
      // Aging off (an hour): a low task held 120 s ranks with the high ones and, older, goes first; on a
      // loaded machine the backlog below waited that long.
      dispatch: { MAX_ATTEMPTS: String(MAX_ATTEMPTS), MAX_DOCUMENT_BYTES: String(MAX_BYTES), USER_IN_FLIGHT_CAP: '1', USER_IN_FLIGHT_IDLE_CAP: '1', QUEUE_AGING_SECONDS: String(AGING_SECONDS) },
      'ocr-worker': { LEASE_SECONDS: '4', MAX_ATTEMPTS: String(MAX_ATTEMPTS), OCR_WORKERS: '1', OCR_FAULT_MARKER: POISON, USER_IN_FLIGHT_CAP: '1', USER_IN_FLIGHT_IDLE_CAP: '1', QUEUE_AGING_SECONDS: String(AGING_SECONDS) },
    },
  });
  suite = pipeline.suite;
  storage = new Storage({ projectId: suite.projectId });
  tasks = new TaskStore(createFirestore(suite.projectId));
}, 180_000);

afterAll(() => pipeline?.stop());

/** Drops a file into a user's prefix with the real client, like `gcloud storage cp` would. */
async function drop(name: string, bytes: Uint8Array, metadata: Record<string, string> = {}): Promise<string> {
  const object = `users/${alice}/${name}`;
  const file = storage.bucket(TEST_BUCKETS.uploads).file(object);
  await file.save(Buffer.from(bytes), { resumable: false, metadata: { metadata } });
  const [meta] = await file.getMetadata();
  return derivedTaskId(TEST_BUCKETS.uploads, object, String(meta.generation));
}

function finished(taskId: string, timeoutMs = 90_000): Promise<Task> {
  return waitFor(`task ${taskId} to finish`, async () => {
    const task = await tasks.get(taskId);
    return task && (task.status === 'COMPLETED' || task.status === 'FAILED') ? task : undefined;
  }, timeoutMs);
}

// Each test waits up to 90-150 s for its tasks (finished()); vitest's default of 60 s cut those waits short.
describe('pipeline on the emulator suite', { timeout: 240_000 }, () => {
  it('a file dropped into a user prefix becomes a task that completes with the right text, progress rising to 100', async () => {
    const taskId = await drop('phototest.tif', fixture('tess_phototest.tif'));
    const seen = new Set<string>();
    const task = await waitFor('completion', async () => {
      const t = await tasks.get(taskId);
      if (t) seen.add(`${t.status}:${t.progress}`);
      return t?.status === 'COMPLETED' ? t : undefined;
    }, 90_000, 50);
    // A drop is bulk work: the low lane, whatever its size.
    expect(task).toMatchObject({ userHash: alice, source: 'drop', priority: 'low', attempts: 1, progress: 100 });
    expect(task.summary).toMatchObject({ pages: 1, failedPages: 0 });
    expect([...seen].some((s) => s.startsWith('PROCESSING'))).toBe(true);
    const names = resultObjectNames(alice, taskId);
    const [text] = await storage.bucket(TEST_BUCKETS.results).file(names.txt).download();
    expect(characterErrorRate(groundTruth('tess_phototest.tif'), text.toString('utf8'))).toBeLessThanOrEqual(0.02);
    for (const name of Object.values(names)) expect((await storage.bucket(TEST_BUCKETS.results).file(name).exists())[0]).toBe(true);
  });

  it('a PDF dropped with the real gcloud storage CLI completes for that user', async () => {
    const config = mkdtempSync(join(tmpdir(), 'gcloud-config-'));
    const object = `users/${alice}/scan.pdf`;
    await promisify(execFile)('gcloud', ['storage', 'cp', FIXTURES_DIR + 'ocrmypdf_c02-22.pdf', `gs://${TEST_BUCKETS.uploads}/${object}`], {
      env: {
        ...process.env,
        CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE: `${suite.storage.url}/`,
        CLOUDSDK_AUTH_DISABLE_CREDENTIALS: 'True',
        CLOUDSDK_CORE_PROJECT: suite.projectId,
        CLOUDSDK_CONFIG: config,
        CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
      },
    });
    const [meta] = await storage.bucket(TEST_BUCKETS.uploads).file(object).getMetadata();
    const task = await finished(derivedTaskId(TEST_BUCKETS.uploads, object, String(meta.generation)));
    expect(task.status).toBe('COMPLETED');
    const [json] = await storage.bucket(TEST_BUCKETS.results).file(resultObjectNames(alice, task.taskId).json).download();
    expect(JSON.parse(json.toString()).text).toMatch(/tip-toeing along a path/);
  });

  it('the same finalize event twice and the same message twice make one task, one result, one attempt', async () => {
    const taskId = await drop('simple.png', fixture('tessjs_simple_png.png'));
    const first = await finished(taskId);
    expect(first.status).toBe('COMPLETED');
    // The finalize event again, as Eventarc may deliver it.
    const [meta] = await storage.bucket(TEST_BUCKETS.uploads).file(`users/${alice}/simple.png`).getMetadata();
    const redelivered = await fetch(dispatchUrl(), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': 'duplicate-1',
        'ce-source': `//storage.googleapis.com/projects/_/buckets/${TEST_BUCKETS.uploads}`,
        'ce-type': 'google.cloud.storage.object.v1.finalized',
        'ce-subject': `objects/users/${alice}/simple.png`,
        'ce-time': new Date().toISOString(),
      },
      body: JSON.stringify(meta),
    });
    expect(redelivered.status).toBeLessThan(300);
    // And the Pub/Sub message again.
    const pubsub = new PubSub({ projectId: suite.projectId });
    await pubsub.topic(PRIORITY_TOPICS.high).publishMessage({
      json: { v: 1, taskId, bucket: TEST_BUCKETS.uploads, name: `users/${alice}/simple.png`, generation: String(meta.generation), priority: 'high' },
      attributes: { priority: 'high' },
    });
    await pubsub.close();
    await new Promise((r) => setTimeout(r, 3000));
    const after = await tasks.get(taskId);
    expect(after).toMatchObject({ status: 'COMPLETED', attempts: 1 });
    expect(after!.completedAt).toEqual(first.completedAt);
    const [files] = await storage.bucket(TEST_BUCKETS.results).getFiles({ prefix: `users/${alice}/${taskId}/` });
    expect(files.map((f) => f.name).sort()).toEqual([...Object.values(resultObjectNames(alice, taskId)), previewObjectName(alice, taskId, 1)].sort());
  });

  it('a poison document fails with its code after the maximum attempts, and lands on the dead-letter topic', async () => {
    const poisoned = new Uint8Array(Buffer.concat([Buffer.from(fixture('tessjs_simple_png.png')), Buffer.from(POISON)]));
    const taskId = await drop('poison.png', poisoned);
    const task = await finished(taskId, 120_000);
    expect(task).toMatchObject({ status: 'FAILED', attempts: MAX_ATTEMPTS, error: { code: 'ENGINE_FAILURE' } });
    expect(task.error!.message).toMatch(/Gave up after 3 attempts/);
    const pubsub = new PubSub({ projectId: suite.projectId });
    const received = await waitFor('dead letter', () => pullOnce(pubsub, taskId), 20_000, 500);
    expect(received.attributes).toMatchObject({ taskId, errorCode: 'ENGINE_FAILURE' });
    await pubsub.close();
    // Each retry is asked for by a thrown error, which the framework prints as it stands: a Cloud Logging entry.
    const lines = readdirSync(pipeline.logDir)
      .filter((name) => name.startsWith('ocr-worker'))
      .flatMap((name) => readFileSync(join(pipeline.logDir, name), 'utf8').split('\n').filter(Boolean));
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    const retries = lines.map((line) => JSON.parse(line) as { severity: string; message: string }).filter((e) => e.message.startsWith('delivered again later: ') && e.message.includes(taskId));
    expect(retries.map((e) => e.severity)).toEqual(['WARNING', 'WARNING']);
  });

  it('a bad document fails at once with a code, and the upload is kept', async () => {
    const taskId = await drop('invalid.pdf', fixture('ocrmypdf_invalid.pdf'));
    const task = await finished(taskId);
    expect(task).toMatchObject({ status: 'FAILED', attempts: 1, error: { code: 'CORRUPT_DOCUMENT' } });
    expect((await storage.bucket(TEST_BUCKETS.uploads).file(`users/${alice}/invalid.pdf`).exists())[0]).toBe(true);
  });

  it('a drop over the size limit fails in dispatch with FILE_TOO_LARGE, unread by any worker, and says so on ocr-events', async () => {
    const pubsub = new PubSub({ projectId: suite.projectId });
    const [events] = await pubsub.topic(EVENTS_TOPIC).createSubscription(`too-big-${Date.now()}`);
    const seen: Array<{ taskId: string; type: string; error: { code: string } | null }> = [];
    events.on('message', (m: { data: Buffer; ack(): void }) => {
      seen.push(JSON.parse(m.data.toString()));
      m.ack();
    });
    try {
      const big = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(MAX_BYTES)]);
      const taskId = await drop('too-big.pdf', new Uint8Array(big));
      const task = await finished(taskId);
      expect(task).toMatchObject({ status: 'FAILED', attempts: 0, error: { code: 'FILE_TOO_LARGE' } });
      expect(task.startedAt).toBeNull();
      const event = await waitFor('task.failed event', async () => seen.find((e) => e.taskId === taskId), 20_000, 200);
      expect(event).toMatchObject({ type: 'task.failed', error: { code: 'FILE_TOO_LARGE' } });
    } finally {
      await events.close();
      await pubsub.close();
    }
  });

  it('objects outside the user layout are ignored without breaking the trigger', async () => {
    await storage.bucket(TEST_BUCKETS.uploads).file('stray/file.png').save(Buffer.from(fixture('tessjs_simple_png.png')), { resumable: false });
    const taskId = await drop('after-stray.png', fixture('tessjs_simple_png.png'));
    expect((await finished(taskId)).status).toBe('COMPLETED');
  });

  it('a worker killed mid-task: the task is delivered again and completes', { timeout: 330_000 }, async () => {
    const taskId = await drop('killed.pdf', fixture('ocrmypdf_skew.pdf'));
    await waitFor('processing', async () => ((await tasks.get(taskId))?.status === 'PROCESSING' ? true : undefined), 60_000, 50);
    pipeline.functions['ocr-worker']!.kill();
    await new Promise((r) => setTimeout(r, 500));
    await pipeline.restart('ocr-worker');
    const task = await finished(taskId, 150_000);
    expect(task.status).toBe('COMPLETED');
    expect(task.attempts).toBe(2);
  });

  it('with a backlog held back behind one task in flight, the user\'s high-priority drops finish before their low ones', { timeout: 300_000 }, async () => {
    // The task in flight is one the worker never gets (admitted, its message never sent), let go
    // as a cancel lets one go once all six drops are held. A real blocker raced the drops: read
    // before dispatch had held every one, it let a low drop in early (dispatch races the worker,
    // the more so on a loaded machine).
    const blocker = makeTask({ userHash: alice, source: 'drop', priority: 'normal', admittedAt: new Date() });
    await tasks.createIfAbsent(blocker);
    const low: string[] = [];
    const high: string[] = [];
    for (let i = 0; i < 3; i++) low.push(await drop(`low-${i}.png`, fixture('tessjs_simple_png.png'), { [OBJECT_METADATA.priority]: 'low' }));
    for (let i = 0; i < 3; i++) high.push(await drop(`high-${i}.png`, fixture('tessjs_simple_gif.gif'), { [OBJECT_METADATA.priority]: 'high' }));
    const held = await waitFor('all six drops held back', async () => {
      const six = await Promise.all([...high, ...low].map((id) => tasks.get(id)));
      return six.every((t) => t?.status === 'QUEUED') ? six : undefined;
    }, 60_000);
    expect(held.map((t) => t!.admittedAt)).toEqual(Array(6).fill(null));
    expect((await tasks.cancel(blocker.taskId, alice))?.status).toBe('CANCELLED');
    const { admission, queue } = appContext('test');
    await admitAndPublish({ admission, tasks, queue, fairness: { cap: 1, idleCap: 1, agingMs: AGING_SECONDS * 1000 } }, alice);
    const done = await Promise.all([...high, ...low].map((id) => finished(id, 180_000)));
    const at = (ids: string[]) => done.filter((t) => ids.includes(t.taskId)).map((t) => t.completedAt!.getTime());
    expect(Math.max(...at(high))).toBeLessThan(Math.min(...at(low)));
  });
});

async function pullOnce(pubsub: PubSub, taskId: string): Promise<{ attributes: Record<string, string> } | undefined> {
  const subscription = pubsub.subscription(DEAD_LETTER_SUBSCRIPTION);
  const messages = await new Promise<Array<{ attributes: Record<string, string>; ack(): void }>>((resolve) => {
    const got: Array<{ attributes: Record<string, string>; ack(): void }> = [];
    const onMessage = (m: { attributes: Record<string, string>; ack(): void }) => got.push(m);
    subscription.on('message', onMessage);
    setTimeout(() => {
      subscription.removeListener('message', onMessage);
      void subscription.close();
      resolve(got);
    }, 1500);
  });
  for (const m of messages) m.ack();
  return messages.find((m) => m.attributes.taskId === taskId);
}
