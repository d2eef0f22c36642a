/** Reading a page (core/page-reading.ts): which engines a page is given, decided once per page. */
import { describe, expect, it } from 'vitest';
import { secondEngineFor } from '../../../shared/core/page-reading.ts';
import { processDocument } from '../../../shared/core/pipeline.ts';
import type { DocumentOpener, GreyImage, OcrEngine, RecognizedPage } from '../../../shared/core/ports.ts';
import { fixture } from '../../support/fixtures.ts';

const PNG = fixture('tessjs_simple_png.png'); // only its magic bytes matter: the opener is a double

const nothingRead = (image: GreyImage): RecognizedPage => ({ text: '', confidence: 0, words: [], skewDegrees: 0, width: image.width, height: image.height });

function countingEngine(name: string): OcrEngine & { calls: number } {
  const e = {
    name,
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

function onePage(image: GreyImage): DocumentOpener {
  return {
    open: async (_bytes, type) => ({
      type,
      pageCount: 1,
      page: async () => ({
        number: 1,
        textLayer: async () => null,
        render: async () => ({ ...image, data: image.data.slice() }),
        displayImage: async () => ({ format: 'png', bytes: new Uint8Array([1]), width: image.width, height: image.height }),
      }),
      close: async () => undefined,
    }),
  };
}

const blank = (width: number, height: number): GreyImage => ({ width, height, data: new Uint8Array(width * height).fill(250), dpi: 300 });
const inked = (width: number, height: number): GreyImage => ({ width, height, data: Uint8Array.from({ length: width * height }, (_, i) => (i % 7 === 0 ? 0 : 255)), dpi: 300 });

async function secondEngineCalls(image: GreyImage): Promise<number> {
  const second = countingEngine('second');
  await processDocument(PNG, { languages: ['eng'] }, { opener: onePage(image), engine: countingEngine('first'), secondEngine: second, concurrency: 1 });
  return second.calls;
}

describe('the second engine for a page', () => {
  it('is none for a blank page, whichever way the page takes (a till slip is read by the second engine first)', async () => {
    expect(await secondEngineCalls(blank(40, 120))).toBe(0);
    expect(await secondEngineCalls(blank(90, 120))).toBe(0);
  });

  it('reads a page with ink on which the first engine read nothing (the check can fail)', async () => {
    expect(await secondEngineCalls(inked(40, 120))).toBeGreaterThan(0);
    expect(await secondEngineCalls(inked(90, 120))).toBeGreaterThan(0);
  });

  it('is decided from the page alone', () => {
    const second = countingEngine('second');
    expect(secondEngineFor(blank(8, 8), { secondEngine: second })).toBeUndefined();
    expect(secondEngineFor(inked(8, 8), { secondEngine: second })).toBe(second);
    expect(secondEngineFor(inked(8, 8), {})).toBeUndefined();
  });
});

describe('whether a page is expected to read unsurely (RecognizeOptions.expectUnsure)', () => {
  const sure = (image: GreyImage): RecognizedPage => {
    const words = ['Quick', 'brown', 'foxes', 'jumped'].map((text, i) => ({ text, confidence: 95, line: 0, bbox: { x0: i * 20, y0: 0, x1: i * 20 + 18, y1: 8 } }));
    return { text: 'Quick brown foxes jumped', confidence: 95, words, skewDegrees: 0, width: image.width, height: image.height };
  };

  /** Reads each page as `reads` says (by page, in order) and records the first answer of expectUnsure for each page's reads. */
  async function answers(reads: Array<(image: GreyImage) => RecognizedPage>): Promise<boolean[][]> {
    const seen: boolean[][] = reads.map(() => []);
    // Each page's reads carry its own budget's signal; the pages are read one at a time, in order.
    const pages = new Map<AbortSignal | undefined, number>();
    const engine: OcrEngine = {
      name: 'first',
      version: '1',
      recognize: async (image, options) => {
        if (!pages.has(options.signal)) pages.set(options.signal, pages.size);
        const page = pages.get(options.signal)!;
        seen[page]!.push(options.expectUnsure?.() ?? false);
        return reads[page]!(image);
      },
      detectOrientation: async () => null,
    };
    const opener: DocumentOpener = {
      open: async (_bytes, type) => ({
        type,
        pageCount: reads.length,
        page: async (index) => ({
          number: index + 1,
          textLayer: async () => null,
          render: async () => inked(90, 120),
          displayImage: async () => ({ format: 'png', bytes: new Uint8Array([1]), width: 90, height: 120 }),
        }),
        close: async () => undefined,
      }),
    };
    await processDocument(PNG, { languages: ['eng'] }, { opener, engine, concurrency: 1 });
    return seen;
  }

  it('is not, for a first page with no sign of it; every later read of an unsure page is; the next page is, after an unsure page', async () => {
    const seen = await answers([nothingRead, sure, sure]);
    expect(seen[0]![0]).toBe(false);
    expect(seen[0]!.slice(1)).toEqual(seen[0]!.slice(1).map(() => true)); // the other turns tried
    expect(seen[0]!.length).toBeGreaterThan(1);
    expect(seen[1]).toEqual([true]);
    // A page that read surely settles it again.
    expect(seen[2]).toEqual([false]);
  });
});
