/**
 * bench:accuracy — our pipeline against plain native tesseract (eng, psm 3, one thread) on the same
 * pages: the corpus's receipts and forms, the public samples, generated tables and generated
 * variants of the samples. Per page and per kind: CER, CER ignoring case and punctuation style, an
 * order-free word error, seconds and CPU-seconds per page, and our figure over plain tesseract's. "today" is our
 * pipeline with tesseract.js alone (no second engine), measured in the same run.
 *
 *   npm run bench:accuracy
 *   npm run bench:accuracy -- --kinds receipt,form --limit 4 --no-today
 *   npm run bench:accuracy -- --kinds form --from 8 --limit 8   # pages 9–16 of each corpus kind
 *   npm run bench:accuracy -- --model-dir /tmp/fast               # a folder holding eng_fast.traineddata: the line cascade
 *   npm run bench:accuracy -- --peer no-cascade                   # "today" is the whole pipeline with the cascade off
 *
 * The corpus is read from ../shared (beside the repository) or DOCVAULT_SHARED_DIR; never copied.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { detectDocumentType } from '../shared/core/document-type.ts';
import { toPgm } from '../shared/core/grey-image.ts';
import { processDocument } from '../shared/core/pipeline.ts';
import { documentOpener } from '../shared/engines/document-opener.ts';
import { modelDirs, ModelStore, PaddleOcrEngine, TesseractEngine, type EngineStats } from '../shared/engines/index.ts';
import { generateTables, generateVariants, type BenchPage } from './accuracy-generate.ts';
import { bagOfWordsError, characterErrorRate, foldedCharacterErrorRate } from './accuracy-metrics.ts';

const { values: args } = parseArgs({
  options: {
    kinds: { type: 'string', default: 'receipt,form,sample,table,variant' },
    limit: { type: 'string', default: '1000' },
    /** Skip this many pages of each corpus kind first: a long run split over processes. */
    from: { type: 'string', default: '0' },
    'no-today': { type: 'boolean', default: false },
    json: { type: 'string' },
    /** Model folders searched first (docvault ocr's --model-dir): e.g. one holding eng_fast.traineddata for the line cascade. */
    'model-dir': { type: 'string', multiple: true, default: [] },
    /**
     * What the "today" column reads with: `tesseract` (tesseract.js alone, no second engine), or `no-cascade` (the whole
     * pipeline, PP-OCR included, with the line cascade off): the cascade's cost and CER per kind in the same run.
     */
    peer: { type: 'string', default: 'tesseract' },
    /** The cascade's bar (a line with a word under it is read again by the own model). */
    'unsure-below': { type: 'string' },
  },
});
const KINDS = new Set(args.kinds.split(','));
const LIMIT = Number(args.limit);
const FROM = Number(args.from);
const REPO = resolve(import.meta.dirname, '..');
const SHARED = process.env.DOCVAULT_SHARED_DIR ?? resolve(REPO, '..', 'shared');
const work = mkdtempSync(join(tmpdir(), 'bench-accuracy-'));

function withTruth(dir: string, kind: string): BenchPage[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => !f.endsWith('.txt') && !f.endsWith('.json') && !f.endsWith('.md'))
    .flatMap((f) => {
      const stem = f.replace(/\.[^.]+$/, '');
      const truthFile = join(dir, `${stem}.gt.txt`);
      return existsSync(truthFile) ? [{ kind, name: stem, file: join(dir, f), truth: readFileSync(truthFile, 'utf8') }] : [];
    })
    .slice(FROM, FROM + LIMIT);
}

const pages: BenchPage[] = [];
if (KINDS.has('receipt')) pages.push(...withTruth(join(SHARED, 'corpus', 'receipt'), 'receipt'));
if (KINDS.has('form')) pages.push(...withTruth(join(SHARED, 'corpus', 'form'), 'form'));
if (KINDS.has('sample')) pages.push(...withTruth(join(SHARED, 'samples'), 'sample'));
if (KINDS.has('table')) pages.push(...(await generateTables(work)).slice(0, LIMIT));
if (KINDS.has('variant')) pages.push(...(await generateVariants(join(SHARED, 'samples'), work)).slice(0, LIMIT * 8));
if (pages.length === 0) throw new Error(`no pages found under ${SHARED} for ${args.kinds}`);

const nativeEnv = { ...process.env, OMP_THREAD_LIMIT: '1' };
/**
 * CPU-seconds: on a shared machine wall time grows with everyone else's load, CPU time much less.
 * Ours is this process's (tesseract.js runs in worker threads, onnxruntime in-process); plain
 * tesseract's is its reaped children's, from /proc (clock ticks of 1/100 s).
 */
const ownCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const childrenCpu = () => {
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
  // After the command name: state is field 3, cutime and cstime are fields 16 and 17.
  return (Number(fields[13]) + Number(fields[14])) / 100;
};
interface Read {
  text: string;
  seconds: number;
  cpu: number;
}
/** Plain tesseract as a user runs it on the file; a file it cannot open is handed over as our 300-dpi render. */
async function plain(page: BenchPage): Promise<Read> {
  const run = (file: string) => {
    const started = performance.now();
    const cpuBefore = childrenCpu();
    const out = spawnSync('tesseract', [file, 'stdout', '-l', 'eng', '--psm', '3'], { env: nativeEnv, encoding: 'utf8', maxBuffer: 64 << 20 });
    return { ok: out.status === 0 && out.stdout.trim() !== '', text: out.stdout, seconds: (performance.now() - started) / 1000, cpu: childrenCpu() - cpuBefore };
  };
  const direct = run(page.file);
  if (direct.ok) return direct;
  const bytes = new Uint8Array(readFileSync(page.file));
  const source = await documentOpener.open(bytes, await detectDocumentType(bytes), { dpi: 300, defaultImageDpi: 300, maxPixelsPerPage: 1e8 });
  const image = await (await source.page(0)).render();
  await source.close();
  const pgm = join(work, `${page.name}.pgm`);
  writeFileSync(pgm, toPgm(image));
  return run(pgm);
}

const models = new ModelStore(modelDirs(args['model-dir']));
if (args.peer !== 'tesseract' && args.peer !== 'no-cascade') throw new Error(`--peer is tesseract or no-cascade, not ${args.peer}`);
const NO_CASCADE_PEER = args.peer === 'no-cascade';
const tesseract = new TesseractEngine({ models, workers: 1, ...(args['unsure-below'] ? { cascade: { unsureBelow: Number(args['unsure-below']) } } : {}) });
const tesseractNoCascade = NO_CASCADE_PEER ? new TesseractEngine({ models, workers: 1, cascade: false }) : undefined;
const paddle = new PaddleOcrEngine({ threads: 1 });
/** Our pipeline: `second` with PP-OCR; the "today" peer is tesseract.js alone, or with `--peer no-cascade` the pipeline without the cascade. */
async function ours(page: BenchPage, second: boolean): Promise<Read & { strategy: string }> {
  const bytes = new Uint8Array(readFileSync(page.file));
  const engine = !second && tesseractNoCascade ? tesseractNoCascade : tesseract;
  const before = engine.stats().cascade;
  const withPaddle = second || NO_CASCADE_PEER;
  const started = performance.now();
  const cpuBefore = ownCpu();
  // Limits far above the defaults: on a shared machine a page's wall time follows everyone's load; CPU is what is compared.
  const { result } = await processDocument(bytes, { languages: ['eng'], limits: { pageTimeoutMs: 1_800_000, documentTimeoutMs: 3_600_000 } }, { opener: documentOpener, engine, concurrency: 1, ...(withPaddle ? { secondEngine: paddle } : {}) });
  const seconds = (performance.now() - started) / 1000;
  const cpu = ownCpu() - cpuBefore;
  const strategy = result.pages.map((p) => (p.strategy ? `${p.strategy.engine}${p.strategy.psm !== undefined ? ` psm ${p.strategy.psm}` : ''}` : p.source)).join(',');
  const after = engine.stats().cascade;
  return { text: result.text, seconds, cpu, strategy: `${strategy}${cascadeNote(before, after)}` };
}

/** What the cascade did on a document's reads: pages read with the fast model, lines read again, pages read again whole, reads expected unsure. */
function cascadeNote(before: EngineStats['cascade'], after: EngineStats['cascade']): string {
  const pages = after.pages - before.pages;
  const direct = after.direct - before.direct;
  if (pages === 0 && direct === 0) return '';
  const d = (k: keyof EngineStats['cascade']) => after[k] - before[k];
  return ` [fast ${pages}: ${d('linesReread')}/${d('lines')} lines again (${d('linesChanged')} read otherwise), ${d('pagesReread')} whole (${d('pagesRereadNotClean')} not clean); ${direct} own model at once]`;
}

interface Score {
  cer: number;
  folded: number;
  bow: number;
  seconds: number;
  cpu: number;
}
const score = (truth: string, read: Read): Score => ({
  cer: characterErrorRate(truth, read.text),
  folded: foldedCharacterErrorRate(truth, read.text),
  bow: bagOfWordsError(truth, read.text),
  seconds: read.seconds,
  cpu: read.cpu,
});

