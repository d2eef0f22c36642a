/**
 * Sits between the local suite's push (emulators/push-relay.ts) and the OCR worker and delivers every
 * push twice: the original, whose answer goes back to the push, and a copy a moment later whose
 * answer is dropped — the at-least-once delivery the worker must absorb. Loopback only.
 *
 * A failed push (worker down, or its 5xx "deliver again") is retried here, from 1 s apart backing off
 * to 8 s (PushRetry), the way the subscription's retry policy would, and only after a minute answered back as a failure:
 * when the emulator pushed itself, after a burst of failed pushes (every push in flight when a worker dies) it
 * stopped pushing that subscription for minutes (5+ min seen), which would measure the emulator
 * rather than our pipeline. The worker sees the same redeliveries either way.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One push through the proxy, original or copy: when it came, how many tries it took and how it ended. */
export interface PushRecord {
  taskId: string;
  copy: boolean;
  at: number;
  endAt?: number;
  tries: number;
  /** The worker's last answer's status; 0 when it never answered (down for the whole retry window). */
  status?: number;
}

export interface DuplicatingPush {
  url: string;
  stats: { pushes: number; copies: number; unreachable: number; redelivered: number; released: number };
  /** Every push and copy, for a run's timeline of a task's deliveries. */
  records: PushRecord[];
  close(): Promise<void>;
}

/** The task id a push carries (its message's attributes), '?' when it cannot be read. */
function taskIdOf(payload: Buffer): string {
  try {
    const push = JSON.parse(payload.toString('utf8')) as { message?: { attributes?: { taskId?: string } } };
    return push.message?.attributes?.taskId ?? '?';
  } catch {
    return '?';
  }
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface PushRetry {
  /** The first retry of a failed push waits this long, each next one twice as long, up to maxMs. */
  firstMs: number;
  maxMs: number;
  /** How long a push keeps trying a worker that does not answer (or answers 5xx) before it fails back to Pub/Sub. */
  giveUpAfterMs: number;
  /**
   * Once the worker has answered a push 5xx (its task leased by another, or an attempt failed), acknowledge the
   * push to Pub/Sub and go on delivering it from here. A subscription has only so many pushes outstanding (the
   * emulator's own push 2, the relay its concurrency): the redeliveries of a killed worker's tasks, each waiting out
   * its lease, held them all, and nothing else was pushed meanwhile. A push given up on here is lost to Pub/Sub, as a dropped message would be: queue
   * care publishes its task again.
   */
  releaseAnswered?: boolean;
}

/** 1 s doubling to 8 s, for a minute: a subscription's retry policy. A shorter run (the CI chaos test) asks sooner. */
export const DEFAULT_PUSH_RETRY: PushRetry = { firstMs: 1000, maxMs: 8_000, giveUpAfterMs: 60_000 };

/** `target()` is read per push, so a restarted worker on a new port is found. */
export async function startDuplicatingPush(
  target: () => string,
  retry: PushRetry = DEFAULT_PUSH_RETRY,
  copyDelayMs: () => number = () => Math.random() * 1500,
): Promise<DuplicatingPush> {
  const stats = { pushes: 0, copies: 0, unreachable: 0, redelivered: 0, released: 0 };
  const records: PushRecord[] = [];
  const forward = async (path: string, headers: Record<string, string>, payload: Buffer, copy: boolean, onRetry: () => void = () => undefined): Promise<{ status: number; type: string; body: Buffer }> => {
    const giveUp = Date.now() + retry.giveUpAfterMs;
    const record: PushRecord = { taskId: taskIdOf(payload), copy, at: Date.now(), tries: 0 };
    records.push(record);
    for (let attempt = 0; ; attempt++) {
      record.tries++;
      try {
        const res = await fetch(target() + path, { method: 'POST', headers, body: payload, signal: AbortSignal.timeout(600_000) });
        const answer = { status: res.status, type: res.headers.get('content-type') ?? 'text/plain', body: Buffer.from(await res.arrayBuffer()) };
        record.status = res.status;
        record.endAt = Date.now();
        if (res.status < 500 || Date.now() > giveUp) return answer;
        stats.redelivered++;
        onRetry();
      } catch (err) {
        stats.unreachable++;
        record.status = 0;
        record.endAt = Date.now();
        if (Date.now() > giveUp) throw err;
      }
      // Doubling, as a subscription's retry policy backs off: a copy that finds the original's lease held asks
      // again, and asking every second only contends with that lease's heartbeats.
      await new Promise((r) => setTimeout(r, Math.min(retry.maxMs, retry.firstMs * 2 ** attempt)));
    }
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const payload = await body(req);
      const headers = { 'content-type': String(req.headers['content-type'] ?? 'application/json') };
      stats.pushes++;
      const copy = new Promise((r) => setTimeout(r, copyDelayMs())).then(() => {
        stats.copies++;
        return forward(req.url ?? '/', headers, payload, true).catch(() => undefined);
      });
      copy.catch(() => undefined);
      let answered = false;
      const release = () => {
        if (answered || !retry.releaseAnswered) return;
        answered = true;
        stats.released++;
        res.writeHead(204).end();
      };
      try {
        const answer = await forward(req.url ?? '/', headers, payload, false, release);
        if (!answered) res.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body);
      } catch {
        // the worker stayed down: Pub/Sub delivers again after its back-off
        if (!answered) res.writeHead(503).end('worker unreachable');
      }
    })();
  });
  // the emulator keeps connections open between pushes: do not close them under it
  server.keepAliveTimeout = 10 * 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    records,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
