/**
 * Reading a document's pages: each page from its text layer when it has one, else rendered, turned upright
 * and OCRed; a bad page becomes a failed page, not a failed document. Called by the pipeline (pipeline.ts).
 */
import pLimit from 'p-limit';
import type { DocumentBudget } from './budget.ts';
import type { DocumentType } from './document-type.ts';
import { DocVaultError, toDocVaultError } from './errors.ts';
import { isFlat } from './grey-image.ts';
import type { OcrOptions } from './options.ts';
import { recognizeOptionsOf, recognizeUpright, type OrientationHint } from './page-orientation.ts';
import { darkTextOnLight } from './page-polarity.ts';
import { straighten } from './page-skew.ts';
import { isCleanRead, pageExpectsUnsure, readTillSlipAlone, readWithSecondOpinion, secondReadSettles, strategyOf, type EngineRead, type ReadHint } from './page-strategy.ts';
import type { DocumentSource, GreyImage, OcrEngine, RecognizedPage, SourcePage } from './ports.ts';
import type { Orientation, PageResult, PageStrategy } from './result.ts';

/** What reading the pages needs from the pipeline's dependencies. */
export interface PageReadingDeps {
  engine: OcrEngine;
  /** Reads the pages the first engine is unsure of (see page-strategy.ts); none: the first engine reads all. */
  secondEngine?: OcrEngine;
  /** Pages in flight at once; match the engine's worker count. */
  concurrency: number;
  /** Makes a page's preview from the image that was read (none for a page it does not preview). */
  preview?: PagePreviewer;
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
  image?: { format: 'jpeg' | 'png'; bytes: Uint8Array; width: number; height: number };
  /** Page size in PDF points. */
  widthPt: number;
  heightPt: number;
  /** The page's preview, cut from the image that was read (PipelineDeps.preview). */
  preview?: Uint8Array;
}

/** A small image of the page as it was read (upright), for the console; undefined for a page not previewed. */
export type PagePreviewer = (image: GreyImage, pageNumber: number) => Promise<Uint8Array | undefined>;

interface PageOutcome {
  result: PageResult;
  artifact: PageArtifact;
}

/** Pages rendered ahead of the engine: one keeps it fed; more would only hold more page images in memory. */
const PREFETCH_PAGES = 1;

/** Runs a page's read when an engine worker is free for it, in page order. */
type ReadSlot = <T>(read: () => Promise<T>) => Promise<T>;

/** What every page of one document is read with. */
interface PageReadingContext {
  options: OcrOptions;
  deps: PageReadingDeps;
  budget: DocumentBudget;
  clock: () => number;
  hint: OrientationHint;
  /** Whether the document's last decided page read unsurely (page-strategy.ts, expectsUnsureRead). */
  readHint: ReadHint;
  readSlot: ReadSlot;
}

