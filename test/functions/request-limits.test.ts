/**
 * The functions as the framework serves them (their own processes): a compressed request body is
 * refused before it is inflated, and the instance keeps answering.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../support/fixtures.ts';
import { startPipeline, type Pipeline } from '../support/pipeline.ts';

let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline({ functions: ['upload', 'api'] });
});
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
    expect((await fetch(`${pipeline.functions.api!.url}/health`)).status).toBe(200);
  });
});
