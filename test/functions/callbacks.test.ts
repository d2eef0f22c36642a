/**
 * Callbacks delivered by their own function from the ocr-events topic, on the emulator suite: a
 * receiver that never answers costs the OCR worker nothing (another user's task starts at once),
 * and each delivery's outcome is on the task, in GET /tasks/{id}.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirestore, TaskStore } from '../../shared/adapters/firestore-tasks.ts';
import { derivedTaskId, type Task } from '../../shared/core/task.ts';
import { signWebhook } from '../../shared/lifecycle/notify.ts';
import { OBJECT_METADATA } from '../../shared/names.ts';
import { fixture } from '../support/fixtures.ts';
import { asUser, fetchJson } from '../support/http.ts';
import { startPipeline, TEST_BUCKETS, type Pipeline } from '../support/pipeline.ts';
import { ALICE, aliceHash, BOB, bobHash } from '../support/users.ts';
import { waitFor } from '../support/wait.ts';

let pipeline: Pipeline;
let storage: Storage;
let tasks: TaskStore;
const receivers: Server[] = [];

async function receiver(answer: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => answer(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  receivers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}

async function drop(userHash: string, name: string, callbackUrl?: string): Promise<string> {
  const object = `users/${userHash}/${name}`;
  const file = storage.bucket(TEST_BUCKETS.uploads).file(object);
  await file.save(fixture('tessjs_simple_png.png'), { resumable: false, metadata: { metadata: callbackUrl ? { [OBJECT_METADATA.callbackUrl]: callbackUrl } : {} } });
  const [meta] = await file.getMetadata();
  return derivedTaskId(TEST_BUCKETS.uploads, object, String(meta.generation));
}

function finished(taskId: string): Promise<Task> {
  return waitFor(`task ${taskId} to finish`, async () => {
    const task = await tasks.get(taskId);
    return task && (task.status === 'COMPLETED' || task.status === 'FAILED') ? task : undefined;
  }, 120_000);
}

const apiTask = (taskId: string, email: string) => fetchJson(`${pipeline.functions.api!.url}/tasks/${taskId}`, { headers: asUser(email) });

beforeAll(async () => {
  pipeline = await startPipeline({
    functions: ['dispatch', 'ocr-worker', 'callbacks', 'api'],
    env: { 'ocr-worker': { OCR_WORKERS: '1', WORKER_SLOTS: '1' } },
  });
  storage = new Storage({ projectId: pipeline.suite.projectId });
  tasks = new TaskStore(createFirestore(pipeline.suite.projectId));
}, 180_000);

afterAll(async () => {
  for (const server of receivers) server.closeAllConnections();
  await Promise.all(receivers.map((s) => new Promise((r) => s.close(r))));
  await pipeline?.stop();
});

// Each test waits up to 120 s for its tasks and 60 s more for a delivery.
describe('callbacks outside the OCR slot', { timeout: 300_000 }, () => {
  it("a receiver that never answers does not delay another user's task; its failed attempts show on the task", async () => {
    const silent = await receiver(() => {
      // never answers
    });
    const slow = [await drop(aliceHash, 'a1.png', silent), await drop(aliceHash, 'a2.png', silent), await drop(aliceHash, 'a3.png', silent)];
    const other = await drop(bobHash, 'b.png');
    const done = await Promise.all([...slow, other].map(finished));
    // One worker slot: the tasks run one after another. A callback posted inline held the slot
    // ~20 s (three attempts of 5 s and the waits between them); now the next task starts at once.
    const byStart = [...done].sort((a, b) => a.startedAt!.getTime() - b.startedAt!.getTime());
    for (let i = 1; i < byStart.length; i++) {
      const gap = byStart[i]!.startedAt!.getTime() - byStart[i - 1]!.completedAt!.getTime();
      expect(gap, `gap before task ${i + 1}`).toBeLessThan(4_000);
    }
    const bob = done.find((t) => t.taskId === other)!;
    expect(bob.status).toBe('COMPLETED');
    // The silent receiver's first attempt has run out by now, or soon: visible to its owner only.
    const seen = await waitFor('a failed callback attempt on the task', async () => {
      const res = await apiTask(slow[0]!, ALICE);
      return res.body.callback?.attempts >= 1 ? res.body : undefined;
    }, 60_000);
    expect(seen.callback).toMatchObject({ status: expect.stringMatching(/^(RETRYING|FAILED)$/), lastStatus: null, lastError: expect.stringMatching(/no answer within/) });
    expect((await apiTask(other, BOB)).body.callback).toBeNull();
    expect((await apiTask(slow[0]!, BOB)).status).toBe(404);
  });

  it('a delivered callback is signed and recorded DELIVERED; a refusing receiver (410) is FAILED at once', async () => {
    const received: { body: string; headers: IncomingMessage['headers'] }[] = [];
    const ok = await receiver((req, res, body) => {
      received.push({ body, headers: req.headers });
      res.writeHead(204).end();
    });
    const gone = await receiver((_req, res) => res.writeHead(410).end());
    const [delivered, refused] = [await drop(aliceHash, 'ok.png', ok), await drop(aliceHash, 'gone.png', gone)];
    await Promise.all([finished(delivered), finished(refused)]);
    const okView = await waitFor('delivered', async () => {
      const res = await apiTask(delivered, ALICE);
      return res.body.callback?.status === 'DELIVERED' ? res.body : undefined;
    }, 60_000);
    expect(okView.callback).toMatchObject({ attempts: 1, lastStatus: 204, lastError: null });
    const hook = received.find((r) => JSON.parse(r.body).taskId === delivered)!;
    expect(hook.headers['x-docvault-signature']).toBe(signWebhook(pipeline.suite.env.WEBHOOK_SECRET!, String(hook.headers['x-docvault-timestamp']), hook.body));
    expect(JSON.parse(hook.body)).toMatchObject({ type: 'task.completed', status: 'COMPLETED', summary: { pages: 1 } });
    const goneView = await waitFor('refused', async () => {
      const res = await apiTask(refused, ALICE);
      return res.body.callback?.status === 'FAILED' ? res.body : undefined;
    }, 60_000);
    expect(goneView.callback).toMatchObject({ attempts: 1, lastStatus: 410, lastError: 'the receiver answered 410' });
  });
});
