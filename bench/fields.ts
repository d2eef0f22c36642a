/**
 * bench:fields — receipt fields (merchant, date, total) and document categories on real scans: the
 * whole pipeline (core + engines, as `docvault ocr` runs it) on ../shared/corpus's receipts, scored
 * against each NAME.key.json, plus the category of every receipt, form and sample page.
 *
 *   npm run bench:fields
 *   npm run bench:fields -- --cache /tmp/fields-ocr   (reuse the OCR of an earlier run while tuning rules;
 *                                                      published figures come from a run without it)
 *   npm run bench:fields -- --cache /tmp/f --only sroie_0,sroie_1   (documents whose names hold any of these:
 *                                                      a long run split over processes that share the cache)
 *
 * The corpus is research-licensed: it is read from ../shared beside the repo (DOCVAULT_SHARED_DIR
 * overrides), never copied in.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { classifyDocument } from '../shared/core/classify.ts';
import { extractFields } from '../shared/core/fields/index.ts';
import { extractMetadata } from '../shared/core/metadata.ts';
import type { Category, Fields, PageResult } from '../shared/core/result.ts';
import { createOcr, packagedModelDirs } from '../shared/engines/index.ts';
import { scoreReceipt, summarize, type ReceiptKey } from './fields-score.ts';

const { values: args } = parseArgs({ options: { cache: { type: 'string' }, only: { type: 'string' } } });
const repoRoot = resolve(import.meta.dirname, '..');
const sharedDir = process.env.DOCVAULT_SHARED_DIR ?? resolve(repoRoot, '..', 'shared');
const corpus = join(sharedDir, 'corpus');
const FIXTURES = join(repoRoot, 'test', 'fixtures');

const IMAGE = /\.(?:jpe?g|png|tiff?|pdf|gif|bmp|webp|pbm)$/i;
/** Not documents to categorise: an invalid file and an encrypted one (no password here). */
const SKIP = new Set(['ocrmypdf_invalid.pdf', 'encrypted_tagged.pdf']);

interface Doc {
  kind: 'receipt' | 'form' | 'sample';
  name: string;
  file: string;
}

function listDocs(): Doc[] {
  const docs: Doc[] = [];
  const add = (kind: Doc['kind'], dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (!IMAGE.test(name) || SKIP.has(name) || docs.some((d) => d.kind === kind && d.name === name)) continue;
      docs.push({ kind, name, file: join(dir, name) });
    }
  };
  add('receipt', join(corpus, 'receipt'));
  add('form', join(corpus, 'form'));
  add('sample', join(sharedDir, 'samples'));
  add('sample', FIXTURES);
  const only = args.only?.split(',');
  return only ? docs.filter((d) => only.some((part) => d.name.includes(part))) : docs;
}

interface Read {
  text: string;
  pages: PageResult[];
}

const ocr = createOcr({ modelDirs: packagedModelDirs(), workers: 1 });
async function read(doc: Doc): Promise<Read> {
  const cacheFile = args.cache ? join(args.cache, doc.kind, doc.name + '.json') : undefined;
  if (cacheFile && existsSync(cacheFile)) return JSON.parse(readFileSync(cacheFile, 'utf8')) as Read;
  // Limits far above the defaults: on a shared machine a page's wall time follows everyone's load, and a page
  // that times out would score as unread.
  const { result } = await ocr.process(new Uint8Array(readFileSync(doc.file)), { limits: { pageTimeoutMs: 1_800_000, documentTimeoutMs: 3_600_000 } });
  const out: Read = { text: result.text, pages: result.pages };
  if (cacheFile) {
    mkdirSync(join(args.cache!, doc.kind), { recursive: true });
    writeFileSync(cacheFile, JSON.stringify(out));
  }
  return out;
}

const started = performance.now();
const categories: Record<Doc['kind'], Map<Category, string[]>> = { receipt: new Map(), form: new Map(), sample: new Map() };
const scores = [];
const baselineScores = [];

/**
 * The peer: what a user had before fields, from the same OCR text — the first line as the
 * merchant, the first date the metadata found, the largest amount it found.
 */
function baselineFields(text: string, metadata: ReturnType<typeof extractMetadata>): Fields {
  const evidence = { text: '', confidence: 0, rule: 'baseline', sources: [] };
  const firstLine = text.split('\n').find((l) => l.trim() !== '')?.trim();
  const date = metadata.dates[0]?.iso;
  const largest = [...metadata.amounts].sort((a, b) => b.value - a.value)[0];
  return {
    merchant: firstLine ? { value: firstLine, ...evidence } : null,
    date: date ? { value: date, ...evidence } : null,
    total: largest ? { value: largest.value, currency: largest.currency, ...evidence } : null,
    tax: null,
  };
}
try {
  for (const doc of listDocs()) {
    const { text, pages } = await read(doc);
    // The same derivation as the pipeline's, so cached reads score as a fresh run does.
    const metadata = extractMetadata(text);
    const classification = classifyDocument(text, metadata);
    const list = categories[doc.kind].get(classification.category) ?? [];
    list.push(doc.name);
    categories[doc.kind].set(classification.category, list);
    if (doc.kind !== 'receipt') continue;
    const key = JSON.parse(readFileSync(doc.file.replace(extname(doc.file), '.key.json'), 'utf8')) as ReceiptKey;
    const fields = extractFields(pages, classification);
    const score = scoreReceipt(fields, key);
    scores.push(score);
    baselineScores.push(scoreReceipt(baselineFields(text, metadata), key));
    const mark = (ok: boolean) => (ok ? 'ok ' : 'NO ');
    console.log(
      `${basename(doc.name, extname(doc.name)).padEnd(11)} ${classification.category.padEnd(8)}` +
        ` merchant ${mark(score.merchant.ok)}${JSON.stringify(score.merchant.got)} (key ${JSON.stringify(key.company)})` +
        ` | date ${mark(score.date.ok)}${score.date.got ?? '-'} (key ${key.date})` +
        ` | total ${mark(score.total.ok)}${score.total.got ?? '-'} (key ${key.total})`,
    );
  }
} finally {
  await ocr.close();
}

const summary = summarize(scores);
const baseline = summarize(baselineScores);
const line = (s: typeof summary) => `merchant ${s.merchant}/${s.receipts}, date ${s.date}/${s.receipts}, total ${s.total}/${s.receipts}`;
console.log(`\nfields on ${summary.receipts} receipts: ${line(summary)}`);
console.log(`baseline on the same OCR text (first line, first date, largest amount): ${line(baseline)}`);
for (const [kind, counts] of Object.entries(categories)) {
  const total = [...counts.values()].reduce((n, names) => n + names.length, 0);
  const parts = [...counts.entries()].sort((a, b) => b[1].length - a[1].length).map(([c, names]) => `${c} ${names.length}`);
  console.log(`category over ${total} ${kind}s: ${parts.join(', ')}`);
  if (kind === 'sample' && counts.has('receipt')) console.log(`  samples read as receipts: ${counts.get('receipt')!.join(', ')}`);
}
console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s${args.cache ? `, OCR cache ${args.cache}` : ''})`);
