/** Which engine's read of a page is kept (core/page-strategy.ts). */
import { describe, expect, it } from 'vitest';
import { readWithSecondOpinion } from '../../../shared/core/page-strategy.ts';
import type { GreyImage, OcrEngine, RecognizedPage, RecognizeOptions } from '../../../shared/core/ports.ts';

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
