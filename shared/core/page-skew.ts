/**
 * Skew up to ±45°, measured and corrected before reading. Tesseract's own deskew copes with a few
 * degrees; at 10° it read nothing. The measure is the classic projection profile: project the ink
 * of a small copy of the page onto lines at each candidate angle; text lines line up (the
 * variance of the profile peaks) at the page's skew.
 */
import { fourLight, inkThreshold, wordAligned } from './grey-image.ts';
import type { GreyImage } from './ports.ts';

/** The profile is taken on a copy at most this many pixels on its longer side. */
const PREVIEW_SIDE = 800;
const MAX_DEGREES = 45;
/** The best angle's profile must be this much sharper than the page as it is to count as skew. */
const MIN_PEAK_GAIN = 1.3;
/** Ink points beyond this are sampled evenly: the profile's peak does not need them all. */
const MAX_POINTS = 12_000;
/** A peak this much sharper than the profile's median over all angles shows the lines plainly. */
const PLAIN_PEAK_GAIN = 2;
/** Within this of level, a plainly measured page needs no skew pass of the engine (tesseract copes below 1°). */
const LEVEL_DEGREES = 1;
/** Below this the page is left to the engine (tesseract deskews small angles itself, and well). */
export const MIN_CORRECTED_DEGREES = 2;

/**
 * Ink pixels of a small copy of the page (darker than the midpoint between its median and darkest), by column: the
 * rows of column x are `ys[start[x]]` to `ys[start[x + 1] - 1]`. Beyond MAX_POINTS they are sampled evenly, every
 * k-th in reading order.
 */
interface InkPoints {
  count: number;
  /** Columns and rows of the small copy that hold ink: one past the rightmost and the lowest. */
  width: number;
  height: number;
  start: Int32Array;
  ys: Int32Array;
}

function inkPoints(image: GreyImage): InkPoints {
  const step = Math.max(1, Math.ceil(Math.max(image.width, image.height) / PREVIEW_SIDE));
  const columns = Math.ceil(image.width / step);
  const histogram = new Uint32Array(256);
  const preview = step === 1 ? wordAligned(image.data) : everyStepth(image, step, histogram);
  if (step === 1) countLevels(preview, histogram);
  const threshold = inkThreshold(histogram, preview.length);
  const ink = inkIndices(preview, threshold);
  const keep = Math.max(1, Math.ceil(ink.length / MAX_POINTS));
  const perColumn = new Int32Array(columns + 1);
  let width = 0;
  let height = 0;
  for (let i = 0; i < ink.length; i += keep) {
    const column = ink[i]! % columns;
    perColumn[column + 1]! += 1;
    if (column >= width) width = column + 1;
  }
  if (ink.length > 0) height = Math.floor(ink[ink.length - 1 - ((ink.length - 1) % keep)]! / columns) + 1;
  // Counts to starts, then each kept point into its column.
  const start = perColumn;
  for (let x = 0; x < columns; x++) start[x + 1]! += start[x]!;
  const ys = new Int32Array(start[columns]!);
  const filled = start.slice(0, columns);
  for (let i = 0; i < ink.length; i += keep) {
    const index = ink[i]!;
    const column = index % columns;
    ys[filled[column]!++] = (index - column) / columns;
  }
  return { count: ys.length, width, height, start, ys };
}

/** The small copy: every step-th pixel of every step-th row, its levels counted into `histogram` on the way. */
function everyStepth(image: GreyImage, step: number, histogram: Uint32Array): Uint8Array {
  const columns = Math.ceil(image.width / step);
  const out = new Uint8Array(columns * Math.ceil(image.height / step));
  let o = 0;
  for (let y = 0; y < image.height; y += step) {
    for (let i = y * image.width, end = i + image.width; i < end; i += step) {
      const v = image.data[i]!;
      histogram[v]! += 1;
      out[o++] = v;
    }
  }
  return out;
}

/** Each level's count, four pure-white pixels at a time (a scan's page around its text). */
function countLevels(data: Uint8Array, histogram: Uint32Array): void {
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length >> 2);
  for (let w = 0; w < words.length; w++) {
    if (words[w] === 0xffffffff) {
      histogram[255]! += 4;
      continue;
    }
    for (let i = w << 2, end = i + 4; i < end; i++) histogram[data[i]!]! += 1;
  }
  for (let i = words.length << 2; i < data.length; i++) histogram[data[i]!]! += 1;
}

/** Where the pixels darker than `threshold` are, in reading order; four light pixels (all ≥ 128 ≥ threshold) at a time. */
function inkIndices(data: Uint8Array, threshold: number): Int32Array {
  const found = new Int32Array(data.length);
  let n = 0;
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length >> 2);
  const skipLight = threshold <= 128;
  for (let w = 0; w < words.length; w++) {
    if (skipLight && fourLight(words[w]!)) continue;
    for (let i = w << 2, end = i + 4; i < end; i++) if (data[i]! < threshold) found[n++] = i;
  }
  for (let i = words.length << 2; i < data.length; i++) if (data[i]! < threshold) found[n++] = i;
  return found.subarray(0, n);
}

/**
 * Variance of the ink's projection onto lines turned by `degrees` (sum of squared bin counts). A point (x, y) falls in
 * bin round(y − x·tan + offset); y is whole, so a column's points share their shift round(offset − x·tan), worked out
 * once a column. Where that shift is within a hair of a half (the two roundings could differ), the point's own sum is
 * rounded, as the per-point projection did: the same bins, exactly.
 */