export async function readPages(
  source: DocumentSource,
  options: OcrOptions,
  deps: PageReadingDeps,
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
  const context: PageReadingContext = { options, deps, budget, clock, hint, readHint: { unsure: false }, readSlot };
  let done = 0;
  const { first, last } = pageRange(options, source.pageCount);
  const total = last - first + 1;
  return Promise.all(
    Array.from({ length: total }, (_, offset) => first - 1 + offset).map((index) =>
      limit(async () => {
        budget.check();
        const outcome = await readPageSafely(source, index, context);
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
async function readPageSafely(source: DocumentSource, index: number, context: PageReadingContext): Promise<PageOutcome> {
  const { budget, clock, options } = context;
  const started = clock();
  const pageBudget = budget.page(index + 1);
  try {
    const page = await source.page(index, pageBudget.signal);
    return await readPage(source.type, page, context, pageBudget.signal);
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

/** A page from its text layer when the layer holds enough text; else rendered and OCRed. */
async function readPage(type: DocumentType, page: SourcePage, context: PageReadingContext, signal: AbortSignal): Promise<PageOutcome> {
  const { options, budget, clock } = context;
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
  const read = await recognizePage(rendered, level, secondEngineFor(rendered, context.deps), context, signal);
  if (inverted) read.strategy.inverted = true;
  const { image, orientation, recognized, strategy, ocrMs } = read;
  const artifact = await ocrPageArtifact(type, page, positive, read, context, signal);
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

/** A rendered page's read: turned upright, then given to the second engine when the first is unsure. */
interface PageRead {
  image: GreyImage;
  orientation: Orientation;
  recognized: RecognizedPage;
  strategy: PageStrategy;
  ocrMs: number;
}

/**
 * The engine that reads the page when the first is unsure, if any. A blank page (one flat colour) gets none on
 * any of the ways a page can take: a second engine would spend seconds to find it blank too, and its nothing
 * is not an unsure read.
 */
export function secondEngineFor(page: GreyImage, deps: Pick<PageReadingDeps, 'secondEngine'>): OcrEngine | undefined {
  return deps.secondEngine && !isFlat(page) ? deps.secondEngine : undefined;
}

/** Reads the straightened page once an engine worker is free for it; `second` reads it too when the first is unsure. */
function recognizePage(rendered: GreyImage, level: boolean, second: OcrEngine | undefined, context: PageReadingContext, signal: AbortSignal): Promise<PageRead> {
  const { options, deps, clock, hint, readHint, readSlot } = context;
  return readSlot(async () => {
    const ocrStarted = clock();
    const recognizeOptions = { ...recognizeOptionsOf(options, signal, level), expectUnsure: pageExpectsUnsure(rendered, readHint), isCleanRead };
    const slip = await readTillSlipAlone(rendered, recognizeOptions, second);
    if (slip.read) return { image: rendered, orientation: 0, ...slip.read, ocrMs: clock() - ocrStarted };
    let earlier = slip.earlier;
    let settled: EngineRead | undefined;
    const upright = await recognizeUpright(rendered, options, deps.engine, hint, recognizeOptions, async (first) => {
      if (earlier) return false;
      ({ read: settled, earlier } = await secondReadSettles(first, deps.engine, recognizeOptions, second));
      return settled !== undefined;
    });
    readHint.unsure = !isCleanRead(upright.recognized);
    if (settled) return { image: upright.image, orientation: upright.orientation, ...settled, ocrMs: clock() - ocrStarted };
    const kept = await readWithSecondOpinion(
      upright.image,
      { recognized: upright.recognized, strategy: strategyOf(deps.engine, upright.recognized, 'clean read'), orientation: upright.orientation },
      recognizeOptions,
      second,
      earlier,
    );
    return { image: upright.image, orientation: upright.orientation, ...kept, ocrMs: clock() - ocrStarted };
  });
}

/**
 * What the searchable PDF and the preview need from an OCRed page. The PDF page is the page as rendered (`rendered`),
 * turned upright: not the larger canvas a skewed page was straightened onto (the text layer turns the words back).
 */
async function ocrPageArtifact(type: DocumentType, page: SourcePage, rendered: GreyImage, read: PageRead, context: PageReadingContext, signal: AbortSignal): Promise<PageArtifact> {
  const { image, orientation } = read;
  const sideways = orientation === 90 || orientation === 270;
  const artifact: PageArtifact = {
    number: page.number,
    source: 'ocr',
    widthPt: ((sideways ? rendered.height : rendered.width) / image.dpi) * 72,
    heightPt: ((sideways ? rendered.width : rendered.height) / image.dpi) * 72,
  };
  // An upright PDF page is kept as it is in the searchable PDF (its text layer is drawn from the result's words); anything else needs its image.
  if (context.options.searchablePdf && (type !== 'pdf' || orientation !== 0)) artifact.image = await page.displayImage(orientation, signal);
  // From the pixels in hand: rendering the page again for its preview cost a second parse and render.
  const preview = await context.deps.preview?.(image, page.number);
  if (preview) artifact.preview = preview;
  return artifact;
}

function countNonBlank(text: string): number {
  return text.replace(/\s+/g, '').length;
}
