import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { measureSkewDegrees, straighten } from '../../../shared/core/page-skew.ts';
import type { GreyImage } from '../../../shared/core/ports.ts';
import { fixture } from '../../support/fixtures.ts';

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
