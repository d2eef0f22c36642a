/**
 * Tesseract's parameters, A/B in one process: each variant is a TesseractEngine of its own (one worker) given other
 * parameters, and every page goes through the whole pipeline (tesseract.js only, as bench:accuracy's "today") once per
 * variant, the variants' order turning from page to page. Prints CPU-s a page (the process's, so the pipeline's own work
 * is in every variant alike) and CER per kind and variant, and how many pages read differently from the first variant.
 *
 *   node bench/engine-params.ts --variants default,no-invert --kinds pdf,receipt,form,sample [--limit 5] [--rounds 1]
 *
 * Kinds: pdf (bench:pdf's document, its two layouts), receipt and form (../shared/corpus, read in place), sample
 * (../shared/samples). The corpus is read from ../shared (beside the repository) or DOCVAULT_SHARED_DIR.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { processDocument } from '../shared/core/pipeline.ts';
import { characterErrorRate } from '../shared/core/text-metrics.ts';
import { documentOpener } from '../shared/engines/document-opener.ts';
import { modelDirs, ModelStore, TesseractEngine } from '../shared/engines/index.ts';
import { TESSERACT_PARAMETERS, type TesseractParameters } from '../shared/engines/tesseract-engine.ts';
import { buildBenchDocument } from './pdf-document.ts';

/** The variants: each is the engine's defaults with these parameters on top. */
const VARIANTS: Record<string, Partial<TesseractParameters>> = {
  default: {},
  /** tesseract's default, the engine's before it turned the inverted re-read on only for a page with a dark area. */
  'always-invert': { page: { tessedit_do_invert: '1' } },
  'no-invert': { page: { tessedit_do_invert: '0' } },
  'no-word-dawg': { init: { load_system_dawg: '0', load_freq_dawg: '0' } },
  'no-dawgs': { init: { load_system_dawg: '0', load_freq_dawg: '0', load_punc_dawg: '0', load_number_dawg: '0' } },
  'no-tables': { page: { textord_tabfind_find_tables: '0' } },
};

const { values: args } = parseArgs({
  options: {
    variants: { type: 'string', default: 'default,no-invert' },
    kinds: { type: 'string', default: 'pdf,receipt,form,sample' },
    limit: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '1' },
  },
});
const REPO = resolve(import.meta.dirname, '..');
const SHARED = process.env.DOCVAULT_SHARED_DIR ?? resolve(REPO, '..', 'shared');
const KINDS = new Set(args.kinds.split(','));
const LIMIT = Number(args.limit);
const names = args.variants.split(',');
for (const name of names) if (!VARIANTS[name]) throw new Error(`unknown variant ${name}; known: ${Object.keys(VARIANTS).join(', ')}`);

interface Page {
  kind: string;
  name: string;
  file: string;
  truth: string;
  /** Pages in the file (bench:pdf's document: 2): CPU is given a page. */
  pages: number;
}
function withTruth(dir: string, kind: string): Page[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => !/\.(txt|json|md)$/.test(f))
    .flatMap((f) => {
      const truth = join(dir, `${f.replace(/\.[^.]+$/, '')}.gt.txt`);
      return existsSync(truth) ? [{ kind, name: f, file: join(dir, f), truth: readFileSync(truth, 'utf8'), pages: 1 }] : [];
    })
    .slice(0, LIMIT);
}
const pages: Page[] = [];
if (KINDS.has('pdf')) {
  const doc = await buildBenchDocument(resolve(REPO, 'test/fixtures'), mkdtempSync(join(tmpdir(), 'bench-engine-params-')), 2);
  pages.push({ kind: 'pdf', name: 'bench:pdf, 2 pages', file: doc.pdf, truth: doc.truth, pages: doc.pages });
}
if (KINDS.has('receipt')) pages.push(...withTruth(join(SHARED, 'corpus', 'receipt'), 'receipt'));
if (KINDS.has('form')) pages.push(...withTruth(join(SHARED, 'corpus', 'form'), 'form'));
if (KINDS.has('sample')) pages.push(...withTruth(join(SHARED, 'samples'), 'sample'));

