/**
 * A page on its way into and out of tesseract.js: the skew pass and the turn, the image as the engine reads it,
 * and its TSV back as words with boxes and a page with its confidence.
 */
import Tesseract from 'tesseract.js';
import { halveGrey, isBilevel, toPbm, toPgm } from '../core/grey-image.ts';
import type { GreyImage, RecognizedPage, RecognizedWord } from '../core/ports.ts';
import { greyOf } from './sharp-grey.ts';

/**
 * Skew is measured on a copy halved until it is at most this many pixels. Measured on the fixtures:
 * 0.6 MP gives the same angles as 1.2 MP (within 0.03°) in a third to a half of the time; 0.3 MP
 * starts to misjudge a skewed scan (−2.46° for −1.90°).
 */
const SKEW_PREVIEW_PIXELS = 600_000;
/**
 * Below 1° a page is read as it is: tesseract's line finder copes with a small skew, while the
 * turned copy (larger, resampled) measured ~20% slower to read with no gain in accuracy.
 */
const MIN_SKEW_RADIANS = Math.PI / 180;

/**
 * The skew angle from tesseract's line finder, in a layout-only pass (no recognition) on a small
 * copy of the page: a fraction of what letting recognize() find the lines twice costs.
 */
export async function measureSkew(worker: Tesseract.Worker, image: GreyImage): Promise<number> {
  let preview = image;
  while (preview.width * preview.height > SKEW_PREVIEW_PIXELS) preview = halveGrey(preview);
  const { data } = await worker.recognize(
    Buffer.from(toPgm(preview)),
    { rotateAuto: true, ...({ user_defined_dpi: String(Math.round(preview.dpi)), debug_file: '/dev/null' } as object) },
    { text: false, blocks: false, hocr: false, tsv: false },
  );
  const angle = data.rotateRadians ?? 0;
  return Math.abs(angle) >= MIN_SKEW_RADIANS ? angle : 0;
}

/** Turns the page by the skew with libvips (native, several times quicker than leptonica in WASM). */
export async function deskew(image: GreyImage, radians: number): Promise<{ image: GreyImage; radians: number }> {
  if (radians === 0) return { image, radians };
  // Loaded here: a process's first worker starts before sharp has loaded (docvault ocr).
  const { default: sharp } = await import('sharp');
  const raw = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 1 } })
    .rotate((radians * 180) / Math.PI, { background: '#ffffff' })
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { image: greyOf(raw, image.dpi), radians };
}

/**
 * The page as tesseract reads it. A bilevel page (a G4 or JBIG2 scan) goes as 1-bit PBM: the same text, since
 * tesseract thresholds to those very pixels, without its thresholding pass and with an eighth of the image in
 * the worker's WASM heap (bench:pdf: ~15–20% less CPU per page; bench/RESULTS.md). Any other page goes as PGM.
 */
export function engineInput(image: GreyImage): Buffer {
  const encoded = isBilevel(image) ? toPbm(image) : toPgm(image);
  return Buffer.from(encoded.buffer, encoded.byteOffset, encoded.length);
}

/**
 * The words of tesseract's TSV: a level-4 row starts a line, level-5 rows are its words (left, top,
 * width, height, confidence, text). Lines are numbered in reading order from 0.
 */
export function wordsFromTsv(tsv: string): RecognizedWord[] {
  const words: RecognizedWord[] = [];
  let line = -1;
  for (const row of tsv.split('\n')) {
    const fields = row.split('\t');
    if (fields.length < 12) continue;
    const level = Number(fields[0]);
    if (level === 4) line += 1;
    if (level !== 5) continue;
    const text = fields.slice(11).join('\t');
    if (text.trim() === '') continue;
    const [left, top, width, height, conf] = [6, 7, 8, 9, 10].map((i) => Number(fields[i]));
    words.push({ text, confidence: clampConfidence(conf!), bbox: { x0: left!, y0: top!, x1: left! + width!, y1: top! + height! }, line: Math.max(0, line) });
  }
  return words;
}

export function toRecognizedPage(data: Tesseract.Page, upright: { image: GreyImage; radians: number }, psm: Tesseract.PSM): RecognizedPage {
  const words = wordsFromTsv(data.tsv ?? '');
  const page: RecognizedPage = {
    text: data.text,
    confidence: meanConfidence(words),
    words,
    skewDegrees: Math.round(((upright.radians * 180) / Math.PI) * 100) / 100,
    width: upright.image.width,
    height: upright.image.height,
    strategy: { psm: Number(psm), scale: 1 },
  };
  return page;
}

export function meanConfidence(words: readonly RecognizedWord[]): number {
  return words.length === 0 ? 0 : Math.round((words.reduce((a, w) => a + w.confidence, 0) / words.length) * 100) / 100;
}

function clampConfidence(value: number): number {
  return Math.min(100, Math.max(0, Math.round(value * 100) / 100));
}

/**
 * A square of the page this dark on average is dark area (light text on a dark bar, a photograph, the table around a
 * photographed receipt), not dark text on a light page: text covers well under half of its own lines' squares.
 */
const DARK_TILE_MEAN = 100;
/** Squares of a tenth of an inch: about a line of body text high. */
const TILES_PER_INCH = 10;
/** A dark area is at least this many dark squares side by side in a row: wider than any glyph's stroke. */
const DARK_RUN_TILES = 4;

/**
 * Whether the page holds a dark area that can carry light text: a run of dark squares in a row with light page on both
 * sides (a white-on-black heading, a receipt's dark total bar, a form's shaded header), the only place where
 * tesseract's inverted re-read of a line can find text its plain read cannot. Dark that reaches the image's side (the
 * table around a photographed receipt, a scanner's dark edge) carries no text and does not count; a page dark as a
 * whole has been inverted before it gets here (core/page-polarity.ts).
 */
export function hasDarkArea(image: GreyImage): boolean {
  const tile = Math.max(8, Math.round(image.dpi / TILES_PER_INCH));
  const columns = Math.floor(image.width / tile);
  if (columns < DARK_RUN_TILES + 2) return false;
  const sums = new Float64Array(columns);
  const darkBelow = DARK_TILE_MEAN * tile * tile;
  for (let top = 0; top + tile <= image.height; top += tile) {
    sums.fill(0);
    for (let y = top; y < top + tile; y++) {
      const row = y * image.width;
      for (let c = 0; c < columns; c++) {
        // Light already: its other pixels can only add to it (on a white page most squares are known light half way down).
        if (sums[c]! >= darkBelow) continue;
        let sum = 0;
        for (let x = row + c * tile, end = x + tile; x < end; x++) sum += image.data[x]!;
        sums[c] = sums[c]! + sum;
      }
    }
    // A run of dark squares that starts after a light one and ends before another.
    let run = -1;
    for (let c = 0; c < columns; c++) {
      const dark = sums[c]! < darkBelow;
      if (!dark && run >= DARK_RUN_TILES) return true;
      run = dark ? (run < 0 ? -1 : run + 1) : 0;
    }
  }
  return false;
}
