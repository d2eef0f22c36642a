/**
 * The searchable PDF's invisible text is the result's own words, where the result has them: read back with poppler's
 * pdftotext (plain, and -bbox for each word's box) from PDFs built from made-up results and from real reads of
 * tesseract's eurotext sample (accents, guillemets), turned a quarter, skewed, and read by the line cascade.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument, PDFOperator, PDFOperatorNames } from 'pdf-lib';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import type { PageArtifact } from '../../../shared/core/pipeline.ts';
import type { OcrResult, PageResult, Word } from '../../../shared/core/result.ts';
import { buildSearchablePdf } from '../../../shared/outputs/searchable-pdf.ts';
import { fixture, groundTruth } from '../../support/fixtures.ts';
import { testOcr } from '../../support/ocr.ts';

const havePdftotext = (() => {
  try {
    execFileSync('pdftotext', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const dir = mkdtempSync(join(tmpdir(), 'searchable-pdf-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface PdfWord {
  text: string;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

function pdftotext(pdf: Uint8Array, ...args: string[]): string {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.pdf`);
  writeFileSync(file, pdf);
  return execFileSync('pdftotext', [...args, file, '-'], { encoding: 'utf8' });
}

/** pdftotext -bbox: each word with its box, in points from the page's top left. */
function pdfWords(pdf: Uint8Array, ...args: string[]): PdfWord[] {
  const entities: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&apos;': "'" };
  return [...pdftotext(pdf, '-bbox', ...args).matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g)].map((m) => ({
    text: m[5]!.replace(/&\w+;/g, (e) => entities[e] ?? e),
    x0: Number(m[1]),
    y0: Number(m[2]),
    x1: Number(m[3]),
    y1: Number(m[4]),
  }));
}

