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
import { DocVaultError } from '../../../shared/core/errors.ts';
import { connectedRegions, cutBand, PaddleOcrEngine } from '../../../shared/engines/ppocr-engine.ts';
import { generateTables } from '../../../bench/accuracy-generate.ts';
import { bagOfWordsError } from '../../../bench/accuracy-metrics.ts';
import { fixture, groundTruth } from '../../support/fixtures.ts';

const engine = new PaddleOcrEngine();
afterAll(() => engine.close());
const OPTIONS = { languages: ['eng'] };

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

  it("keeps the words an earlier read was sure of as that read has them, and reads the rest of the page itself", async () => {
    const page = await grey(fixture('tessjs_testocr.png'));
    const own = await engine.recognize(page, OPTIONS);
    // An earlier read as tesseract gives one: tight word boxes, sure of the first line (its words marked here
    // by a text the recogniser would not produce), unsure of the rest.
    const earlier = own.words.map((w) => {
      const quarter = (w.bbox.y1 - w.bbox.y0) / 4;
      const bbox = { x0: w.bbox.x0, y0: Math.round(w.bbox.y0 + quarter), x1: w.bbox.x1, y1: Math.round(w.bbox.y1 - quarter) };
      return w.line === 0 ? { ...w, bbox, text: `<${w.text}>`, confidence: 99 } : { ...w, bbox, confidence: 40 };
    });
    const read = await engine.recognize(page, { ...OPTIONS, knownWords: earlier });
    const lines = read.text.trim().split('\n');
    expect(lines[0]).toBe(own.text.trim().split('\n')[0]!.split(' ').map((w) => `<${w}>`).join(' '));
    expect(lines.slice(1).join('\n')).toBe(own.text.trim().split('\n').slice(1).join('\n'));
  }, 120_000);

  it('refuses a language its model cannot read', async () => {
    expect(engine.reads(['deu'])).toBe(false);
    await expect(engine.recognize(await grey(fixture('tessjs_simple_png.png')), { ...OPTIONS, languages: ['deu'] })).rejects.toMatchObject({ code: 'ENGINE_FAILURE' });
  });
});

describe('slanted lines', () => {
  // Two parallel lines dropping 1 pixel every 10 columns, 4 pixels thick, 6 pixels apart: an upright
  // rectangle around one takes in part of the other, which garbled dense paragraphs of the forms.
  const width = 200;
  const height = 60;
  const lineTop = (line: number, x: number) => 10 + line * 10 + Math.floor(x / 10);

  it('finds a region slope and the band that holds it', () => {
    const map = new Float32Array(width * height);
    for (let x = 20; x < 180; x++) for (let r = 0; r < 4; r++) map[(lineTop(0, x) + r) * width + x] = 0.9;
    const [region] = connectedRegions(map, width, height, 0.3);
    expect(region!.slope).toBeCloseTo(0.1, 1);
    // The band is about as thick as the line (4 pixels plus the steps), far less than the 20-pixel drop.
    expect(region!.bandBottom - region!.bandTop).toBeLessThan(6);
    expect(region!.y1 - region!.y0).toBeGreaterThanOrEqual(18);
  });

  it('cuts one line level, without its neighbour', () => {
    const data = new Uint8Array(width * height).fill(255);
    for (const line of [0, 1]) for (let x = 0; x < width; x++) for (let r = 0; r < 4; r++) data[(lineTop(line, x) + r) * width + x] = line === 0 ? 0 : 100;
    const image: GreyImage = { width, height, data, dpi: 300 };
    const band = cutBand(image, { x0: 0, x1: 150, y0: 9, y1: 30, top: 9, slope: 0.1, thickness: 6 });
    expect(band.height).toBe(6);
    let dark = 0;
    for (let i = 0; i < band.data.length; i++) {
      expect(band.data[i]).not.toBe(100);
      if (band.data[i] === 0) dark += 1;
    }
    // Every column holds the whole of the first line's 4 pixels.
    expect(dark).toBe(150 * 4);
  });
});

describe('stopping a page', () => {
  it('stops between lines when the page signal aborts (cancel, lease lost, page budget)', async () => {
    const image = await grey(fixture('tessjs_testocr.png'));
    const whole = await engine.recognize(image, OPTIONS);
    const lines = new Set(whole.words.map((w) => w.line)).size;
    expect(lines).toBeGreaterThan(4);
    // The signal aborts as the engine checks it for the third line: nothing after that line may run.
    const controller = new AbortController();
    const reason = new DocVaultError('PAGE_TIMEOUT', 'Page 1 took too long.');
    let checks = 0;
    const check = controller.signal.throwIfAborted.bind(controller.signal);
    controller.signal.throwIfAborted = () => {
      checks += 1;
      if (checks === 5) controller.abort(reason);
      check();
    };
    await expect(engine.recognize(image, { ...OPTIONS, signal: controller.signal })).rejects.toBe(reason);
    expect(checks).toBe(5);
  }, 120_000);

  it('does no model work for a page already stopped', async () => {
    const controller = new AbortController();
    controller.abort(new DocVaultError('DOCUMENT_TOO_COMPLEX', 'Over the document budget.'));
    await expect(engine.recognize(await grey(fixture('tessjs_simple_png.png')), { ...OPTIONS, signal: controller.signal })).rejects.toMatchObject({ code: 'DOCUMENT_TOO_COMPLEX' });
  });
});

