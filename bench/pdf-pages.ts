/**
 * Where bench:pdf's time goes, page by page, in one process: bench/pdf-document.ts's scan read as `docvault ocr` reads
 * it (the pipeline, two tesseract.js workers with the line cascade where a fast model is installed, PP-OCR for unsure
 * pages), timed at each step. Prints, per page, its render (the render thread, and the shrink to the DPI its text
 * needs), the main thread's preparation, the engine's steps on it (fast read, lines read again, whole re-read, own
 * read, model switches, skew pass, OSD) and how it was decided; then each worker's timeline (start-up, busy, idle while
 * waiting for a page, the tail when the other worker is still reading) and the process's CPU by thread.
 *
 *   node bench/pdf-pages.ts [--pages 10] [--document g4|jpeg] [--workers 2] [--format txt,pdf] [--model-dir DIR] [--no-cascade] [--json FILE]
 *
 * Wall times of the steps are the worker's time on a page; on a machine with an idle core each is that worker thread's
 * CPU. State the load average with any figure.
 */
import { readFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { processDocument } from '../shared/core/pipeline.ts';
import type { DocumentOpener, OcrEngine, RecognizedPage } from '../shared/core/ports.ts';
import { characterErrorRate } from '../shared/core/text-metrics.ts';
import { documentOpener } from '../shared/engines/document-opener.ts';
import { modelDirs, ModelStore, PaddleOcrEngine, TesseractEngine } from '../shared/engines/index.ts';
import { ENGINE_STEPS, type EngineStepEvent } from '../shared/engines/tesseract-engine.ts';
import { renderOutputs, type OutputFormat } from '../shared/outputs/index.ts';
import { buildBenchDocument, DOCUMENT_KINDS, type DocumentKind } from './pdf-document.ts';

const { values: args } = parseArgs({
  options: {
    pages: { type: 'string', default: '10' },
    document: { type: 'string', default: 'g4' },
    workers: { type: 'string', default: '2' },
    format: { type: 'string', default: 'txt' },
    'model-dir': { type: 'string', multiple: true, default: [] },
    'no-cascade': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const ROOT = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'bench-pdf-pages-'));
if (!DOCUMENT_KINDS.includes(args.document as DocumentKind)) throw new Error(`--document is one of ${DOCUMENT_KINDS.join(', ')}`);
const doc = await buildBenchDocument(resolve(ROOT, 'test/fixtures'), work, Number(args.pages), args.document as DocumentKind);
const bytes = new Uint8Array(readFileSync(doc.pdf));
const load = [loadavg()[0]!];

/** Each thread's name (/proc's comm: libuv's and libvips' pools name theirs; Node's threads are "node"), kept once seen. */
const threadNames = new Map<number, string>();

/** CPU-s of each thread of this process (clock ticks of /proc/self/task/N/stat, user + system). */
function threadCpu(): Map<number, number> {
  const ticks = 100;
  const cpu = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.replace(/^.*\) /s, '').split(' ');
      cpu.set(Number(tid), (Number(fields[11]) + Number(fields[12])) / ticks);
      if (!threadNames.has(Number(tid))) threadNames.set(Number(tid), /\((.*)\) /s.exec(stat)?.[1] ?? '?');
    } catch {
      // a thread that ended meanwhile
    }
  }
  return cpu;
}

// The threads' CPU from here on: building the document (sharp's composite and encode, in libvips' threads) is the bench's.
const threadsAtStart = threadCpu();
const processAtStart = process.cpuUsage();

const SAMPLE_MS = 50;
const t0 = performance.now();
const at = (ms: number) => ms - t0;
const steps: EngineStepEvent[] = [];
const models = new ModelStore(modelDirs(args['model-dir']));
const engine = new TesseractEngine({ models, workers: Number(args.workers), onStep: (s) => steps.push(s), ...(args['no-cascade'] ? { cascade: false as const } : {}) });
const second = new PaddleOcrEngine();
// As docvault ocr starts: one worker at once, the pipeline meanwhile; a second worker when a second page needs it.
void engine.warmUp(['eng'], 1).catch(() => undefined);

