/**
 * bench:text-layer — what the searchable PDF's invisible text costs to build, against reading the pages: bench:pdf's
 * 10-page scan (bench/pdf-document.ts) is read once for a searchable PDF, then the PDF is built from that read again
 * and again, with the result's words (shared/outputs/text-layer.ts) and without any (the image layer alone: here the
 * kept original pages), taking turns; CPU of this process (the OCR workers' threads included), medians.
 *
 *   npm run bench:text-layer                 (5 builds of each)
 *   npm run bench:text-layer -- --builds 9 --model-dir DIR
 */
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createOcr, modelDirs } from '../shared/engines/index.ts';
import { buildSearchablePdf } from '../shared/outputs/searchable-pdf.ts';
import { buildBenchDocument } from './pdf-document.ts';

const { values: args } = parseArgs({ options: { builds: { type: 'string', default: '5' }, 'model-dir': { type: 'string', multiple: true, default: [] } } });
const BUILDS = Number(args.builds);
const ROOT = resolve(import.meta.dirname, '..');
const doc = await buildBenchDocument(resolve(ROOT, 'test/fixtures'), mkdtempSync(join(tmpdir(), 'bench-text-layer-')));
const original = new Uint8Array(await readFile(doc.pdf));

const cpuS = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

const ocr = createOcr({ modelDirs: modelDirs(args['model-dir']) });
const readStarted = cpuS();
const output = await ocr.process(original, { searchablePdf: true });
const readCpuS = cpuS() - readStarted;
await ocr.close();

const bare = { ...output.result, pages: output.result.pages.map((p) => ({ ...p, words: [] })) };
const words = output.result.pages.reduce((n, p) => n + p.words.length, 0);
const timings = { withText: [] as number[], imageOnly: [] as number[] };
const sizes = { withText: 0, imageOnly: 0 };
await buildSearchablePdf(original, output.result, output.artifacts); // warm-up: modules, compiled code
for (let i = 0; i < BUILDS; i++) {
  let started = cpuS();
  sizes.withText = (await buildSearchablePdf(original, output.result, output.artifacts)).length;
  timings.withText.push(cpuS() - started);
  started = cpuS();
  sizes.imageOnly = (await buildSearchablePdf(original, bare, output.artifacts)).length;
  timings.imageOnly.push(cpuS() - started);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const perPageMs = (s: number) => ((s / doc.pages) * 1000).toFixed(1);
const layerS = median(timings.withText) - median(timings.imageOnly);
process.stdout.write(`### bench:text-layer — ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}

Command: \`npm run bench:text-layer -- --builds ${BUILDS}${args['model-dir'].map((d) => ` --model-dir ${d}`).join('')}\`. ${doc.pages} pages (bench/pdf-document.ts), ${words} words;
CPU of this process, medians of ${BUILDS} builds each, taking turns.

| | CPU | per page | PDF size |
|---|---|---|---|
| reading the pages (once, searchable PDF) | ${readCpuS.toFixed(2)} s | ${perPageMs(readCpuS)} ms | — |
| building the PDF, image layer only | ${median(timings.imageOnly).toFixed(3)} s | ${perPageMs(median(timings.imageOnly))} ms | ${Math.round(sizes.imageOnly / 1024)} KB |
| building the PDF with the text layer | ${median(timings.withText).toFixed(3)} s | ${perPageMs(median(timings.withText))} ms | ${Math.round(sizes.withText / 1024)} KB |
| the text layer alone | ${layerS.toFixed(3)} s | ${perPageMs(layerS)} ms | ${Math.round((sizes.withText - sizes.imageOnly) / 1024)} KB |

The text layer costs ${((layerS / readCpuS) * 100).toFixed(2)}% of reading the pages.
`);