/** The first page in grey at 30 dpi (pdftoppm), its pixels. */
function render(pdf: Uint8Array): Uint8Array {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.pdf`);
  writeFileSync(file, pdf);
  execFileSync('pdftoppm', ['-r', '30', '-gray', '-singlefile', file, file]);
  const pgm = readFileSync(`${file}.pgm`);
  // P5 header: magic, width, height, maxval, each followed by one whitespace byte.
  let fields = 0;
  let at = 0;
  while (fields < 4) {
    while (/\s/.test(String.fromCharCode(pgm[at]!))) at++;
    while (!/\s/.test(String.fromCharCode(pgm[at]!))) at++;
    fields++;
  }
  return new Uint8Array(pgm.subarray(at + 1));
}

const collapse = (text: string) => text.split(/\s+/).filter(Boolean).join(' ');

/** The words of some lines of text, laid out 22 px a character on lines 60 px apart (boxes 40 px tall), from (100, 100). */
function layOut(lines: readonly string[]): Word[] {
  return lines.flatMap((text, line) => {
    let x = 100;
    return text.split(' ').filter(Boolean).map((t) => {
      const word = { text: t, confidence: 90, line, bbox: { x0: x, y0: 100 + line * 60, x1: x + 22 * t.length, y1: 140 + line * 60 } };
      x = word.bbox.x1 + 22;
      return word;
    });
  });
}

function ocrPage(words: Word[], size: { width: number; height: number; dpi: number }): PageResult {
  return {
    number: 1,
    source: 'ocr',
    status: 'ok',
    text: '',
    confidence: 90,
    ...size,
    rotation: { orientation: 0, skewDegrees: 0 },
    words,
    timings: { renderMs: 0, ocrMs: 0, totalMs: 0 },
  };
}

function resultOf(type: OcrResult['type'], pages: PageResult[]): OcrResult {
  return { type, pages, engine: { name: 'test', version: '1' }, languages: ['eng'] } as unknown as OcrResult;
}

/** Each word read back lies on its box (points, `scale` points a pixel, from `origin`), within `tolerance`. */
function expectOnTheirBoxes(read: PdfWord[], words: readonly Word[], scale: number, tolerance: number, origin = { x: 0, y: 0 }): void {
  expect(read.map((w) => w.text)).toEqual(words.map((w) => w.text));
  read.forEach((got, i) => {
    const box = words[i]!.bbox;
    expect(Math.abs(got.x0 - (origin.x + box.x0 * scale))).toBeLessThanOrEqual(tolerance);
    expect(Math.abs(got.x1 - (origin.x + box.x1 * scale))).toBeLessThanOrEqual(tolerance);
    expect(Math.abs(got.y0 - (origin.y + box.y0 * scale))).toBeLessThanOrEqual(tolerance);
    expect(Math.abs(got.y1 - (origin.y + box.y1 * scale))).toBeLessThanOrEqual(tolerance);
  });
}

const EUROTEXT_LINES = groundTruth('tess_eurotext.tif').split('\n').filter((l) => l.trim());

describe.skipIf(!havePdftotext)('the searchable PDF\'s text layer, from made-up results', () => {
  it('an image page: the text is the result\'s words, accents and all, each word on its box', async () => {
    const words = layOut([...EUROTEXT_LINES, 'a 𝄞 clef']);
    const size = { width: 2400, height: 1200, dpi: 300 };
    const image = await sharp({ create: { width: 240, height: 120, channels: 3, background: '#ffffff' } }).png().toBuffer();
    const artifact: PageArtifact = { number: 1, source: 'ocr', widthPt: 576, heightPt: 288, image: { format: 'png', bytes: new Uint8Array(image), width: 240, height: 120 } };
    const pdf = await buildSearchablePdf(new Uint8Array(), resultOf('png', [ocrPage(words, size)]), [artifact]);
    // A character beyond the BMP has no two-byte code of its own: it is U+FFFD.
    expect(collapse(pdftotext(pdf))).toBe(collapse([...EUROTEXT_LINES, 'a \uFFFD clef'].join(' ')));
    expectOnTheirBoxes(pdfWords(pdf), words.map((w) => ({ ...w, text: w.text.replace('𝄞', '\uFFFD') })), 72 / 300, 0.05);
    // Invisible: the page renders as its image alone, white.
    const pixels = render(pdf);
    expect(pixels.length).toBeGreaterThan(1000);
    expect(Math.min(...pixels)).toBe(255);
  });

  it('a kept PDF page: the words over its crop box, whatever transform its own content leaves behind', async () => {
    const doc = await PDFDocument.create();
    const page = doc.addPage([700, 900]);
    page.setCropBox(50, 100, 600, 700);
    // Content that scales everything after it and never restores the state.
    page.pushOperators(PDFOperator.of(PDFOperatorNames.ConcatTransformationMatrix, [3, 0, 0, 3, 10, 10].map((n) => doc.context.obj(n))));
    const original = await doc.save();
    const words = layOut(EUROTEXT_LINES.slice(0, 4));
    const size = { width: 2500, height: 2916.67, dpi: 300 };
    const pdf = await buildSearchablePdf(original, resultOf('pdf', [ocrPage(words, size)]), [{ number: 1, source: 'ocr', widthPt: 600, heightPt: 700 }]);
    expect(collapse(pdftotext(pdf, '-cropbox'))).toBe(collapse(EUROTEXT_LINES.slice(0, 4).join(' ')));
    expectOnTheirBoxes(pdfWords(pdf, '-cropbox'), words, 600 / 2500, 0.05);
  });
});

describe.skipIf(!havePdftotext)('the searchable PDF\'s text layer, from real reads of eurotext', () => {
  const ocr = testOcr({ workers: 1 });
  afterAll(() => ocr.close());
  const eurotext = sharp(fixture('tess_eurotext.tif')).greyscale();

  it('a page scanned a quarter turned: read upright, its text is the result\'s words on their boxes', async () => {
    const turned = new Uint8Array(await eurotext.clone().rotate(90).png().toBuffer());
    const output = await ocr.process(turned, { searchablePdf: true });
    const page = output.result.pages[0]!;
    expect([90, 270]).toContain(page.rotation.orientation);
    const pdf = await buildSearchablePdf(turned, output.result, output.artifacts);
    expect(collapse(pdftotext(pdf))).toBe(collapse(page.words.map((w) => w.text).join(' ')));
    expect(pdftotext(pdf)).toMatch(/«rapide»/);
    // A line's words share the line's height: each word's box in x, its line's in y (within its own box's height).
    const read = pdfWords(pdf);
    const scale = 72 / page.dpi;
    expect(read.map((w) => w.text)).toEqual(page.words.map((w) => w.text));
    read.forEach((got, i) => {
      const box = page.words[i]!.bbox;
      expect(Math.abs(got.x0 - box.x0 * scale)).toBeLessThanOrEqual(0.05);
      expect(Math.abs(got.x1 - box.x1 * scale)).toBeLessThanOrEqual(0.05);
      expect(got.y0).toBeLessThanOrEqual(box.y0 * scale + 0.05);
      expect(got.y1).toBeGreaterThanOrEqual(box.y1 * scale - 0.05);
    });
  });

  it('a page scanned 5° skewed: each word where the skewed page shows it', async () => {
    // The upright page's words, and where a 5° clockwise turn about the centre (sharp's, onto a larger canvas) puts them.
    const upright = await ocr.process(new Uint8Array(await eurotext.clone().png().toBuffer()));
    const { width: w0, height: h0 } = await eurotext.clone().metadata();
    expect(Math.abs(w0! / h0! - upright.result.pages[0]!.width / upright.result.pages[0]!.height)).toBeLessThan(0.01);
    const skewedBytes = await eurotext.clone().rotate(5, { background: '#ffffff' }).png().toBuffer();
    const { width: w1, height: h1 } = await sharp(skewedBytes).metadata();
    const a = (5 * Math.PI) / 180;
    const expected = new Map<string, { x: number; y: number }>();
    const seen = new Map<string, number>();
    const read = upright.result.pages[0]!;
    // The page may have been read at another resolution than the file's (reading-resolution.ts).
    const toFile = w0! / read.width;
    for (const { text } of read.words) seen.set(text, (seen.get(text) ?? 0) + 1);
    for (const { text, bbox } of read.words) {
      if (seen.get(text) !== 1 || text.length < 4) continue;
      const dx = ((bbox.x0 + bbox.x1) / 2) * toFile - w0! / 2;
      const dy = ((bbox.y0 + bbox.y1) / 2) * toFile - h0! / 2;
      expected.set(text, { x: dx * Math.cos(a) - dy * Math.sin(a) + w1! / 2, y: dx * Math.sin(a) + dy * Math.cos(a) + h1! / 2 });
    }

    const skewed = new Uint8Array(skewedBytes);
    const output = await ocr.process(skewed, { searchablePdf: true });
    expect(Math.abs(output.result.pages[0]!.rotation.skewDegrees + 5)).toBeLessThan(1);
    const pdf = await buildSearchablePdf(skewed, output.result, output.artifacts);
    const pageWidthPt = Number(/<page width="([\d.]+)"/.exec(pdftotext(pdf, '-bbox'))![1]);
    const scale = pageWidthPt / w1!;
    const misses = pdfWords(pdf).flatMap((got) => {
      const at = expected.get(got.text);
      return at ? [Math.hypot((got.x0 + got.x1) / 2 - at.x * scale, (got.y0 + got.y1) / 2 - at.y * scale)] : [];
    });
    expect(misses.length).toBeGreaterThanOrEqual(20);
    misses.sort((x, y) => x - y);
    // Within a point or so of where they are shown (a line is ~11 pt here): the words of the straightened frame would be several points off.
    expect(misses[Math.floor(misses.length / 2)]).toBeLessThan(1.5);
    expect(misses[Math.floor(misses.length * 0.9)]).toBeLessThan(3);
  });
});

/** Debian's tesseract-ocr-eng: tessdata_fast, as eng_fast beside the packaged best_int (.ci/run installs it). */
const DEBIAN_FAST = '/usr/share/tesseract-ocr/5/tessdata/eng.traineddata';

describe.skipIf(!havePdftotext || !existsSync(DEBIAN_FAST))('the searchable PDF of a page read by the line cascade', () => {
  const fastDir = mkdtempSync(join(tmpdir(), 'searchable-pdf-fast-'));
  symlinkSync(DEBIAN_FAST, join(fastDir, 'eng_fast.traineddata'));
  const ocr = testOcr({ workers: 1, extraDirs: [fastDir] });
  afterAll(async () => {
    await ocr.close();
    rmSync(fastDir, { recursive: true, force: true });
  });

  it('is read by the cascade like any page, and its text layer is the merged words', async () => {
    const output = await ocr.process(fixture('tess_eurotext.tif'), { searchablePdf: true });
    const { cascade } = ocr.engine.stats();
    expect(cascade.pages).toBe(1);
    // Some of its lines (accents, guillemets) were read again by best_int: the page's words are the merged ones.
    expect(cascade.linesReread).toBeGreaterThan(0);
    const page = output.result.pages[0]!;
    const pdf = await buildSearchablePdf(fixture('tess_eurotext.tif'), output.result, output.artifacts);
    expect(collapse(pdftotext(pdf))).toBe(collapse(page.words.map((w) => w.text).join(' ')));
  });
});
