/**
 * A page that is one CCITT G4 scan is decoded by libtiff, not painted by pdfjs: the same pixels, whichever way
 * /BlackIs1 and /Decode say black; a damaged stream is left to pdfjs; a page that is not only the scan, or a PDF
 * without a G4 image, does not take the path. The scans are made here: tess_phototest.tif, binarised and G4 coded by
 * sharp (one tile the size of the image, so one G4 stream), put in a PDF by pdf-lib as img2pdf does.
 */
import { resolve } from 'node:path';
import { degrees, PDFDocument, PDFName, PDFNumber, StandardFonts, type PDFDict } from 'pdf-lib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { GreyImage } from '../../../shared/core/ports.ts';
import { PageScans } from '../../../shared/engines/pdf-page-scan.ts';
import { mayHoldScans } from '../../../shared/engines/pdf-scan-filter.ts';
import { openPdf } from '../../../shared/engines/pdf-source.ts';
import { testOcr } from '../../support/ocr.ts';

const FIXTURE = resolve(import.meta.dirname, '../../fixtures/tess_phototest.tif');
const DPI = 300;

/** The fixture as 1-bit G4 data of a width and height that are multiples of 16 (one TIFF tile). */
async function g4Scan(): Promise<{ coded: Uint8Array; width: number; height: number; pixels: Uint8Array }> {
  const { info } = await sharp(FIXTURE).toBuffer({ resolveWithObject: true });
  const width = Math.ceil(info.width / 16) * 16;
  const height = Math.ceil(info.height / 16) * 16;
  const grey = await sharp(FIXTURE)
    .greyscale()
    .extend({ right: width - info.width, bottom: height - info.height, background: '#ffffff' })
    .threshold(128)
    .extractChannel(0)
    .raw()
    .toBuffer();
  // libvips writes 1-bit TIFFs min-is-black, coding its 1 (white) bits as the fax's black runs: the page goes in
  // negated, so that the coded black runs are its ink, as a scanner codes them.
  const tiff = await sharp(grey, { raw: { width, height, channels: 1 } })
    .negate()
    .toColourspace('b-w')
    .tiff({ compression: 'ccittfax4', bitdepth: 1, tile: true, tileWidth: width, tileHeight: height })
    .toBuffer();
  return { coded: tileOf(tiff), width, height, pixels: new Uint8Array(grey) };
}

/** The one tile's bytes of a little-endian TIFF (TileOffsets 324, TileByteCounts 325). */
function tileOf(tiff: Buffer): Uint8Array {
  const ifd = tiff.readUInt32LE(4);
  const entries = tiff.readUInt16LE(ifd);
  const tag = (id: number) => {
    for (let i = 0; i < entries; i++) {
      const at = ifd + 2 + i * 12;
      if (tiff.readUInt16LE(at) === id) {
        expect(tiff.readUInt32LE(at + 4)).toBe(1);
        return tiff.readUInt16LE(at + 2) === 3 ? tiff.readUInt16LE(at + 8) : tiff.readUInt32LE(at + 8);
      }
    }
    throw new Error(`TIFF tag ${id} missing`);
  };
  return tiff.subarray(tag(324), tag(324) + tag(325));
}

interface Variant {
  blackIs1?: boolean;
  decodeInverted?: boolean;
  mask?: boolean;
  /** Bytes of the coded stream kept (a truncated download). */
  keep?: number;
  /** Content drawn after the scan (the page is then not only the scan). */
  extra?: string;
  rotate?: number;
}

