import { describe, expect, it } from 'vitest';
import { blankRunsBetween, groupIntoRows, medianWordHeight, restoreSpaces, type CharAt } from '../../../shared/core/text-lines.ts';

/** A line image: dark glyphs (2 columns wide, 3 apart) on white, a space leaving `space` blank columns. */
function line(text: string, space: number, height = 20): { pixels: Uint8Array; width: number; centres: number[]; chars: CharAt[] } {
  const columns: number[] = [];
  const centres: number[] = [];
  const chars: CharAt[] = [];
  for (const ch of text) {
    if (ch === ' ') {
      columns.push(...Array<number>(space - 2).fill(255));
      continue;
    }
    centres.push(columns.length + 1);
    chars.push({ text: ch, x: columns.length + 1, step: chars.length, score: 0.9 });
    columns.push(0, 0, 255, 255, 255);
  }
  const width = columns.length;
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels[y * width + x] = columns[x]!;
  return { pixels, width, centres, chars };
}

describe('restoreSpaces', () => {
  it('splits words where the blank run between characters is as wide as a printed space', () => {
    const l = line('TOTAL AMOUNT 12.50', 9);
    const blanks = blankRunsBetween(l.pixels, l.width, 20, l.centres);
    expect(restoreSpaces(l.chars, blanks, 1).map((w) => w.text)).toEqual(['TOTAL', 'AMOUNT', '12.50']);
  });

  it('keeps a word whole across the narrow gaps between its letters, and reads light text on dark too', () => {
    const l = line('Subtotal', 9);
    expect(restoreSpaces(l.chars, blankRunsBetween(l.pixels, l.width, 20, l.centres), 1).map((w) => w.text)).toEqual(['Subtotal']);
    const inverted = line('CASH DUE', 9);
    const negative = inverted.pixels.map((v) => 255 - v);
    expect(restoreSpaces(inverted.chars, blankRunsBetween(negative, inverted.width, 20, inverted.centres), 1).map((w) => w.text)).toEqual(['CASH', 'DUE']);
  });

  it('keeps a decimal number whole, though the blank runs beside its point are as wide as a space', () => {
    const chars: CharAt[] = [...'TOTAL22.60'].map((text, i) => ({ text, x: i * 8, step: i, score: 0.9 }));
    // Wide blanks after TOTAL, and on both sides of the point.
    const blanks = [0, 0, 0, 0, 0.5, 0, 0.4, 0.4, 0];
    expect(restoreSpaces(chars, blanks, 8).map((w) => w.text)).toEqual(['TOTAL', '22.60']);
    // A full stop that ends a word still lets the next word go.
    const sentence: CharAt[] = [...'No.7'].map((text, i) => ({ text, x: i * 8, step: i, score: 0.9 }));
    expect(restoreSpaces(sentence, [0, 0, 0.4], 8).map((w) => w.text)).toEqual(['No.', '7']);
    // No space before a point or a comma, however wide the blank.
    const initials: CharAt[] = [...'D.I.Y.,Ltd'].map((text, i) => ({ text, x: i * 8, step: i, score: 0.9 }));
    expect(restoreSpaces(initials, [0.4, 0, 0.4, 0, 0.4, 0.4, 0.4, 0, 0], 8).map((w) => w.text)).toEqual(['D.I.Y.,', 'Ltd']);
  });

  it('splits at a space the model did emit', () => {
    const chars: CharAt[] = [
      { text: 'A', x: 0, step: 0, score: 0.9 },
      { text: ' ', x: 8, step: 1, score: 0.9 },
      { text: 'B', x: 16, step: 2, score: 0.9 },
    ];
    expect(restoreSpaces(chars, [0, 0], 8).map((w) => w.text)).toEqual(['A', 'B']);
  });
});

describe('groupIntoRows', () => {
  it('joins boxes side by side into one row, left to right, rows top to bottom', () => {
    const box = (x0: number, y0: number, name: string) => ({ x0, y0, x1: x0 + 50, y1: y0 + 20, name });
    const rows = groupIntoRows([box(300, 103, 'price'), box(10, 100, 'item'), box(10, 50, 'header'), box(10, 150, 'total')]);
    expect(rows.map((r) => r.map((b) => b.name))).toEqual([['header'], ['item', 'price'], ['total']]);
  });
});

describe('medianWordHeight', () => {
  const word = (text: string, height: number) => ({ text, bbox: { x0: 0, y0: 100, x1: 30, y1: 100 + height } });

  it('is the median height of the words of two or more characters', () => {
    expect(medianWordHeight([word('Total', 20), word('a', 90), word('I', 90), word('12.50', 22), word('Cash', 21), word('Date', 19), word('Tax', 60)])).toBe(21);
  });

  it('says nothing from a read of too few words', () => {
    expect(medianWordHeight([word('Total', 20), word('Cash', 21), word('a', 20), word('b', 20), word('c', 20)])).toBeUndefined();
  });
});
