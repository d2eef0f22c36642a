/**
 * Both engines read dark text on a light page best. A page whose commonest level is dark (white
 * text on black, light words over a dark photograph, a negative scan) is inverted before reading.
 */
import type { GreyImage } from './ports.ts';

/** A page whose median grey is below this is taken as light-on-dark. */
const DARK_BACKGROUND_MEDIAN = 110;
/** Below this many pixels there is no background to speak of (no glyph fits): left as it is. */
const MIN_PIXELS = 32 * 32;

export function medianGrey(image: GreyImage): number {
  const histogram = new Uint32Array(256);
  // Every 4th pixel is plenty for a median and keeps this cheap next to OCR.
  for (let i = 0; i < image.data.length; i += 4) histogram[image.data[i]!]! += 1;
  const half = Math.ceil(image.data.length / 4) / 2;
  let seen = 0;
  for (let level = 0; level < 256; level++) {
    seen += histogram[level]!;
    if (seen >= half) return level;
  }
  return 255;
}

/** The page with dark text on a light background: as it is, or inverted. */
export function darkTextOnLight(image: GreyImage): { image: GreyImage; inverted: boolean } {
  if (image.data.length < MIN_PIXELS || medianGrey(image) >= DARK_BACKGROUND_MEDIAN) return { image, inverted: false };
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = 255 - image.data[i]!;
  return { image: { ...image, data }, inverted: true };
}
