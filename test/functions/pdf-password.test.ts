/**
 * Encrypted PDFs over HTTP, end to end on the emulator suite: without a password the task fails
 * ENCRYPTED_PDF, POST /tasks/{id}/password reads it again, and upload's `password` field reads it at
 * once. The password shows up in no log line of any function and in no Firestore field; every log line is JSON.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Firestore } from '@google-cloud/firestore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../support/fixtures.ts';
import { asUser, fetchJson } from '../support/http.ts';
import { startPipeline, type Pipeline } from '../support/pipeline.ts';
import { waitFor } from '../support/wait.ts';

/** The fixture's password (the README's `--password` example uses the same file). */
const PASSWORD = 's3cret';
const WRONG = 'not-the-right-one';
const OWNER = 'erin@example.com';

let pipeline: Pipeline;
let uploadUrl: string;
let apiUrl: string;

beforeAll(async () => {
  pipeline = await startPipeline({ functions: ['upload', 'api', 'dispatch', 'ocr-worker'], env: { 'ocr-worker': { OCR_WORKERS: '1' } } });
  uploadUrl = pipeline.functions.upload!.url;
  apiUrl = pipeline.functions.api!.url;
}, 180_000);
afterAll(async () => {
  await pipeline?.stop();
});

async function upload(password?: string, user = OWNER): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([Buffer.from(fixture('encrypted_tagged.pdf'))], { type: 'application/pdf' }), 'secret.pdf');
  if (password !== undefined) form.append('password', password);
  const res = await fetchJson(`${uploadUrl}/`, { method: 'POST', body: form, headers: asUser(user) });
  expect(res.status).toBe(202);
  expect(JSON.stringify(res.body)).not.toContain(password ?? PASSWORD);
  return res.body.tasks[0].taskId as string;
}

interface Finished {
  status: string;
  completedAt: string;
  error: { code: string } | null;
  summary: { dedupedFrom?: string } | null;
}

async function finished(taskId: string, after = 0, user = OWNER): Promise<Finished> {
  return waitFor(
    `task ${taskId}`,
    async () => {
      const res = await fetchJson(`${apiUrl}/tasks/${taskId}`, { headers: asUser(user) });
      const done = res.status === 200 && ['COMPLETED', 'FAILED'].includes(res.body.status);
      return done && (after === 0 || Date.parse(res.body.completedAt) > after) ? res.body : undefined;
    },
    180_000,
    250,
  );
}

const postPassword = (taskId: string, password: string, user = OWNER) =>
  fetchJson(`${apiUrl}/tasks/${taskId}/password`, { method: 'POST', body: JSON.stringify({ password }), headers: { ...asUser(user), 'content-type': 'application/json' } });

const resultText = async (taskId: string, user = OWNER) => (await fetch(`${apiUrl}/tasks/${taskId}/result?format=txt`, { headers: asUser(user) })).text();

describe('encrypted PDFs over HTTP', () => {
  it('fails ENCRYPTED_PDF without a password, WRONG_PASSWORD with a wrong one, and completes with the right one', async () => {
    const taskId = await upload();
    const failed = await finished(taskId);
    expect(failed).toMatchObject({ status: 'FAILED', error: { code: 'ENCRYPTED_PDF' } });

    // Only the owner, only a task awaiting a password.
    expect((await postPassword(taskId, PASSWORD, 'mallory@example.com')).status).toBe(404);
    expect((await postPassword(taskId, '')).status).toBe(400);

    const wrong = await postPassword(taskId, WRONG);
    expect(wrong.status).toBe(200);
    expect(wrong.body.status).toBe('QUEUED');
    const refused = await finished(taskId, Date.parse(failed.completedAt));
    expect(refused).toMatchObject({ status: 'FAILED', error: { code: 'WRONG_PASSWORD' } });

    const right = await postPassword(taskId, PASSWORD);
    expect(right.status).toBe(200);
    expect(JSON.stringify(right.body)).not.toContain(PASSWORD);
    const done = await finished(taskId, Date.parse(refused.completedAt));
    expect(done.status).toBe('COMPLETED');
    expect(await resultText(taskId)).toMatch(/Table of Contents/);

    const again = await postPassword(taskId, PASSWORD);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('NOT_AWAITING_PASSWORD');
  }, 600_000);

  it('reads an encrypted PDF uploaded with its password field', async () => {
    // Another user: an earlier result of the same bytes is reused only within one user's tasks, so this one is read.
    const user = 'frank@example.com';
    const taskId = await upload(PASSWORD, user);
    const done = await finished(taskId, 0, user);
    expect(done.status).toBe('COMPLETED');
    expect(done.summary?.dedupedFrom).toBeUndefined();
    expect(await resultText(taskId, user)).toMatch(/Table of Contents/);
  }, 300_000);

  it('left the password in no log line and in no Firestore field, and no sealed password on a finished task', async () => {
    const logs = readdirSync(pipeline.logDir).map((name) => readFileSync(join(pipeline.logDir, name), 'utf8'));
    expect(logs.join('').length).toBeGreaterThan(0);
    for (const log of logs) {
      expect(log).not.toContain(PASSWORD);
      expect(log).not.toContain(WRONG);
      // Every line a Cloud Logging entry (stderr included): no warning of Node's or a library's in between.
      for (const line of log.split('\n').filter(Boolean)) expect(() => JSON.parse(line), line).not.toThrow();
    }
    const db = new Firestore({ projectId: pipeline.suite.projectId });
    try {
      const dump: string[] = [];
      for (const collection of await db.listCollections()) {
        for (const doc of (await collection.get()).docs) dump.push(JSON.stringify(doc.data()));
      }
      expect(dump.length).toBeGreaterThan(0);
      for (const doc of dump) {
        expect(doc).not.toContain(PASSWORD);
        expect(doc).not.toContain(WRONG);
      }
      const tasks = (await db.collection('tasks').get()).docs.map((d) => d.data());
      expect(tasks.length).toBe(2);
      for (const task of tasks) expect(task.sealedPassword ?? null).toBeNull();
    } finally {
      await db.terminate();
    }
  });
});
