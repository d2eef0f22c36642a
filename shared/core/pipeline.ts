/**
 * The OCR pipeline: document bytes → pages → text → result. Pure orchestration over the ports in
 * ports.ts; it reads top to bottom like the stages it runs.
 */
import pLimit from 'p-limit';
import { documentBudget, type DocumentBudget } from './budget.ts';
import { classifyDocument } from './classify.ts';
import { detectDocumentType, type DocumentType } from './document-type.ts';
import { DocVaultError, fileTooLarge, toDocVaultError, tooManyPages } from './errors.ts';
import { rotateGrey } from './grey-image.ts';
import { extractFields } from './fields/index.ts';
import { extractMetadata } from './metadata.ts';
import { OcrOptions, type OcrOptionsInput } from './options.ts';
import { darkTextOnLight } from './page-polarity.ts';
import { straighten } from './page-skew.ts';
import { readWithSecondOpinion, strategyOf } from './page-strategy.ts';
import type { DocumentOpener, DocumentSource, GreyImage, OcrEngine, RecognizedPage, RecognizeOptions, SourcePage } from './ports.ts';
import { readsClearlyBetter, readQuality } from './read-quality.ts';
import { RESULT_SCHEMA_VERSION, type OcrResult, type Orientation, type PageResult } from './result.ts';

export interface PipelineDeps {
  opener: DocumentOpener;
  engine: OcrEngine;
  /** Reads the pages the first engine is unsure of (see page-strategy.ts); none: the first engine reads all. */
  secondEngine?: OcrEngine;
  /** Pages in flight at once; match the engine's worker count. */
  concurrency: number;
  /** Makes a page's preview from the image that was read (none for a page it does not preview). */
  preview?: PagePreviewer;
  clock?: () => number;
}

export interface PageProgress {
  done: number;
  total: number;
  page: number;
}

/** What the searchable PDF needs from each page, gathered while the pages go by. */
export interface PageArtifact {
  number: number;
  source: PageResult['source'];
  /** Tesseract's invisible-text page, sized to the page at its DPI. */
  textPdf?: Uint8Array;
  image?: { format: 'jpeg' | 'png'; bytes: Uint8Array; width: number; height: number };
  /** Page size in PDF points. */
  widthPt: number;
  heightPt: number;
  /** The page's preview, cut from the image that was read (PipelineDeps.preview). */
  preview?: Uint8Array;
}

/** A small image of the page as it was read (upright), for the console; undefined for a page not previewed. */
export type PagePreviewer = (image: GreyImage, pageNumber: number) => Promise<Uint8Array | undefined>;

export interface PipelineOutput {
  result: OcrResult;
  artifacts: PageArtifact[];
}

/** A read at least this sure, of at least this many words, is taken as upright without OSD. */
const UPRIGHT_CONFIDENCE = 75;
const UPRIGHT_MIN_WORDS = 3;
/** OSD below this confidence is a guess: the page is OCRed as it is. */
const ORIENTATION_MIN_CONFIDENCE = 2;
/** With no OSD verdict, a page this unsure is tried at the other orientations. */
const LOW_CONFIDENCE = 60;
const ORIENTATIONS: readonly Orientation[] = [0, 90, 180, 270];
/** Pages rendered ahead of the engine: one keeps it fed; more would only hold more page images in memory. */
const PREFETCH_PAGES = 1;

export async function processDocument(
  bytes: Uint8Array,
  optionsInput: OcrOptionsInput,
  deps: PipelineDeps,
  onProgress?: (progress: PageProgress) => void,
  /** A cancel: the work in flight stops, and the call rejects with the signal's reason. */
  signal?: AbortSignal,
): Promise<PipelineOutput> {
  const clock = deps.clock ?? Date.now;
  const started = clock();
  const options = OcrOptions.parse(optionsInput);
  const { limits } = options;

  checkSize(bytes.length, limits.maxBytes);
  const type = await detectDocumentType(bytes);
  const budget = documentBudget(limits, signal);
  try {
    return await readDocument(bytes, type, options, deps, budget, clock, started, onProgress);
  } finally {
    budget.end();
  }
}

