/**
 * What a client of the HTTP API sees, end to end on the emulator suite: upload over HTTP, follow
 * the task through the api until it completes, download the results.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { PubSub, type Subscription } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_TOPIC } from '../../shared/names.ts';
import { signWebhook } from '../../shared/lifecycle/notify.ts';
import { TEST_BUCKETS } from '../support/suite.ts';
import { characterErrorRate } from '../../shared/core/text-metrics.ts';
import { fixture, groundTruth } from '../support/fixtures.ts';
import { asUser, fetchJson } from '../support/http.ts';
import { startPipeline, type Pipeline } from '../support/pipeline.ts';
import { waitFor } from '../support/wait.ts';

let pipeline: Pipeline;
let uploadUrl: string;
let apiUrl: string;
let events: Subscription;

beforeAll(async () => {
  pipeline = await startPipeline({
    functions: ['upload', 'api', 'dispatch', 'ocr-worker', 'callbacks'],
    env: { 'ocr-worker': { OCR_WORKERS: '1', DELETE_UPLOAD_ON_SUCCESS: 'true' } },
  });
  const pubsub = new PubSub({ projectId: pipeline.suite.projectId });
  [events] = await pubsub.topic(EVENTS_TOPIC).createSubscription('test-events');
  uploadUrl = pipeline.functions.upload!.url;
  apiUrl = pipeline.functions.api!.url;
}, 180_000);
afterAll(async () => {
  await events?.close();
  await pipeline?.stop();
});

describe('over HTTP', () => {
  it('uploads a PDF and an image in one request, follows them to COMPLETED, and downloads each format', async () => {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from(fixture('ocrmypdf_c02-22.pdf'))], { type: 'application/pdf' }), 'chapter.pdf');
    form.append('file', new Blob([Buffer.from(fixture('tess_phototest.tif'))], { type: 'image/tiff' }), 'photo test.tif');
    const upload = await fetchJson(`${uploadUrl}/`, { method: 'POST', body: form, headers: asUser('carol@example.com') });
    expect(upload.status).toBe(202);
    expect(upload.body.batchId).toMatch(/^[0-9a-f]{32}$/);
    const ids: string[] = upload.body.tasks.map((t: { taskId: string }) => t.taskId);
    expect(ids).toHaveLength(2);
    // The status URL is the api's, and the tasks are there from the moment upload answered.
    for (const t of upload.body.tasks as { taskId: string; statusUrl: string }[]) {
      expect(t.statusUrl).toBe(`${apiUrl}/tasks/${t.taskId}`);
      const first = await fetchJson(t.statusUrl, { headers: asUser('carol@example.com') });
      expect(first.status).toBe(200);
      expect(['PENDING', 'QUEUED', 'PROCESSING', 'COMPLETED']).toContain(first.body.status);
    }
    const listed = await fetchJson(`${apiUrl}/tasks`, { headers: asUser('carol@example.com') });
    expect(listed.body.tasks.map((t: { taskId: string }) => t.taskId)).toEqual(expect.arrayContaining(ids));

    // What upload answered is the first sight of each task: upload dispatches it before answering, so it may be read before the first poll.
    const observed = new Map<string, Array<{ status: string; progress: number }>>(
      (upload.body.tasks as { taskId: string; status: string }[]).map((t) => [t.taskId, [{ status: t.status, progress: 0 }]]),
    );
    const views = await Promise.all(
      ids.map((id) =>
        waitFor(`task ${id}`, async () => {
          const res = await fetchJson(`${apiUrl}/tasks/${id}`, { headers: asUser('carol@example.com') });
          if (res.status !== 200) return undefined;
          const seen = observed.get(id) ?? [];
          seen.push({ status: res.body.status, progress: res.body.progress });
          observed.set(id, seen);
          return res.body.status === 'COMPLETED' || res.body.status === 'FAILED' ? res.body : undefined;
        }, 120_000, 100),
      ),
    );
    for (const view of views) expect(view).toMatchObject({ status: 'COMPLETED', progress: 100, attempts: 1, source: 'upload' });
    // Progress only went up, and the task was seen QUEUED or PROCESSING before it completed.
    for (const seen of observed.values()) {
      expect(seen.map((s) => s.progress)).toEqual([...seen.map((s) => s.progress)].sort((a, b) => a - b));
      expect(seen.some((s) => ['PENDING', 'QUEUED', 'PROCESSING'].includes(s.status))).toBe(true);
    }

    const text = async (id: string) => (await fetch(`${apiUrl}/tasks/${id}/result?format=txt`, { headers: asUser('carol@example.com') })).text();
    expect(await text(ids[0]!)).toMatch(/tip-toeing along a path/);
    expect(characterErrorRate(groundTruth('tess_phototest.tif'), await text(ids[1]!))).toBeLessThanOrEqual(0.02);
    const pdf = await fetch(`${apiUrl}/tasks/${ids[1]}/result?format=pdf`, { headers: asUser('carol@example.com') });
    expect(pdf.headers.get('content-type')).toMatch(/application\/pdf/);
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
    const json = await fetchJson(`${apiUrl}/tasks/${ids[1]}/result?format=json`, { headers: asUser('carol@example.com') });
    expect(json.body.pages[0].words.length).toBeGreaterThan(20);

    const cache = await fetchJson(`${apiUrl}/cache/info`, { headers: asUser('carol@example.com') });
    expect(cache.status).toBe(200);
    expect(cache.body.origin).toBe('download');
    // Every installed @tesseract.js-data package is staged into the models bucket (deu is a devDependency), and Debian's
    // tessdata_fast English as eng_fast (the line cascade's) where it is installed.
    const fast = existsSync('/usr/share/tesseract-ocr/5/tessdata/eng.traineddata') ? ['eng_fast'] : [];
    expect(cache.body.languages.map((l: { lang: string }) => l.lang)).toEqual(['deu', 'eng', ...fast, 'osd']);
    expect(cache.body.languages.find((l: { lang: string }) => l.lang === 'eng')).toMatchObject({ source: 'npm:@tesseract.js-data/eng', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // The instance's folders and free space are for the operators, not for every signed-in user.
    expect(cache.body).not.toHaveProperty('folders');
    expect(cache.body).not.toHaveProperty('freeBytes');

    const batch = await fetchJson(`${apiUrl}/batches/${upload.body.batchId}`, { headers: asUser('carol@example.com') });
    expect(batch.status).toBe(200);
    expect(JSON.stringify(batch.body)).toMatch(/COMPLETED/);
    // Another user sees none of it.
    expect((await fetchJson(`${apiUrl}/tasks/${ids[0]}`, { headers: asUser('mallory@example.com') })).status).toBe(404);
    expect((await fetchJson(`${apiUrl}/batches/${upload.body.batchId}`, { headers: asUser('mallory@example.com') })).status).toBe(404);
   }, 180_000);

  it('names in any script go all the way: a signed upload PENDING until its bytes come, a multipart one, both COMPLETED under the name as typed', async () => {
    const who = asUser('dora@example.com');
    const png = Buffer.from(fixture('tessjs_simple_png.png'));
    const signed = await fetchJson(`${uploadUrl}/uploads`, {
      method: 'POST',
      headers: { ...who, 'content-type': 'application/json' },
      body: JSON.stringify({ fileName: '報告.png', size: png.length, contentType: 'image/png' }),
    });
    expect(signed.status).toBe(200);
    const waiting = await fetchJson(signed.body.statusUrl, { headers: who });
    expect(waiting.body).toMatchObject({ status: 'PENDING', fileName: '報告.png', source: 'signed-url' });
    const session = (await fetch(signed.body.uploadUrl, { method: 'POST', headers: signed.body.headers })).headers.get('location')!;
    expect((await fetch(session, { method: 'PUT', body: png })).status).toBe(200);

    const form = new FormData();
    form.append('file', new Blob([png], { type: 'image/png' }), 'été résumé العربية\u202E.png');
    const multipart = await fetchJson(`${uploadUrl}/`, { method: 'POST', body: form, headers: who });
    expect(multipart.status).toBe(202);

    for (const [url, name] of [[signed.body.statusUrl, '報告.png'], [multipart.body.tasks[0].statusUrl, 'été résumé العربية\u202E.png']] as const) {
      const done = await waitFor(url, async () => {
        const res = await fetchJson(url, { headers: who });
        return res.body.status === 'COMPLETED' || res.body.status === 'FAILED' ? res.body : undefined;
      }, 120_000, 200);
      expect(done).toMatchObject({ status: 'COMPLETED', fileName: name, attempts: 1 });
    }
   }, 180_000);

  it('upload dispatches its own task; the finalize event reaches dispatch all the same and changes nothing (one task, read once, one result)', async () => {
    const who = asUser('erin@example.com');
    const form = new FormData();
    form.append('file', new Blob([Buffer.from(fixture('tessjs_simple_png.png'))], { type: 'image/png' }), 'once.png');
    const upload = await fetchJson(`${uploadUrl}/`, { method: 'POST', body: form, headers: who });
    expect(upload.status).toBe(202);
    expect(upload.body.tasks[0].status).toBe('QUEUED');
    const id: string = upload.body.tasks[0].taskId;
    // The functions' own log lines about this task, by function.
    const linesOf = (name: string) =>
      readFileSync(join(pipeline.logDir, `${name}.log`), 'utf8')
        .split('\n')
        .flatMap((line) => (line.startsWith('{') ? [JSON.parse(line) as { message: string; taskId?: string; published?: boolean }] : []))
        .filter((l) => l.taskId === id);
    // The event comes as upload moves the task on (the emulator sends it as the object is written): whichever of the
    // two steps comes second finds the task QUEUED, and the admission lets only one of them publish it.
    await waitFor('dispatch to handle the finalize event', async () => (linesOf('dispatch').length > 0 ? true : undefined), 60_000);
    const done = await waitFor('completion', async () => {
      const res = await fetchJson(`${apiUrl}/tasks/${id}`, { headers: who });
      return res.body.status === 'COMPLETED' || res.body.status === 'FAILED' ? res.body : undefined;
    }, 120_000, 200);
    expect(done).toMatchObject({ status: 'COMPLETED', attempts: 1 });
    expect(linesOf('ocr-worker').filter((l) => l.message === 'task started')).toHaveLength(1);
    expect(linesOf('ocr-worker').filter((l) => l.message === 'task completed')).toHaveLength(1);
    const listed = await fetchJson(`${apiUrl}/tasks`, { headers: who });
    expect(listed.body.tasks.map((t: { taskId: string }) => t.taskId)).toEqual([id]);
    const storage = new Storage({ projectId: pipeline.suite.projectId });
    const [results] = await storage.bucket(TEST_BUCKETS.results).getFiles({ prefix: `users/` });
    expect(results.filter((f) => f.name.includes(`/${id}/`) && f.name.endsWith('.json'))).toHaveLength(1);
  }, 180_000);

  it('a corrupt document accepted by upload ends FAILED with its code, visible to its owner', async () => {
    const form = new FormData();
    // A PNG signature over garbage passes the magic-byte check and fails to decode in the worker.
    const broken = Buffer.concat([Buffer.from(fixture('tessjs_simple_png.png')).subarray(0, 40), Buffer.alloc(200, 7)]);
    form.append('file', new Blob([broken], { type: 'image/png' }), 'broken.png');
    const upload = await fetchJson(`${uploadUrl}/`, { method: 'POST', body: form, headers: asUser('carol@example.com') });
    expect(upload.status).toBe(202);
    const id = upload.body.tasks[0].taskId;
    const view = await waitFor('failure', async () => {
      const res = await fetchJson(`${apiUrl}/tasks/${id}`, { headers: asUser('carol@example.com') });
      return res.body.status === 'FAILED' ? res.body : undefined;
    }, 60_000);
    expect(view.error.code).toBe('CORRUPT_DOCUMENT');
    expect(view.attempts).toBe(1);
  });

  it('POSTs a signed callback and publishes an event when a task completes, and removes the upload when configured to', async () => {
    const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        // The first attempt fails: the callbacks function must try again (Pub/Sub redelivers).
        res.writeHead(received.length === 1 ? 503 : 204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const callbackUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    try {
      const form = new FormData();
      form.append('callbackUrl', callbackUrl);
      form.append('file', new Blob([Buffer.from(fixture('tessjs_simple_png.png'))], { type: 'image/png' }), 'hooked.png');
      const upload = await fetchJson(`${uploadUrl}/`, { method: 'POST', body: form, headers: asUser('dave@example.com') });
      expect(upload.status).toBe(202);
      const id: string = upload.body.tasks[0].taskId;
      await waitFor('two callback attempts', async () => (received.length >= 2 ? true : undefined), 30_000);
      const last = received[1]!;
      const body = JSON.parse(last.body);
      expect(body).toMatchObject({ type: 'task.completed', taskId: id, status: 'COMPLETED' });
      expect(body).not.toHaveProperty('text');
      const timestamp = String(last.headers['x-docvault-timestamp']);
      expect(last.headers['x-docvault-signature']).toBe(signWebhook(pipeline.suite.env.WEBHOOK_SECRET!, timestamp, last.body));

      const event = await waitFor('ocr-events message', () => nextEvent(id), 20_000, 100);
      expect(event).toMatchObject({ type: 'task.completed', taskId: id });
      // The delivery is on the task: the failed attempt, then the one that got through.
      const view = await waitFor('the delivery recorded', async () => {
        const res = await fetchJson(`${apiUrl}/tasks/${id}`, { headers: asUser('dave@example.com') });
        return res.body.callback?.status === 'DELIVERED' ? res.body : undefined;
      }, 20_000);
      expect(view.callback).toMatchObject({ attempts: 2, lastStatus: 204, lastError: null });

      const storage = new Storage({ projectId: pipeline.suite.projectId });
      const [left] = await storage.bucket(TEST_BUCKETS.uploads).getFiles({ prefix: `users/` });
      expect(left.some((f) => f.name.includes(`/${id}/`))).toBe(false);
    } finally {
      hook.close();
    }
  });
});

async function nextEvent(taskId: string): Promise<Record<string, unknown> | undefined> {
  const found = await new Promise<Record<string, unknown> | undefined>((resolve) => {
    const onMessage = (m: { data: Buffer; ack(): void }) => {
      m.ack();
      const event = JSON.parse(m.data.toString()) as Record<string, unknown>;
      if (event.taskId === taskId) {
        events.removeListener('message', onMessage);
        resolve(event);
      }
    };
    events.on('message', onMessage);
    setTimeout(() => {
      events.removeListener('message', onMessage);
      resolve(undefined);
    }, 1000);
  });
  return found;
}

