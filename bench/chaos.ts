/**
 * `npm run bench:chaos`: the pipeline under repeated faults at scale, on the local emulator suite
 * (see bench/chaos/run.ts). Exits 1 when any invariant is broken.
 *
 *   npm run bench:chaos -- --documents 2000 --users 10 --bad-every 20 --kill-every 20 --timeout-minutes 60
 */
import { parseArgs } from 'node:util';
import { DEFAULT_OPTIONS, runChaos } from './chaos/run.ts';

const { values } = parseArgs({
  options: {
    documents: { type: 'string', default: String(DEFAULT_OPTIONS.documents) },
    users: { type: 'string', default: String(DEFAULT_OPTIONS.users) },
    'bad-every': { type: 'string', default: String(DEFAULT_OPTIONS.badEvery) },
    'kill-every': { type: 'string', default: String(DEFAULT_OPTIONS.killEvery) },
    'timeout-minutes': { type: 'string', default: String(DEFAULT_OPTIONS.timeoutMs / 60_000) },
  },
});

const say = (line: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const report = await runChaos({
  ...DEFAULT_OPTIONS,
  documents: Number(values.documents),
  users: Number(values.users),
  badEvery: Number(values['bad-every']),
  killEvery: Number(values['kill-every']),
  timeoutMs: Number(values['timeout-minutes']) * 60_000,
  say,
});
const { violations, ...figures } = report;
process.stdout.write(JSON.stringify(figures, null, 2) + '\n');
say(
  `${report.accepted} accepted (${report.refusedAtUpload} refused at upload): ${report.completed} COMPLETED, ` +
    `${Object.values(report.failed).reduce((a, b) => a + b, 0)} FAILED ${JSON.stringify(report.failed)}, ${report.stuck} stuck, ` +
    `${report.deadLettered} dead-lettered; ${(report.wallMs / 1000).toFixed(0)} s, ${report.documentsPerMinute.toFixed(1)} documents/min`,
);
if (violations.length > 0) {
  process.stdout.write(`\n${violations.length} VIOLATIONS:\n${violations.slice(0, 50).map((v) => `  ${v}`).join('\n')}\n`);
  process.exit(1);
}
say('all invariants hold');
process.exit(0);