interface Timed {
  page: number;
  startedMs: number;
  ms: number;
}
const renders: Timed[] = [];
const reads: Array<Timed & { read?: RecognizedPage }> = [];
let calls = 0;
let opened = { startedMs: 0, ms: 0 };
const opener: DocumentOpener = {
  open: async (b, type, options) => {
    const startedMs = performance.now();
    const source = await documentOpener.open(b, type, options);
    opened = { startedMs: at(startedMs), ms: performance.now() - startedMs };
    return {
      ...source,
      close: () => source.close(),
      page: async (index, signal) => {
        const page = await source.page(index, signal);
        return {
          ...page,
          textLayer: (s) => page.textLayer(s),
          displayImage: (r, s) => page.displayImage(r, s),
          render: async (s) => {
            const startedMs = performance.now();
            const image = await page.render(s);
            renders.push({ page: index + 1, startedMs: at(startedMs), ms: performance.now() - startedMs });
            return image;
          },
        };
      },
    };
  },
};
// Calls in the order the pipeline makes them: a page's first read is made when a worker is free for it, in page order.
const timedEngine: OcrEngine = {
  name: engine.name,
  version: engine.version,
  detectOrientation: (image, signal) => engine.detectOrientation(image, signal),
  warmUp: (languages, workers) => engine.warmUp(languages, workers),
  recognize: async (image, options) => {
    const call = ++calls;
    const startedMs = performance.now();
    const read = await engine.recognize(image, options);
    reads.push({ page: call, startedMs: at(startedMs), ms: performance.now() - startedMs, read });
    return read;
  },
};

// Every thread's CPU, sampled while the pages are read: a step's CPU is its worker thread's growth over the step.
const samples: Array<{ atMs: number; cpu: Map<number, number> }> = [];
const sampler = setInterval(() => samples.push({ atMs: at(performance.now()), cpu: threadCpu() }), SAMPLE_MS);
const cpuBefore = process.cpuUsage();
const output = await processDocument(bytes, { languages: 'eng', searchablePdf: args.format.includes('pdf') }, { opener, engine: timedEngine, secondEngine: second, concurrency: engine.size });
const readEnd = performance.now();
clearInterval(sampler);
samples.push({ atMs: at(readEnd), cpu: threadCpu() });
const outputs = await renderOutputs(bytes, output, args.format.split(',') as OutputFormat[]);
const outputMs = performance.now() - readEnd;
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpuBefore);
const threads = new Map([...threadCpu()].map(([tid, c]) => [tid, c - (threadsAtStart.get(tid) ?? 0)]));
const processSinceStart = process.cpuUsage(processAtStart);
await Promise.all([engine.close(), second.close()]);
load.push(loadavg()[0]!);

const text = output.result.pages.map((p) => p.text).join('\n');
const stats = engine.stats();
const f = (ms: number) => (ms / 1000).toFixed(2);

