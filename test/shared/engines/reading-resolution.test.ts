/** Pages shrunk to the resolution their text needs, on the public sample scans. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isBilevel } from '../../../shared/core/grey-image.ts';
import type { GreyImage } from '../../../shared/core/ports.ts';
import { BODY_TEXT_PX, measureTextHeight } from '../../../shared/core/text-height.ts';
import { atReadingResolution } from '../../../shared/engines/reading-resolution.ts';
import { fixture } from '../../support/fixtures.ts';

async function grey(name: string, dpi: number, enlarge = 1): Promise<GreyImage> {
  let image = sharp(fixture(name)).greyscale();
  if (enlarge !== 1) {
    const { width, height } = await image.metadata();
    image = sharp(await image.resize(Math.round(width * enlarge), Math.round(height * enlarge), { kernel: 'lanczos3' }).png().toBuffer()).greyscale();
  }
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data), dpi };
}

describe('atReadingResolution', () => {
  it('shrinks a 1-bit scan with large text to the body size, at a whole DPI, and keeps it 1-bit', async () => {
    const scan = await grey('tess_eurotext.tif', 300); // 1-bit, x-height 22 px
    expect(isBilevel(scan)).toBe(true);
    const read = await atReadingResolution(scan);
    expect(read.dpi).toBe(245);
    expect(read.width).toBe(Math.round((scan.width * 245) / 300));
    expect(isBilevel(read)).toBe(true);
    // Measured afresh on a copy (the read page itself carries the measure it was made with).
    expect(Math.abs(measureTextHeight({ ...read })!.body - BODY_TEXT_PX)).toBeLessThanOrEqual(1);
  });

  it('hands the core the shrunk page with its text height, the same as measuring it again', async () => {
    const read = await atReadingResolution(await grey('tess_eurotext.tif', 300));
    const told = measureTextHeight(read)!;
    const fresh = measureTextHeight({ ...read })!;
    expect({ body: told.body, small: told.small }).toEqual({ body: fresh.body, small: fresh.small });
  });

  it('reads a grey page as it is, however large its text', async () => {
    const page = await grey('tessjs_testocr.png', 150, 3); // x-height ~54 px, grey after the enlargement
    expect(isBilevel(page)).toBe(false);
    expect(measureTextHeight(page)!.body).toBeGreaterThan(2 * BODY_TEXT_PX);
    expect(await atReadingResolution(page)).toBe(page);
  });

  it('hands on a 1-bit page whose text is already small enough as it is', async () => {
    const page = await grey('tess_phototest.tif', 200); // 1-bit, x-height 18 px
    expect(await atReadingResolution(page)).toBe(page);
  });
});