const models = new ModelStore(modelDirs([]));
const engines = names.map((name) => {
  const v = VARIANTS[name]!;
  const parameters = { init: { ...TESSERACT_PARAMETERS.init, ...v.init }, page: { ...TESSERACT_PARAMETERS.page, ...v.page } };
  return { name, engine: new TesseractEngine({ models, workers: 1, cascade: false, parameters }) };
});

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
async function read(engine: TesseractEngine, page: Page): Promise<{ text: string; cpu: number }> {
  const bytes = new Uint8Array(readFileSync(page.file));
  const before = cpuNow();
  const { result } = await processDocument(bytes, { languages: ['eng'], limits: { pageTimeoutMs: 1_800_000, documentTimeoutMs: 3_600_000 } }, { opener: documentOpener, engine, concurrency: 1 });
  return { text: result.text, cpu: (cpuNow() - before) / page.pages };
}

// Unmeasured: each engine's worker started, its OSD worker too, and its first read (the WASM's compile) done.
for (const { engine } of engines) {
  await engine.warmUp(['eng']);
  await engine.detectOrientation({ width: 64, height: 64, data: Uint8Array.from({ length: 64 * 64 }, (_, i) => (i % 64 < 32 ? 0 : 255)), dpi: 300 });
  await read(engine, pages[0]!);
}

interface Row {
  kind: string;
  cpu: number[];
  cer: number[];
  differs: number[];
}
const rows = new Map<string, Row[]>();
console.log(`pages: ${pages.length}, rounds: ${args.rounds}; per page: CPU-s and CER% per variant (${names.join(' | ')})`);
let turn = 0;
for (let round = 0; round < Number(args.rounds); round++) {
  for (const page of pages) {
    const reads: Array<{ text: string; cpu: number }> = new Array(engines.length);
    for (let k = 0; k < engines.length; k++) {
      const i = (k + turn) % engines.length;
      reads[i] = await read(engines[i]!.engine, page);
    }
    turn += 1;
    const row: Row = {
      kind: page.kind,
      cpu: reads.map((r) => r.cpu),
      cer: reads.map((r) => characterErrorRate(page.truth, r.text)),
      differs: reads.map((r) => (r.text === reads[0]!.text ? 0 : 1)),
    };
    rows.set(page.kind, [...(rows.get(page.kind) ?? []), row]);
    console.log(`${page.kind}/${page.name}`.slice(0, 48).padEnd(48), names.map((_, i) => `${row.cpu[i]!.toFixed(2)} s ${(row.cer[i]! * 100).toFixed(2)}%`).join(' | '));
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
console.log(`\n| kind | reads | ${names.map((n) => `${n}: CPU-s/page | CER | ×${names[0]} CPU | pages read differently`).join(' | ')} |`);
console.log(`|---|---|${names.map(() => '---|---|---|---|').join('')}`);
for (const [kind, set] of rows) {
  const cpu = names.map((_, i) => mean(set.map((r) => r.cpu[i]!)));
  const cells = names.map((_, i) => `${cpu[i]!.toFixed(2)} | ${(mean(set.map((r) => r.cer[i]!)) * 100).toFixed(2)}% | ${(cpu[i]! / cpu[0]!).toFixed(2)}× | ${set.reduce((a, r) => a + r.differs[i]!, 0)}`);
  console.log(`| ${kind} | ${set.length} | ${cells.join(' | ')} |`);
}
console.log(`\nReads with the inverted re-read on: ${engines.map(({ name, engine }) => `${name} ${engine.stats().invertingReads} of ${engine.stats().pagesRead}`).join(', ')} (warm-up included)`);
for (const { engine } of engines) await engine.close();
