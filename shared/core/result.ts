import { z } from 'zod';
import { DocumentType } from './document-type.ts';
import { ErrorCode } from './errors.ts';

/** Bumped on any change a reader of stored results would notice. 2: pages say which strategy read them. */
export const RESULT_SCHEMA_VERSION = 2;
/** Versions this code reads: a version-1 result is a version-2 result without page strategies. */
export const ResultSchemaVersion = z.union([z.literal(1), z.literal(RESULT_SCHEMA_VERSION)]);

/** Pixel box in the page's own coordinate space (see Page.width/height/dpi). */
export const BBox = z.object({ x0: z.number(), y0: z.number(), x1: z.number(), y1: z.number() });
export type BBox = z.infer<typeof BBox>;

export const Word = z.object({
  text: z.string(),
  confidence: z.number().min(0).max(100),
  bbox: BBox,
  /** Index of the line on the page (lines are numbered top to bottom in reading order). */
  line: z.number().int().nonnegative(),
});
export type Word = z.infer<typeof Word>;

export const PageSource = z.enum(['ocr', 'text-layer']);
export type PageSource = z.infer<typeof PageSource>;

export const PageStatus = z.enum(['ok', 'failed']);
export type PageStatus = z.infer<typeof PageStatus>;

export const Orientation = z.union([z.literal(0), z.literal(90), z.literal(180), z.literal(270)]);
export type Orientation = z.infer<typeof Orientation>;

/** Which engine read an OCRed page, and how: so a user can see why a page reads as it does. */
export const PageStrategy = z.object({
  engine: z.string(),
  /** Tesseract's page segmentation mode, when tesseract read the page. */
  psm: z.number().int().optional(),
  /** Scale applied to the page before reading (1 = as rendered). */
  scale: z.number().positive().optional(),
  /** Why this engine's read was kept, in a few words. */
  reason: z.string().optional(),
  /** The page was light text on a dark background and was inverted before reading. */
  inverted: z.boolean().optional(),
});
export type PageStrategy = z.infer<typeof PageStrategy>;

export const PageResult = z.object({
  number: z.number().int().positive(),
  source: PageSource,
  status: PageStatus,
  /** Set when status is failed: the page is kept (empty) and the document still completes. */
  error: z.object({ code: ErrorCode, message: z.string() }).optional(),
  text: z.string(),
  /** Mean word confidence 0–100 (100 for a text layer, 0 for a failed or empty page). */
  confidence: z.number().min(0).max(100),
  width: z.number().nonnegative(),
  height: z.number().nonnegative(),
  dpi: z.number().positive(),
  rotation: z.object({
    /** Clockwise rotation applied to make the page upright (EXIF and detected orientation). */
    orientation: Orientation,
    /** Skew corrected by the engine, in degrees (positive = clockwise). */
    skewDegrees: z.number(),
  }),
  words: z.array(Word),
  /** Set on OCRed pages from version 2 on. */
  strategy: PageStrategy.optional(),
  timings: z.object({ renderMs: z.number(), ocrMs: z.number(), totalMs: z.number() }),
});
export type PageResult = z.infer<typeof PageResult>;

export const DatedValue = z.object({ text: z.string(), iso: z.string() });
export const Amount = z.object({ text: z.string(), value: z.number(), currency: z.string().nullable() });
export const Reference = z.object({ kind: z.enum(['invoice', 'order']), value: z.string() });

export const DocumentMetadata = z.object({
  dates: z.array(DatedValue),
  amounts: z.array(Amount),
  emails: z.array(z.string()),
  phones: z.array(z.string()),
  references: z.array(Reference),
});
export type DocumentMetadata = z.infer<typeof DocumentMetadata>;

export const Category = z.enum(['invoice', 'receipt', 'letter', 'contract', 'form', 'report', 'other']);
export type Category = z.infer<typeof Category>;

export const Classification = z.object({
  category: Category,
  /** Score per category; the highest wins when it clears the threshold, else "other". */
  scores: z.record(z.string(), z.number()),
  /** The cues that produced each score, so a user can see why. */
  matched: z.record(z.string(), z.array(z.string())),
});
export type Classification = z.infer<typeof Classification>;

export const OcrResult = z.object({
  v: ResultSchemaVersion,
  type: DocumentType,
  languages: z.array(z.string()).min(1),
  pageCount: z.number().int().nonnegative(),
  text: z.string(),
  /** Mean confidence over the pages that were read successfully. */
  confidence: z.number().min(0).max(100),
  pages: z.array(PageResult),
  metadata: DocumentMetadata,
  classification: Classification,
  engine: z.object({ name: z.string(), version: z.string() }),
  timings: z.object({ totalMs: z.number(), ocrMs: z.number() }),
});
export type OcrResult = z.infer<typeof OcrResult>;
