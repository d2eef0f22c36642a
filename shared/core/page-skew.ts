/**
 * Skew up to ±45°, measured and corrected before reading. Tesseract's own deskew copes with a few
 * degrees; at 10° it read nothing. The measure is the classic projection profile: project the ink
 * of a small copy of the page onto lines at each candidate angle; text lines line up (the
 * variance of the profile peaks) at the page's skew.
 */
import { inkThreshold } from './grey-image.ts';
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

/** Ink pixels of a small copy of the page: darker than the midpoint between its median and darkest. */
function inkPoints(image: GreyImage): { xs: Float64Array; ys: Float64Array } {
  const step = Math.max(1, Math.ceil(Math.max(image.width, image.height) / PREVIEW_SIDE));
  const histogram = new Uint32Array(256);
  for (let y = 0; y < image.height; y += step) for (let x = 0; x < image.width; x += step) histogram[image.data[y * image.width + x]!]! += 1;
  const threshold = inkThreshold(histogram, histogram.reduce((a, b) => a + b, 0));
  const xs: number[] = [];
  const ys: number[] = [];
  for (let y = 0; y < image.height; y += step) {
    for (let x = 0; x < image.width; x += step) {
      if (image.data[y * image.width + x]! < threshold) {
        xs.push(x / step);
        ys.push(y / step);
      }
    }
  }
  const keep = Math.max(1, Math.ceil(xs.length / MAX_POINTS));
  return { xs: Float64Array.from(xs.filter((_, i) => i % keep === 0)), ys: Float64Array.from(ys.filter((_, i) => i % keep === 0)) };
}

/** Variance of the ink's projection onto lines turned by `degrees` (sum of squared bin counts). */
function profileSharpness(xs: Float64Array, ys: Float64Array, degrees: number, bins: Uint32Array, offset: number): number {
  const t = Math.tan((degrees * Math.PI) / 180);
  bins.fill(0);
  for (let i = 0; i < xs.length; i++) {
    const bin = Math.round(ys[i]! - xs[i]! * t + offset);
    if (bin >= 0 && bin < bins.length) bins[bin]! += 1;
  }
  let sum = 0;
  for (const count of bins) sum += count * count;
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
  const { xs, ys } = inkPoints(image);
  if (xs.length < 200) return { degrees: 0, plain: false, level: false };
  const width = Math.max(...xs) + 1;
  const height = Math.max(...ys) + 1;
  const offset = width; // tan(45°) × width keeps every bin index positive
  const bins = new Uint32Array(Math.ceil(height + 2 * width + 2));
  let best = 0;
  let bestScore = -1;
  const coarseScores: number[] = [];
  const search = (from: number, to: number, step: number, scores?: number[]) => {
    for (let d = from; d <= to + 1e-9; d += step) {
      const score = profileSharpness(xs, ys, d, bins, offset);
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
  if (bestScore < profileSharpness(xs, ys, 0, bins, offset) * MIN_PEAK_GAIN) return { degrees: 0, plain, level };
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