async function readDocument(
  bytes: Uint8Array,
  type: DocumentType,
  options: OcrOptions,
  deps: PipelineDeps,
  budget: DocumentBudget,
  clock: () => number,
  started: number,
  onProgress?: (progress: PageProgress) => void,
): Promise<PipelineOutput> {
  const { limits } = options;
  const source = await deps.opener.open(bytes, type, {
    password: options.password,
    dpi: options.dpi,
    defaultImageDpi: options.defaultImageDpi,
    maxPixelsPerPage: limits.maxPixelsPerPage,
    maxOperatorsPerPage: limits.maxOperatorsPerPage,
    renderHeapMb: limits.renderHeapMb,
    signal: budget.signal,
  });
  try {
    if (source.pageCount > limits.maxPages) {
      throw tooManyPages(source.pageCount, limits.maxPages);
    }
    const pages = await readPages(source, options, deps, budget, clock, onProgress);
    budget.check();
    // A shard's pages are judged with the whole document's, when its shards are merged.
    const result = (options.pages ? assemblePartialResult : assembleResult)({
      type,
      languages: options.languages,
      pageCount: source.pageCount,
      pages: pages.map((p) => p.result),
      engine: { name: deps.engine.name, version: deps.engine.version },
      totalMs: clock() - started,
    });
    return { result, artifacts: pages.map((p) => p.artifact) };
  } finally {
    await source.close();
  }
}

export interface ResultParts {
  type: DocumentType;
  languages: string[];
  pageCount: number;
  /** In page order. */
  pages: PageResult[];
  engine: OcrResult['engine'];
  totalMs: number;
}

/**
 * The document's result from its pages: text, metadata, classification and fields read from the
 * pages together. A document whose every page failed has failed, for the first page's reason.
 * Used by the pipeline and by the merge of a large document's shards.
 */
export function assembleResult(parts: ResultParts): OcrResult {
  const succeeded = parts.pages.filter((p) => p.status === 'ok');
  if (parts.pages.length > 0 && succeeded.length === 0) {
    const first = parts.pages[0]!.error!;
    throw new DocVaultError(first.code, first.message, { allPagesFailed: true });
  }
  return assemblePartialResult(parts);
}

/** assembleResult without the all-pages-failed rule: a shard's part, judged when merged. */
function assemblePartialResult(parts: ResultParts): OcrResult {
  const text = parts.pages.map((p) => p.text.trimEnd()).join('\n\n');
  const metadata = extractMetadata(text);
  const classification = classifyDocument(text, metadata);
  return {
    v: RESULT_SCHEMA_VERSION,
    type: parts.type,
    languages: parts.languages,
    pageCount: parts.pageCount,
    text,
    confidence: mean(parts.pages.filter((p) => p.status === 'ok').map((p) => p.confidence)),
    pages: parts.pages,
    metadata,
    classification,
    fields: extractFields(parts.pages, classification),
    engine: parts.engine,
    timings: { totalMs: parts.totalMs, ocrMs: sum(parts.pages.map((p) => p.timings.ocrMs)) },
  };
}

function checkSize(size: number, maxBytes: number): void {
  if (size === 0) throw new DocVaultError('EMPTY_FILE', 'The file is empty (0 bytes).');
  if (size > maxBytes) throw fileTooLarge(size, maxBytes);
}

interface PageOutcome {
  result: PageResult;
  artifact: PageArtifact;
}

