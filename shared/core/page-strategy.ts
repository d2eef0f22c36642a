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

export interface EngineRead {
  recognized: RecognizedPage;
  strategy: PageStrategy;
}

export function strategyOf(engine: OcrEngine, recognized: RecognizedPage, reason: string): PageStrategy {
  return { engine: engine.name, ...recognized.strategy, reason };
}

/** A read that needs no second opinion: sure, and mostly words. */
export function isCleanRead(read: RecognizedPage): boolean {
  return read.confidence >= CLEAN_CONFIDENCE && readQuality(read).share >= CLEAN_WORD_SHARE;
}

/**
 * Reads an unsure page with the second engine too, when it reads the page's languages, and keeps
 * whichever read has more word-like tokens (ties go to the second engine, whose reads of unsure
 * pages measured better on every kind of the corpus).
 */
export async function readWithSecondOpinion(
  image: GreyImage,
  first: EngineRead,
  options: RecognizeOptions,
  second: OcrEngine | undefined,
): Promise<EngineRead> {
  if (!second || !(second.reads?.(options.languages) ?? true)) return first;
  if (isCleanRead(first.recognized)) return first;
  const recognized = await second.recognize(image, { ...options, skewDegrees: first.recognized.skewDegrees });
  if (readQuality(recognized).wordLike < readQuality(first.recognized).wordLike) {
    return { ...first, strategy: { ...first.strategy, reason: `more words than ${second.name}` } };
  }
  // The searchable PDF's invisible text stays tesseract's: it is laid out to the page already.
  if (first.recognized.textPdf) recognized.textPdf = first.recognized.textPdf;
  return { recognized, strategy: strategyOf(second, recognized, `unsure ${first.strategy.engine} read (confidence ${Math.round(first.recognized.confidence)})`) };
}
