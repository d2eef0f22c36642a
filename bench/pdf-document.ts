/**
 * The scanned PDF of bench:pdf, built from the public sample scans (tesseract-ocr/test's eurotext.tif and
 * phototest.tif, see test/fixtures/README.md): 10 US Letter pages at 300 dpi, each four sample blocks
 * stacked down the page, binarised and CCITT G4 compressed the way office scanners store them, wrapped
 * losslessly by img2pdf. The ground truth of a page is its blocks' ground truth in reading order.
 * The `jpeg` document is the same pages as a grey scanner stores them: the grey page (not binarised) as a
 * baseline JPEG of quality 85 at 300 dpi, wrapped by img2pdf as it is (/DCTDecode, DeviceGray).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp, { type OverlayOptions, type Sharp } from 'sharp';

const DPI = 300;
const PAGE = { width: 2550, height: 3300 };
const MARGIN = { left: 200, top: 80 };
const GAP = 40;

interface Block {
  file: string;
  /** The scan's own resolution: it is scaled to 300 dpi. */
  dpi: number;
}

const EURO: Block = { file: 'tess_eurotext.tif', dpi: 300 };
const PHOTO: Block = { file: 'tess_phototest.tif', dpi: 200 };
/** Two layouts, alternating: 10 pages, like a scanned report of two kinds of page. */
const LAYOUTS: Block[][] = [
  [EURO, PHOTO, EURO, PHOTO],
  [PHOTO, EURO, PHOTO, EURO],
];

/** How the pages are stored: CCITT G4 (1-bit, an office scanner's default) or grey JPEG (a grey or colour scan). */
export const DOCUMENT_KINDS = ['g4', 'jpeg'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

/** A JPEG scanner's usual quality: visible artefacts around glyphs, none that change a letter. */
const JPEG_QUALITY = 85;

export interface BenchDocument {
  pdf: string;
  pages: number;
  /** The expected text of the whole document. */
  truth: string;
}

/** The page's blocks laid on a white Letter page (RGB, as composited). */
async function composePage(fixtures: string, layout: Block[]): Promise<Sharp> {
  const overlays: OverlayOptions[] = [];
  let top = MARGIN.top;
  for (const block of layout) {
    const image = sharp(join(fixtures, block.file)).greyscale();
    const { width, height } = await image.metadata();
    const scale = DPI / block.dpi;
    const w = Math.round(width * scale);
    const h = Math.round(height * scale);
    overlays.push({ input: await image.resize(w, h, { kernel: 'lanczos3' }).png().toBuffer(), left: MARGIN.left, top });
    top += h + GAP;
  }
  if (top - GAP > PAGE.height) throw new Error('the page layout does not fit on a Letter page');
  return sharp({ create: { width: PAGE.width, height: PAGE.height, channels: 3, background: '#ffffff' } }).composite(overlays);
}

/** The page as one image file img2pdf wraps without re-encoding it. */
async function pageFile(page: Sharp, kind: DocumentKind, stem: string): Promise<string> {
  if (kind === 'jpeg') {
    const file = `${stem}.jpg`;
    // A baseline one-channel JPEG (no ICC profile) whose JFIF header says 300 dpi: img2pdf sizes the page from it.
    await page.greyscale().toColourspace('b-w').withDensity(DPI).jpeg({ quality: JPEG_QUALITY }).toFile(file);
    return file;
  }
  // Binarised as a scanner's 1-bit mode does (a fixed threshold); one strip, G4: how a scanner stores a page, and
  // what img2pdf passes through untouched.
  const grey = await page.greyscale().threshold(160).extractChannel(0).raw().toBuffer();
  const pbm = `${stem}.pbm`;
  writeFileSync(pbm, toPbm(grey, PAGE.width, PAGE.height));
  const file = `${stem}.tif`;
  execFileSync('ppm2tiff', ['-c', 'g4', '-r', String(PAGE.height), '-R', String(DPI), pbm, file]);
  return file;
}

/** A binary PBM (P4) of a thresholded grey page: rows packed 8 pixels a byte, 1 = black. */
function toPbm(grey: Uint8Array, width: number, height: number): Buffer {
  const header = Buffer.from(`P4\n${width} ${height}\n`);
  const rowBytes = Math.ceil(width / 8);
  const bits = Buffer.alloc(rowBytes * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) if (grey[y * width + x]! < 128) bits[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
  }
  return Buffer.concat([header, bits]);
}

/** Builds the document into `dir` (img2pdf, ppm2tiff: Debian packages installed by bench/setup.sh). */
export async function buildBenchDocument(fixtures: string, dir: string, pageCount = 10, kind: DocumentKind = 'g4'): Promise<BenchDocument> {
  const files: string[] = [];
  const truths: string[] = [];
  for (const [index, layout] of LAYOUTS.entries()) {
    files.push(await pageFile(await composePage(fixtures, layout), kind, join(dir, `layout-${index}`)));
    truths.push(layout.map((b) => readFileSync(join(fixtures, b.file.replace(/\.[^.]+$/, '.gt.txt')), 'utf8').trim()).join('\n\n'));
  }
  const order = Array.from({ length: pageCount }, (_, i) => i % LAYOUTS.length);
  const pdf = join(dir, 'scan.pdf');
  execFileSync('img2pdf', ['--output', pdf, ...order.map((i) => files[i]!)]);
  return { pdf, pages: pageCount, truth: order.map((i) => truths[i]!).join('\n\n') };
}