async function readPages(
  source: DocumentSource,
  options: OcrOptions,
  deps: PipelineDeps,
  budget: DocumentBudget,
  clock: () => number,
  onProgress?: (progress: PageProgress) => void,
): Promise<PageOutcome[]> {
  // One page more than the engine reads at once is rendered and prepared while the others are read, so an
  // engine worker that finishes a page finds the next one ready; the reads themselves go in page order.
  const limit = pLimit(Math.max(1, deps.concurrency) + PREFETCH_PAGES);
  const readSlot: ReadSlot = pLimit(Math.max(1, deps.concurrency));
  // A document scanned turned is usually turned on every page: later pages try that orientation first.
  const hint: OrientationHint = { orientation: 0 };
  let done = 0;
  const { first, last } = pageRange(options, source.pageCount);
  const total = last - first + 1;
  return Promise.all(
    Array.from({ length: total }, (_, offset) => first - 1 + offset).map((index) =>
      limit(async () => {
        budget.check();
        const outcome = await readPageSafely(source, index, options, deps, budget, clock, hint, readSlot);
        done += 1;
        onProgress?.({ done, total, page: index + 1 });
        return outcome;
      }),
    ),
  );
}

/** The pages to read: all, or a shard's range (which must lie within the document). */
function pageRange(options: OcrOptions, pageCount: number): { first: number; last: number } {
  if (!options.pages) return { first: 1, last: pageCount };
  const { first, last } = options.pages;
  if (first > last || last > pageCount) throw new DocVaultError('INTERNAL', `pages ${first}–${last} are not within the document's ${pageCount} pages`);
  return { first, last };
}

/** One bad page degrades the document; it does not fail it. */
async function readPageSafely(
  source: DocumentSource,
  index: number,
  options: OcrOptions,
  deps: PipelineDeps,
  budget: DocumentBudget,
  clock: () => number,
  hint: OrientationHint,
  readSlot: ReadSlot,
): Promise<PageOutcome> {
  const started = clock();
  const pageBudget = budget.page(index + 1);
  try {
    const page = await source.page(index, pageBudget.signal);
    return await readPage(source.type, page, options, deps, budget, pageBudget.signal, clock, hint, readSlot);
  } catch (err) {
    // The document's budget or a cancel stops the document, not just this page.
    budget.check();
    const error = toDocVaultError(err);
    return {
      result: {
        number: index + 1,
        source: 'ocr',
        status: 'failed',
        error: { code: error.code, message: error.message },
        text: '',
        confidence: 0,
        width: 0,
        height: 0,
        dpi: options.dpi,
        rotation: { orientation: 0, skewDegrees: 0 },
        words: [],
        timings: { renderMs: 0, ocrMs: 0, totalMs: clock() - started },
      },
      artifact: { number: index + 1, source: 'ocr', widthPt: 612, heightPt: 792 },
    };
  } finally {
    pageBudget.done();
  }
}

