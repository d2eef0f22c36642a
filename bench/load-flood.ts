/**
 * bench:load's flood, in a process of its own (bench/load.ts starts it): one user's requests, half
 * `GET /tasks` on the api and half `POST /uploads` on upload, `--concurrency` in the air at once, as
 * fast as the client can send or at a fixed `--rate` a second. Sent with node:http on keep-alive
 * connections (`fetch` cost this client ~0.8 CPU-ms a request, four times what a refusal costs the
 * server, and the client shares the server's cores). Prints one JSON line: the statuses, what the
 * refusals said, and the CPU the client itself used.
 *
 *   node bench/load-flood.ts --api URL --upload URL --count 2000 --concurrency 200 [--rate 400] --user flood@example.com
 */
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import pLimit from 'p-limit';

const { values: args } = parseArgs({
  options: {
    api: { type: 'string' },
    upload: { type: 'string' },
    count: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '200' },
    user: { type: 'string', default: 'flood@example.com' },
    /** The size the signed-URL requests announce (the bench's file). */
    size: { type: 'string', default: '1305' },
    /** Requests started a second, evenly spaced (default: no pacing, as fast as the client can). */
    rate: { type: 'string' },
  },
});

export interface FloodReport {
  statuses: Record<string, number>;
  withoutRetryAfter: number;
  retryAfter: number[];
  refusedMs: number[];
  ms: number;
  /** CPU-ms the flood's own process used (user + system). */
  cpuMs: number;
}

const CONCURRENCY = Number(args.concurrency);
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const report: FloodReport = { statuses: {}, withoutRetryAfter: 0, retryAfter: [], refusedMs: [], ms: 0, cpuMs: 0 };

/** One request: its status (0 for a broken connection) and Retry-After. */
function send(url: string, method: 'GET' | 'POST', body?: string): Promise<{ status: number; retryAfter: number }> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'x-user-email': args.user! };
    if (body) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
    const req = request(url, { method, headers, agent }, (res) => {
      res.resume();
      const done = () => resolve({ status: res.statusCode ?? 0, retryAfter: Number(res.headers['retry-after']) });
      res.once('end', done);
      res.once('error', done);
    });
    req.once('error', () => resolve({ status: 0, retryAfter: NaN }));
    req.end(body);
  });
}

const cpuBefore = process.cpuUsage();
const started = performance.now();
const limit = pLimit(CONCURRENCY);
const spacingMs = args.rate ? 1000 / Number(args.rate) : 0;
/** Paced: request i starts no sooner than i × spacing after the start (late ones go at once, within the concurrency). */
const onTime = async (i: number) => {
  const wait = started + i * spacingMs - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
};
const signedUrlBody = (i: number) => JSON.stringify({ fileName: `flood-${i}.png`, size: Number(args.size), contentType: 'image/png' });
await Promise.all(
  Array.from({ length: Number(args.count) }, (_, i) =>
    limit(async () => {
      await onTime(i);
      const sent = performance.now();
      const { status, retryAfter } = await (i % 2 === 0 ? send(`${args.api}/tasks?limit=20`, 'GET') : send(`${args.upload}/uploads`, 'POST', signedUrlBody(i)));
      report.statuses[status] = (report.statuses[status] ?? 0) + 1;
      if (status === 429) {
        report.refusedMs.push(performance.now() - sent);
        if (retryAfter >= 1) report.retryAfter.push(retryAfter);
        else report.withoutRetryAfter++;
      }
    }),
  ),
);
report.ms = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
report.cpuMs = Math.round((cpu.user + cpu.system) / 1000);
agent.destroy();
process.stdout.write(JSON.stringify(report) + '\n');
