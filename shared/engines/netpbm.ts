/**
 * Netpbm (PBM/PGM/PPM, ASCII and binary) decoder. Neither sharp nor libvips' default build reads
 * it, and the format is small enough that a decoder is a page of code.
 */
import { DocVaultError } from '../core/errors.ts';

export interface RawPixels {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Uint8Array;
}

export function decodeNetpbm(bytes: Uint8Array, maxPixels: number): RawPixels {
  let pos = 2;
  const kind = bytes[1]! - 0x30; // P1..P6
  const nextToken = (): number => {
    for (;;) {
      while (pos < bytes.length && isSpace(bytes[pos]!)) pos++;
      if (bytes[pos] === 0x23) {
        while (pos < bytes.length && bytes[pos] !== 0x0a) pos++; // comment to end of line
        continue;
      }
      break;
    }
    const start = pos;
    while (pos < bytes.length && !isSpace(bytes[pos]!) && bytes[pos] !== 0x23) pos++;
    const value = Number(new TextDecoder().decode(bytes.subarray(start, pos)));
    if (!Number.isInteger(value) || value < 0) throw corrupt('bad header');
    return value;
  };
  const width = nextToken();
  const height = nextToken();
  if (width === 0 || height === 0) throw corrupt('zero size');
  if (width * height > maxPixels) {
    throw new DocVaultError('IMAGE_TOO_LARGE', `The image is ${width}×${height} pixels; the limit is ${maxPixels} pixels per page.`, { width, height, limit: maxPixels });
  }
  const isBitmap = kind === 1 || kind === 4;
  const maxValue = isBitmap ? 1 : nextToken();
  if (maxValue === 0 || maxValue > 65535) throw corrupt('bad maximum value');
  const channels: 1 | 3 = kind === 3 || kind === 6 ? 3 : 1;
  const samples = width * height * channels;
  // Every sample takes at least a byte of the file (an eighth of one in P4): a header that claims
  // more than the file holds is refused before the pixels are allocated.
  const leastBytes = kind === 4 ? Math.ceil(width / 8) * height : kind <= 3 ? samples : samples * (maxValue > 255 ? 2 : 1);
  if (bytes.length - pos < leastBytes) throw corrupt('truncated');
  const out = new Uint8Array(samples);
  const scale = (v: number) => (isBitmap ? (v ? 0 : 255) : Math.round((v * 255) / maxValue));

  if (kind <= 3) {
    // ASCII: whitespace separated samples (P1 may have none between digits).
    for (let i = 0; i < samples; i++) {
      if (kind === 1) {
        while (pos < bytes.length && bytes[pos] !== 0x30 && bytes[pos] !== 0x31) pos++;
        if (pos >= bytes.length) throw corrupt('truncated');
        out[i] = scale(bytes[pos++]! - 0x30);
      } else {
        out[i] = scale(nextToken());
      }
    }
    return { width, height, channels, data: out };
  }

  pos += 1; // exactly one whitespace byte after the header
  if (kind === 4) {
    const rowBytes = Math.ceil(width / 8);
    if (pos + rowBytes * height > bytes.length) throw corrupt('truncated');
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const bit = (bytes[pos + y * rowBytes + (x >> 3)]! >> (7 - (x & 7))) & 1;
        out[y * width + x] = scale(bit);
      }
    }
    return { width, height, channels, data: out };
  }
  const bytesPerSample = maxValue > 255 ? 2 : 1;
  if (pos + samples * bytesPerSample > bytes.length) throw corrupt('truncated');
  for (let i = 0; i < samples; i++) {
    const v = bytesPerSample === 2 ? (bytes[pos + 2 * i]! << 8) | bytes[pos + 2 * i + 1]! : bytes[pos + i]!;
    out[i] = scale(v);
  }
  return { width, height, channels, data: out };
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;
}

function corrupt(why: string): DocVaultError {
  return new DocVaultError('CORRUPT_DOCUMENT', `The Netpbm image cannot be read (${why}).`);
}
