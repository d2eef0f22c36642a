/**
 * Sits between the Pub/Sub emulator's push subscriptions and the OCR worker and delivers every
 * push twice: the original, whose answer goes back to Pub/Sub, and a copy a moment later whose
 * answer is dropped — the at-least-once delivery the worker must absorb. Loopback only.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DuplicatingPush {
  url: string;
  stats: { pushes: number; copies: number; unreachable: number };
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `target()` is read per push, so a restarted worker on a new port is found. */
export async function startDuplicatingPush(target: () => string, copyDelayMs: () => number = () => Math.random() * 1500): Promise<DuplicatingPush> {
  const stats = { pushes: 0, copies: 0, unreachable: 0 };
  const forward = (path: string, headers: Record<string, string>, payload: Buffer) =>
    fetch(target() + path, { method: 'POST', headers, body: payload, signal: AbortSignal.timeout(600_000) });
  const server: Server = createServer((req, res) => {
    void (async () => {
      const payload = await body(req);
      const headers = { 'content-type': String(req.headers['content-type'] ?? 'application/json') };
      stats.pushes++;
      const copy = new Promise((r) => setTimeout(r, copyDelayMs())).then(() => {
        stats.copies++;
        return forward(req.url ?? '/', headers, payload).then((r) => r.arrayBuffer(), () => undefined);
      });
      copy.catch(() => undefined);
      try {
        const answer = await forward(req.url ?? '/', headers, payload);
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
        res.end(Buffer.from(await answer.arrayBuffer()));
      } catch {
        // the worker is down (killed): Pub/Sub delivers again after its back-off
        stats.unreachable++;
        res.writeHead(503).end('worker unreachable');
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
