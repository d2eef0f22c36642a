/**
 * A PDF image stored CCITT Group 4 fax coded (/CCITTFaxDecode with K < 0: how scanners and img2pdf store a bilevel
 * page), decoded by libtiff through sharp: the stream as it is, wrapped in a one-strip TIFF whose tags say what the PDF's
 * /DecodeParms say. Only what maps exactly onto TIFF is taken: Group 3 (K ≥ 0, whose end-of-line rules differ between
 * the two formats) and byte-aligned rows (EncodedByteAlign) are left to pdfjs.
 */
import sharp from 'sharp';
import { PDFBool, PDFDict, PDFName, PDFNumber, type PDFObject, type PDFRawStream } from 'pdf-lib';
import type { GreyImage } from '../core/ports.ts';
import { greyOf } from './sharp-grey.ts';

export interface CcittCoding {
  /** Whether the decoder's 1 bits are the coded black runs (/BlackIs1); by default they are its 0 bits. */
  blackIs1: boolean;
}

/** The coding of a /CCITTFaxDecode image, when it is one decoded here; null for anything else. */
export function ccittCoding(parms: PDFObject | undefined, width: number, height: number): CcittCoding | null {
  if (parms !== undefined && !(parms instanceof PDFDict)) return null;
  const value = (key: string) => parms?.lookup(PDFName.of(key));
  const number = (key: string, fallback: number) => {
    const v = value(key);
    return v === undefined ? fallback : v instanceof PDFNumber ? v.asNumber() : NaN;
  };
  const flag = (key: string, fallback: boolean) => {
    const v = value(key);
    return v === undefined ? fallback : v instanceof PDFBool ? v.asBoolean() : undefined;
  };
  const rows = number('Rows', 0);
  if (!(number('K', 0) < 0) || number('Columns', 1728) !== width || (rows !== 0 && rows !== height)) return null;
  if (flag('EncodedByteAlign', false) !== false) return null;
  const blackIs1 = flag('BlackIs1', false);
  return blackIs1 === undefined ? null : { blackIs1 };
}

/**
 * The image as grey pixels (0 black, 255 white) as the PDF shows it, at most `maxPixels` of them; null when libtiff
 * reports the stream damaged (pdfjs then renders what it can of it).
 */
export async function decodeCcitt(
  image: { stream: PDFRawStream; width: number; height: number; zeroIsWhite: boolean; dpi: number },
  coding: CcittCoding,
  maxPixels: number,
): Promise<GreyImage | null> {
  // The fax decoder's coded black runs come out as 1 bits; as a PDF shows them, they are black when the bit the PDF's
  // decoder gives them (1 with BlackIs1, else 0) is a black sample (a 0 sample, or a 1 under /Decode [1 0]).
  const codedBlackShowsBlack = coding.blackIs1 === image.zeroIsWhite;
  const tiff = g4Tiff(image.stream.contents, image.width, image.height, codedBlackShowsBlack ? WHITE_IS_ZERO : BLACK_IS_ZERO);
  try {
    const raw = await sharp(tiff, { limitInputPixels: maxPixels, failOn: 'warning' }).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    if (raw.info.width !== image.width || raw.info.height !== image.height || raw.info.channels !== 1) return null;
    return greyOf(raw, image.dpi);
  } catch {
    return null;
  }
}

/** BitsPerSample, Compression, PhotometricInterpretation, SamplesPerPixel: SHORT, as TIFF 6.0 has them. */
const SHORT_TAGS = new Set([258, 259, 262, 277]);
const WHITE_IS_ZERO = 0;
const BLACK_IS_ZERO = 1;

/** A little-endian TIFF of one strip holding `coded` as Group 4 data. */
function g4Tiff(coded: Uint8Array, width: number, height: number, photometric: number): Uint8Array {
  const tags: [tag: number, value: number][] = [
    [256, width], // ImageWidth
    [257, height], // ImageLength
    [258, 1], // BitsPerSample
    [259, 4], // Compression: CCITT T.6
    [262, photometric], // PhotometricInterpretation
    [273, 0], // StripOffsets (set below)
    [277, 1], // SamplesPerPixel
    [278, height], // RowsPerStrip
    [279, coded.length], // StripByteCounts
  ];
  const ifdBytes = 2 + tags.length * 12 + 4;
  const dataAt = 8 + ifdBytes;
  const tiff = new Uint8Array(dataAt + coded.length);
  const view = new DataView(tiff.buffer);
  view.setUint16(0, 0x4949, true); // "II"
  view.setUint16(2, 42, true);
  view.setUint32(4, 8, true);
  view.setUint16(8, tags.length, true);
  tags.forEach(([tag, value], i) => {
    const at = 10 + i * 12;
    view.setUint16(at, tag, true);
    const short = SHORT_TAGS.has(tag);
    view.setUint16(at + 2, short ? 3 : 4, true); // SHORT or LONG
    view.setUint32(at + 4, 1, true);
    if (short) view.setUint16(at + 8, value, true);
    else view.setUint32(at + 8, tag === 273 ? dataAt : value, true);
  });
  view.setUint32(10 + tags.length * 12, 0, true); // no next IFD
  tiff.set(coded, dataAt);
  return tiff;
}
