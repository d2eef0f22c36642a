/** Pages shrunk to the resolution their text needs, on the public sample scans. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isBilevel } from '../../../shared/core/grey-image.ts';
import type { GreyImage } from '../../../shared/core/ports.ts';
import { BODY_TEXT_PX, measureTextHeight } from '../../../shared/core/text-height.ts';
import { atReadingResolution, inkBox } from '../../../shared/engines/reading-resolution.ts';
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

/** The scan laid on a larger white page at (left, top), as a scanned Letter page holds its text blocks. */
async function onPage(scan: GreyImage, page: { width: number; height: number }, left: number, top: number): Promise<GreyImage> {
  const block = await sharp(scan.data, { raw: { width: scan.width, height: scan.height, channels: 1 } }).png().toBuffer();
  const data = await sharp({ create: { ...page, channels: 3, background: '#ffffff' } })
    .composite([{ input: block, left, top }])
    .greyscale()
    .extractChannel(0)
    .raw()
    .toBuffer();
  return { ...page, data: new Uint8Array(data), dpi: scan.dpi };
}

/** The whole page resized and thresholded, as atReadingResolution did before it resized only the ink's part. */
async function wholeResize(image: GreyImage, width: number, height: number): Promise<Uint8Array> {
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 1 } })
    .resize(width, height, { kernel: 'lanczos3' })
    .threshold(128)
    .extractChannel(0)
    .raw()
    .toBuffer();
  return new Uint8Array(data);
}

describe('atReadingResolution', () => {
  it('gives the pixels of the whole page resized, though it resizes only the part around the ink', async () => {
    const scan = await grey('tess_eurotext.tif', 300);
    // Ink to the page's edges (the scan alone), and blocks far from them at odd offsets (a Letter page's margins).
    const pages = [scan, await onPage(scan, { width: 2550, height: 3300 }, 253, 1187), await onPage(scan, { width: 1700, height: 1500 }, 1700 - scan.width, 7)];
    for (const page of pages) {
      const read = await atReadingResolution(page);
      expect(read.dpi).toBe(245);
      expect(Buffer.from(read.data).equals(Buffer.from(await wholeResize(page, read.width, read.height)))).toBe(true);
    }
  });

  it('finds the box around the ink of a bilevel page, wherever its rows start in the buffer', () => {
    const width = 37;
    const height = 23;
    // One byte in, so that rows and words do not line up (sharp's and pdfjs's buffers need not be aligned).
    const data = new Uint8Array(width * height + 1).fill(255).subarray(1);
    expect(inkBox({ width, height, data, dpi: 300 })).toBeNull();
    for (const [x, y] of [
      [5, 3],
      [30, 17],
      [11, 20],
    ] as const)
      data[y * width + x] = 0;
    expect(inkBox({ width, height, data, dpi: 300 })).toEqual({ x0: 5, y0: 3, x1: 31, y1: 21 });
    data[0] = 0;
    data[width * height - 1] = 0;
    expect(inkBox({ width, height, data, dpi: 300 })).toEqual({ x0: 0, y0: 0, x1: width, y1: height });
  });

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
