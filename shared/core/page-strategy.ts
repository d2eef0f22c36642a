/**
 * Which engine's read of a page to keep. Tesseract reads clean text pages well and quickly; on
 * receipts, forms, tables and photographs it is unsure, and a layout-robust engine (PP-OCR) reads
 * them far better. So tesseract's read (which orientation needs anyway) decides: a clean read is
 * kept at no extra cost, an unsure one is read again by the second engine, and the read that looks
 * more like text wins.
 */
import type { GreyImage, OcrEngine, RecognizedPage, RecognizeOptions } from './ports.ts';
import { isSpelledWord, isWordLike, readQuality } from './read-quality.ts';
import { measureTextHeight } from './text-height.ts';
import { medianWordHeight, SURE_WORD_CONFIDENCE } from './text-lines.ts';
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
  if (isTillSlip(read)) return false;
  const quality = readQuality(read);
  if (read.confidence >= CLEAN_CONFIDENCE && (quality.tokens < CLEAN_MIN_TOKENS_FOR_SHARE || quality.share >= CLEAN_WORD_SHARE)) return true;
  return isCleanButForSpellings(read);
}

/**
 * Body text smaller than this (x-height or capital height, px, as core/text-height.ts measures it) reads unsurely: every
 * corpus form (FUNSD's ~100-dpi scans, 6–9 px) was unsure of more than half its lines in tessdata_fast's read, which the
 * line cascade then read again whole (bench/RESULTS.md); bench:pdf's pages and the samples are read at 18 px.
 */
const SMALL_TEXT_PX = 10;

/**
 * A page with more than this share of mid-tone pixels is a photograph (a grey ground, uneven light): sroie_100, a receipt
 * photographed on grey (60%), read unsurely, and tessdata_fast read it no quicker than best_int (1.20 against 1.27
 * CPU-s), so its fast read was all waste. Scanned text pages, grey or 1-bit, and the corpus's forms hold 0–7%.
 */
const PHOTO_MIDTONE_SHARE = 0.2;
const MIDTONE = { from: 48, to: 207 };
/** Pixels sampled for the share: evenly, at most about this many. */
const MIDTONE_SAMPLES = 65_536;

function midtoneShare(image: GreyImage): number {
  const { data } = image;
  const step = Math.max(1, Math.floor(data.length / MIDTONE_SAMPLES));
  let mid = 0;
  let seen = 0;
  for (let i = 0; i < data.length; i += step, seen++) if (data[i]! >= MIDTONE.from && data[i]! <= MIDTONE.to) mid++;
  return seen === 0 ? 0 : mid / seen;
}

/** What the document's last decided page says of the next: whether its first read was unsure. */
export interface ReadHint {
  unsure: boolean;
}

/**
 * Whether a page is expected to read unsurely, before it is read: a till slip (the second engine's page, which reached
 * tesseract because that read was not plainly upright), a photograph, a page of small text, or a page of a document
 * whose last page read unsurely (a stack of forms). An engine whose quick first read would be redone on an unsure page (the line
 * cascade, shared/engines/tesseract-cascade.ts) reads such a page with its own model at once: the read it would end with.
 */
export function expectsUnsureRead(image: GreyImage, hint: ReadHint): boolean {
  if (hint.unsure || isTillSlip(image) || midtoneShare(image) > PHOTO_MIDTONE_SHARE) return true;
  const height = measureTextHeight(image);
  return height !== null && height.body < SMALL_TEXT_PX;
}

/**
 * RecognizeOptions.expectUnsure for one page's reads: the first read by expectsUnsureRead; every later read of the page
 * (another turn, page-orientation.ts) follows a read that was not sure, so it is expected unsure too.
 */
export function pageExpectsUnsure(image: GreyImage, hint: ReadHint): () => boolean {
  let read = false;
  return () => {
    if (read) return true;
    read = true;
    return expectsUnsureRead(image, hint);
  };
}

const SPELLINGS_MIN_WORDS = 20;
const SPELLINGS_MAX_SHARE = 0.2;

/**
 * A printed page in a Latin-script language other than English, read with `eng`, is unsure only of its words'
 * spellings: tesseract reads tess_eurotext's German, French and Spanish lines letter for letter but doubts "marrén",
 * "rdpido", ".schnelle”" (16–59), which pulls the page's confidence down to the clean bar (88.8 here; in
 * bench:accuracy run 6 it went under, and the second engine's read, which knows no accents either, was refused for
 * far fewer words after costing a read). So a read is clean too when each word it is unsure of is a whole word of
 * letters, those are at most a fifth of a page of 20+ words, and the other words are read surely. A receipt's or a
 * form's unsure words include amounts, codes, fragments and marks, and a table is mostly numbers (its share of
 * words): on the corpus's 31 pages and the 6 generated tables this rule's first-read answer is the old rule's.
 */
function isCleanButForSpellings(read: RecognizedPage): boolean {
  const words = read.words.filter((w) => w.text.trim() !== '');
  if (words.length < SPELLINGS_MIN_WORDS) return false;
  const unsure = words.filter((w) => w.confidence < SURE_WORD_CONFIDENCE);
  if (unsure.length > words.length * SPELLINGS_MAX_SHARE || !unsure.every((w) => isSpelledWord(w.text))) return false;
  const sure = words.filter((w) => w.confidence >= SURE_WORD_CONFIDENCE);
  const sureConfidence = sure.reduce((sum, w) => sum + w.confidence, 0) / Math.max(1, sure.length);
  const wordLike = words.filter((w) => isWordLike(w.text) || isSpelledWord(w.text)).length;
  return sureConfidence >= CLEAN_CONFIDENCE && wordLike >= words.length * CLEAN_WORD_SHARE;
}


