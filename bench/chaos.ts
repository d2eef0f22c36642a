/**
 * `npm run bench:chaos`: the pipeline under repeated faults at scale, on the local emulator suite
 * (see bench/chaos/run.ts). Exits 1 when any invariant is broken.
 *
 *   npm run bench:chaos -- --documents 2000 --users 10 --bad-every 20 --kill-every 20 --timeout-minutes 120
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_OPTIONS, runChaos } from './chaos/run.ts';

const { values } = parseArgs({
  options: {
    documents: { type: 'string', default: String(DEFAULT_OPTIONS.documents) },
    users: { type: 'string', default: String(DEFAULT_OPTIONS.users) },
    'bad-every': { type: 'string', default: String(DEFAULT_OPTIONS.badEvery) },
    'kill-every': { type: 'string', default: String(DEFAULT_OPTIONS.killEvery) },
    'timeout-minutes': { type: 'string', default: String(DEFAULT_OPTIONS.timeoutMs / 60_000) },
    'worker-slots': { type: 'string', default: String(DEFAULT_OPTIONS.workerSlots) },
    'care-every-seconds': { type: 'string', default: String(DEFAULT_OPTIONS.careEveryMs / 1000) },
    'republish-after-seconds': { type: 'string', default: String(DEFAULT_OPTIONS.republishAfterMs / 1000) },
    'pause-seconds': { type: 'string', default: String(DEFAULT_OPTIONS.firestorePauseMs / 1000) },
    'lease-seconds': { type: 'string', default: String(DEFAULT_OPTIONS.leaseSeconds) },
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
  workerSlots: Number(values['worker-slots']),
  careEveryMs: Number(values['care-every-seconds']) * 1000,
  republishAfterMs: Number(values['republish-after-seconds']) * 1000,
  firestorePauseMs: Number(values['pause-seconds']) * 1000,
  leaseSeconds: Number(values['lease-seconds']),
  say,
});
const { violations, ...figures } = report;
// The CPU the whole run took (this process, and every process of the suite it started and has reaped): on a shared
// machine the wall time says how busy the others were; CPU-seconds over the two cores bound the time alone.
const cpuSeconds = process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6 + reapedChildrenCpuSeconds();
say(`CPU ${cpuSeconds.toFixed(0)} s (this process and the suite's), load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
process.stdout.write(JSON.stringify(figures, null, 2) + '\n');
say(
  `${report.accepted} accepted (${report.refusedAtUpload} refused at upload): ${report.completed} COMPLETED, ` +
    `${Object.values(report.failed).reduce((a, b) => a + b, 0)} FAILED ${JSON.stringify(report.failed)}, ${report.stuck} stuck, ` +
    `${report.deadLettered} dead-lettered; ${(report.wallMs / 1000).toFixed(0)} s (${(report.workerRestartMs / 1000).toFixed(0)} s of it restarting ${report.faults.workerKills} killed workers, which took back ${report.faults.freedAtRestart} tasks at their start), ${report.documentsPerMinute.toFixed(1)} documents/min`,
);
if (violations.length > 0) {
  process.stdout.write(`\n${violations.length} VIOLATIONS:\n${violations.slice(0, 50).map((v) => `  ${v}`).join('\n')}\n`);
  process.exit(1);
}
say('all invariants hold');
process.exit(0);

/** utime + stime of the children this process has waited for (Linux /proc/self/stat, fields 16 and 17, in clock ticks). */
function reapedChildrenCpuSeconds(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return NaN;
  }
}
