/**
 * bench:pdf's pages read two ways in one process, the same worker script, one thread each: the whole page with
 * tessdata best_int (what `docvault ocr` does), and a line cascade (the page with tessdata_fast, then only the lines
 * where fast is unsure read again by best_int, each as one line in its box). Prints CPU-s a page and the CER of
 * best_int's read, fast's read and the cascade's. The lever measured alone; the engine's own cascade (a `{lang}_fast`
 * model beside the language's, shared/engines/tesseract-cascade.ts) is measured by bench:pdf with such a --model-dir.
 *
 *   node bench/pdf-cascade.ts [--rounds 2] [--unsure 85] [--fast-dir /usr/share/tesseract-ocr/5/tessdata]
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Tesseract from 'tesseract.js';
import { toPbm } from '../shared/core/grey-image.ts';
import { characterErrorRate } from '../shared/core/text-metrics.ts';
import { decodeNetpbm } from '../shared/engines/netpbm.ts';
import { atReadingResolution } from '../shared/engines/reading-resolution.ts';
import { wordsFromTsv } from '../shared/engines/tesseract-page.ts';
import { tesseractWorkerUrl } from '../shared/engines/tesseract-worker-script.ts';
import type { RecognizedWord } from '../shared/core/ports.ts';
import { buildBenchDocument } from './pdf-document.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    unsure: { type: 'string', default: '85' },
    'fast-dir': { type: 'string', default: '/usr/share/tesseract-ocr/5/tessdata' },
  },
});
const ROOT = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'bench-cascade-'));
// Two pages: the document's two layouts (its 10 pages are these, alternating).
const doc = await buildBenchDocument(resolve(ROOT, 'test/fixtures'), work, 2);

const worker = (langPath: string, gzip: boolean) =>
  Tesseract.createWorker('eng', Tesseract.OEM.LSTM_ONLY, { langPath, gzip, cacheMethod: 'none', workerPath: tesseractWorkerUrl() as unknown as string, errorHandler: () => undefined });
const best = await worker(resolve(ROOT, 'node_modules/@tesseract.js-data/eng/4.0.0_best_int'), true);
const fast = await worker(args['fast-dir'], false);

/** A page as `docvault ocr` hands it to tesseract: at the DPI its text needs, as PBM. */
async function pageAsRead(file: string): Promise<{ pbm: Buffer; dpi: number }> {
  const pixels = decodeNetpbm(readFileSync(file), 1e8);
  const image = await atReadingResolution({ width: pixels.width, height: pixels.height, data: pixels.data, dpi: 300 });
  return { pbm: Buffer.from(toPbm(image)), dpi: image.dpi };
}

async function cpu<T>(work: () => Promise<T>): Promise<[T, number]> {
  const before = process.cpuUsage();
  const result = await work();
  const used = process.cpuUsage(before);
  return [result, (used.user + used.system) / 1e6];
}

const UNSURE = Number(args.unsure);
const totals = { best: 0, cascade: 0, lines: 0, reread: 0 };
const texts = { best: [] as string[], fast: [] as string[], cascade: [] as string[] };
for (const [index, file] of ['layout-0.pbm', 'layout-1.pbm'].entries()) {
  const { pbm, dpi } = await pageAsRead(join(work, file));
  const params = { tessedit_pageseg_mode: '3', user_defined_dpi: String(dpi), debug_file: '/dev/null' } as object;
  // Warm-up: the first read of a worker compiles the WASM's hot functions.
  await best.recognize(pbm, params, { text: true });
  await fast.recognize(pbm, params, { text: true });
  for (let round = 0; round < Number(args.rounds); round++) {
    const [bestRead, bestCpu] = await cpu(() => best.recognize(pbm, params, { text: true, tsv: true }));
    const [fastRead, fastCpu] = await cpu(() => fast.recognize(pbm, params, { text: true, tsv: true }));
    const lines = new Map<number, RecognizedWord[]>();
    for (const w of wordsFromTsv(fastRead.data.tsv ?? '')) lines.set(w.line, [...(lines.get(w.line) ?? []), w]);
    let rereadCpu = 0;
    const kept: string[] = [];
    for (const words of lines.values()) {
      totals.lines += 1;
      if (Math.min(...words.map((w) => w.confidence)) >= UNSURE) {
        kept.push(words.map((w) => w.text).join(' '));
        continue;
      }
      totals.reread += 1;
      const pad = Math.round((Math.max(...words.map((w) => w.bbox.y1)) - Math.min(...words.map((w) => w.bbox.y0))) * 0.3);
      const left = Math.max(0, Math.min(...words.map((w) => w.bbox.x0)) - pad);
      const top = Math.max(0, Math.min(...words.map((w) => w.bbox.y0)) - pad);
      const rectangle = { left, top, width: Math.max(...words.map((w) => w.bbox.x1)) + pad - left, height: Math.max(...words.map((w) => w.bbox.y1)) + pad - top };
      const [line, lineCpu] = await cpu(() => best.recognize(pbm, { ...params, tessedit_pageseg_mode: '7', rectangle } as object, { text: true }));
      rereadCpu += lineCpu;
      kept.push(line.data.text.trim());
    }
    totals.best += bestCpu;
    totals.cascade += fastCpu + rereadCpu;
    process.stderr.write(`page ${index + 1} round ${round + 1}: best_int ${bestCpu.toFixed(2)} CPU-s, cascade ${fastCpu.toFixed(2)} + ${rereadCpu.toFixed(2)} (lines read again)\n`);
    if (round === 0) {
      texts.best.push(bestRead.data.text);
      texts.fast.push(fastRead.data.text);
      texts.cascade.push(kept.join('\n'));
    }
  }
}
await Promise.all([best.terminate(), fast.terminate()]);

const cer = (text: string[]) => `${(characterErrorRate(doc.truth, text.join('\n\n')) * 100).toFixed(2)}%`;
const pages = 2 * Number(args.rounds);
process.stdout.write(`| read | CPU-s a page | × best_int | CER |
|---|---|---|---|
| best_int, whole page | ${(totals.best / pages).toFixed(2)} | 1.00× | ${cer(texts.best)} |
| fast, whole page | — | — | ${cer(texts.fast)} |
| fast, then best_int on lines with a word under ${UNSURE} | ${(totals.cascade / pages).toFixed(2)} | ${(totals.cascade / totals.best).toFixed(2)}× | ${cer(texts.cascade)} |

Lines read again: ${totals.reread} of ${totals.lines}.
`);
