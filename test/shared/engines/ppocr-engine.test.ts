/**
 * PP-OCRv4 behind the OcrEngine port, on real pixels: a public sample and a generated ruled table
 * (the kind of page it is chosen for), with spaces between words restored and rows kept in order.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { characterErrorRate } from '../../../shared/core/text-metrics.ts';
import type { GreyImage } from '../../../shared/core/ports.ts';
import { PaddleOcrEngine } from '../../../shared/engines/ppocr-engine.ts';
import { generateTables } from '../../../bench/accuracy-generate.ts';
import { bagOfWordsError } from '../../../bench/accuracy-metrics.ts';
import { fixture, groundTruth } from '../../support/fixtures.ts';

const engine = new PaddleOcrEngine();
afterAll(() => engine.close());
const OPTIONS = { languages: ['eng'], timeoutMs: 120_000, textPdf: false };

async function grey(bytes: Uint8Array): Promise<GreyImage> {
  const { data, info } = await sharp(bytes).flatten({ background: '#ffffff' }).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length), dpi: 300 };
}

describe('PaddleOcrEngine', () => {
  it('reads a clean sample with its words apart', async () => {
    const read = await engine.recognize(await grey(fixture('tessjs_testocr.png')), OPTIONS);
    const truth = groundTruth('tessjs_testocr.png');
    expect(characterErrorRate(truth, read.text)).toBeLessThan(0.05);
    expect(bagOfWordsError(truth, read.text)).toBeLessThan(0.15);
    expect(read.words.length).toBeGreaterThan(40);
    expect(read.words.every((w) => w.bbox.x1 > w.bbox.x0 && w.bbox.y1 > w.bbox.y0)).toBe(true);
  }, 120_000);

  it('reads a ruled table row by row, in row order', async () => {
    const [table] = await generateTables(mkdtempSync(join(tmpdir(), 'ppocr-table-')));
    const read = await engine.recognize(await grey(new Uint8Array(readFileSync(table!.file))), OPTIONS);
    expect(characterErrorRate(table!.truth, read.text)).toBeLessThan(0.05);
    const firstCells = table!.truth.split('\n').map((row) => row.split(' ')[0]!);
    const lines = read.text.trim().split('\n');
    expect(lines).toHaveLength(firstCells.length);
    lines.forEach((line, i) => expect(line.startsWith(firstCells[i]!)).toBe(true));
  }, 120_000);

  it('refuses a language its model cannot read', async () => {
    expect(engine.reads(['deu'])).toBe(false);
    await expect(engine.recognize(await grey(fixture('tessjs_simple_png.png')), { ...OPTIONS, languages: ['deu'] })).rejects.toMatchObject({ code: 'ENGINE_FAILURE' });
  });
});
