/**
 * The resolution a page's text needs. Its body text's height in pixels is measured from the ink's
 * connected components: the most common component height is the x-height of lowercase text (most
 * lowercase letters have neither ascender nor descender) or the capital height of text in capitals,
 * found in one pass over the rows, joining each row's runs of ink to the runs above them. A page whose
 * text is larger than the recogniser needs is read smaller: tesseract's layout and line finding cost
 * per pixel, and its recogniser scales every line to a fixed height anyway.
 */
import { fourLight, inkThreshold, wordAligned } from './grey-image.ts';
import type { GreyImage } from './ports.ts';

/** Components shorter than this are specks, dots and punctuation, not letters. */
const MIN_LETTER_PX = 4;
/** Below this many letter-like components the page says too little about its text size. */
const MIN_LETTERS = 60;
/** A component this much wider than tall is a rule or an underline, not a letter (touching letters pass). */
const MAX_LETTER_ASPECT = 4;
/** Letters taller than this share of the page are not body text (a logo, a photo, a frame). */
const MAX_LETTER_SHARE_OF_PAGE = 0.1;
/** Of the letter-like components, the small text is this quantile of their heights. */
const SMALL_QUANTILE = 0.1;

/**
 * Body text is read at this x-height. Tesseract's recogniser scales each text line to 36 px high, about two
 * x-heights; on bench:pdf's pages (x-height 22 px at 300 dpi) reading them at 16–18 px gave the same text
 * (bench/RESULTS.md, reading at the DPI the text needs).
 */
export const BODY_TEXT_PX = 18;
/** The small text (footnotes, small print) is never read smaller than this x-height. */
export const SMALL_TEXT_PX = 13;
/** A page that would shrink by less than this is read as it is: resampling would cost more than it saves. */
const MIN_WORTHWHILE_SHRINK = 0.9;

export interface TextHeight {
  /** The body text's x-height (or capital height), px: the most common letter height. */
  body: number;
  /** The small text's letter height, px: a low quantile, so footnotes and small print are not lost. */
  small: number;
  /** Letter-like components counted. */
  letters: number;
}

/**
 * Measures already made, by image: a page is measured where it is rendered (the DPI it is read at) and again where the
 * core decides how to read it (page-strategy.ts), ~20 ms each on a 300-dpi page. A GreyImage's pixels are not changed
 * once made (an inverted or turned page is a new image), so a measure holds for as long as its image lives.
 */
const measured = new WeakMap<GreyImage, TextHeight | null>();

/**
 * The text height of a page with dark text on a light ground, or null when it has too few letter-like
 * components to tell (a blank page, a photo, light text on dark).
 */
export function measureTextHeight(image: GreyImage): TextHeight | null {
  if (measured.has(image)) return measured.get(image)!;
  const height = measureUnremembered(image);
  measured.set(image, height);
  return height;
}

/**
 * Tells the measure of `image`, a copy of a measured page resized by `factor`, without measuring it: the heights times
 * the factor. On bench:pdf's pages (22 px at 300 dpi, read at 245) the measure of the shrunk page is the same.
 */
export function rememberResizedTextHeight(image: GreyImage, from: TextHeight | null, factor: number): void {
  measured.set(image, from && { body: Math.round(from.body * factor), small: Math.round(from.small * factor), letters: from.letters });
}

function measureUnremembered(image: GreyImage): TextHeight | null {
  const heights = letterHeights(image, pageInkThreshold(image));
  if (heights.length < MIN_LETTERS) return null;
  const body = mostCommon(heights);
  // Dots, commas and the tittles of i and j are far shorter than any letter of the body text.
  const letters = heights.filter((h) => h >= body * 0.4).sort((a, b) => a - b);
  const small = letters[Math.floor(letters.length * SMALL_QUANTILE)] ?? body;
  return { body, small: Math.min(small, body), letters: letters.length };
}

/**
 * The factor (at most 1) by which a page is shrunk for reading: its body text to BODY_TEXT_PX, its small
 * text no smaller than SMALL_TEXT_PX. 1 when the text is not measured, already small enough, or nearly so.
 * Text smaller than these is left as it is (enlarging it is a read's own strategy, not the render's).
 */
export function readingScale(height: TextHeight | null): number {
  if (!height) return 1;
  const scale = Math.max(BODY_TEXT_PX / height.body, SMALL_TEXT_PX / height.small);
  return scale > MIN_WORTHWHILE_SHRINK ? 1 : scale;
}

