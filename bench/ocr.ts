/**
 * bench:ocr — tesseract.js (through our engine) against the native tesseract CLI on the same pages
 * and the same traineddata, one thread each; worker start-up; RSS across 200 pages through one pool.
 *
 *   npm run bench:ocr                 (pages rendered at 300 dpi from test/fixtures)
 *   npm run bench:ocr -- --pool-pages 200 --repeat 3
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import Tesseract from 'tesseract.js';
import { detectDocumentType } from '../shared/core/document-type.ts';
import { toPgm } from '../shared/core/grey-image.ts';
import type { GreyImage } from '../shared/core/ports.ts';
import { characterErrorRate } from '../shared/core/text-metrics.ts';
import { documentOpener } from '../shared/engines/document-opener.ts';
import { createOcr, ModelStore, packagedModelDirs, TesseractEngine } from '../shared/engines/index.ts';

const { values: args } = parseArgs({
  options: {
    repeat: { type: 'string', default: '3' },
    'pool-pages': { type: 'string', default: '200' },
  },
});
const REPEAT = Number(args.repeat);
const POOL_PAGES = Number(args['pool-pages']);
const FIXTURES = new URL('../test/fixtures/', import.meta.url).pathname;
const PAGES = ['tess_phototest.tif', 'tessjs_testocr.png', 'tess_eurotext.tif', 'ocrmypdf_c02-22.pdf', 'ocrmypdf_skew.pdf'];
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// One traineddata file for both engines: the npm package's eng best_int, unzipped for the CLI.
const models = new ModelStore(packagedModelDirs());
const eng = await models.file('eng');
const tessdata = mkdtempSync(join(tmpdir(), 'bench-tessdata-'));
writeFileSync(join(tessdata, 'eng.traineddata'), eng.gzipped ? gunzipSync(readFileSync(eng.path)) : readFileSync(eng.path));

// The same page images for both: each fixture's first page as a 300-dpi greyscale PGM.
const work = mkdtempSync(join(tmpdir(), 'bench-pages-'));
const pages: Array<{ name: string; image: GreyImage; file: string; truth?: string }> = [];
for (const name of PAGES) {
  const bytes = new Uint8Array(readFileSync(FIXTURES + name));
  const source = await documentOpener.open(bytes, await detectDocumentType(bytes), { dpi: 300, defaultImageDpi: 300, maxPixelsPerPage: 1e8 });
  const image = await (await source.page(0)).render();
  await source.close();
  const file = join(work, name + '.pgm');
  writeFileSync(file, toPgm(image));
  let truth: string | undefined;
  try {
    truth = readFileSync(FIXTURES + name.replace(/\.[^.]+$/, '.gt.txt'), 'utf8');
  } catch {
    truth = undefined;
  }
  pages.push({ name, image, file, truth });
}

const nativeVersion = execFileSync('tesseract', ['--version'], { encoding: 'utf8' }).split('\n')[0];
const nativeEnv = { ...process.env, OMP_THREAD_LIMIT: '1' };
/** One native process over a list of images: start-up is paid once, like a warm worker. */
function nativeRun(files: string[], dpi: number): { ms: number; text: string } {
  const list = join(work, 'list.txt');
  writeFileSync(list, files.join('\n') + '\n');
  const started = performance.now();
  const run = spawnSync('tesseract', [list, 'stdout', '--tessdata-dir', tessdata, '-l', 'eng', '--oem', '1', '--psm', '3', '--dpi', String(dpi)], {
    env: nativeEnv,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`native tesseract failed: ${run.stderr}`);
  return { ms: performance.now() - started, text: run.stdout };
}

// Worker start-up, as our engine starts one (traineddata from the local folder, no cache writes).
const startups: number[] = [];
const langPath = await models.langPath(['eng']);
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  const w = await Tesseract.createWorker('eng', Tesseract.OEM.LSTM_ONLY, { langPath, gzip: false, cacheMethod: 'none', errorHandler: () => undefined });
  startups.push(performance.now() - t);
  await w.terminate();
}
const nativeStartup = median([0, 1, 2].map(() => nativeRun([pages[1]!.file], 300).ms)) - 0; // includes one small page

