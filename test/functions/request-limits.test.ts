/**
 * The functions as the framework serves them (their own processes): a compressed request body is
 * refused before it is inflated, and the instance keeps answering.
 */
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../support/fixtures.ts';
import { startPipeline, type Pipeline } from '../support/pipeline.ts';
import { waitFor } from '../support/wait.ts';

let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline({ functions: ['upload', 'api'] });
}, 180_000);
afterAll(async () => {
  await pipeline?.stop();
});

describe('request bodies, before any handler', () => {
  it('answers 415 to a gzip body (64 MB inflated from 64 KB) on upload and api, and goes on answering', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(256 * 1024);
    for (const fn of ['upload', 'api'] as const) {
      const res = await fetch(`${pipeline.functions[fn]!.url}/`, {
        method: 'POST',
        headers: { 'content-encoding': 'gzip', 'content-type': 'application/octet-stream', 'x-user-email': 'a@example.com' },
        body: bomb,
      });
      expect(res.status, fn).toBe(415);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNSUPPORTED_ENCODING');
    }
    // Malformed JSON: 400 with a code, not an HTML page.
    const bad = await fetch(`${pipeline.functions.api!.url}/queue/requeue-failed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-email': 'a@example.com' },
      body: '{"code":',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('INVALID_REQUEST');
    // Still alive, and a plain request works as before.
    const form = new FormData();
    form.append('file', new Blob([Buffer.from(fixture('tessjs_simple_png.png'))]), 'simple.png');
    const ok = await fetch(`${pipeline.functions.upload!.url}/`, { method: 'POST', body: form, headers: { 'x-user-email': 'a@example.com' } });
    expect(ok.status).toBe(202);
    // /health is this process's first Firestore read: on a loaded machine its channel set-up can
    // outlast health's 3 s (one 503), and the next answer is 200. A dead or wedged process never is.
    await waitFor('a 200 from /health', async () => ((await fetch(`${pipeline.functions.api!.url}/health`)).status === 200 ? true : undefined), 30_000, 500);
  });
});

/**
 * Declares a 31 MB body, sends 64 KB of it and waits: the answer must come while the rest is
 * still unsent, i.e. before anything read the body into memory.
 */
function answerBeforeBody(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(31 * 1024 * 1024) } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error('no answer before the body was sent: the body is being read first'));
    }, 15_000);
    req.on('close', () => clearTimeout(timer));
    req.on('error', (err) => (err.message.includes('socket hang up') ? undefined : reject(err)));
    req.write(Buffer.alloc(64 * 1024));
  });
}

describe('bodies of callers who did not sign in', () => {
  it('are refused with 401 before they are read: no credentials on upload or api, a bad token on upload', async () => {
    const cases: { url: string; headers: Record<string, string> }[] = [
      { url: `${pipeline.functions.upload!.url}/`, headers: { 'content-type': 'multipart/form-data; boundary=x' } },
      { url: `${pipeline.functions.upload!.url}/`, headers: { 'content-type': 'application/octet-stream' } },
      { url: `${pipeline.functions.upload!.url}/`, headers: { 'content-type': 'multipart/form-data; boundary=x', authorization: 'Bearer not.a.token' } },
      { url: `${pipeline.functions.api!.url}/queue/requeue-failed`, headers: { 'content-type': 'application/json' } },
    ];
    for (const { url, headers } of cases) {
      const res = await answerBeforeBody(url, headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(JSON.parse(res.body).error.code).toBe('UNAUTHENTICATED');
    }
    // A signed-in upload still streams its form as before.
    const form = new FormData();
    form.append('file', new Blob([Buffer.from(fixture('tessjs_simple_png.png'))]), 'simple.png');
    const ok = await fetch(`${pipeline.functions.upload!.url}/`, { method: 'POST', body: form, headers: { 'x-user-email': 'b@example.com' } });
    expect(ok.status).toBe(202);
  });
});
