/**
 * The main thread's measures of a page before it is read, each timed alone on the pages as the pipeline renders them:
 * polarity (page-polarity.ts), skew (page-skew.ts), text height (text-height.ts), the engine's dark-area check and its
 * input (tesseract-page.ts). Prints CPU ms per page (the median of `--repeat` calls, and the process's first call, which
 * a cold `docvault ocr` pays before V8 has optimised anything) and each measure's decision, so that two checkouts can be
 * compared page for page (`--json`).
 *
 *   node bench/page-measures.ts                                # fixtures, samples, the corpus's forms and receipts, bench:pdf's pages
 *   node bench/page-measures.ts --repeat 3 --json /tmp/x.json  # decisions to compare with another checkout's
 *
 * The corpus is read from ../shared (beside the repository) or DOCVAULT_SHARED_DIR; never copied.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { detectDocumentType } from '../shared/core/document-type.ts';
import { isBilevel } from '../shared/core/grey-image.ts';
import { darkTextOnLight } from '../shared/core/page-polarity.ts';
import { measurePageSkew } from '../shared/core/page-skew.ts';
import type { GreyImage } from '../shared/core/ports.ts';
import { measureTextHeight } from '../shared/core/text-height.ts';
import { documentOpener } from '../shared/engines/document-opener.ts';
import { engineInput, hasDarkArea } from '../shared/engines/tesseract-page.ts';
import { buildBenchDocument } from './pdf-document.ts';

const { values: args } = parseArgs({
  options: {
    repeat: { type: 'string', default: '5' },
    json: { type: 'string' },
    /** Pages of bench:pdf's document measured (its two layouts alternate). */
    'pdf-pages': { type: 'string', default: '2' },
    /** Only these files (the first call of each measure is then a cold process's: `first` in the JSON). */
    file: { type: 'string', multiple: true },
  },
});
const REPEAT = Math.max(1, Number(args.repeat));
const REPO = resolve(import.meta.dirname, '..');
const SHARED = process.env.DOCVAULT_SHARED_DIR ?? resolve(REPO, '..', 'shared');
const IMAGE = /\.(png|jpe?g|tiff?|gif|webp|bmp|pbm|pdf)$/i;

const files = args.file ?? [...listed(join(REPO, 'test', 'fixtures')), ...listed(join(SHARED, 'corpus', 'form')), ...listed(join(SHARED, 'corpus', 'receipt'))];
if (!args.file) files.push((await buildBenchDocument(join(REPO, 'test', 'fixtures'), mkdtempSync(join(tmpdir(), 'bench-page-measures-')), Number(args['pdf-pages']))).pdf);

function listed(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => IMAGE.test(f) && !f.startsWith('encrypted')).sort().map((f) => join(dir, f)) : [];
}

async function pagesOf(file: string): Promise<GreyImage[]> {
  const bytes = new Uint8Array(readFileSync(file));
  try {
    const source = await documentOpener.open(bytes, await detectDocumentType(bytes), { dpi: 300, defaultImageDpi: 300, maxPixelsPerPage: 1e8 });
    const pages: GreyImage[] = [];
    for (let i = 0; i < source.pageCount; i++) pages.push(await (await source.page(i)).render());
    await source.close();
    return pages;
  } catch {
    return []; // a fixture that is not a readable document (ocrmypdf_invalid.pdf)
  }
}

/** CPU ms of the main thread for one call (the measures are synchronous). */
function cpuMs(work: () => unknown): number {
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

const MEASURES = {
  polarity: (page: GreyImage) => darkTextOnLight(page).inverted,
  skew: (page: GreyImage) => measurePageSkew(page),
  // A copy each call: the measure is remembered by image.
  textHeight: (page: GreyImage) => measureTextHeight({ ...page }),
  darkArea: (page: GreyImage) => hasDarkArea(page),
  engineInput: (page: GreyImage) => engineInput(page).length,
} as const;
type Measure = keyof typeof MEASURES;

const rows: Array<{ page: string; pixels: number; bilevel: boolean; first: Record<string, number>; median: Record<string, number>; decisions: Record<string, unknown> }> = [];
for (const file of files) {
  for (const [index, rendered] of (await pagesOf(file)).entries()) {
    const page = darkTextOnLight(rendered).image;
    const first: Record<string, number> = {};
    const median: Record<string, number> = {};
    const decisions: Record<string, unknown> = {};
    for (const name of Object.keys(MEASURES) as Measure[]) {
      const measure = MEASURES[name];
      const subject = name === 'polarity' ? rendered : page;
      first[name] = cpuMs(() => (decisions[name] = measure(subject)));
      const times = Array.from({ length: REPEAT }, () => cpuMs(() => measure(subject)));
      median[name] = times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
    }
    rows.push({ page: `${file.slice(file.lastIndexOf('/') + 1)}#${index + 1}`, pixels: page.width * page.height, bilevel: isBilevel(page), first, median, decisions });
  }
}

const names = Object.keys(MEASURES) as Measure[];
console.log(`CPU ms per call, median of ${REPEAT} after the first (the first: in the JSON); decisions: inverted, skew degrees / plain / level, text height body / small / letters, dark area`);
console.log(`${'page'.padEnd(34)} ${'MP'.padStart(5)} | ${names.map((n) => n.padStart(11)).join(' ')} |    all | decisions`);
for (const r of rows) {
  const all = names.reduce((a, n) => a + r.median[n]!, 0);
  const skew = r.decisions.skew as { degrees: number; plain: boolean; level: boolean };
  const height = r.decisions.textHeight as { body: number; small: number; letters: number } | null;
  console.log(
    `${r.page.slice(0, 34).padEnd(34)} ${(r.pixels / 1e6).toFixed(2).padStart(5)} | ${names.map((n) => r.median[n]!.toFixed(1).padStart(11)).join(' ')} | ${all.toFixed(1).padStart(6)} | ` +
      `${r.decisions.polarity ? 'inv ' : ''}skew ${skew.degrees}/${skew.plain ? 'plain' : '-'}/${skew.level ? 'level' : '-'} height ${height ? `${height.body}/${height.small}/${height.letters}` : 'none'} dark ${r.decisions.darkArea ? 'yes' : 'no'}`,
  );
}
const total = (n: Measure) => rows.reduce((a, r) => a + r.median[n]!, 0);
console.log(`${'sum'.padEnd(34)} ${''.padStart(5)} | ${names.map((n) => total(n).toFixed(1).padStart(11)).join(' ')} | ${names.reduce((a, n) => a + total(n), 0).toFixed(1).padStart(6)}`);
if (args.json) writeFileSync(args.json, JSON.stringify(rows, null, 1));