function profileSharpness(points: InkPoints, degrees: number, bins: Uint32Array, offset: number): number {
  const t = Math.tan((degrees * Math.PI) / 180);
  const { start, ys } = points;
  bins.fill(0);
  let sum = 0;
  for (let x = 0; x < points.width; x++) {
    const from = start[x]!;
    const to = start[x + 1]!;
    if (from === to) continue;
    const fraction = offset - x * t;
    const shift = Math.round(fraction);
    const tie = Math.abs(fraction - Math.floor(fraction) - 0.5) < 1e-6;
    if (!tie && shift >= 0 && shift + points.height < bins.length) {
      for (let i = from; i < to; i++) {
        const bin = ys[i]! + shift;
        const count = bins[bin]!;
        sum += 2 * count + 1; // (c + 1)² − c²
        bins[bin] = count + 1;
      }
      continue;
    }
    for (let i = from; i < to; i++) {
      const bin = tie ? Math.round(ys[i]! - x * t + offset) : ys[i]! + shift;
      if (bin < 0 || bin >= bins.length) continue;
      const count = bins[bin]!;
      sum += 2 * count + 1;
      bins[bin] = count + 1;
    }
  }
  return sum;
}

/**
 * How far the page was turned clockwise, in degrees (so turning it back by the opposite angle
 * straightens it), or 0 when the page has too little ink to tell.
 */
export function measureSkewDegrees(image: GreyImage): number {
  return measurePageSkew(image).degrees;
}

/**
 * The skew, and whether the text lines showed it plainly (a profile peak far above the profile at
 * most angles) and at that within a degree of level: then the engine may skip its own skew pass.
 */
export function measurePageSkew(image: GreyImage): { degrees: number; plain: boolean; level: boolean } {
  const points = inkPoints(image);
  if (points.count < 200) return { degrees: 0, plain: false, level: false };
  const { width, height } = points;
  const offset = width; // tan(45°) × width keeps every bin index positive
  const bins = new Uint32Array(Math.ceil(height + 2 * width + 2));
  let best = 0;
  let bestScore = -1;
  const coarseScores: number[] = [];
  const search = (from: number, to: number, step: number, scores?: number[]) => {
    for (let d = from; d <= to + 1e-9; d += step) {
      const score = profileSharpness(points, d, bins, offset);
      scores?.push(score);
      if (score > bestScore) {
        bestScore = score;
        best = d;
      }
    }
  };
  search(-MAX_DEGREES, MAX_DEGREES, 1, coarseScores);
  const coarse = best;
  search(coarse - 1, coarse + 1, 0.1);
  const plain = bestScore >= median(coarseScores) * PLAIN_PEAK_GAIN;
  const level = plain && Math.abs(best) < LEVEL_DEGREES;
  // Lines of text give one sharp peak; a page turned by 90° (columns of letters) or a photograph
  // gives a flat profile whose maximum means nothing: such a page is left to orientation detection.
  if (bestScore < profileSharpness(points, 0, bins, offset) * MIN_PEAK_GAIN) return { degrees: 0, plain, level };
  return { degrees: Math.round(best * 10) / 10, plain, level };
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
}

/** Turns the page by `degrees` clockwise about its centre (bilinear), onto a white canvas that holds it all. */
export function rotateGreyBy(image: GreyImage, degrees: number): GreyImage {
  const a = (degrees * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  const width = Math.ceil(Math.abs(image.width * cos) + Math.abs(image.height * sin));
  const height = Math.ceil(Math.abs(image.width * sin) + Math.abs(image.height * cos));
  const out = new Uint8Array(width * height).fill(255);
  const cx = image.width / 2;
  const cy = image.height / 2;
  const ox = width / 2;
  const oy = height / 2;
  const src = image.data;
  const w = image.width;
  for (let y = 0; y < height; y++) {
    const dy = y - oy;
    for (let x = 0; x < width; x++) {
      const dx = x - ox;
      // Inverse mapping: the source pixel that lands here.
      const sx = dx * cos + dy * sin + cx;
      const sy = -dx * sin + dy * cos + cy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (x0 < 0 || y0 < 0 || x0 >= w - 1 || y0 >= image.height - 1) continue;
      const fx = sx - x0;
      const fy = sy - y0;
      const i = y0 * w + x0;
      const top = src[i]! + (src[i + 1]! - src[i]!) * fx;
      const bottom = src[i + w]! + (src[i + w + 1]! - src[i + w]!) * fx;
      out[y * width + x] = Math.round(top + (bottom - top) * fy);
    }
  }
  return { width, height, data: out, dpi: image.dpi };
}

/**
 * The page straightened when its skew is at least MIN_CORRECTED_DEGREES, with the clockwise turn applied;
 * `level` when the lines plainly lie within a degree of horizontal (as read, or once turned).
 */
export function straighten(image: GreyImage): { image: GreyImage; turnedDegrees: number; level: boolean } {
  const { degrees, plain, level } = measurePageSkew(image);
  if (Math.abs(degrees) < MIN_CORRECTED_DEGREES) return { image, turnedDegrees: 0, level };
  return { image: rotateGreyBy(image, -degrees), turnedDegrees: -degrees, level: plain };
}