// Per page, one thread each: the native CLI with OMP_THREAD_LIMIT=1, one tesseract.js worker.
const engine = new TesseractEngine({ models, workers: 1 });
await engine.warmUp(['eng']);
const rows: string[] = [];
const ratios: number[] = [];
const bareRatios: number[] = [];
const bare = await Tesseract.createWorker('eng', Tesseract.OEM.LSTM_ONLY, { langPath, gzip: false, cacheMethod: 'none', errorHandler: () => undefined });
for (const page of pages) {
  const nativeMs = nativeRun(Array(REPEAT).fill(page.file), page.image.dpi).ms / REPEAT;
  const jsTimes: number[] = [];
  let jsText = '';
  for (let i = 0; i < REPEAT; i++) {
    const t = performance.now();
    jsText = (await engine.recognize(page.image, { languages: ['eng'] })).text;
    jsTimes.push(performance.now() - t);
  }
  const jsMs = median(jsTimes);
  // The bare engine, as the native CLI runs: text only, no deskew pass, no word boxes.
  const bareTimes: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const t = performance.now();
    await bare.recognize(Buffer.from(toPgm(page.image)), { tessedit_pageseg_mode: '3', user_defined_dpi: String(page.image.dpi), debug_file: '/dev/null' } as object, { text: true });
    bareTimes.push(performance.now() - t);
  }
  const bareMs = median(bareTimes);
  bareRatios.push(bareMs / nativeMs);
  const nativeText = nativeRun([page.file], page.image.dpi).text;
  const ratio = jsMs / nativeMs;
  ratios.push(ratio);
  const cer = (t: string) => (page.truth ? (characterErrorRate(page.truth, t) * 100).toFixed(2) + '%' : '—');
  rows.push(
    `| ${page.name} | ${page.image.width}×${page.image.height} | ${(nativeMs / 1000).toFixed(2)} | ${(bareMs / 1000).toFixed(2)} | ${(bareMs / nativeMs).toFixed(2)}× | ${(jsMs / 1000).toFixed(2)} | ${ratio.toFixed(2)}× | ${cer(nativeText)} | ${cer(jsText)} |`,
  );
}
await engine.close();
await bare.terminate();

// Memory across many pages through one pool (default recycling), whole documents through the pipeline.
const ocr = createOcr({ modelDirs: packagedModelDirs(), workers: 2 });
const poolDocs = ['tess_phototest.tif', 'tessjs_testocr.png', 'tess_eurotext.tif'].map((n) => new Uint8Array(readFileSync(FIXTURES + n)));
await ocr.process(poolDocs[0]!);
const rssSamples: Array<[number, number]> = [[0, process.memoryUsage().rss]];
let done = 0;
const poolStarted = performance.now();
while (done < POOL_PAGES) {
  await Promise.all([0, 1].map(() => ocr.process(poolDocs[done++ % poolDocs.length]!)));
  if (done % 50 === 0 || done >= POOL_PAGES) rssSamples.push([done, process.memoryUsage().rss]);
}
const poolSeconds = (performance.now() - poolStarted) / 1000;
const stats = ocr.engine.stats();
await ocr.close();

const report = `### bench:ocr — ${new Date().toISOString().slice(0, 10)}, ${process.version}, tesseract.js ${engine.version}, native ${nativeVersion}

Command: \`npm run bench:ocr -- --repeat ${REPEAT} --pool-pages ${POOL_PAGES}\`. Same PGM pages (300 dpi renders of the fixtures), same
traineddata (npm \`@tesseract.js-data/eng\` 4.0.0_best_int), psm 3, one thread each (\`OMP_THREAD_LIMIT=1\` for native,
one worker for tesseract.js), median of ${REPEAT} runs (native: one process over the page repeated, start-up amortised).

| page | pixels | native s/page | tesseract.js bare s/page | ratio | our engine s/page | ratio | native CER | our CER |
|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

- "bare" is tesseract.js as the CLI runs (text only); "our engine" adds what the product does per page: a
  layout-only skew pass on a ≤0.6 MP copy, turning pages skewed by 1° or more (libvips), and word boxes.
- Median ratio, bare tesseract.js / native: **${median(bareRatios).toFixed(2)}×** (range ${Math.min(...bareRatios).toFixed(2)}–${Math.max(...bareRatios).toFixed(2)}×).
- Median ratio, our engine / native: **${median(ratios).toFixed(2)}×** (range ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×).
- Worker start-up (createWorker, local traineddata): median ${Math.round(median(startups))} ms; native CLI process incl. one small page: ${Math.round(nativeStartup)} ms.
- Pool of 2 workers, ${done} pages (whole documents through the pipeline, OSD on): ${poolSeconds.toFixed(1)} s, ${stats.workersStarted} workers started (recycled every 100 pages).
- RSS by pages done: ${rssSamples.map(([n, rss]) => `${n}: ${mb(rss)} MB`).join(', ')}; peak RSS of the run ${mb(process.resourceUsage().maxRSS * 1024)} MB.
`;
process.stdout.write(report);
