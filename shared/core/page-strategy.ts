/**
 * Which engine's read of a page to keep. Tesseract reads clean text pages well and quickly; on
 * receipts, forms, tables and photographs it is unsure, and a layout-robust engine (PP-OCR) reads
 * them far better. So tesseract's read (which orientation needs anyway) decides: a clean read is
 * kept at no extra cost, an unsure one is read again by the second engine, and the read that looks
 * more like text wins.
 */
import type { GreyImage, OcrEngine, RecognizedPage, RecognizeOptions } from './ports.ts';
import { readQuality } from './read-quality.ts';
import type { PageStrategy } from './result.ts';

/** A tesseract read at least this sure, with at least this share of word-like tokens, is clean text. */
const CLEAN_CONFIDENCE = 85;
const CLEAN_WORD_SHARE = 0.6;
/** A read of fewer tokens says too little for a share: a sure one-line label ("Tesseract.js") is clean. */
const CLEAN_MIN_TOKENS_FOR_SHARE = 5;

export interface EngineRead {
  recognized: RecognizedPage;
  strategy: PageStrategy;
}

export function strategyOf(engine: OcrEngine, recognized: RecognizedPage, reason: string): PageStrategy {
  return { engine: engine.name, ...recognized.strategy, reason };
}

/**
 * A page at least this many times taller than wide is a till slip (letter and A4 pages are 1.3–1.4).
 * Tesseract's page layout splits a slip's item and price columns and can drop one whole: it read
 * a corpus receipt's item names at 89% confidence and none of its amounts.
 */
const SLIP_MIN_ASPECT = 1.8;

export function isTillSlip(page: Pick<RecognizedPage, 'width' | 'height'>): boolean {
  return page.height >= page.width * SLIP_MIN_ASPECT;
}

/** A read that needs no second opinion: sure, mostly words, and not of a till slip. */
export function isCleanRead(read: RecognizedPage): boolean {
  const quality = readQuality(read);
  if (isTillSlip(read)) return false;
  return read.confidence >= CLEAN_CONFIDENCE && (quality.tokens < CLEAN_MIN_TOKENS_FOR_SHARE || quality.share >= CLEAN_WORD_SHARE);
}

/**
 * The second engine's read of an unsure page is kept unless it found far fewer word-like tokens
 * than tesseract (a page its detector missed). Not "more words wins": on the corpus's receipts
 * tesseract's unsure reads often had more word-like tokens (garbage splits into many) at 3–6× the
 * second engine's character error rate.
 */
const SECOND_MIN_WORD_SHARE_OF_FIRST = 0.6;

/**
 * The second engine's read of a till slip as it was rendered is kept, without tesseract's, when it is
 * this sure of at least this many word-like tokens. On the corpus's slips PP-OCR read upright ones at
 * 94–99 confidence with 45–59 word-like tokens, and the same slips upside down at 66–72 with 1–4.
 */
const SLIP_ALONE_CONFIDENCE = 85;
const SLIP_ALONE_MIN_WORD_LIKE = 10;

function secondEngineReads(second: OcrEngine | undefined, options: RecognizeOptions): second is OcrEngine {
  return second !== undefined && (second.reads?.(options.languages) ?? true);
}

/**
 * A till slip goes to the second engine whatever tesseract reads (isCleanRead), so tesseract's full
 * read of one was spent only on its orientation: a slip is read by the second engine first, and that
 * read settles it when it plainly reads upright text. Otherwise (upside down, or a poor read)
 * `secondRead` is handed to readWithSecondOpinion and the page takes the usual way. Not for a
 * searchable PDF, whose invisible text is tesseract's.
 */
export async function readTillSlipAlone(
  image: GreyImage,
  options: RecognizeOptions,
  second: OcrEngine | undefined,
): Promise<{ read?: EngineRead; secondRead?: RecognizedPage }> {
  if (!secondEngineReads(second, options) || options.textPdf || !isTillSlip(image)) return {};
  const recognized = await second.recognize(image, options);
  if (recognized.confidence < SLIP_ALONE_CONFIDENCE || readQuality(recognized).wordLike < SLIP_ALONE_MIN_WORD_LIKE) return { secondRead: recognized };
  return { read: { recognized, strategy: strategyOf(second, recognized, `till slip, read by ${second.name} alone`) } };
}

/**
 * Reads an unsure page with the second engine too, when it reads the page's languages. `earlier` is
 * the second engine's read of the same pixels (readTillSlipAlone's), reused when tesseract kept the
 * page as it was and measured no skew to turn it by.
 */
export async function readWithSecondOpinion(
  image: GreyImage,
  first: EngineRead,
  options: RecognizeOptions,
  second: OcrEngine | undefined,
  earlier?: { read: RecognizedPage; samePixels: boolean },
): Promise<EngineRead> {
  if (!secondEngineReads(second, options)) return first;
  if (isCleanRead(first.recognized)) return first;
  const recognized =
    earlier?.samePixels && first.recognized.skewDegrees === 0 ? earlier.read : await second.recognize(image, { ...options, skewDegrees: first.recognized.skewDegrees });
  if (readQuality(recognized).wordLike < readQuality(first.recognized).wordLike * SECOND_MIN_WORD_SHARE_OF_FIRST) {
    return { ...first, strategy: { ...first.strategy, reason: `more words than ${second.name}` } };
  }
  // The searchable PDF's invisible text stays tesseract's: it is laid out to the page already.
  if (first.recognized.textPdf) recognized.textPdf = first.recognized.textPdf;
  const why = isTillSlip(first.recognized) ? 'till slip' : `unsure ${first.strategy.engine} read (confidence ${Math.round(first.recognized.confidence)})`;
  return { recognized, strategy: strategyOf(second, recognized, why) };
}