/** A one-page PDF of the scan at 300 dpi, the image coded as `variant` says. */
async function scanPdf(scan: Awaited<ReturnType<typeof g4Scan>>, variant: Variant = {}): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const w = (scan.width * 72) / DPI;
  const h = (scan.height * 72) / DPI;
  const page = doc.addPage([w, h]);
  const coded = variant.keep === undefined ? scan.coded : scan.coded.subarray(0, variant.keep);
  // With /BlackIs1 the PDF's decoder gives coded black as 1 bits: the same data then shows inverted unless /Decode flips it.
  const parms: Record<string, number | boolean> = { K: -1, Columns: scan.width, Rows: scan.height };
  if (variant.blackIs1) parms.BlackIs1 = true;
  const dict: Parameters<PDFDocument['context']['stream']>[1] & object = { Type: 'XObject', Subtype: 'Image', Width: scan.width, Height: scan.height, Filter: 'CCITTFaxDecode', DecodeParms: parms };
  if (variant.mask) dict.ImageMask = true;
  else Object.assign(dict, { ColorSpace: 'DeviceGray', BitsPerComponent: 1 });
  if (variant.decodeInverted) dict.Decode = [1, 0];
  if (variant.rotate) page.setRotation(degrees(variant.rotate));
  const image = doc.context.register(doc.context.stream(coded, dict));
  page.node.setXObject(PDFName.of('Im0'), image);
  // As img2pdf writes it.
  const content = `q\n${w.toFixed(4)} 0 0 ${h.toFixed(4)} 0.0000 0.0000 cm\n/Im0 Do\nQ${variant.extra ?? ''}`;
  page.node.set(PDFName.of('Contents'), doc.context.register(doc.context.stream(content)));
  // Without object streams, as img2pdf and scanners write a PDF (pdf-scan-filter.ts).
  return doc.save({ useObjectStreams: false });
}

async function rendered(pdf: Uint8Array, maxPixelsPerPage = 50_000_000): Promise<GreyImage> {
  const source = await openPdf(pdf, { dpi: DPI, defaultImageDpi: DPI, maxPixelsPerPage });
  try {
    return await (await source.page(0)).render();
  } finally {
    await source.close();
  }
}

/** Decoded by us, or null when the page is left to pdfjs. */
async function decoded(pdf: Uint8Array): Promise<GreyImage | null> {
  return new PageScans(pdf).decoded(0, { maxPixels: 50_000_000, dpi: DPI });
}

/** The share of pixels that differ in ink (≤ 128) between two images of one size. */
function inkDifference(a: GreyImage, b: GreyImage): number {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let differ = 0;
  for (let i = 0; i < a.data.length; i++) if (a.data[i]! <= 128 !== b.data[i]! <= 128) differ++;
  return differ / a.data.length;
}

const inkShare = (image: GreyImage) => image.data.filter((v) => v <= 128).length / image.data.length;

