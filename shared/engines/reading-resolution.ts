/**
 * A rendered or decoded page at the resolution its text needs (core/text-height.ts): a 1-bit page (a G4 or JBIG2
 * scan, as office scanners store text) whose text is larger than the recogniser needs is shrunk with libvips and
 * thresholded back to 1 bit (the engine hands those to tesseract as PBM). A grey or colour page is read as it is:
 * on the corpus's receipts (photos, read by PP-OCR) shrinking cost 0.2–0.3 points of CER and saved no CPU
 * (bench/RESULTS.md). Both document sources call it on the page they hand to OCR.
 */
import sharp from 'sharp';
import { fourLight, isBilevel } from '../core/grey-image.ts';
import type { GreyImage } from '../core/ports.ts';
import type { BBox } from '../core/result.ts';
import { measureTextHeight, readingScale, rememberResizedTextHeight } from '../core/text-height.ts';

/**
 * Pixels of the shrunk page kept around its ink's box: more than the resize's kernel reaches (lanczos3: 3 pixels of the
 * output each side), so that every pixel outside is white in the whole page's resize too.
 */
const KERNEL_REACH_PX = 8;

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
  // Only the ink's part of the page is resized (libvips computes the pixels asked of it): a scanned page is mostly white
  // margins and gaps (bench:pdf's: 30% of the page is the ink's box), and the pixels are those of the whole page's resize.
  const data = new Uint8Array(width * height).fill(255);
  const ink = inkBox(image);
  if (ink) {
    const left = Math.max(0, Math.floor(ink.x0 * factor) - KERNEL_REACH_PX);
    const top = Math.max(0, Math.floor(ink.y0 * factor) - KERNEL_REACH_PX);
    const area = { left, top, width: Math.min(width, Math.ceil(ink.x1 * factor) + KERNEL_REACH_PX) - left, height: Math.min(height, Math.ceil(ink.y1 * factor) + KERNEL_REACH_PX) - top };
    const part = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 1 } })
      .resize(width, height, { kernel: 'lanczos3' })
      .extract(area) // after the resize: a part of the resized page, on its grid
      .threshold(128)
      .extractChannel(0)
      .raw()
      .toBuffer();
    for (let y = 0; y < area.height; y++) data.set(part.subarray(y * area.width, (y + 1) * area.width), (top + y) * width + left);
  }
  const read: GreyImage = { width, height, data, dpi };
  // The core measures the page again to decide how to read it (page-strategy.ts): it is told this one's.
  rememberResizedTextHeight(read, measured, factor);
  return read;
}

/** The box (end exclusive) around a bilevel page's black pixels, or null for a white page. */
export function inkBox(image: GreyImage): BBox | null {
  const { width, height } = image;
  const ink = new InkScan(image.data);
  let y0 = 0;
  while (y0 < height && ink.first(y0 * width, (y0 + 1) * width) < 0) y0++;
  if (y0 === height) return null;
  let y1 = height;
  while (ink.first((y1 - 1) * width, y1 * width) < 0) y1--;
  // Each row is read only outside the box found so far: its margins.
  let x0 = width;
  let x1 = 0;
  for (let y = y0; y < y1; y++) {
    const row = y * width;
    const left = ink.first(row, row + x0);
    if (left >= 0) x0 = left - row;
    const right = ink.last(row + x1, row + width);
    if (right >= 0) x1 = right - row + 1;
  }
  return { x0, y0, x1, y1 };
}

/** Finds black pixels (< 128) in a range of the pixels, four at a time where the words of their buffer are whole in it. */
class InkScan {
  private readonly data: Uint8Array;
  private readonly words: Uint32Array;
  constructor(data: Uint8Array) {
    this.data = data;
    this.words = new Uint32Array(data.buffer, 0, data.buffer.byteLength >> 2);
  }

  /** The first black pixel's index in [from, to), or -1. */
  first(from: number, to: number): number {
    const { data, words } = this;
    const offset = data.byteOffset;
    let i = from;
    for (; i < to && (offset + i) % 4 !== 0; i++) if (data[i]! < 128) return i;
    for (; i + 4 <= to && fourLight(words[(offset + i) >> 2]!); i += 4);
    for (; i < to; i++) if (data[i]! < 128) return i;
    return -1;
  }

  /** The last black pixel's index in [from, to), or -1. */
  last(from: number, to: number): number {
    const { data, words } = this;
    const offset = data.byteOffset;
    let i = to;
    for (; i > from && (offset + i) % 4 !== 0; i--) if (data[i - 1]! < 128) return i - 1;
    for (; i - 4 >= from && fourLight(words[(offset + i - 4) >> 2]!); i -= 4);
    for (; i > from; i--) if (data[i - 1]! < 128) return i - 1;
    return -1;
  }
}
