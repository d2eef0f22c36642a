/**
 * A page that is one 1-bit scan at the resolution it is rendered at (a G4 or JBIG2 scan, as office scanners store
 * pages) is rendered from the image pdfjs decoded, not through the canvas: its pixels must be the scan's own, black
 * and white the right way round whichever way the PDF stores them.
 */
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { PDFDocument, PDFName } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { openPdf } from '../../../shared/engines/pdf-source.ts';
import { fixture } from '../../support/fixtures.ts';

/** 288 dpi: 4 pixels a point, so the page's size in points is exact. */
const DPI = 288;

/**
 * The scan's pixels (0 or 255) and a PDF of one page holding them as a 1-bit image over the whole page; `width` crops
 * the scan (640 px wide) to a width that is no whole number of bytes, whose rows end in a part byte.
 */
async function scanPdf(storeBlackAsOne: boolean, width = 640): Promise<{ pdf: Uint8Array; width: number; height: number; grey: Uint8Array }> {
  const scan = sharp(fixture('tess_phototest.tif')).extract({ left: 0, top: 0, width, height: 480 });
  const { data: grey, info } = await scan.greyscale().threshold(128).raw().toBuffer({ resolveWithObject: true });
  const { height } = info;
  const rowBytes = Math.ceil(width / 8);
  const bits = Buffer.alloc(rowBytes * height, storeBlackAsOne ? 0 : 0xff);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (grey[y * width + x]! >= 128) continue;
      if (storeBlackAsOne) bits[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
      else bits[y * rowBytes + (x >> 3)]! &= ~(0x80 >> (x & 7));
    }
  }
  const doc = await PDFDocument.create();
  const [w, h] = [(width * 72) / DPI, (height * 72) / DPI];
  const page = doc.addPage([w, h]);
  const image = doc.context.stream(deflateSync(bits), {
    Type: 'XObject',
    Subtype: 'Image',
    Width: width,
    Height: height,
    ColorSpace: 'DeviceGray',
    BitsPerComponent: 1,
    Filter: 'FlateDecode',
    // 1 = black: the image says so by its /Decode [1 0], as CCITT scans with BlackIs1 do.
    ...(storeBlackAsOne ? { Decode: [1, 0] } : {}),
  });
  page.node.setXObject(PDFName.of('Im0'), doc.context.register(image));
  page.node.set(PDFName.of('Contents'), doc.context.register(doc.context.flateStream(`q ${w} 0 0 ${h} 0 0 cm /Im0 Do Q\n`)));
  return { pdf: await doc.save(), width, height, grey: new Uint8Array(grey) };
}

describe('a page that is one 1-bit scan', () => {
  for (const [storeBlackAsOne, width] of [[false, 640], [true, 640], [false, 637]] as const) {
    it(`renders to the scan's own pixels (${storeBlackAsOne ? 'black stored as 1, /Decode [1 0]' : 'white stored as 1'}, ${width} px wide)`, async () => {
      const scan = await scanPdf(storeBlackAsOne, width);
      const source = await openPdf(scan.pdf, { dpi: DPI, defaultImageDpi: DPI, maxPixelsPerPage: 1e8 });
      try {
        const page = await (await source.page(0)).render();
        expect([page.width, page.height]).toEqual([scan.width, scan.height]);
        expect(page.data.some((v) => v === 0)).toBe(true);
        expect(Buffer.compare(Buffer.from(page.data), Buffer.from(scan.grey))).toBe(0);
      } finally {
        await source.close();
      }
    });
  }
});