describe('a page that is one CCITT G4 scan', async () => {
  const scan = await g4Scan();

  it('decodes to the scan pixels, as pdfjs paints them', async () => {
    const plain = await scanPdf(scan);
    const ours = await decoded(plain);
    expect(ours).not.toBeNull();
    expect(ours!.dpi).toBeCloseTo(DPI, 6);
    expect(inkDifference(ours!, { ...ours!, data: scan.pixels })).toBe(0);
    // pdfjs's render of the same page (a no-op fill colour after the image keeps it off our path), at the scan's DPI.
    expect(await decoded(await scanPdf(scan, { extra: ' 0 g' }))).toBeNull();
    const source = await openPdf(await scanPdf(scan, { extra: ' 0 g' }), { dpi: DPI, defaultImageDpi: DPI, maxPixelsPerPage: 50_000_000 });
    try {
      // The same page through the source both ways: read at the same reading resolution, the same ink within 0.5%.
      const viaPdfjs = await (await source.page(0)).render();
      const viaUs = await rendered(plain);
      expect(viaUs.dpi).toBe(viaPdfjs.dpi);
      expect(inkDifference(viaUs, viaPdfjs)).toBeLessThan(0.005);
    } finally {
      await source.close();
    }
  }, 120_000);

  it('is black on white whichever way /BlackIs1, /Decode and /ImageMask say black, and inverted when they say so', async () => {
    const ink = inkShare({ width: scan.width, height: scan.height, data: scan.pixels, dpi: DPI });
    expect(ink).toBeGreaterThan(0.01);
    expect(ink).toBeLessThan(0.3);
    for (const variant of [{}, { blackIs1: true, decodeInverted: true }, { mask: true }, { mask: true, blackIs1: true, decodeInverted: true }]) {
      const image = await decoded(await scanPdf(scan, variant));
      expect(image, JSON.stringify(variant)).not.toBeNull();
      expect(inkDifference(image!, { ...image!, data: scan.pixels }), JSON.stringify(variant)).toBe(0);
    }
    // /BlackIs1 alone, or /Decode [1 0] alone, shows the page white on black (pdfjs paints it so too).
    for (const variant of [{ blackIs1: true }, { decodeInverted: true }]) {
      const image = await decoded(await scanPdf(scan, variant));
      expect(inkShare(image!), JSON.stringify(variant)).toBeCloseTo(1 - ink, 6);
      const viaPdfjs = await rendered(await scanPdf(scan, { ...variant, extra: ' 0 g' }));
      expect(inkDifference(await rendered(await scanPdf(scan, variant)), viaPdfjs), JSON.stringify(variant)).toBeLessThan(0.005);
    }
  }, 120_000);

  it('leaves a damaged stream to pdfjs', async () => {
    const truncated = await scanPdf(scan, { keep: Math.floor(scan.coded.length / 2) });
    expect(await decoded(truncated)).toBeNull();
    const garbage = await scanPdf({ ...scan, coded: new Uint8Array(scan.coded.length).fill(0) });
    expect(await decoded(garbage)).toBeNull();
    // pdfjs renders what it can of it: the page is read, not failed.
    const page = await rendered(truncated);
    expect(page.width).toBeGreaterThan(0);
  }, 120_000);

  it('is decoded only within the page pixel budget, and at or above the render DPI', async () => {
    const pdf = await scanPdf(scan);
    expect(await new PageScans(pdf).decoded(0, { maxPixels: scan.width * scan.height - 1, dpi: DPI })).toBeNull();
    // Scanned at 300 dpi, rendered at 400: pdfjs renders it up, as before.
    expect(await new PageScans(pdf).decoded(0, { maxPixels: 50_000_000, dpi: 400 })).toBeNull();
    const page = await rendered(pdf, scan.width * scan.height - 1);
    expect(page.width * page.height).toBeLessThan(scan.width * scan.height);
  }, 120_000);
});

describe('which PDFs pdf-lib parses for their scans', () => {
  it('a plain file naming a G4 or JPEG filter; not one with object streams, without those filters, or with too many objects', async () => {
    const scan = await g4Scan();
    const plain = await scanPdf(scan);
    expect(mayHoldScans(plain)).toBe(true);
    const withObjectStreams = await (await PDFDocument.load(plain)).save({ useObjectStreams: true });
    expect(Buffer.from(withObjectStreams).includes('/ObjStm')).toBe(true);
    expect(mayHoldScans(withObjectStreams)).toBe(false);
    const doc = await PDFDocument.create();
    doc.addPage([612, 792]);
    expect(mayHoldScans(await doc.save({ useObjectStreams: false }))).toBe(false);
    const many = Buffer.concat([Buffer.from(plain), Buffer.from('1 0 obj null endobj\n'.repeat(100_000))]);
    expect(mayHoldScans(many)).toBe(false);
  });
});