// Each engine step belongs to the slot that took it; a slot's page is the read whose interval holds the step.
const slotOfRead = new Map<number, number>();
for (const r of [...reads].sort((a, b) => a.startedMs - b.startedMs)) {
  const first = [...steps].sort((a, b) => a.startedMs - b.startedMs).find((s) => s.slot >= 0 && at(s.startedMs) >= r.startedMs - 1 && at(s.startedMs) <= r.startedMs + r.ms && ![...slotOfRead.entries()].some(([p, slot]) => slot === s.slot && overlaps(reads.find((x) => x.page === p)!, r)));
  if (first) slotOfRead.set(r.page, first.slot);
}
function overlaps(a: Timed, b: Timed): boolean {
  return a !== b && a.startedMs < b.startedMs + b.ms && b.startedMs < a.startedMs + a.ms;
}
/** A thread's CPU-s at a moment, from the samples either side of it. */
function cpuAt(tid: number, atMs: number): number {
  const after = samples.findIndex((x) => x.atMs >= atMs);
  if (after <= 0) return samples[Math.max(0, after)]?.cpu.get(tid) ?? 0;
  const a = samples[after - 1]!;
  const b = samples[after]!;
  const share = (atMs - a.atMs) / Math.max(1, b.atMs - a.atMs);
  return (a.cpu.get(tid) ?? 0) + ((b.cpu.get(tid) ?? a.cpu.get(tid) ?? 0) - (a.cpu.get(tid) ?? 0)) * share;
}
const cpuOver = (tid: number, s: EngineStepEvent) => cpuAt(tid, at(s.startedMs) + s.ms) - cpuAt(tid, at(s.startedMs));
// Each slot's worker thread: of the threads, the one whose CPU grew most over the slot's steps.
const tids = [...(samples.at(-1)?.cpu.keys() ?? [])].filter((t) => t !== process.pid);
const threadOfSlot = new Map<number, number>();
for (let slot = 0; slot < engine.size; slot++) {
  const own = steps.filter((s) => s.slot === slot && s.step !== 'workerStart');
  const best = tids.filter((t) => ![...threadOfSlot.values()].includes(t)).map((t) => [t, own.reduce((a, s) => a + cpuOver(t, s), 0)] as const).sort((a, b) => b[1] - a[1])[0];
  if (best) threadOfSlot.set(slot, best[0]);
}
/** A step's CPU-s on its worker's thread (0 for the OSD worker's, not followed). */
const stepCpu = (s: EngineStepEvent) => (threadOfSlot.has(s.slot) ? cpuOver(threadOfSlot.get(s.slot)!, s) : 0);
const stepsOf = (r: Timed) => steps.filter((s) => s.slot === slotOfRead.get(r.page) && at(s.startedMs) >= r.startedMs - 1 && at(s.startedMs) + s.ms <= r.startedMs + r.ms + 1);

const lines: string[] = [];
const out = (s: string) => lines.push(s);
const cpuS = (ss: EngineStepEvent[]) => ss.reduce((a, s) => a + stepCpu(s), 0);
const wallS = (ss: EngineStepEvent[]) => ss.reduce((a, s) => a + s.ms, 0) / 1000;
out(`bench:pdf's scan (${args.document}), ${doc.pages} pages, ${engine.size} workers, -f ${args.format}${args['no-cascade'] ? ', no cascade' : ''}; load average ${load.map((l) => l.toFixed(1)).join(' → ')}`);
out(`wall ${f(wallMs)} s (outputs ${f(outputMs)} s), process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s, CER ${(characterErrorRate(doc.truth, text) * 100).toFixed(2)}%`);
out('Engine steps as CPU-s of the worker thread (the read column: wall s / CPU-s of its steps); render = render thread + shrink, wall.\n');
out('| page | render s | prepared s | worker | read s | fast | lines again (n) | whole again | own | switch | skew | how decided |');
out('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const p of output.result.pages) {
  const render = renders.find((r) => r.page === p.number);
  const r = reads.find((x) => x.page === p.number);
  const own = r ? stepsOf(r) : [];
  const of = (k: string) => own.filter((s) => s.step === k);
  const cell = (k: string) => (of(k).length ? cpuS(of(k)).toFixed(2) : '');
  out(
    `| ${p.number} | ${render ? f(render.ms) : ''} | ${f(p.timings.renderMs - (render?.ms ?? 0))} | ${r ? (slotOfRead.get(r.page) ?? '?') : ''} | ${r ? `${f(r.ms)} / ${cpuS(own).toFixed(2)}` : ''} | ${cell('fastRead')} | ${of('lineReads').length ? `${cell('lineReads')} (${of('lineReads').length})` : ''} | ${cell('wholeReread')} | ${cell('ownRead')} | ${of('modelSwitch').length ? `${cell('modelSwitch')} (${of('modelSwitch').length})` : ''} | ${cell('skewPass')} | ${p.strategy?.engine ?? ''}: ${p.strategy?.reason ?? ''} |`,
  );
}
out('\n| step | count | wall s | CPU-s |');
out('|---|---|---|---|');
for (const k of ENGINE_STEPS) {
  const of = steps.filter((s) => s.step === k);
  if (of.length) out(`| ${k} | ${of.length} | ${wallS(of).toFixed(2)} | ${cpuS(of).toFixed(2)} |`);
}
out(`\nCascade: ${JSON.stringify(stats.cascade)}; reads asked of the engine ${calls} (pages ${doc.pages})`);

