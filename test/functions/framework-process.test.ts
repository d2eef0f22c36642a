/**
 * What only the real functions-framework process shows (functions/index.ts as deployed): requests
 * Node's HTTP parser refuses before any handler runs, and the request log lines.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFunction, type FunctionProcess } from '../../emulators/functions.ts';
import { FUNCTION_READY_TIMEOUT_MS } from '../support/pipeline.ts';
import { startSuite, type Suite } from '../support/suite.ts';
import { asUser } from '../support/http.ts';
import { waitFor } from '../support/wait.ts';
import { ROUTES } from '../../functions/api/index.ts';
import { OPENAPI } from '../../functions/api/openapi.ts';

let suite: Suite;
let api: FunctionProcess;
let logFile: string;
const OPERATOR = 'scheduler@docvault-test.iam.gserviceaccount.com';

beforeAll(async () => {
  suite = await startSuite();
  logFile = join(mkdtempSync(join(tmpdir(), 'api-log-')), 'api.log');
  api = await startFunction({ target: 'api', env: { ...suite.env, MAINTENANCE_CALLERS: OPERATOR }, logFile, readyTimeoutMs: FUNCTION_READY_TIMEOUT_MS });
}, 180_000);
afterAll(async () => {
  await api?.stop();
  await suite?.stop();
});

/** The raw answer to raw bytes: fetch will not send a 100 KB header. */
function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let answer = '';
    socket.on('data', (c) => (answer += c.toString('utf8')));
    socket.on('end', () => resolve(answer));
    socket.on('error', (err) => (answer ? resolve(answer) : reject(err)));
    socket.end(request);
  });
}

describe('the api as a functions-framework process', () => {
  it('listens on 127.0.0.1 only: another interface of this machine is refused (it trusts X-User-Email locally)', async () => {
    // A bare connection, no request: the log test below counts request lines.
    const reaches = (host: string) =>
      new Promise<boolean>((done) => {
        const socket = connect({ port: api.port, host });
        socket.once('connect', () => (socket.destroy(), done(true)));
        socket.once('error', () => done(false));
      });
    expect(await reaches('127.0.0.1')).toBe(true);
    const outside = Object.values(networkInterfaces()).flat().find((a) => a && !a.internal && a.family === 'IPv4')?.address;
    if (!outside) return; // a machine with loopback only: nothing else to try
    expect(await reaches(outside)).toBe(false);
  });

  it('answers a 100 KB header with 431 in the JSON error shape', async () => {
    const answer = await rawRequest(api.port, `GET /tasks HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`);
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 /);
    expect(head).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(body!)).toEqual({ error: { code: 'HEADERS_TOO_LARGE', message: expect.stringMatching(/headers are too large/) } });
  });

  it('logs every request as Cloud Logging httpRequest with the trace and span of its header, successes too', async () => {
    const trace = '105445aa7843bc8bf206b12000100000';
    const res = await fetch(`${api.url}/tasks`, { headers: asUser('alice@example.com', { 'x-cloud-trace-context': `${trace}/1;o=1` }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    await fetch(`${api.url}/health`, { headers: { traceparent: `00-${'4bf92f3577b34da6a3ce929d0e0e4736'}-00f067aa0ba902b7-01` } });
    const entries = await waitFor('two request lines', async () => {
      const lines = readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
      const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const requests = parsed.filter((e) => e.httpRequest);
      return requests.length >= 2 ? { lines, requests } : undefined;
    }, 10_000);
    const [list, health] = entries.requests;
    expect(list).toMatchObject({
      severity: 'INFO',
      httpRequest: { requestMethod: 'GET', requestUrl: '/tasks', status: 200, latency: expect.stringMatching(/^\d+\.\d{3}s$/), responseSize: expect.any(String) },
      'logging.googleapis.com/trace': `projects/${suite.projectId}/traces/${trace}`,
      'logging.googleapis.com/spanId': '0000000000000001',
      'logging.googleapis.com/trace_sampled': true,
      'logging.googleapis.com/labels': { function: 'api' },
    });
    expect(health).toMatchObject({
      httpRequest: { requestUrl: '/health', status: 200 },
      'logging.googleapis.com/trace': `projects/${suite.projectId}/traces/4bf92f3577b34da6a3ce929d0e0e4736`,
      'logging.googleapis.com/spanId': '00f067aa0ba902b7',
    });
    // Every line of the process is a JSON entry; no email is logged.
    expect(entries.lines.join('\n')).not.toContain('alice@example.com');
  });

  it('serves an OpenAPI 3.1 description whose every operation is a route of the function, and every route described', async () => {
    const res = await fetch(`${api.url}/openapi.json`);
    expect(res.status).toBe(200);
    const spec = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(spec.openapi).toBe('3.1.0');
    const sampleId = 'a'.repeat(32);
    const operations = Object.entries(spec.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, sampleId) })));
    // Every route of the table is described …
    for (const route of ROUTES) {
      expect(operations.some((op) => op.method === route.method && route.path.test(op.path)), `${route.method} ${route.path}`).toBe(true);
    }
    // … and every described operation is answered by the running function, not as an unknown route.
    for (const op of operations) {
      const answer = await fetch(`${api.url}${op.path}`, {
        method: op.method,
        headers: asUser(OPERATOR, op.method === 'POST' ? { 'content-type': 'application/json' } : {}),
        ...(op.method === 'POST' ? { body: JSON.stringify(op.path.includes('cleanup') ? { dryRun: true } : {}) } : {}),
      });
      if (answer.headers.get('content-type')?.startsWith('text/event-stream')) {
        expect(answer.status, `${op.method} ${op.path}`).toBe(200);
        await answer.body?.cancel();
        continue;
      }
      const body = (await answer.json()) as { error?: { message: string } };
      expect(answer.status, `${op.method} ${op.path}`).not.toBe(405);
      expect(body.error?.message ?? '', `${op.method} ${op.path}`).not.toMatch(/^No route/);
    }
    expect(JSON.stringify(spec)).toBe(JSON.stringify(OPENAPI));
  });
});
