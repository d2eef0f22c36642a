/**
 * The seams between the pure pipeline and the engines that do the heavy lifting (pdfjs, sharp,
 * tesseract.js). Tests inject doubles here; faults are injected here too.
 */
import type { DocumentType } from './document-type.ts';
import type { BBox, Orientation } from './result.ts';

/** 8-bit greyscale pixels, one byte per pixel, rows top to bottom. */
export interface GreyImage {
  width: number;
  height: number;
  data: Uint8Array;
  dpi: number;
}

export interface TextLayerWord {
  text: string;
  bbox: BBox;
  line: number;
}

/** Text taken from a PDF page's own text layer, in points (72 dpi). */
export interface TextLayer {
  text: string;
  words: TextLayerWord[];
  width: number;
  height: number;
}

export interface SourcePage {
  readonly number: number;
  /** The page's own text, if the format has one (PDF); null otherwise. */
  textLayer(signal?: AbortSignal): Promise<TextLayer | null>;
  /** Upright greyscale pixels for OCR (EXIF orientation applied for images). */
  render(signal?: AbortSignal): Promise<GreyImage>;
  /** The page as an image for a searchable PDF (colour kept), rotated clockwise by `rotate` degrees. */
  displayImage(rotate: Orientation, signal?: AbortSignal): Promise<{ format: 'jpeg' | 'png'; bytes: Uint8Array; width: number; height: number }>;
}

export interface DocumentSource {
  readonly type: DocumentType;
  readonly pageCount: number;
  /** Work for the page stops when `signal` aborts (its time budget, the document's, a cancel). */
  page(index: number, signal?: AbortSignal): Promise<SourcePage>;
  close(): Promise<void>;
}

export interface OpenOptions {
  password?: string | undefined;
  dpi: number;
  defaultImageDpi: number;
  maxPixelsPerPage: number;
  /** Drawing operations a PDF page may have (a few KB of content can hold millions); Limits' default when unset. */
  maxOperatorsPerPage?: number | undefined;
  /** Heap of the thread a PDF is parsed and rendered in, MB; Limits' default when unset. */
  renderHeapMb?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface DocumentOpener {
  open(bytes: Uint8Array, type: DocumentType, options: OpenOptions): Promise<DocumentSource>;
}

export interface RecognizedWord {
  text: string;
  confidence: number;
  bbox: BBox;
  line: number;
}

export interface RecognizedPage {
  text: string;
  confidence: number;
  words: RecognizedWord[];
  skewDegrees: number;
  /** Size of the image the words' boxes refer to (a deskewed page is a little larger). */
  width: number;
  height: number;
  /** How the engine read it, for the page result (page segmentation mode, scale applied). */
  strategy?: { psm?: number; scale?: number };
}

export interface RecognizeOptions {
  languages: readonly string[];
  /** Stops the page's OCR at once (the worker doing it is replaced): the page's budget (core/budget.ts) and a cancel. */
  signal?: AbortSignal | undefined;
  /** Skew measured by an earlier read of the page; an engine that cannot measure skew turns the page by it. */
  skewDegrees?: number;
  /** The page's text lines were measured plainly level (within 1°): the engine need not measure its skew again. */
  level?: boolean;
  /** The height of the page's words (median word box, px) measured by an earlier read: an engine may scale the page by it. */
  wordHeightPx?: number;
  /**
   * An earlier read's words of the same pixels (after turning by `skewDegrees`): an engine may keep the lines
   * that read was sure of rather than read them again (text-lines.ts, splitBySureWords).
   */
  knownWords?: readonly RecognizedWord[];
  /**
   * Whether the page is expected to read unsurely (page-strategy.ts, expectsUnsureRead): an engine with a quick first
   * read that it would have to redo on an unsure page (the line cascade) reads such a page with its own model at once.
   * Asked only by such an engine, once a read (a page read at another turn is asked again).
   */
  expectUnsure?: () => boolean;
  /**
   * Whether a read is kept as it is, with no second opinion (page-strategy.ts, isCleanRead). An engine whose quick read
   * mixes two models (the line cascade) returns it only when it is; otherwise it reads the page again with its own model,
   * so that what the second engine is handed (and keeps of it) is the read it would have had without the quick one.
   */
  isCleanRead?: (read: RecognizedPage) => boolean;
}

export interface OrientationGuess {
  /** Clockwise rotation that makes the page upright. */
  degrees: Orientation;
  confidence: number;
  /** The script OSD saw ("Latin", "Cyrillic", "Han", …), for language=auto (core/script-languages.ts). */
  script?: string | null;
  scriptConfidence?: number | null;
}

export interface OcrEngine {
  readonly name: string;
  readonly version: string;
  recognize(image: GreyImage, options: RecognizeOptions): Promise<RecognizedPage>;
  /** Null when the page has too little text to tell. */
  detectOrientation(image: GreyImage, signal?: AbortSignal): Promise<OrientationGuess | null>;
  /** Whether its models read these languages; an engine without this reads every installed language. */
  reads?(languages: readonly string[]): boolean;
  /** Starts up to `workers` of its workers for these languages ahead of the pages (those already started are kept). */
  warmUp?(languages: readonly string[], workers: number): Promise<void>;
}