async function readPage(
  type: DocumentType,
  page: SourcePage,
  options: OcrOptions,
  deps: PipelineDeps,
  budget: DocumentBudget,
  signal: AbortSignal,
  clock: () => number,
  hint: OrientationHint,
  readSlot: ReadSlot,
): Promise<PageOutcome> {
  const started = clock();
  const layer = await page.textLayer(signal);
  if (layer && countNonBlank(layer.text) >= options.textLayerMinChars) {
    return {
      result: {
        number: page.number,
        source: 'text-layer',
        status: 'ok',
        text: layer.text,
        confidence: 100,
        width: layer.width,
        height: layer.height,
        dpi: 72,
        rotation: { orientation: 0, skewDegrees: 0 },
        words: layer.words.map((w) => ({ ...w, confidence: 100 })),
        timings: { renderMs: 0, ocrMs: 0, totalMs: clock() - started },
      },
      artifact: { number: page.number, source: 'text-layer', widthPt: layer.width, heightPt: layer.height },
    };
  }

  const { image: positive, inverted } = darkTextOnLight(await page.render(signal));
  budget.spendPixels(positive.width * positive.height);
  const { image: rendered, turnedDegrees, level } = straighten(positive);
  const renderMs = clock() - started;
  const { image, orientation, recognized, strategy, ocrMs } = await readSlot(async () => {
    const ocrStarted = clock();
    const upright = await recognizeUpright(rendered, options, deps.engine, hint, signal, level);
    const second = await readWithSecondOpinion(
      upright.image,
      { recognized: upright.recognized, strategy: strategyOf(deps.engine, upright.recognized, 'clean read') },
      recognizeOptionsOf(options, signal, level),
      deps.secondEngine,
    );
    return { image: upright.image, orientation: upright.orientation, ...second, ocrMs: clock() - ocrStarted };
  });
  if (inverted) strategy.inverted = true;

  const artifact: PageArtifact = {
    number: page.number,
    source: 'ocr',
    widthPt: (image.width / image.dpi) * 72,
    heightPt: (image.height / image.dpi) * 72,
  };
  if (options.searchablePdf) {
    if (recognized.textPdf) artifact.textPdf = recognized.textPdf;
    // An upright PDF page is kept as it is in the searchable PDF; anything else needs its image.
    if (type !== 'pdf' || orientation !== 0) artifact.image = await page.displayImage(orientation, signal);
  }
  // From the pixels in hand: rendering the page again for its preview cost a second parse and render.
  const preview = await deps.preview?.(image, page.number);
  if (preview) artifact.preview = preview;
  return {
    result: {
      number: page.number,
      source: 'ocr',
      status: 'ok',
      text: recognized.text,
      confidence: recognized.confidence,
      width: recognized.width,
      height: recognized.height,
      dpi: image.dpi,
      rotation: { orientation, skewDegrees: Math.round((turnedDegrees + recognized.skewDegrees) * 100) / 100 },
      words: recognized.words,
      strategy,
      timings: { renderMs, ocrMs, totalMs: clock() - started },
    },
    artifact,
  };
}

/** Runs a page's read when an engine worker is free for it, in page order. */
type ReadSlot = <T>(read: () => Promise<T>) => Promise<T>;

/** The orientation the document's last decided page needed. */
interface OrientationHint {
  orientation: Orientation;
}

/**
 * Finds the upright orientation. Most pages are upright, so the page is read first as it is (or as
 * the document's previous pages needed); only an unsure read asks tesseract's OSD (a pass that
 * costs a third to half of a small page's read), and with no OSD verdict an unsure page is tried
 * at the other orientations.
 */
async function recognizeUpright(
  rendered: GreyImage,
  options: OcrOptions,
  engine: OcrEngine,
  hint: OrientationHint,
  signal: AbortSignal,
  level: boolean,
): Promise<{ image: GreyImage; orientation: Orientation; recognized: RecognizedPage }> {
  // A quarter or half turn keeps level lines level.
  const recognizeOptions = recognizeOptionsOf(options, signal, level);
  const read = async (orientation: Orientation) => {
    const image = rotateGrey(rendered, orientation);
    return { image, orientation, recognized: await engine.recognize(image, recognizeOptions) };
  };
  if (!options.detectOrientation) return read(0);
  const likely = hint.orientation;
  let best = await read(likely);
  if (readsUpright(best.recognized)) return best;

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

function recognizeOptionsOf(options: OcrOptions, signal: AbortSignal, level = false): RecognizeOptions {
  return { languages: options.languages, timeoutMs: options.limits.pageTimeoutMs, textPdf: options.searchablePdf, signal, ...(level ? { level } : {}) };
}

/** Confidence alone favours a read of two lucky words; weigh it by how much text was found. */
function isBetterRead(candidate: RecognizedPage, current: RecognizedPage): boolean {
  const score = (r: RecognizedPage) => r.confidence * Math.log2(2 + r.words.filter((w) => w.text.trim().length > 1).length);
  return score(candidate) > score(current) * 1.1;
}

function countNonBlank(text: string): number {
  return text.replace(/\s+/g, '').length;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : Math.round((sum(values) / values.length) * 100) / 100;
}