/** The ink threshold of up to ~250,000 pixels sampled evenly. */
function pageInkThreshold(image: GreyImage): number {
  const histogram = new Uint32Array(256);
  const { data } = image;
  const step = Math.max(1, Math.floor(data.length / 250_000));
  let total = 0;
  for (let i = 0; i < data.length; i += step, total++) histogram[data[i]!]! += 1;
  return inkThreshold(histogram, total);
}

/** Connected components as a union-find over labels, each root holding its component's bounding box. */
class ComponentBoxes {
  count = 0;
  private capacity = 1 << 16;
  private parent = new Int32Array(this.capacity);
  private top = new Int32Array(this.capacity);
  private bottom = new Int32Array(this.capacity);
  private left = new Int32Array(this.capacity);
  private right = new Int32Array(this.capacity);

  /** A new component: one run of ink on row y from x0 to x1 (inclusive). Returns its label. */
  add(y: number, x0: number, x1: number): number {
    if (this.count === this.capacity) this.grow();
    const label = this.count++;
    this.parent[label] = label;
    this.top[label] = y;
    this.bottom[label] = y;
    this.left[label] = x0;
    this.right[label] = x1;
    return label;
  }

  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    this.parent[rb] = ra;
    this.top[ra] = Math.min(this.top[ra]!, this.top[rb]!);
    this.bottom[ra] = Math.max(this.bottom[ra]!, this.bottom[rb]!);
    this.left[ra] = Math.min(this.left[ra]!, this.left[rb]!);
    this.right[ra] = Math.max(this.right[ra]!, this.right[rb]!);
  }

  /** Each whole component's height and width. */
  *boxes(): Generator<{ height: number; width: number }> {
    for (let i = 0; i < this.count; i++) {
      if (this.parent[i] !== i) continue;
      yield { height: this.bottom[i]! - this.top[i]! + 1, width: this.right[i]! - this.left[i]! + 1 };
    }
  }

  private find(i: number): number {
    const parent = this.parent;
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  }

  private grow(): void {
    this.capacity *= 2;
    const extend = (a: Int32Array) => {
      const b = new Int32Array(this.capacity);
      b.set(a);
      return b;
    };
    this.parent = extend(this.parent);
    this.top = extend(this.top);
    this.bottom = extend(this.bottom);
    this.left = extend(this.left);
    this.right = extend(this.right);
  }
}

/**
 * The heights of the ink's 8-connected components that look like letters. Each row's runs are joined to
 * the previous row's runs they touch.
 */
function letterHeights(image: GreyImage, threshold: number): number[] {
  const { width, height } = image;
  const data = wordAligned(image.data);
  // Four pixels at a time where all four are light (each ≥ 128 ≥ threshold): most of a page.
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length >> 2);
  const skipLight = threshold <= 128;
  const components = new ComponentBoxes();
  // The runs of the previous and the current row: start, end (inclusive) and label.
  let previous: number[] = [];
  let current: number[] = [];
  for (let y = 0; y < height; y++) {
    const row = y * width;
    current.length = 0;
    let p = 0;
    for (let x = 0; x < width; x++) {
      if (skipLight && ((row + x) & 3) === 0) {
        while (x + 4 <= width && fourLight(words[(row + x) >> 2]!)) x += 4;
        if (x >= width) break;
      }
      if (data[row + x]! >= threshold) continue;
      const start = x;
      while (x + 1 < width && data[row + x + 1]! < threshold) x++;
      const label = components.add(y, start, x);
      // Runs of the row above that touch this one, diagonals included.
      while (p < previous.length && previous[p + 1]! < start - 1) p += 3;
      for (let q = p; q < previous.length && previous[q]! <= x + 1; q += 3) components.union(previous[q + 2]!, label);
      current.push(start, x, label);
    }
    [previous, current] = [current, previous];
  }

  const maxLetter = Math.max(MIN_LETTER_PX, Math.min(width, height) * MAX_LETTER_SHARE_OF_PAGE);
  const heights: number[] = [];
  for (const box of components.boxes()) {
    if (box.height >= MIN_LETTER_PX && box.height <= maxLetter && box.width <= box.height * MAX_LETTER_ASPECT) heights.push(box.height);
  }
  return heights;
}

/** The most common value, each counted with its neighbours (a letter's height varies by a pixel or two). */
function mostCommon(values: number[]): number {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  const counts = new Uint32Array(max + 2);
  for (const v of values) counts[v]! += 1;
  let best = values[0]!;
  let bestCount = -1;
  for (let v = 1; v <= max; v++) {
    const c = counts[v - 1]! + counts[v]! * 2 + counts[v + 1]!;
    if (c > bestCount) {
      best = v;
      bestCount = c;
    }
  }
  return best;
}
