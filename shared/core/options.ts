import { z } from 'zod';

const LANGUAGE_CODE = /^[a-z]{3}(_[a-z]+)?$/i;

/** "eng", "eng+deu" or ["eng","deu"] → ["eng","deu"]; order is kept (the first is primary). */
export const Languages = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split('+')).map((s) => s.trim()).filter(Boolean))
  .pipe(
    z
      .array(z.string().refine((l) => LANGUAGE_CODE.test(l) || l === AUTO_LANGUAGE, 'a language is a tesseract code such as eng, deu or chi_sim, or auto'))
      .min(1)
      .max(8)
      .refine((ls) => ls.length === 1 || !ls.includes(AUTO_LANGUAGE), 'auto stands alone: the languages are chosen from the script'),
  );

/** `language=auto`: the languages chosen from the script of the first page (core/script-languages.ts). */
export const AUTO_LANGUAGE = 'auto';

export const isAutoLanguage = (languages: readonly string[]): boolean => languages.length === 1 && languages[0] === AUTO_LANGUAGE;

/** The languages a document is read in when its owner named none. */
export const DEFAULT_LANGUAGES: readonly string[] = ['eng'];

/** Limits guard the workers against hostile or accidental input; each breach has its own code. */
export const Limits = z.object({
  maxBytes: z.number().int().positive().default(100 * 1024 * 1024),
  maxPages: z.number().int().positive().default(500),
  /** Decoded pixels per page: a small compressed file can decode to gigapixels. */
  maxPixelsPerPage: z.number().int().positive().default(100_000_000),
  /** One page, from its rendering to its text. */
  pageTimeoutMs: z.number().int().positive().default(120_000),
  /** Decoded pixels over all pages of a document (a few hundred A4 pages at 300 dpi). */
  maxPixelsPerDocument: z.number().int().positive().default(5_000_000_000),
  /** A whole document; under the worker's 600 s delivery deadline. */
  documentTimeoutMs: z.number().int().positive().default(540_000),
  /** Drawing operations a PDF page may have: a dense map has ~100,000; 50 KB of content can hold millions. */
  maxOperatorsPerPage: z.number().int().positive().default(300_000),
  /** Heap of the thread a PDF is parsed and rendered in, MB, and as much again for its ArrayBuffers (the worker has 4 GiB in all). */
  renderHeapMb: z.number().int().positive().default(1024),
});
export type Limits = z.infer<typeof Limits>;

export const OcrOptions = z.object({
  languages: Languages.default([...DEFAULT_LANGUAGES]),
  password: z.string().optional(),
  /** Resolution PDF pages are rendered at for OCR. */
  dpi: z.number().int().min(72).max(600).default(300),
  /** Resolution assumed for images that do not declare one. */
  defaultImageDpi: z.number().int().min(50).max(1200).default(300),
  /** A PDF page whose text layer has at least this many non-blank characters is not OCRed. */
  textLayerMinChars: z.number().int().nonnegative().default(16),
  detectOrientation: z.boolean().default(true),
  /** Collect what the searchable PDF needs while pages go by (costs a little per page). */
  searchablePdf: z.boolean().default(false),
  /** Only these pages (1-based, inclusive): a shard of a large document (see shards.ts); unset reads all. */
  pages: z.object({ first: z.number().int().positive(), last: z.number().int().positive() }).optional(),
  limits: Limits.default(Limits.parse({})),
});
export type OcrOptions = z.infer<typeof OcrOptions>;
export type OcrOptionsInput = z.input<typeof OcrOptions>;
