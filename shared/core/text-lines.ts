/**
 * From an engine's lines of characters to words and rows: spaces restored from the gaps between
 * characters, and boxes read side by side on one row (an item and its price, a label and its field)
 * joined left to right, rows top to bottom.
 */
import type { BBox } from './result.ts';

/** One character of a line: its centre on the page and its position in the recogniser's output steps. */
export interface CharAt {
  text: string;
  x: number;
  step: number;
  score: number;
}

export interface WordBox {
  text: string;
  bbox: BBox;
  score: number;
}

/** A detected text box read as one line. */
export interface TextBox extends BBox {
  score: number;
  words: WordBox[];
}

/**
 * Blank columns between characters: a space in print is a run of columns without ink at least this
 * share of the line image's height (tried on the corpus: 0.2 split words, 0.36 joined them).
 */
const SPACE_MIN_BLANK = 0.3;

/**
 * For each pair of neighbouring characters, the widest run of inkless columns between their centres,
 * in units of the line image's height. The line is grey pixels, dark text on light or light on dark.
 */
export function blankRunsBetween(pixels: Uint8Array, width: number, height: number, centres: readonly number[]): number[] {
  // The background is the commonest level (the median); ink is what differs from it by a third of
  // the way to the farthest level, on whichever side the text is (dark on light or light on dark).
  const sorted = Uint8Array.from(pixels).sort();
  const background = sorted[sorted.length >> 1]!;
  const darkInk = background - sorted[0]! >= sorted[sorted.length - 1]! - background;
  const threshold = darkInk ? background - (background - sorted[0]!) / 3 : background + (sorted[sorted.length - 1]! - background) / 3;
  const inked = new Uint8Array(width);
  for (let y = 0; y < height; y++) {
    for (let x = 0, row = y * width; x < width; x++) {
      const v = pixels[row + x]!;
      if (darkInk ? v < threshold : v > threshold) inked[x] = 1;
    }
  }
  return centres.slice(1).map((right, i) => {
    const left = centres[i]!;
    let widest = 0;
    let run = 0;
    for (let x = Math.max(0, Math.ceil(left)); x <= Math.min(width - 1, Math.floor(right)); x++) {
      run = inked[x] ? 0 : run + 1;
      if (run > widest) widest = run;
    }
    return widest / height;
  });
}

/**
 * Words from a line's characters: split where the model emitted a space, or where the blank run
 * between two characters (see blankRunsBetween) is as wide as a printed space.
 */
export function restoreSpaces(chars: readonly CharAt[], blanks: readonly number[], stepWidth: number, box: { y0: number; y1: number } = { y0: 0, y1: 0 }): WordBox[] {
  const words: WordBox[] = [];
  let current: CharAt[] = [];
  const flush = () => {
    const text = current.map((c) => c.text).join('').trim();
    if (text) {
      words.push({
        text,
        bbox: { x0: Math.round(current[0]!.x - stepWidth), y0: box.y0, x1: Math.round(current.at(-1)!.x + stepWidth), y1: box.y1 },
        score: current.reduce((a, c) => a + c.score, 0) / current.length,
      });
    }
    current = [];
  };
  chars.forEach((c, i) => {
    if (c.text === ' ') {
      flush();
      return;
    }
    if (i > 0 && (blanks[i - 1] ?? 0) >= SPACE_MIN_BLANK && !joinsLeft(chars, i)) flush();
    current.push(c);
  });
  flush();
  return words;
}

const DIGIT = /^\d$/;
const DECIMAL_MARK = /^[.,]$/;

/**
 * Whether chars[i] continues a number after its decimal mark ("22." "60"): a point or comma stands
 * alone in its cell, so the blank runs beside it are as wide as a space, and "TOTAL 22 . 60" lost
 * its total.
 */
function insideNumber(chars: readonly CharAt[], i: number): boolean {
  const left = chars[i - 1]?.text ?? '';
  const right = chars[i]!.text;
  return DECIMAL_MARK.test(left) && DIGIT.test(right) && DIGIT.test(chars[i - 2]?.text ?? '');
}

/** Print sets no space before a point or a comma, however wide the blank beside it ("D. I .Y ." for "D.I.Y."). */
function joinsLeft(chars: readonly CharAt[], i: number): boolean {
  return DECIMAL_MARK.test(chars[i]!.text) || insideNumber(chars, i);
}

/**
 * Boxes grouped into rows: a box joins the row whose vertical centre is within half a typical box
 * height of its own. Rows are ordered top to bottom, boxes in a row left to right.
 */
export function groupIntoRows<T extends BBox>(boxes: readonly T[]): T[][] {
  if (boxes.length === 0) return [];
  const typicalHeight = median(boxes.map((b) => b.y1 - b.y0)) ?? 0;
  const centre = (b: BBox) => (b.y0 + b.y1) / 2;
  const rows: Array<{ centre: number; boxes: T[] }> = [];
  for (const box of [...boxes].sort((a, b) => centre(a) - centre(b))) {
    const row = rows.find((r) => Math.abs(r.centre - centre(box)) < typicalHeight / 2);
    if (row) {
      row.boxes.push(box);
      row.centre = row.boxes.reduce((a, b) => a + centre(b), 0) / row.boxes.length;
    } else {
      rows.push({ centre: centre(box), boxes: [box] });
    }
  }
  return rows.sort((a, b) => a.centre - b.centre).map((r) => r.boxes.sort((a, b) => a.x0 - b.x0));
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** A read of fewer words of two or more characters says too little about their size. */
const WORD_HEIGHT_MIN_WORDS = 5;

/**
 * The median height of a read's words of two or more characters, px: the text size an engine can scale the
 * page by. Undefined when the read found too few such words to say.
 */
export function medianWordHeight(words: readonly { text: string; bbox: BBox }[]): number | undefined {
  const heights = words
    .filter((w) => w.text.trim().length >= 2)
    .map((w) => w.bbox.y1 - w.bbox.y0)
    .sort((a, b) => a - b);
  return heights.length < WORD_HEIGHT_MIN_WORDS ? undefined : heights[heights.length >> 1];
}
