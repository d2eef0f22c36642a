/**
 * bench:pdf — a 10-page 300-dpi CCITT G4 scanned PDF (bench/pdf-document.ts; `--document jpeg`: the same pages as grey
 * JPEGs, how a grey or colour scanner stores them) through `docvault ocr FILE -f txt`
 * and through `ocrmypdf --jobs 2 -O0 --output-type pdf --sidecar` (Debian's, one tesseract thread per job), each a
 * whole new process, in the same run: one warm-up of each, then rounds that take turns (so the shared machine's
 * load falls on both alike), medians. Wall, CPU (user+system of the whole process tree), peak RSS of the largest
 * process, CER against the ground truth, pages per CPU-hour; ratios against OCRmyPDF.
 *
 *   npm run bench:pdf                                  (3 runs)
 *   npm run bench:pdf -- --runs 5 --variant 'best_int=--model-dir node_modules/@tesseract.js-data/eng/4.0.0_best_int'
 *
 * `docvault ocr` is the package's bin, cli/docvault.js, as `npx docvault` runs it (until 2026-12-03: cli/docvault.ts).
 * A --variant LABEL=ARGS adds a `docvault ocr` run with those extra arguments (and env KEY=VALUE words before
 * them; cli=PATH runs another checkout's CLI (its cli/docvault.js or .ts), e.g. one made by `git archive`; the word `searchable` makes it write the
 * searchable PDF too, as the OCR worker always does), measured in the same rounds: how each lever is compared. Each
 * searchable PDF's text layer (OCRmyPDF's too) is read back with pdftotext and scored against the ground truth.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { characterErrorRate } from '../shared/core/text-metrics.ts';
import { buildBenchDocument, DOCUMENT_KINDS, type DocumentKind } from './pdf-document.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    variant: { type: 'string', multiple: true, default: [] },
    document: { type: 'string', default: 'g4' },
  },
});
if (!DOCUMENT_KINDS.includes(args.document as DocumentKind)) throw new Error(`--document is one of ${DOCUMENT_KINDS.join(', ')}`);
const KIND = args.document as DocumentKind;
const RUNS = Number(args.runs);
const ROOT = resolve(import.meta.dirname, '..');
const NODE = resolve(ROOT, 'node_modules/.bin/node');
// The `docvault` executable as npx runs it (package.json's bin): with Node's compile cache for its threads (the render
// thread's pdfjs, the OCR workers' script) and the stripped TypeScript kept, which cli/docvault.ts run directly has not.
const CLI = resolve(ROOT, 'cli/docvault.js');
const work = mkdtempSync(join(tmpdir(), 'bench-pdf-'));
const doc = await buildBenchDocument(resolve(ROOT, 'test/fixtures'), work, 10, KIND);

interface Case {
  name: string;
  command: string[];
  env?: Record<string, string>;
  /** Where the text ends up: the process's stdout, or a file it writes. */
  textFile?: string;
  /** The searchable PDF it writes, if any. */
  pdfFile?: string;
}

/**
 * Extra words: KEY=VALUE (upper case) set the environment, cli=PATH runs another checkout's CLI, `searchable` writes the
 * searchable PDF too (into a folder of the case's own), the rest are arguments.
 */
function docvaultCase(name: string, extra: string): Case {
  const words = extra.split(/\s+/).filter(Boolean);
  const isEnv = (w: string) => /^[A-Z_]+=/.test(w);
  const isCli = (w: string) => w.startsWith('cli=');
  const env = Object.fromEntries(words.filter(isEnv).map((w) => w.split(/=(.*)/s).slice(0, 2) as [string, string]));
  const cli = words.find(isCli)?.slice(4) ?? CLI;
  const args = words.filter((w) => !isEnv(w) && !isCli(w) && w !== 'searchable');
  if (!words.includes('searchable')) return { name, command: [NODE, resolve(cli), 'ocr', doc.pdf, '-f', 'txt', ...args], env };
  const out = join(work, `case-${name.replace(/[^a-z0-9]+/gi, '-')}`);
  const stem = basename(doc.pdf).replace(/\.pdf$/, '');
  return { name, command: [NODE, resolve(cli), 'ocr', doc.pdf, '-f', 'txt,pdf', '-o', out, ...args], env, textFile: join(out, `${stem}.txt`), pdfFile: join(out, `${stem}.searchable.pdf`) };
}

const sidecar = join(work, 'ocrmypdf.txt');
const cases: Case[] = [
  {
    name: 'ocrmypdf --jobs 2',
    command: ['ocrmypdf', '--jobs', '2', '-O0', '--output-type', 'pdf', '--sidecar', sidecar, '--force-ocr', '-l', 'eng', doc.pdf, join(work, 'ocrmypdf.pdf')],
    textFile: sidecar,
    pdfFile: join(work, 'ocrmypdf.pdf'),
  },
  docvaultCase('docvault ocr', ''),
  ...args.variant.map((v) => {
    const [label, extra] = v.split(/=(.*)/s) as [string, string];
    return docvaultCase(`docvault ocr (${label})`, extra ?? '');
  }),
];

interface Measure {
  wallS: number;
  cpuS: number;
  peakMb: number;
  text: string;
  /** Pages the run gave up on (docvault's "(N failed)"): a page over its time budget on a loaded machine. */
  failedPages: number;
  /** The searchable PDF's text layer as pdftotext reads it, for a case that writes one. */
  layerText?: string;
}

