import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { inkThreshold } from '../../../shared/core/grey-image.ts';
import { measurePageSkew, measureSkewDegrees, straighten } from '../../../shared/core/page-skew.ts';
import type { GreyImage } from '../../../shared/core/ports.ts';
import { fixture, FIXTURES_DIR } from '../../support/fixtures.ts';
import { renderedFirstPage as rendered } from '../engines/first-page.ts';

async function turned(name: string, degrees: number): Promise<GreyImage> {
  const { data, info } = await sharp(fixture(name)).flatten({ background: '#ffffff' }).greyscale().rotate(degrees, { background: '#ffffff' }).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length), dpi: 200 };
}

describe('skew up to ±45°', () => {
  it.each([5, -10, 30, -40])('finds a page turned by %s° and straightens it', async (degrees) => {
    const page = await turned('tess_phototest.tif', degrees);
    expect(measureSkewDegrees(page)).toBeCloseTo(degrees, 0);
    const { image, turnedDegrees } = straighten(page);
    expect(turnedDegrees).toBeCloseTo(-degrees, 0);
    expect(Math.abs(measureSkewDegrees(image))).toBeLessThan(0.5);
  });

  it('leaves a page turned by 90° to orientation detection, and an upright page as it is', async () => {
    expect(measureSkewDegrees(await turned('tess_phototest.tif', 90))).toBe(0);
    const upright = await turned('tessjs_testocr.png', 0);
    expect(straighten(upright)).toEqual({ image: upright, turnedDegrees: 0, level: true });
  });
});

describe('level pages (the engine may skip its own skew pass)', () => {
  it.each([
    ['an upright page', 'tess_phototest.tif', 0, true],
    ['a page turned by 10° and straightened', 'tess_phototest.tif', 10, true],
    ['a page 1.5° off level, left to the engine', 'tess_phototest.tif', 1.5, false],
    ['a page turned by 90° (no text lines across)', 'tess_phototest.tif', 90, false],
  ])('%s', async (_name, file, degrees, level) => {
    expect(straighten(await turned(file, degrees)).level).toBe(level);
  });

  it('is never claimed for a page with too little ink to measure', () => {
    const blank: GreyImage = { width: 400, height: 300, data: new Uint8Array(400 * 300).fill(255), dpi: 300 };
    expect(straighten(blank).level).toBe(false);
  });
});

describe('the column-wise projection decides as the per-point one', () => {
  // Real pages as the pipeline renders them, and the images turned by angles either side of each threshold (below the
  // engine's own deskew, around a degree, far, the search's edge, a quarter turn).
  const ANGLES = [0, 0.7, -1.5, 2.5, -7, 12.3, -25, 44, 90];
  const corpus = resolve(process.env.DOCVAULT_SHARED_DIR ?? resolve(FIXTURES_DIR, '..', '..', '..', 'shared'), 'corpus');

  it('on every fixture, turned by each angle', async () => {
    const images = readdirSync(FIXTURES_DIR).filter((f) => /\.(png|jpg|tif|gif|webp|bmp|pbm)$/.test(f));
    expect(images.length).toBeGreaterThan(10);
    for (const name of images) {
      const upright = await rendered(fixture(name));
      for (const degrees of ANGLES) {
        const page = await turnedGrey(upright, degrees);
        expect({ name, turned: degrees, ...measurePageSkew(page) }).toEqual({ name, turned: degrees, ...referencePageSkew(page) });
      }
    }
  });

  it('on the fixtures\' scanned PDF pages (one of them skewed by ~1.9°), as rendered', async () => {
    for (const name of ['ocrmypdf_skew.pdf', 'ocrmypdf_c02-22.pdf']) {
      const page = await rendered(fixture(name));
      expect(measurePageSkew(page)).toEqual(referencePageSkew(page));
    }
    expect(measurePageSkew(await rendered(fixture('ocrmypdf_skew.pdf'))).degrees).toBeCloseTo(1.9, 1);
  });

  it.skipIf(!existsSync(corpus))('on the corpus\'s forms and receipts (outside the repository), as rendered and turned by 7°', async () => {
    for (const kind of ['form', 'receipt']) {
      for (const name of readdirSync(join(corpus, kind)).filter((f) => /\.(png|jpg)$/.test(f))) {
        const page = await rendered(new Uint8Array(readFileSync(join(corpus, kind, name))));
        expect({ name, ...measurePageSkew(page) }).toEqual({ name, ...referencePageSkew(page) });
        const tilted = await turnedGrey(page, 7);
        expect({ name, ...measurePageSkew(tilted) }).toEqual({ name, ...referencePageSkew(tilted) });
      }
    }
  });
});


async function turnedGrey(image: GreyImage, degrees: number): Promise<GreyImage> {
  if (degrees === 0) return image;
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 1 } }).rotate(degrees, { background: '#ffffff' }).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length), dpi: image.dpi };
}

/**
 * The measure as it was first written, kept as the reference: every ink point projected at every angle (91 whole
 * degrees, then tenths around the best). measurePageSkew must decide exactly as it does.
 */
function referencePageSkew(image: GreyImage): { degrees: number; plain: boolean; level: boolean } {
  const step = Math.max(1, Math.ceil(Math.max(image.width, image.height) / 800));
  const histogram = new Uint32Array(256);
  for (let y = 0; y < image.height; y += step) for (let x = 0; x < image.width; x += step) histogram[image.data[y * image.width + x]!]! += 1;
  const threshold = inkThreshold(histogram, histogram.reduce((a, b) => a + b, 0));
  const allXs: number[] = [];
  const allYs: number[] = [];
  for (let y = 0; y < image.height; y += step) {
    for (let x = 0; x < image.width; x += step) {
      if (image.data[y * image.width + x]! < threshold) {
        allXs.push(x / step);
        allYs.push(y / step);
      }
    }
  }
  const keep = Math.max(1, Math.ceil(allXs.length / 12_000));
  const xs = allXs.filter((_, i) => i % keep === 0);
  const ys = allYs.filter((_, i) => i % keep === 0);
  if (xs.length < 200) return { degrees: 0, plain: false, level: false };
  const width = Math.max(...xs) + 1;
  const height = Math.max(...ys) + 1;
  const offset = width;
  const bins = new Uint32Array(Math.ceil(height + 2 * width + 2));
  const sharpness = (degrees: number) => {
    const t = Math.tan((degrees * Math.PI) / 180);
    bins.fill(0);
    for (let i = 0; i < xs.length; i++) {
      const bin = Math.round(ys[i]! - xs[i]! * t + offset);
      if (bin >= 0 && bin < bins.length) bins[bin]! += 1;
    }
    let sum = 0;
    for (const count of bins) sum += count * count;
    return sum;
  };
  let best = 0;
  let bestScore = -1;
  const coarseScores: number[] = [];
  const search = (from: number, to: number, step: number, scores?: number[]) => {
    for (let d = from; d <= to + 1e-9; d += step) {
      const score = sharpness(d);
      scores?.push(score);
      if (score > bestScore) {
        bestScore = score;
        best = d;
      }
    }
  };
  search(-45, 45, 1, coarseScores);
  search(best - 1, best + 1, 0.1);
  const plain = bestScore >= [...coarseScores].sort((a, b) => a - b)[Math.floor(coarseScores.length / 2)]! * 2;
  const level = plain && Math.abs(best) < 1;
  if (bestScore < sharpness(0) * 1.3) return { degrees: 0, plain, level };
  return { degrees: Math.round(best * 10) / 10, plain, level };
}
