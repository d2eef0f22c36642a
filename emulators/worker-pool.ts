/**
 * Several OCR worker processes behind one push endpoint, as Cloud Run spreads a subscription's
 * pushes over a service's instances: each push goes to the process with the fewest requests in
 * flight (ties in turn). Locally this lets a large document's shards be read in parallel.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { allStarted } from './all-started.ts';
import type { FunctionProcess } from './functions.ts';

/**
 * The stable name (WORKER_INSTANCE) of the index-th worker process of a local suite: the same after a restart, so the
 * new process frees the leases its killed predecessor held (core/lease-holder.ts) instead of waiting them out.
 */
export function workerInstance(index: number): string {
  return `ocr-worker-${index + 1}`;
}

export interface WorkerPool {
  url: string;
  port: number;
  workers: FunctionProcess[];
  stop(): Promise<void>;
}

/** Starts `count` workers with `start(i)`, and the endpoint in front of them on `port` (0: any free port). */
export async function startWorkerPool(count: number, port: number, start: (index: number) => Promise<FunctionProcess>): Promise<WorkerPool> {
  const workers = await startAll(count, start);
  const server = createServer(forwarder(workers));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    workers,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await Promise.allSettled(workers.map((w) => w.stop()));
    },
  };
}

/** Starts every worker; if one fails, stops the ones that started and rethrows. */
async function startAll(count: number, start: (index: number) => Promise<FunctionProcess>): Promise<FunctionProcess[]> {
  const running: FunctionProcess[] = [];
  try {
    return await allStarted(running, Array.from({ length: count }, (_, i) => start(i)));
  } catch (err) {
    await Promise.allSettled(running.map((w) => w.stop()));
    throw err;
  }
}

/** Picks the worker with the fewest requests in flight, taking turns among ties. */
function leastBusyPicker(inFlight: number[]): () => number {
  let turn = 0;
  return () => {
    const fewest = Math.min(...inFlight);
    for (let i = 0; i < inFlight.length; i++) {
      const candidate = (turn + i) % inFlight.length;
      if (inFlight[candidate] === fewest) {
        turn = candidate + 1;
        return candidate;
      }
    }
    return 0;
  };
}

/** A request handler that proxies each request to the least busy worker. */
function forwarder(workers: FunctionProcess[]): (req: IncomingMessage, res: ServerResponse) => void {
  const inFlight = workers.map(() => 0);
  const pick = leastBusyPicker(inFlight);
  return (req, res) => {
    const index = pick();
    inFlight[index]! += 1;
    let released = false;
    const release = () => {
      if (!released) inFlight[index]! -= 1;
      released = true;
    };
    const upstream = request({ host: '127.0.0.1', port: workers[index]!.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.on('end', release);
    });
    upstream.on('error', () => {
      release();
      // A worker that died mid-request: the push is answered 502 and Pub/Sub delivers it again.
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    res.on('close', release);
    req.pipe(upstream);
  };
}