// Python's getrusage(RUSAGE_CHILDREN) after the wait: CPU of every process of the tree, and the largest one's peak
// RSS (Node cannot see its children's grandchildren, such as the tesseract processes OCRmyPDF starts).
const MEASURE = `
import json, resource, subprocess, sys, time
started = time.monotonic()
run = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
wall = time.monotonic() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.buffer.write(run.stderr)
print(json.dumps({"status": run.returncode, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kb": usage.ru_maxrss, "stdout": run.stdout.decode("utf-8", "replace")}))
`;

function measure(c: Case): Measure {
  // One tesseract thread per process: OpenMP's default on 2 cores is ~10× slower (see FACTS), and each OCRmyPDF job is one page.
  const run = spawnSync('python3', ['-c', MEASURE, ...c.command], { env: { ...process.env, OMP_THREAD_LIMIT: '1', ...c.env }, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`measuring ${c.name} failed: ${run.stderr}`);
  const r = JSON.parse(run.stdout) as { status: number; wall: number; cpu: number; maxrss_kb: number; stdout: string };
  if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${run.stderr.slice(-2000)}`);
  const failedPages = Number(/\((\d+) failed\)/.exec(run.stderr)?.[1] ?? 0);
  const layerText = c.pdfFile && existsSync(c.pdfFile) ? spawnSync('pdftotext', [c.pdfFile, '-'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).stdout : undefined;
  return { wallS: r.wall, cpuS: r.cpu, peakMb: r.maxrss_kb / 1024, text: c.textFile ? readFileSync(c.textFile, 'utf8') : r.stdout, failedPages, ...(layerText !== undefined ? { layerText } : {}) };
}

/** pdftotext lays a page out with blank rows between lines far apart: CER over single-spaced lines, as the truth is. */
function layerCer(text: string): number {
  return characterErrorRate(doc.truth, text.replace(/\f/g, '').replace(/\n\s*\n/g, '\n'));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results = new Map<string, Measure[]>(cases.map((c) => [c.name, []]));
for (let i = 0; i < Number(args.warmup); i++) for (const c of cases) measure(c); // warm-up: page cache, compiled code
for (let round = 0; round < RUNS; round++) {
  for (const c of cases) {
    const m = measure(c);
    results.get(c.name)!.push(m);
    const cer = (characterErrorRate(doc.truth, m.text.replace(/\f/g, '')) * 100).toFixed(2);
    const layer = m.layerText === undefined ? '' : `, text layer CER ${(layerCer(m.layerText) * 100).toFixed(2)}%`;
    process.stderr.write(`round ${round + 1}/${RUNS} ${c.name}: ${m.wallS.toFixed(1)} s wall, ${m.cpuS.toFixed(1)} CPU-s, ${Math.round(m.peakMb)} MB, CER ${cer}%${layer}${m.failedPages ? `, ${m.failedPages} pages FAILED` : ''}\n`);
  }
}

interface Row {
  name: string;
  wallS: number;
  cpuS: number;
  peakMb: number;
  cer: number;
  pagesPerCoreHour: number;
  failedPages: number;
  layerCer?: number;
}
const rows: Row[] = cases.map((c) => {
  const ms = results.get(c.name)!;
  const cpuS = median(ms.map((m) => m.cpuS));
  return {
    name: c.name,
    wallS: median(ms.map((m) => m.wallS)),
    cpuS,
    peakMb: median(ms.map((m) => m.peakMb)),
    cer: characterErrorRate(doc.truth, ms.at(-1)!.text.replace(/\f/g, '')),
    pagesPerCoreHour: (doc.pages * 3600) / cpuS,
    failedPages: Math.max(...ms.map((m) => m.failedPages)),
    ...(ms.at(-1)!.layerText !== undefined ? { layerCer: layerCer(ms.at(-1)!.layerText!) } : {}),
  };
});
const peer = rows[0]!;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const line = (r: Row) =>
  `| ${r.name} | ${r.wallS.toFixed(1)} s | ${ratio(r.wallS, peer.wallS)} | ${r.cpuS.toFixed(1)} s | ${ratio(r.cpuS, peer.cpuS)} | ${Math.round(r.peakMb)} MB | ${(r.cer * 100).toFixed(2)}% | ${r.layerCer === undefined ? '—' : `${(r.layerCer * 100).toFixed(2)}%`} | ${Math.round(r.pagesPerCoreHour)} | ${r.failedPages} |`;
const ocrmypdfVersion = spawnSync('ocrmypdf', ['--version'], { encoding: 'utf8' }).stdout.trim();
process.stdout.write(`### bench:pdf — ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ocrmypdf ${ocrmypdfVersion}

Command: \`npm run bench:pdf -- --runs ${RUNS} --warmup ${args.warmup}${KIND === 'g4' ? '' : ` --document ${KIND}`}${args.variant.map((v) => ` --variant '${v}'`).join('')}\`. ${doc.pages} pages, 300 dpi, ${KIND === 'g4' ? 'CCITT G4' : 'grey JPEG'} (bench/pdf-document.ts),
whole processes, one warm-up each, then ${RUNS} rounds taking turns; medians. CPU = user+system of the process tree; peak = largest
process's RSS; pages/core-hour = pages × 3600 / CPU-s. A run with failed pages (over the 120 s page budget on a
loaded machine) read less: its CPU and CER do not compare.

| | wall | ×ocrmypdf | CPU | ×ocrmypdf | peak RSS | CER | text layer CER (pdftotext) | pages/core-hour | failed pages (worst run) |
|---|---|---|---|---|---|---|---|---|---|
${rows.map(line).join('\n')}
`);