describe('a page that is not one G4 scan', () => {
  it('is left to pdfjs', async () => {
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    doc.addPage([612, 792]).drawText('An ordinary text page', { x: 72, y: 700, size: 12, font });
    const text = await doc.save();
    expect(await decoded(text)).toBeNull();
    // No G4 image in the file: pdf-lib is not even loaded for it.
    expect(mayHoldScans(text)).toBe(false);
  });

  it('is left to pdfjs when the page is rotated, or the image is not G4 as TIFF has it (byte-aligned rows, Group 3)', async () => {
    const scan = await g4Scan();
    expect(await decoded(await scanPdf(scan, { rotate: 90 }))).toBeNull();
    // A malformed page (its /Rotate a name): left to pdfjs, not an exception.
    const odd = await PDFDocument.load(await scanPdf(scan));
    odd.getPages()[0]!.node.set(PDFName.of('Rotate'), PDFName.of('Ninety'));
    expect(await decoded(await odd.save())).toBeNull();
    for (const change of [{ EncodedByteAlign: true }, { K: 0 }, { K: 1 }, { Columns: scan.width + 8 }]) {
      const doc = await PDFDocument.load(await scanPdf(scan));
      const xobjects = doc.getPages()[0]!.node.Resources()!.lookup(PDFName.of('XObject')) as PDFDict;
      const stream = xobjects.lookup(PDFName.of('Im0')) as unknown as { dict: PDFDict };
      const decodeParms = stream.dict.lookup(PDFName.of('DecodeParms')) as PDFDict;
      for (const [key, value] of Object.entries(change)) decodeParms.set(PDFName.of(key), typeof value === 'boolean' ? doc.context.obj(value) : PDFNumber.of(value));
      expect(await decoded(await doc.save()), JSON.stringify(change)).toBeNull();
    }
  }, 120_000);
});

/** A one-page PDF of one JPEG over the whole page, drawn at `dpi`, its dictionary as given. */
async function jpegPdf(jpeg: Uint8Array, width: number, height: number, dpi: number, dict: Record<string, string | number>, extra = ''): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const w = (width * 72) / dpi;
  const h = (height * 72) / dpi;
  const page = doc.addPage([w, h]);
  const image = doc.context.register(doc.context.stream(jpeg, { Type: 'XObject', Subtype: 'Image', Width: width, Height: height, BitsPerComponent: 8, Filter: 'DCTDecode', ...dict }));
  page.node.setXObject(PDFName.of('Im0'), image);
  page.node.set(PDFName.of('Contents'), doc.context.register(doc.context.stream(`q\n${w.toFixed(4)} 0 0 ${h.toFixed(4)} 0.0000 0.0000 cm\n/Im0 Do\nQ${extra}`)));
  return doc.save({ useObjectStreams: false });
}

/** The mean absolute difference of two grey images of one size, in grey levels. */
function meanDifference(a: GreyImage, b: GreyImage): number {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i]! - b.data[i]!);
  return sum / a.data.length;
}

