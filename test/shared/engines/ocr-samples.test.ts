/**
 * The real engines (pdfjs, sharp, tesseract.js) on the public samples in test/fixtures, scored
 * against their ground truth with the character error rate.
 */
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { characterErrorRate } from '../../../shared/core/text-metrics.ts';
import type { Ocr } from '../../../shared/engines/index.ts';
import { fixture, groundTruth } from '../../support/fixtures.ts';
import { DEU_MODEL_DIR, testOcr } from '../../support/ocr.ts';

let ocr: Ocr;
beforeAll(() => {
  ocr = testOcr({ extraDirs: [DEU_MODEL_DIR] });
});
afterAll(() => ocr.close());

describe('every accepted format gives its ground-truth text', () => {
  it.each([
    'tessjs_simple_png.png',
    'tessjs_simple_jpg.jpg',
    'tessjs_simple_gif.gif',
    'tessjs_simple_bmp.bmp',
    'tessjs_simple_pbm.pbm',
    'tessjs_simple_webp.webp',
    'tessjs_testocr.png',
    'tess_phototest.tif',
  ])('%s, CER at most 2 percent', async (name) => {
    const { result } = await ocr.process(fixture(name));
    expect(result.pages).toHaveLength(1);
    expect(result.pages[0]!.source).toBe('ocr');
    expect(characterErrorRate(groundTruth(name), result.text)).toBeLessThanOrEqual(0.02);
    expect(result.confidence).toBeGreaterThan(80);
  });
});

describe('orientation', () => {
  it.each(['tessjs_simple_90_jpg.jpg', 'tessjs_simple_180_jpg.jpg', 'tessjs_simple_270_jpg.jpg'])('%s (EXIF-rotated) reads upright', async (name) => {
    const { result } = await ocr.process(fixture(name));
    expect(characterErrorRate(groundTruth(name), result.text)).toBeLessThanOrEqual(0.02);
  });

  it.each([90, 180, 270] as const)('a page whose pixels are turned %i° (no EXIF) is detected and read upright', async (degrees) => {
    const turned = new Uint8Array(await sharp(fixture('tess_phototest.tif')).rotate(degrees).png().toBuffer());
    const { result } = await ocr.process(turned);
    expect(result.pages[0]!.rotation.orientation).toBe((360 - degrees) % 360);
    expect(characterErrorRate(groundTruth('tess_phototest.tif'), result.text)).toBeLessThanOrEqual(0.02);
  });

  it('a short line turned 180° with too little text for OSD is still read upright', async () => {
    const turned = new Uint8Array(await sharp(fixture('tessjs_simple_png.png')).rotate(180).png().toBuffer());
    const { result } = await ocr.process(turned);
    expect(result.pages[0]!.rotation.orientation).toBe(180);
    expect(characterErrorRate(groundTruth('tessjs_simple_png.png'), result.text)).toBeLessThanOrEqual(0.02);
  });

  it('corrects the skew of a skewed scan', async () => {
    const { result } = await ocr.process(fixture('ocrmypdf_skew.pdf'), { dpi: 150 });
    expect(Math.abs(result.pages[0]!.rotation.skewDegrees)).toBeGreaterThan(0.5);
    expect(result.text).toMatch(/LinnSequencer/);
  });
});

describe('PDF', () => {
  it('reads a born-digital PDF from its text layer, without OCR', async () => {
    const before = ocr.engine.stats().pagesRead;
    const { result } = await ocr.process(fixture('ocrmypdf_tagged.pdf'));
    expect(result.pageCount).toBe(2);
    expect(result.pages.every((p) => p.source === 'text-layer' && p.status === 'ok')).toBe(true);
    expect(result.text).toMatch(/Table of Contents/);
    expect(result.pages[0]!.words.length).toBeGreaterThan(10);
    expect(ocr.engine.stats().pagesRead).toBe(before);
  });

  it('OCRs a scanned page', async () => {
    const { result } = await ocr.process(fixture('ocrmypdf_c02-22.pdf'));
    expect(result.pages[0]!.source).toBe('ocr');
    expect(result.text).toMatch(/tip-toeing along a path/);
  });

  it('rejects ocrmypdf_invalid.pdf (PDF magic, no PDF inside) with CORRUPT_DOCUMENT', async () => {
    await expect(ocr.process(fixture('ocrmypdf_invalid.pdf'))).rejects.toMatchObject({ code: 'CORRUPT_DOCUMENT' });
  });

  it('opens an encrypted PDF with its password, and says which problem it is without one', async () => {
    const encrypted = fixture('encrypted_tagged.pdf');
    // What to do, where the feature is: the password can be given to the task, no new upload needed.
    await expect(ocr.process(encrypted)).rejects.toMatchObject({ code: 'ENCRYPTED_PDF', message: expect.stringMatching(/give its password .*POST \/tasks\/\{id\}\/password/) });
    await expect(ocr.process(encrypted, { password: 'wrong' })).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
    const { result } = await ocr.process(encrypted, { password: 's3cret' });
    expect(result.text).toMatch(/Table of Contents/);
  });
});

