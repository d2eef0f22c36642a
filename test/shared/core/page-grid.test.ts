/** Whether tesseract's read of a ruled table already sits in its grid (core/page-grid.ts). */
import { describe, expect, it } from 'vitest';
import { countRules, linesAreWholeRows, readsRuledTableInRows } from '../../../shared/core/page-grid.ts';
import type { GreyImage, RecognizedPage, RecognizedWord } from '../../../shared/core/ports.ts';

/** A white page with `rows` × `columns` cells ruled in black one pixel wide (or no rules), and a dark blot in each cell. */
function table(rows: number, columns: number, ruled: boolean): GreyImage {
  const [cellW, cellH] = [40, 20];
  const width = columns * cellW + 21;
  const height = rows * cellH + 21;
  const data = new Uint8Array(width * height).fill(255);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) for (let y = 6; y < 14; y++) for (let x = 8; x < 30; x++) data[(10 + r * cellH + y) * width + 10 + c * cellW + x] = 0;
  if (ruled) {
    for (let r = 0; r <= rows; r++) data.fill(0, (10 + r * cellH) * width + 10, (10 + r * cellH) * width + 10 + columns * cellW + 1);
    for (let c = 0; c <= columns; c++) for (let y = 10; y <= 10 + rows * cellH; y++) data[y * width + 10 + c * cellW] = 0;
  }
  return { width, height, data, dpi: 300 };
}

/** A read whose line `i` holds one word per cell of row `i` (whole rows), or one line per cell (a column-wise read). */
function read(rows: number, columns: number, wholeRows: boolean, confidence = 93): RecognizedPage {
  const words: RecognizedWord[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const bbox = { x0: 18 + c * 40, y0: 16 + r * 20, x1: 40 + c * 40, y1: 24 + r * 20 };
      words.push({ text: `r${r}c${c}`, confidence, bbox, line: wholeRows ? r : c * rows + r });
    }
  }
  return { text: words.map((w) => w.text).join(' '), confidence, words, skewDegrees: 0, width: 0, height: 0 };
}

describe('countRules', () => {
  it('counts each rule once, each way, and finds none on an unruled page', () => {
    expect(countRules(table(4, 5, true), true)).toBe(5);
    expect(countRules(table(4, 5, true), false)).toBe(6);
    expect(countRules(table(4, 5, false), true)).toBe(0);
    expect(countRules(table(4, 5, false), false)).toBe(0);
  });
});

describe('linesAreWholeRows', () => {
  it('holds for a read in row order and not for one read column by column', () => {
    expect(linesAreWholeRows(read(4, 5, true))).toBe(true);
    expect(linesAreWholeRows(read(4, 5, false))).toBe(false);
  });
});

describe('readsRuledTableInRows', () => {
  it('keeps a sure read in whole rows of a page ruled both ways', () => {
    expect(readsRuledTableInRows(read(4, 5, true), table(4, 5, true))).toBe(true);
  });

  it('not an unruled page, a read column by column, or an unsure read', () => {
    expect(readsRuledTableInRows(read(4, 5, true), table(4, 5, false))).toBe(false);
    expect(readsRuledTableInRows(read(4, 5, false), table(4, 5, true))).toBe(false);
    expect(readsRuledTableInRows(read(4, 5, true, 70), table(4, 5, true))).toBe(false);
  });
});
