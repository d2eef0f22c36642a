/** The engine's words come from tesseract's TSV; they must be the words of its JSON, box for box. */
import Tesseract from 'tesseract.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectDocumentType } from '../../../shared/core/document-type.ts';
import { toPgm } from '../../../shared/core/grey-image.ts';
import { documentOpener } from '../../../shared/engines/document-opener.ts';
import { ModelStore, packagedModelDirs } from '../../../shared/engines/index.ts';
import { wordsFromTsv } from '../../../shared/engines/tesseract-page.ts';
import { fixture } from '../../support/fixtures.ts';

let worker: Tesseract.Worker;

beforeAll(async () => {
  const langPath = await new ModelStore(packagedModelDirs()).langPath(['eng']);
  worker = await Tesseract.createWorker('eng', Tesseract.OEM.LSTM_ONLY, { langPath, gzip: false, cacheMethod: 'none', errorHandler: () => undefined });
});
afterAll(async () => {
  await worker?.terminate();
});

describe('wordsFromTsv', () => {
  it.each(['tess_eurotext.tif', 'ocrmypdf_c02-22.pdf'])('%s: the same words, boxes, confidences and lines as the JSON of blocks', async (name) => {
    const bytes = fixture(name);
    const source = await documentOpener.open(bytes, await detectDocumentType(bytes), { dpi: 300, defaultImageDpi: 300, maxPixelsPerPage: 1e8 });
    const image = await (await source.page(0)).render();
    await source.close();
    const { data } = await worker.recognize(Buffer.from(toPgm(image)), { user_defined_dpi: '300' } as object, { text: true, tsv: true, blocks: true });
    const fromJson: Array<{ text: string; bbox: object; confidence: number; line: number }> = [];
    let line = 0;
    for (const block of data.blocks ?? []) {
      for (const paragraph of block.paragraphs) {
        for (const l of paragraph.lines) {
          for (const w of l.words) if (w.text.trim()) fromJson.push({ text: w.text, bbox: { ...w.bbox }, confidence: w.confidence, line });
          line += 1;
        }
      }
    }
    const fromTsv = wordsFromTsv(data.tsv!);
    expect(fromTsv.length).toBeGreaterThan(40);
    expect(fromTsv.map((w) => [w.text, w.bbox, w.line])).toEqual(fromJson.map((w) => [w.text, w.bbox, w.line]));
    // The JSON gives whole-number confidences; the TSV keeps the decimals.
    for (const [i, w] of fromTsv.entries()) expect(Math.abs(w.confidence - Math.max(0, Math.min(100, fromJson[i]!.confidence)))).toBeLessThanOrEqual(1);
  });
});
