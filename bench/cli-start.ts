/**
 * `npm run bench:cli`: how fast the `docvault` command answers from a new process, against `node -e 0`
 * (the floor: a Node process that does nothing) and plain `tesseract` (one thread) on the same small image,
 * all in this run. Prints medians and ratios, of wall time and of CPU time (user + system of the process and its
 * threads: what a loaded machine changes least), and the load average; `--runs N` (default 7) after one warm-up of each.
 * `--against DIR` (repeatable) adds the same `ocr` run by another checkout's bin (e.g. one made by `git archive main`
 * with node_modules linked), in the same rounds: how a change is compared; the ratio of this checkout's run to each
 * is printed under the table.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
const NODE = resolve(ROOT, 'node_modules/.bin/node');
// What `npx docvault` runs: the bin of package.json.
const CLI = resolve(ROOT, 'cli/docvault.js');
const IMAGE = resolve(ROOT, 'test/fixtures/tessjs_testocr.png');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, against: { type: 'string', multiple: true, default: [] } } });
const runs = Number(values.runs);

interface Case {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

const OCR = 'docvault ocr (1 small image, 1 worker)';
const againstName = (dir: string) => `docvault ocr, ${dir}`;
const cases: Case[] = [
  { name: 'node -e 0', command: NODE, args: ['-e', '0'] },
  { name: 'docvault --help', command: NODE, args: [CLI, '--help'] },
  { name: 'docvault --version', command: NODE, args: [CLI, '--version'] },
  { name: OCR, command: NODE, args: [CLI, 'ocr', IMAGE, '--workers', '1'] },
  ...values.against.map((dir) => ({ name: againstName(dir), command: NODE, args: [resolve(dir, 'cli/docvault.js'), 'ocr', IMAGE, '--workers', '1'] })),
  { name: 'tesseract IMAGE - (OMP_THREAD_LIMIT=1)', command: 'tesseract', args: [IMAGE, '-'], env: { OMP_THREAD_LIMIT: '1' } },
];

/** CPU seconds of this process's waited-for children (Linux: /proc/self/stat's cutime + cstime, in 1/100 s). */
function childrenCpu(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

interface Sample {
  wall: number;
  cpu: number;
}

function timeOnce(c: Case): Sample | null {
  const cpuBefore = childrenCpu();
  const started = performance.now();
  const result = spawnSync(c.command, c.args, { cwd: ROOT, env: { ...process.env, ...c.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.error || result.status !== 0) return null;
  return { wall: (performance.now() - started) / 1000, cpu: childrenCpu() - cpuBefore };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const loadBefore = loadavg()[0]!;
for (const c of cases) timeOnce(c); // warm-up: file-system caches
// Interleaved, so that a burst of load on the shared machine hits every case alike.
const samples = new Map<string, Sample[]>(cases.map((c) => [c.name, []]));
for (let i = 0; i < runs; i++) {
  for (const c of cases) {
    const s = timeOnce(c);
    if (s !== null) samples.get(c.name)!.push(s);
  }
}
const medians = new Map<string, Sample>();
for (const [name, xs] of samples) if (xs.length) medians.set(name, { wall: median(xs.map((x) => x.wall)), cpu: median(xs.map((x) => x.cpu)) });

const floor = medians.get('node -e 0')!;
const tesseract = medians.get('tesseract IMAGE - (OMP_THREAD_LIMIT=1)');
const times = (a: number, b: number | undefined, digits = 1) => (b ? `${(a / b).toFixed(digits)}×` : '—');
process.stdout.write(
  `docvault start-up, median of ${runs} runs (node ${spawnSync(NODE, ['--version']).stdout.toString().trim()}), ` +
    `load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after\n\n`,
);
process.stdout.write('| command | wall s | × node -e 0 | × tesseract | CPU s | CPU × tesseract |\n|---|---|---|---|---|---|\n');
for (const c of cases) {
  const s = medians.get(c.name);
  if (s === undefined) {
    process.stdout.write(`| ${c.name} | failed | | | | |\n`);
    continue;
  }
  process.stdout.write(`| ${c.name} | ${s.wall.toFixed(3)} | ${times(s.wall, floor.wall)} | ${times(s.wall, tesseract?.wall)} | ${s.cpu.toFixed(2)} | ${times(s.cpu, tesseract?.cpu)} |\n`);
}
const ours = medians.get(OCR);
for (const dir of values.against) {
  const theirs = medians.get(againstName(dir));
  if (ours && theirs) process.stdout.write(`\n${OCR}: ${times(ours.wall, theirs.wall, 2)} the wall and ${times(ours.cpu, theirs.cpu, 2)} the CPU of ${dir}'s`);
}
process.stdout.write('\n');