describe('a page that is one JPEG scan', async () => {
  // tess_phototest.tif tinted (so that the colour's luma matters), as a colour and a grey JPEG.
  const { info } = await sharp(FIXTURE).toBuffer({ resolveWithObject: true });
  const colour = await sharp(FIXTURE).removeAlpha().toColourspace('srgb').tint('#3050a0').jpeg({ quality: 85 }).toBuffer();
  const grey = await sharp(FIXTURE).greyscale().toColourspace('b-w').jpeg({ quality: 85 }).toBuffer();

  for (const [name, jpeg, space, dpi] of [
    ['colour, at the render DPI', colour, 'DeviceRGB', DPI],
    ['grey, at the render DPI', grey, 'DeviceGray', DPI],
    ['colour, at 200 dpi (resized to the render DPI)', colour, 'DeviceRGB', 200],
  ] as const) {
    it(`decodes to the pixels pdfjs renders: ${name}`, async () => {
      const pdf = await jpegPdf(jpeg, info.width, info.height, dpi, { ColorSpace: space });
      const ours = await decoded(pdf);
      expect(ours).not.toBeNull();
      expect(ours!.dpi).toBe(DPI);
      const viaPdfjs = await rendered(await jpegPdf(jpeg, info.width, info.height, dpi, { ColorSpace: space }, ' 0 g'));
      expect(await decoded(await jpegPdf(jpeg, info.width, info.height, dpi, { ColorSpace: space }, ' 0 g'))).toBeNull();
      const viaUs = await rendered(pdf);
      expect(viaUs.dpi).toBe(DPI);
      // Two JPEG decoders (and, resized, two resamplers): a grey level or a few apart on average, the ink the same within 1%.
      expect(meanDifference(viaUs, viaPdfjs)).toBeLessThan(dpi === DPI ? 1.5 : 6);
      // openPdf took the path: another resampler than the canvas's.
      if (dpi !== DPI) expect(meanDifference(viaUs, viaPdfjs)).toBeGreaterThan(0.5);
      // Upscaled, the two resamplers (libvips' lanczos3, the canvas's) part on the edges of strokes: 1.3% of pixels here.
      expect(inkDifference(viaUs, viaPdfjs)).toBeLessThan(dpi === DPI ? 0.01 : 0.02);
      expect(inkShare(viaUs)).toBeGreaterThan(0.01);
    }, 120_000);
  }

  it('is read as pdfjs would have it read: the same text', async () => {
    const ocr = testOcr({ workers: 1 });
    try {
      const { result } = await ocr.process(await jpegPdf(colour, info.width, info.height, DPI, { ColorSpace: 'DeviceRGB' }));
      const { result: viaPdfjs } = await ocr.process(await jpegPdf(colour, info.width, info.height, DPI, { ColorSpace: 'DeviceRGB' }, ' 0 g'));
      expect(result.pages[0]!.status).toBe('ok');
      expect(result.text).toContain('12 point text to test');
      expect(result.text).toBe(viaPdfjs.text);
    } finally {
      await ocr.close();
    }
  }, 300_000);

  it('takes an ICC-based grey colour space (as img2pdf writes a JPEG with a profile) as grey', async () => {
    const doc = await PDFDocument.load(await jpegPdf(grey, info.width, info.height, DPI, { ColorSpace: 'DeviceGray' }));
    const xobjects = doc.getPages()[0]!.node.Resources()!.lookup(PDFName.of('XObject')) as PDFDict;
    const stream = xobjects.lookup(PDFName.of('Im0')) as unknown as { dict: PDFDict };
    const profile = doc.context.register(doc.context.stream(new Uint8Array(0), { N: 1, Alternate: 'DeviceGray' }));
    stream.dict.set(PDFName.of('ColorSpace'), doc.context.obj([PDFName.of('ICCBased'), profile]));
    const pdf = await doc.save();
    const ours = await decoded(pdf);
    expect(ours).not.toBeNull();
    expect(meanDifference(ours!, await rendered(await jpegPdf(grey, info.width, info.height, DPI, { ColorSpace: 'DeviceGray' }, ' 0 g')))).toBeLessThan(1.5);
  }, 120_000);

  it('is left to pdfjs when it is not what its dictionary says, or damaged', async () => {
    // Grey data said to be RGB, CMYK, a /Decode, a truncated file.
    expect(await decoded(await jpegPdf(grey, info.width, info.height, DPI, { ColorSpace: 'DeviceRGB' }))).toBeNull();
    const cmyk = await sharp(FIXTURE).removeAlpha().toColourspace('cmyk').jpeg().toBuffer();
    expect(await decoded(await jpegPdf(cmyk, info.width, info.height, DPI, { ColorSpace: 'DeviceCMYK' }))).toBeNull();
    expect(await decoded(await jpegPdf(cmyk, info.width, info.height, DPI, { ColorSpace: 'DeviceRGB' }))).toBeNull();
    const truncated = await jpegPdf(colour.subarray(0, colour.length >> 1), info.width, info.height, DPI, { ColorSpace: 'DeviceRGB' });
    expect(await decoded(truncated)).toBeNull();
    expect(await decoded(await jpegPdf(colour, info.width + 1, info.height, DPI, { ColorSpace: 'DeviceRGB' }))).toBeNull();
    // pdfjs renders what it can of the damaged one: the page is read, not failed.
    expect((await rendered(truncated)).width).toBeGreaterThan(0);
  }, 120_000);
});
