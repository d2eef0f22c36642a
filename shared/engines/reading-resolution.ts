/**
 * A rendered or decoded page at the resolution its text needs (core/text-height.ts): a 1-bit page (a G4 or JBIG2
 * scan, as office scanners store text) whose text is larger than the recogniser needs is shrunk with libvips and
 * thresholded back to 1 bit (the engine hands those to tesseract as PBM). A grey or colour page is read as it is:
 * on the corpus's receipts (photos, read by PP-OCR) shrinking cost 0.2–0.3 points of CER and saved no CPU
 * (bench/RESULTS.md). Both document sources call it on the page they hand to OCR.
 */
import sharp from 'sharp';
import { isBilevel } from '../core/grey-image.ts';
import type { GreyImage } from '../core/ports.ts';
import { measureTextHeight, readingScale, rememberResizedTextHeight } from '../core/text-height.ts';
import { greyOf } from './sharp-grey.ts';

export async function atReadingResolution(image: GreyImage): Promise<GreyImage> {
  if (!isBilevel(image)) return image;
  const measured = measureTextHeight(image);
  const scale = readingScale(measured);
  if (scale === 1) return image;
  // A whole DPI, and the size that goes with it: the result reports the DPI the page was read at.
  const dpi = Math.max(1, Math.round(image.dpi * scale));
  const factor = dpi / image.dpi;
  const width = Math.max(1, Math.round(image.width * factor));
  const height = Math.max(1, Math.round(image.height * factor));
  const raw = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 1 } })
    .resize(width, height, { kernel: 'lanczos3' })
    .threshold(128)
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const read = greyOf(raw, dpi);
  // The core measures the page again to decide how to read it (page-strategy.ts): it is told this one's.
  rememberResizedTextHeight(read, measured, factor);
  return read;
}
