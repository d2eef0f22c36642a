/** The local worker pool: each push goes to the process with the fewest requests in flight. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { FunctionProcess } from '../../emulators/functions.ts';
import { startWorkerPool, type WorkerPool } from '../../emulators/worker-pool.ts';

/** A stand-in worker process: answers after `delayMs` with its own name, counting what it got. */
async function fakeWorker(name: string, delayMs: number, got: string[]): Promise<FunctionProcess> {
  const server: Server = createServer((req, res) => {
    req.resume();
    got.push(name);
    setTimeout(() => res.writeHead(204, { 'x-worker': name }).end(), delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { target: name, port, url: `http://127.0.0.1:${port}`, stop: () => new Promise<void>((r) => server.close(() => r())) } as unknown as FunctionProcess;
}

let pool: WorkerPool | undefined;
afterEach(() => pool?.stop());

describe('startWorkerPool', () => {
  it('sends concurrent pushes to idle workers first, and answers with the worker\'s answer', async () => {
    const got: string[] = [];
    pool = await startWorkerPool(3, 0, (i) => fakeWorker(`w${i}`, 300, got));
    const answers = await Promise.all(Array.from({ length: 3 }, () => fetch(pool!.url + '/', { method: 'POST', body: '{}' })));
    expect(answers.map((a) => a.status)).toEqual([204, 204, 204]);
    expect(new Set(answers.map((a) => a.headers.get('x-worker')))).toEqual(new Set(['w0', 'w1', 'w2']));
  });

  it('answers 502 when the worker it chose is gone, so Pub/Sub delivers again', async () => {
    pool = await startWorkerPool(1, 0, (i) => fakeWorker(`w${i}`, 0, []));
    await pool.workers[0]!.stop();
    expect((await fetch(pool.url + '/', { method: 'POST', body: '{}' })).status).toBe(502);
  });
});