// Warm both engines so the first page does not pay their start-up; tesseract's orientation worker too (started by
// the first page that needs OSD, it cost that page's "ours" read 0.6 CPU-s where "today", read second, found it started).
await tesseract.warmUp(['eng']);
await tesseractNoCascade?.warmUp(['eng']);
await tesseract.detectOrientation({ width: 64, height: 64, data: Uint8Array.from({ length: 64 * 64 }, (_, i) => (i % 64 < 32 ? 0 : 255)), dpi: 300 });
await paddle.recognize({ width: 64, height: 64, data: new Uint8Array(64 * 64).fill(255), dpi: 300 }, { languages: ['eng'] });
// And the pipeline itself, once each way on the first page, unmeasured: the process's first document paid ~0.5–0.9 CPU-s
// more than the same page read again (tess_eurotext, the samples' first page: 1.86 and 1.29 CPU-s, then 0.6–0.7 each way),
// and "ours", read first, paid more of it, which the samples' ratio counted as ours.
await ours(pages[0]!, true);
await ours(pages[0]!, false);
const rows: Array<{ page: BenchPage; plain: Score; ours: Score; today?: Score; strategy: string }> = [];
const pct = (x: number) => (x * 100).toFixed(1);
const fmt = (s: Score) => `${pct(s.cer).padStart(5)} ${pct(s.folded).padStart(5)} ${pct(s.bow).padStart(5)} ${s.seconds.toFixed(2).padStart(6)} ${s.cpu.toFixed(2).padStart(6)}`;
console.log(`pages: ${pages.length}; columns per reader: CER%, CER% ignoring case+punctuation, bag-of-words error%, seconds, CPU-seconds`);
const todayLabel = NO_CASCADE_PEER ? ' today (no cascade)                |' : ' today (tesseract.js only)         |';
console.log(`${'page'.padEnd(44)} | plain tesseract                   | ours                              |${args['no-today'] ? '' : todayLabel} strategy`);
for (const page of pages) {
  const p = score(page.truth, await plain(page));
  const o = await ours(page, true);
  const oScore = score(page.truth, o);
  const t = args['no-today'] ? undefined : score(page.truth, await ours(page, false));
  rows.push({ page, plain: p, ours: oScore, ...(t ? { today: t } : {}), strategy: o.strategy });
  console.log(`${`${page.kind}/${page.name}`.slice(0, 44).padEnd(44)} | ${fmt(p)} | ${fmt(oScore)} |${t ? ` ${fmt(t)} |` : ''} ${o.strategy}`);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const kindOf = (kind: string) => (kind.startsWith('variant:') ? kind : kind);
const kinds = [...new Set(rows.map((r) => kindOf(r.page.kind)))];
console.log('\nPer kind (mean over pages):');
console.log('| kind | pages | plain CER | ours CER | plain CER ign. case/punct. | ours | today | plain bag-of-words | ours | today | plain CPU-s/page | ours CPU-s/page | today CPU-s/page | ours/plain CPU | ours/today CPU | ours/today wall | worst page vs plain (pts) | pages > plain + 1 pt |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const kind of kinds) {
  const set = rows.filter((r) => kindOf(r.page.kind) === kind);
  const m = (pick: (r: (typeof set)[number]) => number) => mean(set.map(pick));
  const withToday = set.every((r) => r.today);
  const today = (pick: (s: Score) => number, format: (x: number) => string) => (withToday ? format(m((r) => pick(r.today!))) : '–');
  const ratio = (x: number, y: number) => (Number.isFinite(x / y) ? (x / y).toFixed(2) : '–');
  const worst = Math.max(...set.map((r) => (r.ours.folded - r.plain.folded) * 100));
  const worse = set.filter((r) => (r.ours.folded - r.plain.folded) * 100 > 1).length;
  const cells = [
    kind,
    set.length,
    pct(m((r) => r.plain.cer)),
    pct(m((r) => r.ours.cer)),
    pct(m((r) => r.plain.folded)),
    pct(m((r) => r.ours.folded)),
    today((s) => s.folded, pct),
    pct(m((r) => r.plain.bow)),
    pct(m((r) => r.ours.bow)),
    today((s) => s.bow, pct),
    m((r) => r.plain.cpu).toFixed(2),
    m((r) => r.ours.cpu).toFixed(2),
    today((s) => s.cpu, (x) => x.toFixed(2)),
    ratio(m((r) => r.ours.cpu), m((r) => r.plain.cpu)),
    withToday ? ratio(m((r) => r.ours.cpu), m((r) => r.today!.cpu)) : '–',
    withToday ? ratio(m((r) => r.ours.seconds), m((r) => r.today!.seconds)) : '–',
    worst.toFixed(1),
    worse,
  ];
  console.log(`| ${cells.join(' | ')} |`);
}
if (args.json) writeFileSync(args.json, JSON.stringify(rows.map((r) => ({ kind: r.page.kind, name: r.page.name, plain: r.plain, ours: r.ours, today: r.today, strategy: r.strategy })), null, 1));
console.log(`\ncascade (ours): ${JSON.stringify(tesseract.stats().cascade)}`);
await tesseract.close();
await tesseractNoCascade?.close();
await paddle.close();