// Each worker's timeline, from the process's start to the end of the last read.
const end = Math.max(...reads.map((r) => r.startedMs + r.ms));
out(`\nLast read ends at ${f(end)} s.\n`);
out('| worker | first step at s | start-up s (CPU) | busy wall s (CPU-s) | idle between steps s | idle after its last step s | thread CPU-s in all |');
out('|---|---|---|---|---|---|---|');
for (let slot = 0; slot < engine.size; slot++) {
  const own = steps.filter((s) => s.slot === slot).sort((a, b) => a.startedMs - b.startedMs);
  if (own.length === 0) continue;
  const startUp = own.filter((s) => s.step === 'workerStart');
  const busy = own.filter((s) => s.step !== 'workerStart');
  const firstAt = at(own[0]!.startedMs);
  const lastEnd = Math.max(...own.map((s) => at(s.startedMs) + s.ms));
  const idle = (lastEnd - firstAt) / 1000 - wallS(own);
  const tid = threadOfSlot.get(slot);
  out(`| ${slot} | ${f(firstAt)} | ${wallS(startUp).toFixed(2)} (${cpuS(startUp).toFixed(2)}) | ${wallS(busy).toFixed(2)} (${cpuS(busy).toFixed(2)}) | ${idle.toFixed(2)} | ${f(end - lastEnd)} | ${tid ? (threads.get(tid) ?? 0).toFixed(2) : '?'} |`);
}
const main = threads.get(process.pid) ?? 0;
const workerTids = new Set(threadOfSlot.values());
const others = [...threads.entries()].filter(([tid]) => tid !== process.pid && !workerTids.has(tid)).sort((a, b) => b[1] - a[1]);
const listed = [...threads.values()].reduce((a, c) => a + c, 0);
const sinceStart = (processSinceStart.user + processSinceStart.system) / 1e6;
out(`\nSince the document was built: process ${sinceStart.toFixed(2)} CPU-s, of which ${(sinceStart - listed).toFixed(2)} in threads that ended (libvips' pool threads end when idle) and are not listed below.`);
out(`Threads' CPU-s: main ${main.toFixed(2)}; workers ${[...workerTids].map((t) => (threads.get(t) ?? 0).toFixed(2)).join(' + ')}; others, largest first: ${others.slice(0, 6).map(([, c]) => c.toFixed(2)).join(', ')} (the rest ${others.slice(6).reduce((a, [, c]) => a + c, 0).toFixed(2)})`);
const byName = new Map<string, { cpu: number; threads: number }>();
for (const [tid, c] of others) {
  const name = (threadNames.get(tid) ?? '?').replace(/\d+$/, '');
  const entry = byName.get(name) ?? { cpu: 0, threads: 0 };
  byName.set(name, { cpu: entry.cpu + c, threads: entry.threads + 1 });
}
out(`Others by thread name (the render thread and V8's platform threads are all "node": GC, JavaScript and WASM tier-up compiles; libvips' pool is "libvips worker"): ${[...byName.entries()].sort((a, b) => b[1].cpu - a[1].cpu).map(([n, e]) => `${n} ${e.cpu.toFixed(2)} (${e.threads})`).join(', ')}`);
out(`Document opened at ${f(opened.startedMs)} s in ${f(opened.ms)} s (the render thread's start, pdfjs' parse).`);
out(`Renders (start s + wall s): ${[...renders].sort((a, b) => a.page - b.page).map((r) => `p${r.page} ${f(r.startedMs)}+${f(r.ms)}`).join(', ')}`);
out(`Reads: ${[...reads].sort((a, b) => a.page - b.page).map((r) => `p${r.page} ${f(r.startedMs)}+${f(r.ms)}`).join(', ')}; outputs ${[...outputs.keys()].join(',')}`);
process.stdout.write(`${lines.join('\n')}\n`);
if (args.json) writeFileSync(args.json, JSON.stringify({ steps: steps.map((s) => ({ ...s, startedMs: at(s.startedMs), cpuS: stepCpu(s) })), renders, reads: reads.map(({ read: _, ...r }) => r), stats }, null, 1));
