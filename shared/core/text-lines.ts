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

/**
 * A detected line as a band: its top edge at column x is `top + slope * (x + 0.5)`, and it is `thickness`
 * pixels tall; x0..x1 and y0..y1 enclose it. A level line has slope 0.
 */
export interface LineBand extends BBox {
  top: number;
  slope: number;
  thickness: number;
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
 * A line's words with a number split after a decimal mark or a date's separator joined again ("837." "95" →
 * "837.95", "25-" "06-18" → "25-06-18"): tesseract splits a monospaced amount after its point, as the blank runs
 * beside a point look like a space (see joinsLeft), and a line read partly by tesseract and partly by the second
 * engine splits where the two reads meet (a receipt's date: "25-" recognised, "06-18" tesseract's sure word).
 */
export function joinSplitNumbers(words: readonly WordBox[]): WordBox[] {
  const joined: WordBox[] = [];
  for (const word of words) {
    const last = joined.at(-1);
    if (last && /\d[.,/-]$/.test(last.text) && /^\d/.test(word.text)) {
      joined[joined.length - 1] = {
        text: last.text + word.text,
        bbox: { x0: last.bbox.x0, y0: Math.min(last.bbox.y0, word.bbox.y0), x1: word.bbox.x1, y1: Math.max(last.bbox.y1, word.bbox.y1) },
        score: (last.score + word.score) / 2,
      };
    } else joined.push(word);
  }
  return joined;
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

/**
 * Tesseract's confidence (0–100) from which a word is taken as read. On the corpus's forms (see bench/RESULTS.md)
 * 85, 80 and 75 read the same (CER ignoring case 12.8% at 75 and 85), 65 worse (13.1%); 75 leaves ~10% less to the
 * recogniser than 85. Handwriting and faint entries fall below.
 */
export const SURE_WORD_CONFIDENCE = 75;
/**
 * How wide a stretch of a detected line without any of an earlier read's words may be, in units of the words'
 * height, before it is read again: a wider one (between two words, or between a word and the line's ends beyond
 * the margin detection grows a line by) may hold text that read missed.
 */
const SURE_MAX_GAP = 1;
/** A stretch read again is cut this share of the words' height clear of a kept word beside it. */
const SPAN_TRIM = 0.15;
/** Detection grows a line by about this share of its band's thickness at each end. */
const BAND_END_MARGIN = 0.4;

/** Two words of a line overlapping by more than this share of the narrower one's width are misplaced. */
const WORD_MAX_OVERLAP = 0.2;

function overlapShare(a: BBox, b: BBox): number {
  const overlap = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  return overlap <= 0 ? 0 : overlap / Math.max(1, Math.min(a.x1 - a.x0, b.x1 - b.x0));
}

/** A word of an earlier read: its text, confidence (0–100) and box on the same pixels. */
export interface KnownWord {
  text: string;
  confidence: number;
  bbox: BBox;
}

/** A detected line split by an earlier read of it: the words that read was sure of, and the stretches to read again. */
export interface LineSplit {
  kept: WordBox[];
  unread: Array<{ x0: number; x1: number }>;
}

/**
 * What of a detected line an earlier read (tesseract's) already read surely: its words whose centre lies in the
 * line's band, read at least SURE_WORD_CONFIDENCE, no taller than the band (a taller one spans two lines) and
 * overlapping none of the others, are kept; what lies between them (unsure words, or a stretch wide enough to hide a word that read missed) is left to
 * be read again, each stretch from the end of one kept word to the start of the next.
 */
export function splitBySureWords(band: LineBand, words: readonly KnownWord[]): LineSplit {
  const inside = words
    .filter((w) => {
      const cx = (w.bbox.x0 + w.bbox.x1) / 2;
      const cy = (w.bbox.y0 + w.bbox.y1) / 2;
      const top = band.top + band.slope * (cx + 0.5);
      return cx >= band.x0 && cx < band.x1 && cy >= top && cy < top + band.thickness;
    })
    .sort((a, b) => a.bbox.x0 - b.bbox.x0);
  // Words of one line do not overlap: tesseract's box for one sometimes spans its neighbours too ("PRELIMINARY"
  // across "FACT SHEET"), and that box says nothing about where the word is.
  const overlapping = new Set(inside.filter((w, i) => inside.some((v, j) => j !== i && overlapShare(w.bbox, v.bbox) > WORD_MAX_OVERLAP)));
  const isSure = (w: KnownWord) => w.confidence >= SURE_WORD_CONFIDENCE && w.bbox.y1 - w.bbox.y0 <= band.thickness && !overlapping.has(w);
  const sure = inside.filter(isSure);
  if (sure.length === 0) return { kept: [], unread: [{ x0: band.x0, x1: band.x1 }] };
  const height = median(inside.map((w) => w.bbox.y1 - w.bbox.y0))!;
  const maxGap = height * SURE_MAX_GAP;
  const trim = height * SPAN_TRIM;
  const margin = band.thickness * BAND_END_MARGIN;
  const unread: LineSplit['unread'] = [];
  // The stretch from `from` to `to` is read again when an unsure word lies in it or it is too wide to be a gap.
  const between = (from: number, to: number, fromEdge: number, toEdge: number) => {
    const holdsUnsure = inside.some((w) => !isSure(w) && w.bbox.x1 > from && w.bbox.x0 < to);
    if (!holdsUnsure && toEdge - fromEdge <= maxGap) return;
    // Cut clear of the kept words' edges: a sliver of a neighbour's glyph reads as a stray "!" or ".".
    const x0 = from > band.x0 ? from + trim : band.x0;
    const x1 = to < band.x1 ? to - trim : band.x1;
    unread.push(x1 - x0 >= trim ? { x0: Math.round(x0), x1: Math.round(x1) } : { x0: from, x1: to });
  };
  let from = band.x0;
  let fromEdge = band.x0 + margin;
  for (const word of sure) {
    if (word.bbox.x0 > from) between(from, word.bbox.x0, fromEdge, word.bbox.x0);
    from = Math.max(from, word.bbox.x1);
    fromEdge = from;
  }
  if (band.x1 > from) between(from, band.x1, fromEdge, band.x1 - margin);
  return { kept: sure.map((w) => ({ text: w.text, bbox: w.bbox, score: w.confidence / 100 })), unread };
}