describe('multi-page TIFF', () => {
  it('reads every page', async () => {
    const pages = await Promise.all(['tess_phototest.tif', 'tessjs_testocr.png'].map((n) => sharp(fixture(n)).greyscale().png().toBuffer()));
    const tiff = new Uint8Array(await sharp(pages, { join: { animated: true } }).tiff().toBuffer());
    const progress: number[] = [];
    const { result } = await ocr.process(tiff, {}, (p) => progress.push(p.done));
    expect(result.type).toBe('tiff');
    expect(result.pageCount).toBe(2);
    expect(progress).toEqual([1, 2]);
    for (const page of result.pages) expect(characterErrorRate(groundTruth('tess_phototest.tif'), page.text)).toBeLessThanOrEqual(0.02);
  });
});

describe('languages', () => {
  it('reads a page with several languages when their traineddata is present', async () => {
    const truth = groundTruth('tess_eurotext.tif');
    const eng = await ocr.process(fixture('tess_eurotext.tif'), { languages: 'eng' });
    const engDeu = await ocr.process(fixture('tess_eurotext.tif'), { languages: 'eng+deu' });
    const deuEng = await ocr.process(fixture('tess_eurotext.tif'), { languages: 'deu+eng' });
    expect(engDeu.result.languages).toEqual(['eng', 'deu']);
    expect(characterErrorRate(truth, engDeu.result.text)).toBeLessThanOrEqual(characterErrorRate(truth, eng.result.text));
    // With German first, the German line reads right where English alone cannot (it has no ü, ß, „).
    expect(characterErrorRate(truth, deuEng.result.text)).toBeLessThan(characterErrorRate(truth, eng.result.text));
    expect(deuEng.result.text).toMatch(/über den faulen Hund/);
    expect(eng.result.text).not.toMatch(/über/);
  });

  it('names a missing language and what is available', async () => {
    const err = await ocr.process(fixture('tessjs_simple_png.png'), { languages: 'eng+jpn' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'LANGUAGE_UNAVAILABLE' });
    expect((err as Error).message).toMatch(/"jpn".*Available: .*eng/);
  });
});

describe('limits', () => {
  it('refuses a decompression bomb from its header, before decoding it', async () => {
    await expect(ocr.process(pngHeaderOnly(50_000, 50_000))).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' });
  });

  it('marks a page that runs past the time limit, and the engine keeps working', async () => {
    await expect(ocr.process(fixture('tess_phototest.tif'), { limits: { pageTimeoutMs: 5 } })).rejects.toMatchObject({ code: 'PAGE_TIMEOUT' });
    const { result } = await ocr.process(fixture('tessjs_simple_png.png'));
    expect(characterErrorRate(groundTruth('tessjs_simple_png.png'), result.text)).toBeLessThanOrEqual(0.02);
  });
});

describe('worker pool', () => {
  it('reuses workers across documents and replaces them after the recycle bound', async () => {
    const pool = testOcr({ workers: 1, recycleAfterPages: 2 });
    try {
      for (let i = 0; i < 5; i++) await pool.process(fixture('tessjs_simple_png.png'), { detectOrientation: false });
      const stats = pool.engine.stats();
      expect(stats.pagesRead).toBe(5);
      expect(stats.workersStarted).toBe(3); // pages 1–2, 3–4, 5
    } finally {
      await pool.close();
    }
  });
});

/** A PNG that claims width × height in its header and carries one tiny compressed row. */
function pngHeaderOnly(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
  return new Uint8Array(
    Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(width + 1))), chunk('IEND', Buffer.alloc(0))]),
  );
}
