/** The body text's height from the ink's components, and the scale a page is read at. */
import { describe, expect, it } from 'vitest';
import type { GreyImage } from '../../../shared/core/ports.ts';
import { BODY_TEXT_PX, measureTextHeight, readingScale, rememberResizedTextHeight, SMALL_TEXT_PX } from '../../../shared/core/text-height.ts';
import { firstPage } from '../engines/first-page.ts';

/** A white page with black boxes standing for glyphs: `count` boxes `width`×`height` for each entry, in rows. */
function page(glyphs: Array<{ count: number; width: number; height: number }>, extra?: (data: Uint8Array, width: number) => void): GreyImage {
  const width = 2000;
  const height = 2000;
  const data = new Uint8Array(width * height).fill(255);
  let x = 10;
  let y = 10;
  for (const g of glyphs) {
    for (let i = 0; i < g.count; i++) {
      if (x + g.width >= width - 10) {
        x = 10;
        y += 60;
      }
      // Glyphs of a line share their baseline, as in text.
      for (let dy = 0; dy < g.height; dy++) data.fill(0, (y + 50 - g.height + dy) * width + x, (y + 50 - g.height + dy) * width + x + g.width);
      x += g.width + 4;
    }
  }
  extra?.(data, width);
  return { width, height, data, dpi: 300 };
}

describe('measureTextHeight', () => {
  it('measures an image once, and takes a resized copy\'s measure as told', () => {
    const text = page([{ count: 300, width: 14, height: 22 }]);
    const first = measureTextHeight(text);
    expect(measureTextHeight(text)).toBe(first);
    // A blank page told the measure of the page it was resized from: no measuring, which would find no letters.
    const blank: GreyImage = { width: 1000, height: 1000, data: new Uint8Array(1000 * 1000).fill(255), dpi: 150 };
    rememberResizedTextHeight(blank, first, 0.5);
    expect(measureTextHeight(blank)).toEqual({ body: 11, small: 11, letters: first!.letters });
    expect(measureTextHeight({ ...blank })).toBeNull();
  });

  it('takes the most common letter height for the body text, whatever the ascenders, descenders and dots', () => {
    const text = page([
      { count: 300, width: 14, height: 22 }, // x-height letters
      { count: 120, width: 12, height: 31 }, // ascenders and descenders
      { count: 150, width: 4, height: 4 }, // dots, commas
    ]);
    expect(measureTextHeight(text)).toMatchObject({ body: 22, small: 22 });
  });

  it('finds small print beside the body text', () => {
    const text = page([
      { count: 400, width: 14, height: 22 },
      { count: 80, width: 8, height: 12 },
    ]);
    expect(measureTextHeight(text)).toMatchObject({ body: 22, small: 12 });
  });

  it('joins the runs of a glyph across rows, diagonals included', () => {
    // 100 diagonal strokes, 20 px tall and one pixel wide: each one component of height 20.
    const strokes = page([], (data, width) => {
      for (let i = 0; i < 100; i++) for (let d = 0; d < 20; d++) data[(100 + Math.floor(i / 50) * 40 + d) * width + 20 + (i % 50) * 30 + d] = 0;
    });
    expect(measureTextHeight(strokes)).toMatchObject({ body: 20, letters: 100 });
  });

  it('leaves rules and frames out', () => {
    const framed = page([{ count: 100, width: 14, height: 22 }], (data, width) => {
      for (let y = 1500; y < 1503; y++) data.fill(0, y * width + 10, y * width + 1990); // a rule across the page
    });
    expect(measureTextHeight(framed)?.body).toBe(22);
  });

  it('has no answer for a page with too few letters, or none', () => {
    expect(measureTextHeight(page([{ count: 20, width: 14, height: 22 }]))).toBeNull();
    expect(measureTextHeight(page([]))).toBeNull();
  });
});

describe('readingScale', () => {
  it('shrinks large body text to the body size the recogniser needs', () => {
    expect(readingScale({ body: 36, small: 36, letters: 500 })).toBeCloseTo(BODY_TEXT_PX / 36);
  });

  it('shrinks no further than the small print allows', () => {
    expect(readingScale({ body: 36, small: 20, letters: 500 })).toBeCloseTo(SMALL_TEXT_PX / 20);
  });

  it('reads text that is small enough, nearly so, or not measured as it is: never enlarged', () => {
    expect(readingScale({ body: 12, small: 10, letters: 500 })).toBe(1);
    expect(readingScale({ body: BODY_TEXT_PX + 1, small: BODY_TEXT_PX + 1, letters: 500 })).toBe(1);
    expect(readingScale(null)).toBe(1);
  });
});

describe('measureTextHeight reads light pixels four at a time', () => {
  /** The page with `pad` white pixels after each row (its rows start off the 4-byte grid), in a buffer that starts one byte in. */
  function offGrid(image: GreyImage, pad: number): GreyImage {
    const width = image.width + pad;
    const buffer = new Uint8Array(1 + width * image.height).fill(255);
    const data = buffer.subarray(1);
    for (let y = 0; y < image.height; y++) data.set(image.data.subarray(y * image.width, (y + 1) * image.width), y * width);
    return { ...image, width, data };
  }

  it.each(['tess_phototest.tif', 'tess_eurotext.tif', 'tessjs_testocr.png', 'ocrmypdf_skew.pdf'])('measures %s the same on and off the grid', async (name) => {
    const page = await firstPage(name);
    const measured = measureTextHeight(page);
    expect(measured?.letters).toBeGreaterThan(100);
    for (const pad of [1, 2, 3, 4]) expect(measureTextHeight(offGrid(page, pad))).toEqual(measured);
  });
});

