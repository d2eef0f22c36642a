/**
 * bench:load's flood, in a process of its own (bench/load.ts starts it under `nice -n 19`): one
 * user's requests, half `GET /tasks` on the api and half `POST /uploads` on upload, `--concurrency`
 * in the air at once. Prints one JSON line: the statuses and what the refusals said.
 *
 *   node bench/load-flood.ts --api URL --upload URL --count 2000 --concurrency 200 --user flood@example.com
 */
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
  },
});

export interface FloodReport {
  statuses: Record<string, number>;
  withoutRetryAfter: number;
  retryAfter: number[];
  refusedMs: number[];
  ms: number;
}

const headers = { 'x-user-email': args.user! };
const report: FloodReport = { statuses: {}, withoutRetryAfter: 0, retryAfter: [], refusedMs: [], ms: 0 };
const started = performance.now();
const send = pLimit(Number(args.concurrency));
await Promise.all(
  Array.from({ length: Number(args.count) }, (_, i) =>
    send(async () => {
      const sent = performance.now();
      const res = await (i % 2 === 0
        ? fetch(`${args.api}/tasks?limit=20`, { headers })
        : fetch(`${args.upload}/uploads`, {
            method: 'POST',
            headers: { ...headers, 'content-type': 'application/json' },
            body: JSON.stringify({ fileName: `flood-${i}.png`, size: Number(args.size), contentType: 'image/png' }),
          })
      ).catch(() => null);
      const status = res?.status ?? 0;
      report.statuses[status] = (report.statuses[status] ?? 0) + 1;
      if (status === 429) {
        report.refusedMs.push(performance.now() - sent);
        const after = Number(res!.headers.get('retry-after'));
        if (after >= 1) report.retryAfter.push(after);
        else report.withoutRetryAfter++;
      }
      await res?.body?.cancel();
    }),
  ),
);
report.ms = performance.now() - started;
process.stdout.write(JSON.stringify(report) + '\n');
