/**
 * The scan a PDF page consists of, decoded by us. A plotter-sized scan (an 8400 pt page holding one
 * 35000² 1-bit image) is over pdfjs's image size limit, so pdfjs leaves the image out and the page
 * renders blank; whole, it would be 1.2 billion grey pixels. Its bits are read here row by row,
 * twice, as they inflate: once to find the ink, once to keep the rows around it, so the memory held
 * is the crop, not the page. Only the plain case: a page whose content draws one Flate-compressed (or
 * uncompressed) 1- or 8-bit grey image over the whole page; anything else is left to pdfjs (null).
 * An ordinary-sized page that is one CCITT fax coded image (a scanner's G4 page) is decoded whole by libtiff
 * instead of pdfjs (decoded()): the same pixels at a fraction of the CPU.
 */
import { createInflate, inflateSync } from 'node:zlib';
import { PDFArray, PDFName, PDFNumber, PDFRawStream, type PDFDict, type PDFDocument } from 'pdf-lib';
import type { GreyImage } from '../core/ports.ts';
import { ccittCoding, decodeCcitt, type CcittCoding } from './ccitt-image.ts';
import { decodeJpeg } from './jpeg-image.ts';
import { loadPdfDocumentOrNull } from './pdf-structure-guard.ts';

/** A pixel at most this bright is ink. */
const INK_LEVEL = 128;

export interface ScanOptions {
  /** The crop is kept at the scan's own resolution when it fits in this many pixels; else it is shrunk to fit. */
  maxPixels: number;
  signal?: AbortSignal | undefined;
}

interface ScanImage {
  stream: PDFRawStream;
  /** How the samples are stored: inflated or as they are (read here row by row), or CCITT fax coded (decoded by libtiff). */
  coding: 'flate' | 'none' | 'jpeg' | CcittCoding;
  /** 1 (grey) or 3 (RGB: a JPEG only). */
  channels: 1 | 3;
  /** The page's size in points. */
  page: { width: number; height: number };
  width: number;
  height: number;
  bits: 1 | 8;
  /** Whether a 0 sample is white (a /Decode [1 0] image, or an image mask). */
  zeroIsWhite: boolean;
  dpi: number;
}

/** The pages' scans of one document, read with pdf-lib from its bytes when first asked for. */
export class PageScans {
  private doc: Promise<PDFDocument | null> | undefined;
  private readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /**
   * The page's scan cut to its ink (a sixth of an inch around it), at the scan's resolution if that
   * fits in `maxPixels`; null when the page is not a plain scan or the scan is blank (pdfjs's preview says so cheaper).
   */
  async inkOf(index: number, options: ScanOptions): Promise<GreyImage | null> {
    const doc = await this.document();
    if (!doc) return null;
    const scan = plainScan(doc, index);
    if (!scan || (scan.coding !== 'flate' && scan.coding !== 'none')) return null;
    const ink = await inkRows(scan, options.signal);
    if (!ink) return null;
    const margin = Math.ceil(scan.dpi / 6);
    const box = {
      x0: Math.max(0, ink.x0 - margin),
      y0: Math.max(0, ink.y0 - margin),
      x1: Math.min(scan.width, ink.x1 + 1 + margin),
      y1: Math.min(scan.height, ink.y1 + 1 + margin),
    };
    // Shrunk by a whole factor (box averaging) when the crop is over the budget.
    const factor = Math.ceil(Math.sqrt(((box.x1 - box.x0) * (box.y1 - box.y0)) / options.maxPixels));
    return cropRows(scan, box, Math.max(1, factor), options.signal);
  }

  /**
   * The page's scan decoded whole, when the page is one CCITT G4 image (how scanners store a bilevel page: decoded by
   * libtiff at its own resolution) or one grey or RGB JPEG (decoded by libjpeg-turbo at `dpi`, as pdfjs would render
   * the page) of at most `maxPixels`. Null when the page is anything else, or the stream does not decode cleanly
   * (pdfjs renders it then).
   */
  async decoded(index: number, options: ScanOptions & { dpi: number }): Promise<GreyImage | null> {
    const doc = await this.document();
    if (!doc) return null;
    const scan = plainScan(doc, index);
    if (!scan || scan.width * scan.height > options.maxPixels) return null;
    options.signal?.throwIfAborted();
    if (scan.coding === 'jpeg') {
      // At the DPI pdfjs would render the page at: the same page, decoded natively.
      const out = { width: Math.ceil((scan.page.width * options.dpi) / 72), height: Math.ceil((scan.page.height * options.dpi) / 72), dpi: options.dpi };
      if (out.width * out.height > options.maxPixels) return null;
      return decodeJpeg({ bytes: scan.stream.contents, width: scan.width, height: scan.height, channels: scan.channels }, out, options.maxPixels);
    }
    // A G4 scan below the render DPI is left to pdfjs, which renders it up to that DPI in grey, as before.
    if (typeof scan.coding === 'string' || scan.dpi < options.dpi * 0.99) return null;
    return decodeCcitt(scan, scan.coding, options.maxPixels);
  }

