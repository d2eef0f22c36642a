import type { GreyImage } from './ports.ts';
import type { BBox, Orientation } from './result.ts';

/** A page whose grey levels all lie this close together is one flat colour: it holds no text. */
const FLAT_RANGE = 16;

/**
 * The level below which a pixel is ink, from a histogram of the page's levels (sampled as the caller
 * likes): halfway between the median (the page's ground) and the darkest level.
 */
export function inkThreshold(histogram: Uint32Array, total: number): number {
  let darkest = -1;
  let seen = 0;
  for (let level = 0; level < 256; level++) {
    if (darkest < 0 && histogram[level]! > 0) darkest = level;
    seen += histogram[level]!;
    if (seen >= total / 2) return (level + Math.max(0, darkest)) / 2;
  }
  return 128;
}

/**
 * Whether all four pixels of a word (four bytes read as one Uint32) are light, each ≥ 128: their top bits all set. The
 * test is on the complement, as a Uint32 masked with 0x80808080 is a negative int32 and never equals that literal.
 */
export function fourLight(word: number): boolean {
  return (~word & 0x80808080) === 0;
}

/** The pixels as a byte array whose start is 4-byte aligned, to be read four at a time: as they are, or a copy. */
export function wordAligned(data: Uint8Array): Uint8Array {
  return data.byteOffset % 4 === 0 ? data : data.slice();
}

/** One flat colour (a blank page): no engine can read text from it. */
export function isFlat(image: Pick<GreyImage, 'data'>): boolean {
  const { data } = image;
  if (data.length === 0) return true;
  let min = data[0]!;
  let max = min;
  for (let i = 1; i < data.length; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    else if (v > max) max = v;
    if (max - min >= FLAT_RANGE) return false;
  }
  return true;
}

/** Rotates clockwise by a multiple of 90°. Pure pixel shuffling: cheap next to OCR. */
export function rotateGrey(image: GreyImage, degrees: Orientation): GreyImage {
  if (degrees === 0) return image;
  const { width: w, height: h, data } = image;
  const out = new Uint8Array(w * h);
  if (degrees === 180) {
    for (let i = 0, n = w * h; i < n; i++) out[i] = data[n - 1 - i]!;
    return { ...image, data: out };
  }
  // 90° clockwise: source (x, y) goes to (h - 1 - y, x) in a h-wide image; 270° to (y, w - 1 - x).
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const target = degrees === 90 ? x * h + (h - 1 - y) : (w - 1 - x) * h + y;
      out[target] = data[row + x]!;
    }
  }
  return { width: h, height: w, data: out, dpi: image.dpi };
}

/** Binary PGM (P5): a format tesseract reads with no decoding cost. */
export function toPgm(image: GreyImage): Uint8Array {
  const header = new TextEncoder().encode(`P5\n${image.width} ${image.height}\n255\n`);
  const out = new Uint8Array(header.length + image.data.length);
  out.set(header, 0);
  out.set(image.data, header.length);
  return out;
}

/**
 * Whether every pixel is pure black or pure white: a scan stored at 1 bit (CCITT G4, JBIG2), as rendered. Four pixels
 * at a time where the pixels are 4-byte aligned: a word whose bytes are each 0 or 255 is its bytes' top bits spread
 * over each whole byte (a 300-dpi page in ~5 ms against ~60 ms a pixel at a time), and once an image.
 */
export function isBilevel(image: GreyImage): boolean {
  let known = bilevel.get(image);
  if (known === undefined) bilevel.set(image, (known = scanBilevel(image.data)));
  return known;
}

/**
 * Answers already given, by image: a page is asked where it is rendered (reading-resolution.ts) and at each read the
 * engine makes of it (tesseract-page.ts). A GreyImage's pixels are not changed once made (see text-height.ts).
 */
const bilevel = new WeakMap<GreyImage, boolean>();

function scanBilevel(data: Uint8Array): boolean {
  if (data.length === 0) return false;
  let i = 0;
  if (data.byteOffset % 4 === 0) {
    const words = new Uint32Array(data.buffer, data.byteOffset, data.length >> 2);
    for (let w = 0; w < words.length; w++) {
      const v = words[w]!;
      if (v !== 0 && v !== 0xffffffff && v !== ((v & 0x80808080) >>> 7) * 0xff) return false;
    }
    i = words.length << 2;
  }
  for (; i < data.length; i++) {
    const v = data[i]!;
    if (v !== 0 && v !== 255) return false;
  }
  return true;
}

/**
 * Binary PBM (P4) of a bilevel image: rows packed 8 pixels a byte, 1 = black. A 1-bit page needs no
 * thresholding in tesseract and takes an eighth of the memory of its PGM (see tesseract-engine.ts).
 */
export function toPbm(image: GreyImage): Uint8Array {
  const header = new TextEncoder().encode(`P4\n${image.width} ${image.height}\n`);
  const rowBytes = Math.ceil(image.width / 8);
  const out = new Uint8Array(header.length + rowBytes * image.height);
  out.set(header, 0);
  const { data, width } = image;
  const whole = width >> 3;
  for (let y = 0; y < image.height; y++) {
    const row = y * width;
    const target = header.length + y * rowBytes;
    // Eight pixels a byte, without a branch a pixel: a pixel below 128 is ink, and (v >> 7) ^ 1 is 1 for ink.
    for (let b = 0; b < whole; b++) {
      const p = row + (b << 3);
      out[target + b] =
        (((data[p]! >> 7) ^ 1) << 7) |
        (((data[p + 1]! >> 7) ^ 1) << 6) |
        (((data[p + 2]! >> 7) ^ 1) << 5) |
        (((data[p + 3]! >> 7) ^ 1) << 4) |
        (((data[p + 4]! >> 7) ^ 1) << 3) |
        (((data[p + 5]! >> 7) ^ 1) << 2) |
        (((data[p + 6]! >> 7) ^ 1) << 1) |
        ((data[p + 7]! >> 7) ^ 1);
    }
    for (let x = whole << 3; x < width; x++) if (data[row + x]! < 128) out[target + (x >> 3)]! |= 0x80 >> (x & 7);
  }
  return out;
}

/** Half the width and height (2×2 box filter), half the DPI: a cheap preview for layout-only passes. */
export function halveGrey(image: GreyImage): GreyImage {
  const width = Math.floor(image.width / 2);
  const height = Math.floor(image.height / 2);
  const out = new Uint8Array(width * height);
  const src = image.data;
  for (let y = 0; y < height; y++) {
    const r0 = 2 * y * image.width;
    const r1 = r0 + image.width;
    for (let x = 0; x < width; x++) {
      const c = 2 * x;
      out[y * width + x] = (src[r0 + c]! + src[r0 + c + 1]! + src[r1 + c]! + src[r1 + c + 1]! + 2) >> 2;
    }
  }
  return { width, height, data: out, dpi: image.dpi / 2 };
}

/** The pixels of `box`, as a copy (an engine handed it holds only these: the line cascade keeps tesseract's heap the size of a line). */
export function cropGrey(image: GreyImage, box: BBox): GreyImage {
  const width = box.x1 - box.x0;
  const height = box.y1 - box.y0;
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const from = (box.y0 + y) * image.width + box.x0;
    data.set(image.data.subarray(from, from + width), y * width);
  }
  return { width, height, data, dpi: image.dpi };
}
