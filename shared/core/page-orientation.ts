/**
 * Which way up a page is: read it as it is (or as the document's earlier pages needed), and turn it only
 * when the read says so. Used by page-reading.ts for every page that is OCRed.
 */
import { rotateGrey } from './grey-image.ts';
import type { OcrOptions } from './options.ts';
import type { GreyImage, OcrEngine, RecognizedPage, RecognizeOptions } from './ports.ts';
import { readsClearlyBetter, readQuality } from './read-quality.ts';
import type { Orientation } from './result.ts';

/** A read at least this sure, of at least this many words, is taken as upright without OSD. */
const UPRIGHT_CONFIDENCE = 75;
const UPRIGHT_MIN_WORDS = 3;
/** OSD below this confidence is a guess: the page is OCRed as it is. */
const ORIENTATION_MIN_CONFIDENCE = 2;
/** With no OSD verdict, a page this unsure is tried at the other orientations. */
const LOW_CONFIDENCE = 60;
const ORIENTATIONS: readonly Orientation[] = [0, 90, 180, 270];

export interface UprightRead {
  image: GreyImage;
  orientation: Orientation;
  recognized: RecognizedPage;
}

/** The orientation the document's last decided page needed. */
export interface OrientationHint {
  orientation: Orientation;
}

/**
 * Finds the upright orientation. Most pages are upright, so the page is read first as it is (or as
 * the document's previous pages needed); only an unsure read asks tesseract's OSD (a pass that
 * costs a third to half of a small page's read), and with no OSD verdict an unsure page is tried
 * at the other orientations.
 */
export async function recognizeUpright(
  rendered: GreyImage,
  options: OcrOptions,
  engine: OcrEngine,
  hint: OrientationHint,
  // The page's options for the engine (recognizeOptionsOf and the page's own): a quarter or half turn keeps level lines level.
  recognizeOptions: RecognizeOptions & { signal: AbortSignal },
  settles?: (read: UprightRead) => Promise<boolean>,
): Promise<UprightRead> {
  const { signal } = recognizeOptions;
  const read = async (orientation: Orientation) => {
    const image = rotateGrey(rendered, orientation);
    return { image, orientation, recognized: await engine.recognize(image, recognizeOptions) };
  };
  if (!options.detectOrientation) return read(0);
  const likely = hint.orientation;
  let best = await read(likely);
  if (readsUpright(best.recognized)) return best;
  // Another engine's plainly upright read of the same pixels settles it before OSD and the other turns.
  if (await settles?.(best)) return best;

  const guess = await engine.detectOrientation(rendered, signal);
  if (guess && guess.confidence >= ORIENTATION_MIN_CONFIDENCE) {
    if (guess.degrees === likely) {
      hint.orientation = guess.degrees;
      return best;
    }
    // OSD can be wrong about an upright but unsure page (a receipt photo): its turn is kept only when
    // the turned read is clearly better text, or the page as it was read sideways (tall word boxes).
    const turned = await read(guess.degrees);
    if (!keepsTurn(turned.recognized, best.recognized)) return best;
    hint.orientation = guess.degrees;
    return turned;
  }
  const tried = new Set<Orientation>([likely]);
  if (likely !== 0) {
    // The hint only chose what to try first: with no verdict, the page as it is wins unless the
    // hinted turn reads clearly better.
    const asIs = await read(0);
    tried.add(0);
    if (!isBetterRead(best.recognized, asIs.recognized)) best = asIs;
  }
  if (best.recognized.confidence < LOW_CONFIDENCE) {
    for (const orientation of ORIENTATIONS) {
      if (tried.has(orientation)) continue;
      const candidate = await read(orientation);
      if (isBetterRead(candidate.recognized, best.recognized) && readQuality(candidate.recognized).wordLike >= readQuality(best.recognized).wordLike) best = candidate;
    }
  }
  if (readsUpright(best.recognized)) hint.orientation = best.orientation;
  return best;
}

/**
 * Upside-down text reads as noise (on the fixtures: mean confidence 33–43 against 90–95 upright),
 * so a sure read of a few words settles the orientation, provided the words lie horizontally:
 * tesseract reads a page turned by 90° well enough (it finds vertical lines), but its words then
 * stand taller than wide, and the page itself still needs turning.
 */
function readsUpright(read: RecognizedPage): boolean {
  const words = read.words.filter((w) => w.text.trim().length >= 3);
  return read.confidence >= UPRIGHT_CONFIDENCE && words.length >= UPRIGHT_MIN_WORDS && liesHorizontally(read);
}

function liesHorizontally(read: RecognizedPage): boolean {
  const words = read.words.filter((w) => w.text.trim().length >= 3);
  const horizontal = words.filter((w) => w.bbox.x1 - w.bbox.x0 > w.bbox.y1 - w.bbox.y0).length;
  return horizontal >= words.length * 0.8;
}

/** A turn is kept when it reads clearly better, or when the page as it was read sideways. */
function keepsTurn(turned: RecognizedPage, asIs: RecognizedPage): boolean {
  if (readsClearlyBetter(turned, asIs)) return true;
  return !liesHorizontally(asIs) && readQuality(turned).wordLike >= readQuality(asIs).wordLike;
}

export function recognizeOptionsOf(options: OcrOptions, signal: AbortSignal, level = false): RecognizeOptions & { signal: AbortSignal } {
  return { languages: options.languages, signal, ...(level ? { level } : {}) };
}

/** Confidence alone favours a read of two lucky words; weigh it by how much text was found. */
function isBetterRead(candidate: RecognizedPage, current: RecognizedPage): boolean {
  const score = (r: RecognizedPage) => r.confidence * Math.log2(2 + r.words.filter((w) => w.text.trim().length > 1).length);
  return score(candidate) > score(current) * 1.1;
}
