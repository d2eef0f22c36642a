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
  const cursor: Cursor = { bytes, pos: 2 };
  const header = readHeader(cursor, bytes[1]! - 0x30, maxPixels); // P1..P6
  const { width, height, channels } = header;
  const data = header.kind <= 3 ? decodeAsciiSamples(cursor, header) : decodeBinarySamples(cursor, header);
  return { width, height, channels, data };
}

/** A read position in the file, shared by the header and the ASCII samples that follow it. */
interface Cursor {
  bytes: Uint8Array;
  pos: number;
}

interface NetpbmHeader {
  /** 1..6 for P1..P6. */
  kind: number;
  width: number;
  height: number;
  maxValue: number;
  channels: 1 | 3;
  samples: number;
  /** A sample's value as an 8-bit grey or colour level (a PBM 1 is black). */
  scale: (v: number) => number;
}

/** The next whitespace-separated number, past any comments. */
function nextToken(cursor: Cursor): number {
  const { bytes } = cursor;
  for (;;) {
    while (cursor.pos < bytes.length && isSpace(bytes[cursor.pos]!)) cursor.pos++;
    if (bytes[cursor.pos] === 0x23) {
      while (cursor.pos < bytes.length && bytes[cursor.pos] !== 0x0a) cursor.pos++; // comment to end of line
      continue;
    }
    break;
  }
  const start = cursor.pos;
  while (cursor.pos < bytes.length && !isSpace(bytes[cursor.pos]!) && bytes[cursor.pos] !== 0x23) cursor.pos++;
  const value = Number(new TextDecoder().decode(bytes.subarray(start, cursor.pos)));
  if (!Number.isInteger(value) || value < 0) throw corrupt('bad header');
  return value;
}

function readHeader(cursor: Cursor, kind: number, maxPixels: number): NetpbmHeader {
  const width = nextToken(cursor);
  const height = nextToken(cursor);
  if (width === 0 || height === 0) throw corrupt('zero size');
  if (width * height > maxPixels) {
    throw new DocVaultError('IMAGE_TOO_LARGE', `The image is ${width}×${height} pixels; the limit is ${maxPixels} pixels per page.`, { width, height, limit: maxPixels });
  }
  const isBitmap = kind === 1 || kind === 4;
  const maxValue = isBitmap ? 1 : nextToken(cursor);
  if (maxValue === 0 || maxValue > 65535) throw corrupt('bad maximum value');
  const channels: 1 | 3 = kind === 3 || kind === 6 ? 3 : 1;
  const samples = width * height * channels;
  // Every sample takes at least a byte of the file (an eighth of one in P4): a header that claims
  // more than the file holds is refused before the pixels are allocated.
  const leastBytes = kind === 4 ? Math.ceil(width / 8) * height : kind <= 3 ? samples : samples * (maxValue > 255 ? 2 : 1);
  if (cursor.bytes.length - cursor.pos < leastBytes) throw corrupt('truncated');
  const scale = (v: number) => (isBitmap ? (v ? 0 : 255) : Math.round((v * 255) / maxValue));
  return { kind, width, height, maxValue, channels, samples, scale };
}

/** P1..P3: whitespace separated samples (P1 may have none between digits). */
function decodeAsciiSamples(cursor: Cursor, { kind, samples, scale }: NetpbmHeader): Uint8Array {
  const { bytes } = cursor;
  const out = new Uint8Array(samples);
  for (let i = 0; i < samples; i++) {
    if (kind === 1) {
      while (cursor.pos < bytes.length && bytes[cursor.pos] !== 0x30 && bytes[cursor.pos] !== 0x31) cursor.pos++;
      if (cursor.pos >= bytes.length) throw corrupt('truncated');
      out[i] = scale(bytes[cursor.pos++]! - 0x30);
    } else {
      out[i] = scale(nextToken(cursor));
    }
  }
  return out;
}

/** P4..P6: packed bits (P4), or one or two bytes a sample. */
function decodeBinarySamples(cursor: Cursor, { kind, width, height, maxValue, samples, scale }: NetpbmHeader): Uint8Array {
  const { bytes } = cursor;
  const out = new Uint8Array(samples);
  const pos = cursor.pos + 1; // exactly one whitespace byte after the header
  if (kind === 4) {
    const rowBytes = Math.ceil(width / 8);
    if (pos + rowBytes * height > bytes.length) throw corrupt('truncated');
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const bit = (bytes[pos + y * rowBytes + (x >> 3)]! >> (7 - (x & 7))) & 1;
        out[y * width + x] = scale(bit);
      }
    }
    return out;
  }
  const bytesPerSample = maxValue > 255 ? 2 : 1;
  if (pos + samples * bytesPerSample > bytes.length) throw corrupt('truncated');
  for (let i = 0; i < samples; i++) {
    const v = bytesPerSample === 2 ? (bytes[pos + 2 * i]! << 8) | bytes[pos + 2 * i + 1]! : bytes[pos + i]!;
    out[i] = scale(v);
  }
  return out;
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;
}

function corrupt(why: string): DocVaultError {
  return new DocVaultError('CORRUPT_DOCUMENT', `The Netpbm image cannot be read (${why}).`);
}
