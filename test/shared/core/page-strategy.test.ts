/** Which engine's read of a page is kept (core/page-strategy.ts). */
import { describe, expect, it } from 'vitest';
import { halveGrey } from '../../../shared/core/grey-image.ts';
import { expectsUnsureRead, pageExpectsUnsure, readWithSecondOpinion } from '../../../shared/core/page-strategy.ts';
import type { GreyImage, OcrEngine, RecognizedPage, RecognizeOptions } from '../../../shared/core/ports.ts';
import { firstPage } from '../engines/first-page.ts';

const nothingRead = (image: GreyImage): RecognizedPage => ({ text: '', confidence: 0, words: [], skewDegrees: 0, width: image.width, height: image.height });

function countingEngine(): OcrEngine & { calls: number; options?: RecognizeOptions } {
  const e: OcrEngine & { calls: number; options?: RecognizeOptions } = {
    name: 'second',
    version: '1',
    calls: 0,
    recognize: async (image: GreyImage, options: RecognizeOptions) => {
      e.calls += 1;
      e.options = options;
      return nothingRead(image);
    },
    detectOrientation: async () => null,
  };
  return e;
}

const OPTIONS = { languages: ['eng'] };

describe('readWithSecondOpinion', () => {
  it('asks it about a page with ink on which the first engine read nothing', async () => {
    const inked: GreyImage = { width: 8, height: 8, data: Uint8Array.from({ length: 64 }, (_, i) => (i % 3 === 0 ? 0 : 255)), dpi: 300 };
    const second = countingEngine();
    await readWithSecondOpinion(inked, { recognized: nothingRead(inked), strategy: { engine: 'first', scale: 1, reason: 'clean read' }, orientation: 0 }, OPTIONS, second);
    expect(second.calls).toBe(1);
  });
});

describe('the second read of an unsure page', () => {
  const inked: GreyImage = { width: 8, height: 8, data: Uint8Array.from({ length: 64 }, (_, i) => (i % 3 === 0 ? 0 : 255)), dpi: 300 };
  const unsure = (height: number): RecognizedPage => {
    const words = ['Total', 'Cash', 'Change', 'Tax', 'Date', 'x'].map((text, i) => ({ text, confidence: 50, bbox: { x0: 0, y0: i * 40, x1: 30, y1: i * 40 + height + i }, line: i }));
    return { text: words.map((w) => w.text).join('\n'), confidence: 50, words, skewDegrees: 1.5, width: 8, height: 8 };
  };

  it("is given the skew and the word height the first read measured, and its words (the sure ones need no second read)", async () => {
    const second = countingEngine();
    const first = unsure(20);
    await readWithSecondOpinion(inked, { recognized: first, strategy: { engine: 'first', scale: 1, reason: 'clean read' }, orientation: 0 }, OPTIONS, second);
    expect(second.options).toMatchObject({ skewDegrees: 1.5, wordHeightPx: 22 });
    expect(second.options?.knownWords).toBe(first.words);
  });
});

describe('a page expected to read unsurely, before it is read (expectsUnsureRead: the cascade reads it with its own model at once)', () => {
  const settled = { unsure: false };

  it('is a page of small text (a ~100-dpi form), not the same page at a size tesseract reads surely', async () => {
    const page = await firstPage('tess_phototest.tif'); // its letters 18 px high as read
    expect(expectsUnsureRead(page, settled)).toBe(false);
    expect(expectsUnsureRead(halveGrey(page), settled)).toBe(true);
  });

  it('is a photograph (a grey ground: mostly mid-tones), not the same text on white', async () => {
    const page = await firstPage('tess_phototest.tif');
    expect(expectsUnsureRead(page, settled)).toBe(false);
    const onGrey = { ...page, data: page.data.map((v) => (v > 200 ? 170 : v)) };
    expect(expectsUnsureRead(onGrey, settled)).toBe(true);
  });

  it('is a till slip, and any page after a page of the same document that read unsurely', async () => {
    const page = await firstPage('tess_phototest.tif');
    const slip: GreyImage = { ...page, height: page.width * 2, data: new Uint8Array(page.width * page.width * 2).fill(255) };
    slip.data.set(page.data);
    expect(expectsUnsureRead(slip, settled)).toBe(true);
    expect(expectsUnsureRead(page, { unsure: true })).toBe(true);
  });

  it("is every read of a page after its first (a page tried at another turn follows a read that was not sure)", async () => {
    const ask = pageExpectsUnsure(await firstPage('tess_phototest.tif'), settled);
    expect([ask(), ask(), ask()]).toEqual([false, true, true]);
  });
});
