/**
 * The per-user request limit in the real functions-framework processes (functions/index.ts as
 * deployed): one user's flood is answered 429 RATE_LIMITED with Retry-After, before an upload's
 * body is read, while another user is served as usual and /health is never counted.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFunction, type FunctionProcess } from '../../emulators/functions.ts';
import { OPENAPI } from '../../functions/api/openapi.ts';
import { fixture } from '../support/fixtures.ts';
import { asUser } from '../support/http.ts';
import { startSuite, type Suite } from '../support/suite.ts';
import { ALICE, BOB, aliceHash } from '../support/users.ts';
import { waitFor } from '../support/wait.ts';

let suite: Suite;
let api: FunctionProcess;
let upload: FunctionProcess;
let logDir: string;
// A window long enough that no token comes back while a test runs: exactly BURST requests are taken.
const BURST = 5;
const LIMITS = { RATE_LIMIT_WINDOW_SECONDS: '3600', API_RATE_LIMIT: '60', API_RATE_BURST: String(BURST), UPLOAD_RATE_LIMIT: '60', UPLOAD_RATE_BURST: String(BURST) };

beforeAll(async () => {
  suite = await startSuite();
  logDir = mkdtempSync(join(tmpdir(), 'rate-limit-'));
  [api, upload] = await Promise.all([
    startFunction({ target: 'api', env: { ...suite.env, ...LIMITS }, logFile: join(logDir, 'api.log') }),
    startFunction({ target: 'upload', env: { ...suite.env, ...LIMITS }, logFile: join(logDir, 'upload.log') }),
  ]);
}, 180_000);
afterAll(async () => {
  await Promise.allSettled([api?.stop(), upload?.stop()]);
  await suite?.stop();
});

async function flood(count: number, send: () => Promise<Response>): Promise<Response[]> {
  return Promise.all(Array.from({ length: count }, send));
}

function expectRateLimited(res: Response, body: unknown): void {
  expect(res.status).toBe(429);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.stringMatching(/Too many requests/), details: { retryAfterSeconds: Number(res.headers.get('retry-after')) } } });
}

describe('the per-user rate limit, through the functions-framework processes', () => {
  it('answers a flood of api requests from one user with 429 and Retry-After, and serves another user and /health', async () => {
    const answers = await flood(40, () => fetch(`${api.url}/tasks`, { headers: asUser(ALICE) }));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(BURST);
    expect(statuses.filter((s) => s === 429)).toHaveLength(40 - BURST);
    const refused = answers.find((r) => r.status === 429)!;
    expectRateLimited(refused, await refused.json());
    await Promise.all(answers.filter((r) => r !== refused).map((r) => r.body?.cancel()));

    // Another user is served: their own bucket.
    const bob = await fetch(`${api.url}/tasks`, { headers: asUser(BOB) });
    expect(bob.status).toBe(200);
    // /health and the description are not counted, even for the flooding user.
    for (const path of ['/health', '/openapi.json']) {
      const res = await fetch(`${api.url}${path}`, { headers: asUser(ALICE) });
      expect(res.status, path).not.toBe(429);
      await res.body?.cancel();
    }
  });

  it("refuses an upload over the limit before its body is sent, and takes another user's", async () => {
    // The flooding user's burst, spent on signed-URL requests (each counted, whatever its answer).
    const spent = await flood(BURST, () =>
      fetch(`${upload.url}/uploads`, { method: 'POST', headers: asUser(ALICE, { 'content-type': 'application/json' }), body: JSON.stringify({}) }),
    );
    expect(spent.map((r) => r.status)).toEqual(Array(BURST).fill(400));
    // A 20 MB multipart upload whose body never comes: answered from its headers alone.
    const answer = await new Promise<{ status: number; retryAfter: string | undefined; body: string }>((resolve, reject) => {
      const req = request(`${upload.url}/`, {
        method: 'POST',
        headers: asUser(ALICE, { 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(20 * 1024 * 1024) }),
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'], body });
        });
      });
      req.on('error', reject);
      req.write('--x\r\n'); // headers and a few bytes out, the rest held back
    });
    expect(answer.status).toBe(429);
    expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'RATE_LIMITED' } });

    // Bob's upload is taken.
    const form = new FormData();
    form.append('file', new Blob([Buffer.from(fixture('tessjs_testocr.png'))], { type: 'image/png' }), 'page.png');
    const bob = await fetch(`${upload.url}/`, { method: 'POST', headers: asUser(BOB), body: form });
    expect(bob.status).toBe(202);
  });

  it("logs the refusals with the caller's hash, never the email", async () => {
    const lines = await waitFor('429 request lines', async () => {
      const text = ['api.log', 'upload.log'].map((f) => readFileSync(join(logDir, f), 'utf8')).join('\n');
      return text.includes('"status":429') ? text : undefined;
    }, 10_000);
    const refusals = lines.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { httpRequest?: { status: number }; userHash?: string }).filter((e) => e.httpRequest?.status === 429);
    expect(refusals.length).toBeGreaterThan(0);
    for (const entry of refusals) expect(entry.userHash).toBe(aliceHash);
    expect(lines).not.toContain(ALICE);
  });

  it('is described in the OpenAPI description: 429 with Retry-After on every operation that names a caller', () => {
    for (const [path, operations] of Object.entries(OPENAPI.paths as Record<string, Record<string, { security?: readonly unknown[]; responses: Record<string, { headers?: Record<string, unknown> }> }>>)) {
      for (const [method, op] of Object.entries(operations)) {
        const open = Array.isArray(op.security) && op.security.length === 0;
        if (open) expect(op.responses['429'], `${method} ${path}`).toBeUndefined();
        else expect(op.responses['429']?.headers?.['Retry-After'], `${method} ${path}`).toBeDefined();
      }
    }
  });
});
