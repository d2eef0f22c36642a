import { z } from 'zod';
import { DocumentType } from './document-type.ts';
import { ErrorCode } from './errors.ts';

/** Bumped on any change a reader of stored results would notice. 2: `fields`, and pages say which strategy read them. */
export const RESULT_SCHEMA_VERSION = 2;

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

/** Where a field was read: a page, the indices of its words in that page's `words`, and their joint box. */
export const FieldSource = z.object({
  page: z.number().int().positive(),
  words: z.array(z.number().int().nonnegative()),
  bbox: BBox,
});
export type FieldSource = z.infer<typeof FieldSource>;

const fieldEvidence = {
  /** The words as printed (after OCR), e.g. "TOTAL RM 54.50". */
  text: z.string(),
  /** 0–100: how sure the rule is, weighed by the OCR confidence of the words it used. */
  confidence: z.number().min(0).max(100),
  /** The rule that chose the value, so a user can see why (e.g. "keyword GRAND TOTAL, same row"). */
  rule: z.string(),
  sources: z.array(FieldSource),
};
export const TextField = z.object({ value: z.string(), ...fieldEvidence });
export type TextField = z.infer<typeof TextField>;
/** `value` is an ISO 8601 calendar date (YYYY-MM-DD). */
export const DateField = z.object({ value: z.string(), ...fieldEvidence });
export type DateField = z.infer<typeof DateField>;
export const MoneyField = z.object({ value: z.number(), currency: z.string().nullable(), ...fieldEvidence });
export type MoneyField = z.infer<typeof MoneyField>;

/** What users search receipts and invoices by; a field is null when the document does not show it. */
export const Fields = z.object({
  merchant: TextField.nullable(),
  date: DateField.nullable(),
  total: MoneyField.nullable(),
  tax: MoneyField.nullable(),
});
export type Fields = z.infer<typeof Fields>;

export const OcrResult = z.object({
  v: z.literal(RESULT_SCHEMA_VERSION),
  type: DocumentType,
  languages: z.array(z.string()).min(1),
  pageCount: z.number().int().nonnegative(),
  text: z.string(),
  /** Mean confidence over the pages that were read successfully. */
  confidence: z.number().min(0).max(100),
  pages: z.array(PageResult),
  metadata: DocumentMetadata,
  classification: Classification,
  /** Receipt and invoice fields; null for other categories. */
  fields: Fields.nullable(),
  engine: z.object({ name: z.string(), version: z.string() }),
  timings: z.object({ totalMs: z.number(), ocrMs: z.number() }),
});
export type OcrResult = z.infer<typeof OcrResult>;

/** Results stored before `fields` existed. */
export const OcrResultV1 = OcrResult.omit({ v: true, fields: true }).extend({ v: z.literal(1) });

/** Reads a stored result of any schema version as the current one (a v1 result has no fields). */
export function readOcrResult(data: unknown): OcrResult {
  const parsed = z.discriminatedUnion('v', [OcrResultV1, OcrResult]).parse(data);
  return parsed.v === 1 ? { ...parsed, v: RESULT_SCHEMA_VERSION, fields: null } : parsed;
}