/**
 * The second engine's read of a page as it is, without tesseract's orientation search, is kept when
 * it is this sure of at least this many word-like tokens. On the corpus's slips PP-OCR read upright
 * ones at 94–99 confidence with 45–59 word-like tokens, and the same slips upside down at 66–72 with 1–4.
 */
const PLAINLY_UPRIGHT_CONFIDENCE = 85;
const PLAINLY_UPRIGHT_MIN_WORD_LIKE = 10;

function secondEngineReads(second: OcrEngine | undefined, options: RecognizeOptions): second is OcrEngine {
  return second !== undefined && (second.reads?.(options.languages) ?? true);
}

/** A second engine's read of the page, and the turn and skew it was read at, for reuse. */
export interface SecondRead {
  recognized: RecognizedPage;
  orientation: number;
  skewDegrees: number;
}

function plainlyUpright(read: RecognizedPage): boolean {
  return read.confidence >= PLAINLY_UPRIGHT_CONFIDENCE && readQuality(read).wordLike >= PLAINLY_UPRIGHT_MIN_WORD_LIKE;
}

/**
 * A till slip goes to the second engine whatever tesseract reads (isCleanRead), so tesseract's full
 * read of one was spent only on its orientation: a slip is read by the second engine first, and that
 * read settles it when it is plainly upright text. Otherwise (upside down, or a poor read) the read is
 * handed on (`earlier`) and the page takes the usual way.
 */
export async function readTillSlipAlone(image: GreyImage, options: RecognizeOptions, second: OcrEngine | undefined): Promise<{ read?: EngineRead; earlier?: SecondRead }> {
  if (!secondEngineReads(second, options) || !isTillSlip(image)) return {};
  const recognized = await second.recognize(image, options);
  if (!plainlyUpright(recognized)) return { earlier: { recognized, orientation: 0, skewDegrees: 0 } };
  return { read: { recognized, strategy: strategyOf(second, recognized, `till slip, read by ${second.name} alone`) } };
}

/**
 * Tesseract's unsure read of a page as it is goes to the second engine at once, before tesseract's
 * orientation search (OSD, then each turn of an unsure page: up to four more reads): when the second
 * engine's read is plainly upright text and has the words tesseract found, it is kept and the page is
 * settled. Otherwise the read is handed on (`earlier`) for readWithSecondOpinion to reuse.
 */
export async function secondReadSettles(
  first: { image: GreyImage; orientation: number; recognized: RecognizedPage },
  engine: OcrEngine,
  options: RecognizeOptions,
  second: OcrEngine | undefined,
): Promise<{ read?: EngineRead; earlier?: SecondRead }> {
  if (!secondEngineReads(second, options) || isCleanRead(first.recognized)) return {};
  const skewDegrees = first.recognized.skewDegrees;
  const recognized = await second.recognize(first.image, secondReadOptions(options, first.recognized));
  const earlier = { recognized, orientation: first.orientation, skewDegrees };
  if (!plainlyUpright(recognized) || hasFarFewerWords(recognized, first.recognized)) return { earlier };
  return { read: keptSecondRead(first.recognized, recognized, strategyOf(engine, first.recognized, 'clean read'), second) };
}

/**
 * The second engine reads the page at the skew and with the word height the first read measured, and is handed
 * that read's words: the lines it was sure of need not be read again.
 */
function secondReadOptions(options: RecognizeOptions, first: RecognizedPage): RecognizeOptions {
  const wordHeightPx = medianWordHeight(first.words);
  return { ...options, skewDegrees: first.skewDegrees, knownWords: first.words, ...(wordHeightPx ? { wordHeightPx } : {}) };
}

/**
 * The second engine's read of an unsure page is kept unless it found far fewer word-like tokens
 * than tesseract (a page its detector missed). Not "more words wins": on the corpus's receipts
 * tesseract's unsure reads often had more word-like tokens (garbage splits into many) at 3–6× the
 * second engine's character error rate.
 */
const SECOND_MIN_WORD_SHARE_OF_FIRST = 0.6;

function hasFarFewerWords(second: RecognizedPage, first: RecognizedPage): boolean {
  return readQuality(second).wordLike < readQuality(first).wordLike * SECOND_MIN_WORD_SHARE_OF_FIRST;
}

function keptSecondRead(first: RecognizedPage, recognized: RecognizedPage, firstStrategy: PageStrategy, second: OcrEngine): EngineRead {
  const why = isTillSlip(first) ? 'till slip' : `unsure ${firstStrategy.engine} read (confidence ${Math.round(first.confidence)})`;
  return { recognized, strategy: strategyOf(second, recognized, why) };
}

/**
 * Reads an unsure page with the second engine too, when it reads the page's languages. `earlier` is
 * the second engine's read of the page at some turn and skew, reused when tesseract's kept read is at those.
 */
export async function readWithSecondOpinion(
  image: GreyImage,
  first: EngineRead & { orientation: number },
  options: RecognizeOptions,
  second: OcrEngine | undefined,
  earlier?: SecondRead,
): Promise<EngineRead> {
  if (!secondEngineReads(second, options)) return first;
  if (isCleanRead(first.recognized)) return first;
  const skewDegrees = first.recognized.skewDegrees;
  const recognized =
    earlier && earlier.orientation === first.orientation && earlier.skewDegrees === skewDegrees ? earlier.recognized : await second.recognize(image, secondReadOptions(options, first.recognized));
  if (hasFarFewerWords(recognized, first.recognized)) {
    return { ...first, strategy: { ...first.strategy, reason: `more words than ${second.name}` } };
  }
  return keptSecondRead(first.recognized, recognized, first.strategy, second);
}
