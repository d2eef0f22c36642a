/** Which engine's read of a page is kept (core/page-strategy.ts). */
import { describe, expect, it } from 'vitest';
import { readWithSecondOpinion } from '../../../shared/core/page-strategy.ts';
import type { GreyImage, OcrEngine, RecognizedPage } from '../../../shared/core/ports.ts';

const nothingRead = (image: GreyImage): RecognizedPage => ({ text: '', confidence: 0, words: [], skewDegrees: 0, width: image.width, height: image.height });

function countingEngine(): OcrEngine & { calls: number } {
  const e = {
    name: 'second',
    version: '1',
    calls: 0,
    recognize: async (image: GreyImage) => {
      e.calls += 1;
      return nothingRead(image);
    },
    detectOrientation: async () => null,
  };
  return e;
}

const OPTIONS = { languages: ['eng'], textPdf: false };

describe('readWithSecondOpinion', () => {
  it('asks it about a page with ink on which the first engine read nothing', async () => {
    const inked: GreyImage = { width: 8, height: 8, data: Uint8Array.from({ length: 64 }, (_, i) => (i % 3 === 0 ? 0 : 255)), dpi: 300 };
    const second = countingEngine();
    await readWithSecondOpinion(inked, { recognized: nothingRead(inked), strategy: { engine: 'first', scale: 1, reason: 'clean read' }, orientation: 0 }, OPTIONS, second);
    expect(second.calls).toBe(1);
  });
});
