/**
 * Visual rows: the words of a page that stand side by side, left to right. Receipts print a label
 * at the left and its amount at the right; an engine may read those as two lines (or two blocks,
 * far apart in its text), so rows are rebuilt from the word boxes, not taken from the line order.
 */
import type { BBox, FieldSource, PageResult } from '../result.ts';

export interface RowWord {
  /** Index in the page's `words`. */
  index: number;
  text: string;
  bbox: BBox;
  confidence: number;
  /** Offset of the word in its row's `text`. */
  start: number;
}

export interface Row {
  page: number;
  /** Position of the row on its page, top to bottom. */
  order: number;
  words: RowWord[];
  /** The row's words joined by single spaces. */
  text: string;
}

type PageWords = Pick<PageResult, 'number' | 'words'>;

/** Lines whose vertical extents overlap by at least this share of the shorter one sit on one row. */
const ROW_OVERLAP = 0.5;

interface Band {
  y0: number;
  y1: number;
  words: Array<Omit<RowWord, 'start'>>;
}

function overlapShare(a: { y0: number; y1: number }, b: { y0: number; y1: number }): number {
  const shorter = Math.min(a.y1 - a.y0, b.y1 - b.y0);
  return shorter <= 0 ? 0 : (Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0)) / shorter;
}

function crosses(band: Band, line: Band): boolean {
  return band.words.some((w) => line.words.some((v) => v.bbox.x0 < w.bbox.x1 && w.bbox.x0 < v.bbox.x1));
}

export function pageRows(page: PageWords): Row[] {
  const lines = new Map<number, Band>();
  page.words.forEach((w, index) => {
    if (w.text.trim() === '') return;
    const band = lines.get(w.line) ?? { y0: Infinity, y1: -Infinity, words: [] };
    band.y0 = Math.min(band.y0, w.bbox.y0);
    band.y1 = Math.max(band.y1, w.bbox.y1);
    band.words.push({ index, text: w.text.trim(), bbox: w.bbox, confidence: w.confidence });
    lines.set(w.line, band);
  });
  const bands: Band[] = [];
  for (const line of [...lines.values()].sort((a, b) => a.y0 + a.y1 - (b.y0 + b.y1))) {
    // An engine's line that sits beside another (a price column read as its own block) joins it.
    const row = bands.find((b) => overlapShare(b, line) >= ROW_OVERLAP && !crosses(b, line));
    if (row) {
      row.y0 = Math.min(row.y0, line.y0);
      row.y1 = Math.max(row.y1, line.y1);
      row.words.push(...line.words);
    } else {
      bands.push({ ...line, words: [...line.words] });
    }
  }
  return bands
    .sort((a, b) => a.y0 + a.y1 - (b.y0 + b.y1))
    .map((band, order) => {
      let text = '';
      const words = band.words
        .sort((a, b) => a.bbox.x0 - b.bbox.x0)
        .map((w) => {
          if (text) text += ' ';
          const start = text.length;
          text += w.text;
          return { ...w, start };
        });
      return { page: page.number, order, words, text };
    });
}

export function documentRows(pages: readonly PageWords[]): Row[] {
  return pages.flatMap(pageRows);
}

/** The words of `row` that the characters [start, end) of its text fall on. */
export function wordsIn(row: Row, start: number, end: number): RowWord[] {
  return row.words.filter((w) => w.start < end && w.start + w.text.length > start);
}

export function sourceOf(page: number, words: readonly RowWord[]): FieldSource {
  return {
    page,
    words: words.map((w) => w.index),
    bbox: {
      x0: Math.min(...words.map((w) => w.bbox.x0)),
      y0: Math.min(...words.map((w) => w.bbox.y0)),
      x1: Math.max(...words.map((w) => w.bbox.x1)),
      y1: Math.max(...words.map((w) => w.bbox.y1)),
    },
  };
}

export function meanConfidence(words: readonly RowWord[]): number {
  return words.length === 0 ? 0 : words.reduce((s, w) => s + w.confidence, 0) / words.length;
}
