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
import { startSuite, TEST_SECRET, type Suite } from '../support/suite.ts';
import { userHashOf } from '../../shared/core/task.ts';
import { ALICE, BOB, aliceHash } from '../support/users.ts';
import { waitFor } from '../support/wait.ts';

let suite: Suite;
let api: FunctionProcess;
let upload: FunctionProcess;
let logDir: string;
// A window long enough that no token comes back while a test runs: exactly BURST requests are taken.
const BURST = 5;
// Requests at once: upload's below the burst, so its cap shows apart from the rate; the api's at the burst.
const AT_ONCE = 3;
const LIMITS = {
  RATE_LIMIT_WINDOW_SECONDS: '3600',
  API_RATE_LIMIT: '60',
  API_RATE_BURST: String(BURST),
  API_CONCURRENT_REQUESTS: String(BURST),
  UPLOAD_RATE_LIMIT: '60',
  UPLOAD_RATE_BURST: String(BURST),
  UPLOAD_CONCURRENT_REQUESTS: String(AT_ONCE),
};
const CAROL = 'carol@example.com';
const carolHash = userHashOf(CAROL, TEST_SECRET);

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

function badSignedUrlRequest(user: string): Promise<Response> {
  return fetch(`${upload.url}/uploads`, { method: 'POST', headers: asUser(user, { 'content-type': 'application/json' }), body: JSON.stringify({}) });
}

/** A 20 MB multipart upload whose headers and first bytes are sent and the rest held back; the answer, if one comes before abort(). */
function hangingUpload(user: string): { answer: Promise<{ status: number; retryAfter: string | undefined; body: string }>; abort(): void } {
  const req = request(`${upload.url}/`, {
    method: 'POST',
    headers: asUser(user, { 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(20 * 1024 * 1024) }),
  });
  const answer = new Promise<{ status: number; retryAfter: string | undefined; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'], body });
      });
    });
    req.on('error', reject);
  });
  answer.catch(() => undefined);
  req.write('--x\r\n');
  return { answer, abort: () => req.destroy() };
}

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
    // The flooding user's burst, spent on signed-URL requests one after another (each counted, whatever its answer).
    const spent: number[] = [];
    for (let i = 0; i < BURST; i++) spent.push((await badSignedUrlRequest(ALICE)).status);
    expect(spent).toEqual(Array(BURST).fill(400));
    // A 20 MB multipart upload whose body never comes: answered from its headers alone.
    const { answer } = hangingUpload(ALICE);
    const refused = await answer;
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'RATE_LIMITED' } });

    // Bob's upload is taken.
    const form = new FormData();
    form.append('file', new Blob([Buffer.from(fixture('tessjs_testocr.png'))], { type: 'image/png' }), 'page.png');
    const bob = await fetch(`${upload.url}/`, { method: 'POST', headers: asUser(BOB), body: form });
    expect(bob.status).toBe(202);
  });

  it('answers one request too many at once 429 at once, while the rate has tokens left, and serves another user meanwhile', async () => {
    // Carol's uploads whose bodies never come: each holds one of her places until its connection closes.
    const hanging = Array.from({ length: AT_ONCE }, () => hangingUpload(CAROL));
    try {
      // Her next request is refused for being one too many at once (the server may take a moment to see all of them).
      let next = await badSignedUrlRequest(CAROL);
      for (let tries = 0; next.status === 400 && tries < BURST - AT_ONCE - 1; tries++) {
        await new Promise((r) => setTimeout(r, 1000));
        next = await badSignedUrlRequest(CAROL);
      }
      expect(next.status).toBe(429);
      expect(next.headers.get('retry-after')).toBe('1');
      expect(await next.json()).toMatchObject({ error: { code: 'RATE_LIMITED', message: expect.stringMatching(/at once/) } });
      // Bob is served beside her, and none of her places was his.
      expect((await badSignedUrlRequest(BOB)).status).toBe(400);
    } finally {
      for (const h of hanging) h.abort();
    }
    // Her places come back with the closed connections: refused now only by the rate, if at all (her refusals
    // while they were held counted against it).
    await waitFor('carol\'s places given back', async () => {
      const res = await badSignedUrlRequest(CAROL);
      const body = (await res.json()) as { error?: { message: string } };
      // (The rate's message says "(5 at once)" of its burst: the cap's own words are matched.)
      return /Too many requests at once/.test(body.error?.message ?? '') ? undefined : true;
    }, 10_000);
  });

  it('refuses a known caller over their limit before the body is read: a malformed JSON body is answered 429, not 400', async () => {
    // Alice spent her burst above; her next signed-URL request carries a body no JSON parser takes.
    const res = await fetch(`${upload.url}/uploads`, { method: 'POST', headers: asUser(ALICE, { 'content-type': 'application/json' }), body: '{"fileName": ' });
    expectRateLimited(res, await res.json());
    // Bob's malformed body is parsed, and refused for what it is.
    const bob = await fetch(`${upload.url}/uploads`, { method: 'POST', headers: asUser(BOB, { 'content-type': 'application/json' }), body: '{"fileName": ' });
    expect(bob.status).toBe(400);
    expect(await bob.json()).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
  });

  it("logs the refusals as a count per user, with the caller's hash, never the email nor a line per refusal", async () => {
    type Entry = { message: string; httpRequest?: { status: number }; userHash?: string; refused?: number };
    const isCount = (e: Entry) => e.message === 'requests refused by the per-user limits';
    // Counts are written some seconds after the refusals: until the api flood's 35 refusals of Alice's are there.
    const { lines, entries } = await waitFor('refusal counts', async () => {
      const text = ['api.log', 'upload.log'].map((f) => readFileSync(join(logDir, f), 'utf8')).join('\n');
      const parsed = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Entry);
      const alice = parsed.filter((e) => isCount(e) && e.userHash === aliceHash).reduce((n, e) => n + (e.refused ?? 0), 0);
      return alice >= 40 - BURST ? { lines: text, entries: parsed } : undefined;
    }, 30_000);
    for (const entry of entries.filter(isCount)) {
      expect([aliceHash, carolHash]).toContain(entry.userHash);
      expect(entry.refused).toBeGreaterThanOrEqual(1);
    }
    expect(entries.filter((e) => e.httpRequest?.status === 429)).toEqual([]);
    expect(lines).not.toContain(ALICE);
    expect(lines).not.toContain(CAROL);
  }, 40_000);

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
