/**
 * The same document twice on the emulator suite (issue 15, item 2), over HTTP as a user meets it:
 * the same user's second upload completes from the first without OCR and says from which task;
 * another user's upload of the same bytes gets a complete result of its own, and nothing that
 * user can read — task, listing, results, console stream, task events — names the first task or
 * says the result was shared, and it takes no less time than a reading of its own.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PubSub, type Message, type Subscription } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_TOPIC } from '../../shared/names.ts';
import type { TaskView } from '../../shared/services/api.ts';
import { fixture } from '../support/fixtures.ts';
import { asUser, fetchJson } from '../support/http.ts';
import { startPipeline, type Pipeline } from '../support/pipeline.ts';
import { waitFor } from '../support/wait.ts';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const DOCUMENT = fixture('tessjs_testocr.png');
let pipeline: Pipeline;
let pubsub: PubSub;
let events: Subscription;
const eventsSeen: string[] = [];

beforeAll(async () => {
  pipeline = await startPipeline({ functions: ['upload', 'api', 'dispatch', 'ocr-worker'], env: { 'ocr-worker': { OCR_WORKERS: '1' } } });
  pubsub = new PubSub({ projectId: pipeline.suite.projectId });
  [events] = await pubsub.topic(EVENTS_TOPIC).createSubscription('dedupe-events');
  events.on('message', (m: Message) => {
    eventsSeen.push(m.data.toString('utf8'));
    m.ack();
  });
}, 180_000);
afterAll(async () => {
  await events?.close();
  await pubsub?.close();
  await pipeline?.stop();
});

const api = (path: string, user: string) => fetchJson(`${pipeline.functions.api!.url}${path}`, { headers: asUser(user) });
const raw = async (path: string, user: string) => (await fetch(`${pipeline.functions.api!.url}${path}`, { headers: asUser(user) })).text();

/** What the console's event stream (server-sent events) says in its first `ms`. */
async function streamed(path: string, user: string, ms: number): Promise<string> {
  const res = await fetch(`${pipeline.functions.api!.url}${path}`, { headers: asUser(user), signal: AbortSignal.timeout(ms) });
  let text = '';
  try {
    for await (const chunk of res.body!) text += Buffer.from(chunk as Uint8Array).toString('utf8');
  } catch {
    // the time is up: what came so far is the answer
  }
  return text;
}

async function upload(user: string, name: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([Buffer.from(DOCUMENT)], { type: 'image/png' }), name);
  const res = await fetchJson(`${pipeline.functions.upload!.url}/`, { method: 'POST', body: form, headers: asUser(user) });
  expect(res.status).toBe(202);
  return res.body.tasks[0].taskId as string;
}

/** Follows the task as its owner does (long polls), recording each status and message seen. */
async function follow(user: string, taskId: string): Promise<{ view: TaskView; seen: string[] }> {
  const seen: string[] = [];
  for (let i = 0; i < 40; i++) {
    const res = await api(`/tasks/${taskId}?wait=5`, user);
    expect(res.status).toBe(200);
    seen.push(`${res.body.status}`);
    if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(res.body.status)) return { view: res.body, seen: [...new Set(seen)] };
  }
  throw new Error(`task ${taskId} did not finish`);
}

/** The worker's "task completed" lines, by task id. */
function completions(): Map<string, Record<string, unknown>> {
  const lines = readFileSync(join(pipeline.logDir, 'ocr-worker.log'), 'utf8').split('\n').filter((l) => l.startsWith('{'));
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.message === 'task completed');
  return new Map(parsed.map((l) => [String(l.taskId), l]));
}

describe('the same document twice, end to end', () => {
  it("the same user's second upload is not read again: it completes from the first and says so", { timeout: 240_000 }, async () => {
    const first = await upload(ALICE, 'scan.png');
    const one = await follow(ALICE, first);
    expect(one.view.status).toBe('COMPLETED');
    const second = await upload(ALICE, 'scan again.png');
    const two = await follow(ALICE, second);
    expect(two.view).toMatchObject({ status: 'COMPLETED', summary: { dedupedFrom: first, pages: 1 } });
    expect(two.view.summary!.dedupeReason).toEqual(expect.any(String));
    // its own result, the same text
    expect(await raw(`/tasks/${second}/result?format=txt`, ALICE)).toBe(await raw(`/tasks/${first}/result?format=txt`, ALICE));
    const logged = completions();
    expect(logged.get(first)).toHaveProperty('ocrMs');
    expect(logged.get(second)).toMatchObject({ reuse: 'own', reusedFrom: first });
    expect(logged.get(second)).not.toHaveProperty('ocrMs');
  });

  it("another user's upload of the same bytes: a whole result of its own, no trace of the first user, no quicker than a reading", { timeout: 240_000 }, async () => {
    const alices = (await api('/tasks', ALICE)).body.tasks.map((t: { taskId: string }) => t.taskId) as string[];
    expect(alices.length).toBeGreaterThan(0);
    const aliceFirst = (await api(`/tasks/${alices[alices.length - 1]}`, ALICE)).body;

    const bobs = await upload(BOB, 'mine.png');
    const bob = await follow(BOB, bobs);
    expect(bob.view.status).toBe('COMPLETED');
    expect(bob.view.summary).not.toHaveProperty('dedupedFrom');
    expect(bob.view.summary).not.toHaveProperty('dedupeReason');
    // as long as a reading of its own: the copy keeps the first reading's pace
    expect(bob.view.processingMs).toBeGreaterThanOrEqual(aliceFirst.processingMs);

    // a complete and correct result, his own
    const bobJson = await api(`/tasks/${bobs}/result?format=json`, BOB);
    const aliceJson = await api(`/tasks/${aliceFirst.taskId}/result?format=json`, ALICE);
    expect(bobJson.status).toBe(200);
    expect(bobJson.body.text).toBe(aliceJson.body.text);
    expect(bobJson.body.text).toMatch(/quick brown/i);
    expect(completions().get(bobs)).toMatchObject({ reuse: 'shared' });

    // nothing Bob can read names Alice's tasks or says where the result came from
    const stream = await streamed('/events', BOB, 3000);
    expect(stream).toContain(bobs);
    const answers = [
      stream,
      JSON.stringify(bob.view),
      JSON.stringify((await api('/tasks', BOB)).body),
      ...(await Promise.all(['json', 'txt', 'hocr', 'pdf'].map((format) => raw(`/tasks/${bobs}/result?format=${format}`, BOB)))),
      ...(await waitFor('the task event of Bob\'s task', async () => {
        const mine = eventsSeen.filter((e) => e.includes(bobs));
        return mine.length > 0 ? mine : undefined;
      })),
    ];
    for (const answer of answers) {
      for (const id of alices) expect(answer).not.toContain(id);
      expect(answer).not.toMatch(/dedup|reused|copied/i);
    }
    // and Alice's task is not Bob's to read
    expect((await api(`/tasks/${aliceFirst.taskId}`, BOB)).status).toBe(404);
  });
});