  private async document(): Promise<PDFDocument | null> {
    this.doc ??= loadPdfDocumentOrNull(this.bytes, { ignoreEncryption: true, updateMetadata: false, throwOnInvalidObject: false });
    const doc = await this.doc;
    return doc && !doc.isEncrypted ? doc : null;
  }
}

/** soleImage, null for a page whose objects pdf-lib finds malformed (a /Rotate that is a name, say): pdfjs has it. */
function plainScan(doc: PDFDocument, index: number): ScanImage | null {
  try {
    return soleImage(doc, index);
  } catch {
    return null;
  }
}

/** The one image the page's content draws over the whole page, if that is all it draws. */
function soleImage(doc: PDFDocument, index: number): ScanImage | null {
  const page = doc.getPages()[index];
  // A rotated page is shown turned, as pdfjs renders it: left to pdfjs.
  if (!page || page.getRotation().angle % 360 !== 0) return null;
  const content = contentText(page.node.Contents());
  if (content === null) return null;
  const { x: pageX, y: pageY, width: pageWidth, height: pageHeight } = page.getMediaBox();
  // pdfjs shows the crop box: one that cuts the page is left to it.
  const crop = page.getCropBox();
  if (crop.x !== pageX || crop.y !== pageY || crop.width !== pageWidth || crop.height !== pageHeight) return null;
  // `q W 0 0 H X Y cm /Im Do Q`, zeros written as 0 or 0.0000 (img2pdf), the image's corner at the page's.
  const draw = /^\s*q\s+([\d.]+)\s+0(?:\.0*)?\s+0(?:\.0*)?\s+([\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+cm\s+\/([^\s/]+)\s+Do\s+Q\s*$/.exec(content);
  const near = (value: string | undefined, expected: number) => Math.abs(Number(value) - expected) <= 1;
  if (!draw || !near(draw[1], pageWidth) || !near(draw[2], pageHeight) || !near(draw[3], pageX) || !near(draw[4], pageY)) return null;
  const xobjects = page.node.Resources()?.lookup(PDFName.of('XObject'));
  const stream = xobjects && 'lookup' in xobjects ? (xobjects as PDFDict).lookup(PDFName.of(draw[5]!)) : undefined;
  if (!(stream instanceof PDFRawStream)) return null;
  const dict = stream.dict;
  const number = (key: string) => {
    const value = dict.lookup(PDFName.of(key));
    return value instanceof PDFNumber ? value.asNumber() : undefined;
  };
  const width = number('Width');
  const height = number('Height');
  const mask = dict.lookup(PDFName.of('ImageMask'))?.toString() === 'true';
  const bits = mask ? 1 : number('BitsPerComponent');
  if (!width || !height || (bits !== 1 && bits !== 8)) return null;
  const channels = mask ? 1 : channelsOf(dict.lookup(PDFName.of('ColorSpace')));
  if (channels === 0 || dict.has(PDFName.of('SMask')) || dict.has(PDFName.of('Mask'))) return null;
  const decode = dict.lookup(PDFName.of('Decode'));
  // A 0 sample is black in a grey image and painted (black) in an image mask, unless /Decode is [1 0].
  const zeroIsWhite = decode instanceof PDFArray && decode.size() === 2 && decode.lookup(0)?.toString() === '1';
  const coding = codingOf(dict, width, height, bits);
  // An RGB image only as a JPEG; a JPEG only as its samples are (no /Decode).
  if (!coding || (channels === 3 && coding !== 'jpeg') || (coding === 'jpeg' && (decode !== undefined || mask))) return null;
  // A scan's pixels are square: one stretched over the page (a fax's 204×98 dpi, say) is left to pdfjs.
  if (Math.abs(width / pageWidth - height / pageHeight) > 0.01 * (width / pageWidth)) return null;
  return { stream, coding, channels: channels as 1 | 3, page: { width: pageWidth, height: pageHeight }, width, height, bits, zeroIsWhite, dpi: (width / pageWidth) * 72 };
}

/** 1 for a grey colour space, 3 for an RGB one (an ICC-based one by its /N, as pdfjs draws it), else 0. */
function channelsOf(space: unknown): number {
  if (space === PDFName.of('DeviceGray')) return 1;
  if (space === PDFName.of('DeviceRGB')) return 3;
  if (!(space instanceof PDFArray) || space.size() !== 2 || space.lookup(0) !== PDFName.of('ICCBased')) return 0;
  const profile = space.lookup(1);
  const n = profile instanceof PDFRawStream ? profile.dict.lookup(PDFName.of('N')) : undefined;
  return n instanceof PDFNumber && (n.asNumber() === 1 || n.asNumber() === 3) ? n.asNumber() : 0;
}

/** The image's one filter, when it is one read here; null for any other (or a chain of filters). */
function codingOf(dict: PDFDict, width: number, height: number, bits: number): ScanImage['coding'] | null {
  let filter = dict.lookup(PDFName.of('Filter'));
  let parms = dict.lookup(PDFName.of('DecodeParms'));
  if (filter instanceof PDFArray && filter.size() === 1) filter = filter.lookup(0);
  if (parms instanceof PDFArray && parms.size() === 1) parms = parms.lookup(0);
  if (filter === undefined || filter === PDFName.of('FlateDecode')) return parms === undefined ? (filter ? 'flate' : 'none') : null;
  if (filter === PDFName.of('DCTDecode')) return parms === undefined && bits === 8 ? 'jpeg' : null;
  if (filter !== PDFName.of('CCITTFaxDecode') || bits !== 1) return null;
  return ccittCoding(parms, width, height);
}

/** A content stream of one `q … cm /Im Do Q` is a few dozen bytes: a longer one draws more than a scan. */
const MAX_CONTENT_BYTES = 4096;

function contentText(contents: unknown): string | null {
  if (!(contents instanceof PDFRawStream) || contents.contents.length > MAX_CONTENT_BYTES) return null;
  const filter = contents.dict.lookup(PDFName.of('Filter'));
  if (filter === undefined) return Buffer.from(contents.contents).toString('latin1');
  if (filter !== PDFName.of('FlateDecode')) return null;
  try {
    return inflateSync(contents.contents, { maxOutputLength: MAX_CONTENT_BYTES }).toString('latin1');
  } catch {
    return null;
  }
}

/** The scan's rows as they inflate, one at a time, as stored (packed bits or grey bytes). */
async function* rows(scan: ScanImage, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array> {
  const rowBytes = scan.bits === 1 ? Math.ceil(scan.width / 8) : scan.width;
  const filtered = scan.coding === 'flate';
  const source: AsyncIterable<Buffer> | Iterable<Uint8Array> = filtered ? createInflate().end(scan.stream.contents) : [scan.stream.contents];
  let pending: Uint8Array = new Uint8Array(0);
  let y = 0;
  for await (const chunk of source) {
    signal?.throwIfAborted();
    const bytes = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    let at = 0;
    for (; at + rowBytes <= bytes.length && y < scan.height; at += rowBytes, y++) yield bytes.subarray(at, at + rowBytes);
    pending = bytes.subarray(at);
  }
}

/** Sample x of a stored row as grey (0 black … 255 white). */
function greyAt(scan: ScanImage, row: Uint8Array, x: number): number {
  const sample = scan.bits === 1 ? ((row[x >> 3]! >> (7 - (x & 7))) & 1) * 255 : row[x]!;
  return scan.zeroIsWhite ? 255 - sample : sample;
}

/** The box around the scan's ink, or null for a blank scan. */
async function inkRows(scan: ScanImage, signal: AbortSignal | undefined): Promise<{ x0: number; y0: number; x1: number; y1: number } | null> {
  // A packed byte of eight white samples: rows are skipped a byte at a time until one differs.
  const white = scan.zeroIsWhite ? 0x00 : 0xff;
  const isInk = (row: Uint8Array, x: number) => greyAt(scan, row, x) <= INK_LEVEL;
  let x0 = scan.width;
  let x1 = -1;
  let y0 = -1;
  let y1 = -1;
  let y = 0;
  for await (const row of rows(scan, signal)) {
    let first = -1;
    let last = -1;
    if (scan.bits === 1) {
      for (let b = 0; b < row.length; b++) {
        if (row[b] === white) continue;
        for (let x = b * 8; x < Math.min(scan.width, b * 8 + 8); x++) {
          if (!isInk(row, x)) continue;
          if (first < 0) first = x;
          last = x;
        }
      }
    } else {
      for (let x = 0; x < scan.width; x++) {
        if (!isInk(row, x)) continue;
        if (first < 0) first = x;
        last = x;
      }
    }
    if (first >= 0) {
      if (y0 < 0) y0 = y;
      y1 = y;
      x0 = Math.min(x0, first);
      x1 = Math.max(x1, last);
    }
    y++;
  }
  return y0 < 0 ? null : { x0, y0, x1, y1 };
}

/** The box of the scan as grey pixels, each `factor`² block averaged into one. */
async function cropRows(scan: ScanImage, box: { x0: number; y0: number; x1: number; y1: number }, factor: number, signal: AbortSignal | undefined): Promise<GreyImage> {
  const width = Math.ceil((box.x1 - box.x0) / factor);
  const height = Math.ceil((box.y1 - box.y0) / factor);
  const sums = new Uint32Array(width * height);
  const counts = new Uint32Array(width * height);
  let y = 0;
  for await (const row of rows(scan, signal)) {
    if (y >= box.y1) break;
    if (y >= box.y0) {
      const offset = Math.floor((y - box.y0) / factor) * width;
      for (let x = box.x0; x < box.x1; x++) {
        const i = offset + Math.floor((x - box.x0) / factor);
        sums[i]! += greyAt(scan, row, x);
        counts[i]! += 1;
      }
    }
    y++;
  }
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = counts[i] ? Math.round(sums[i]! / counts[i]!) : 255;
  return { width, height, data, dpi: scan.dpi / factor };
}
