/**
 * The HTTP functions' wrapper (functions/http-function.ts) through the functions framework: a known
 * caller over their per-user limits is refused before their ID token is verified again, so a flood
 * of GETs with a valid token costs the instance no signature check per request.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../functions/request-limits.ts';
import { httpFunction } from '../../functions/http-function.ts';
import { loadConfig } from '../../shared/config.ts';
import { createLogger } from '../../shared/log.ts';
import { serveHttpFunction, type ServedFunction } from '../support/http.ts';
import { TEST_BUCKETS, TEST_PROJECT, TEST_SECRET } from '../support/suite.ts';
import { localTokenVerifier } from '../support/tokens.ts';

const AUDIENCE = 'https://api.docvault.test';
const BURST = 3;
const tokens = localTokenVerifier(AUDIENCE);
let served: ServedFunction;

beforeAll(async () => {
  // A window long enough that no token comes back while the test runs: exactly BURST requests are served.
  const config = loadConfig({ GOOGLE_CLOUD_PROJECT: TEST_PROJECT, UPLOADS_BUCKET: TEST_BUCKETS.uploads, RESULTS_BUCKET: TEST_BUCKETS.results, USER_HASH_SECRET: TEST_SECRET, API_RATE_BURST: String(BURST), API_RATE_LIMIT: '1', RATE_LIMIT_WINDOW_SECONDS: '3600' });
  const context = { config: { ...config, AUTH_AUDIENCE: AUDIENCE }, log: createLogger('api', {}, () => undefined), identity: { verifier: tokens.verifier } };
  served = await serveHttpFunction(
    'http-function-test',
    httpFunction('api', () => context, async (ctx, _req, res) => {
      const caller = await ctx.caller();
      res.status(200).json({ userHash: caller.userHash });
    }),
  );
});
afterAll(async () => {
  await served?.close();
});

describe('httpFunction: the caller', () => {
  it('refuses a known caller over their limits before verifying their token again; another caller is verified and served', async () => {
    const alice = { authorization: `Bearer ${tokens.sign({ email: 'alice@example.com', email_verified: true })}` };
    const send = async (headers: Record<string, string>) => {
      const res = await fetch(served.url, { headers });
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      await res.body?.cancel();
      return res.status;
    };
    const served200: number[] = [];
    for (let i = 0; i < BURST; i++) served200.push(await send(alice));
    expect(served200).toEqual(Array(BURST).fill(200));
    const checked = tokens.verifications;
    expect(checked).toBeGreaterThan(0);
    const refused: number[] = [];
    for (let i = 0; i < 5; i++) refused.push(await send(alice));
    expect(refused).toEqual(Array(5).fill(429));
    // The refused requests cost no signature check.
    expect(tokens.verifications).toBe(checked);

    expect(await send({ authorization: `Bearer ${tokens.sign({ email: 'bob@example.com', email_verified: true })}` })).toBe(200);
    expect(tokens.verifications).toBeGreaterThan(checked);

    // Deployed, the same refusal comes before the framework's app: the server's listener never sees it.
    const target = process.env.FUNCTION_TARGET;
    process.env.FUNCTION_TARGET = 'api';
    let reached = 0;
    // Built as the framework builds its server: http.createServer on the module object (the one request-limits.ts wraps).
    const server = http.createServer((_req, res) => void (reached++, res.end('app')));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tasks`;
      const res = await fetch(url, { headers: alice });
      expect([res.status, res.headers.get('retry-after') !== null, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([429, true, 'RATE_LIMITED']);
      expect(reached).toBe(0);
      expect((await fetch(url, { headers: { authorization: 'Bearer someone-else' } })).status).toBe(200);
      expect(reached).toBe(1);
    } finally {
      process.env.FUNCTION_TARGET = target;
      if (target === undefined) delete process.env.FUNCTION_TARGET;
      await new Promise((done) => server.close(done));
    }
  });
});
