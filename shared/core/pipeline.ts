/**
 * The OCR pipeline: document bytes → pages → text → result. Pure orchestration over the ports in
 * ports.ts; it reads top to bottom like the stages it runs. Reading the pages is page-reading.ts.
 */
import { documentBudget, type DocumentBudget } from './budget.ts';
import { classifyDocument } from './classify.ts';
import { detectDocumentType, type DocumentType } from './document-type.ts';
import { DocVaultError, fileTooLarge, tooManyPages } from './errors.ts';
import { extractFields } from './fields/index.ts';
import { extractMetadata } from './metadata.ts';
import { isAutoLanguage, OcrOptions, type OcrOptionsInput } from './options.ts';
import { autoLanguages } from './script-languages.ts';
import { readPages, type PageArtifact, type PageProgress, type PageReadingDeps } from './page-reading.ts';
import type { DocumentOpener, DocumentSource, GreyImage } from './ports.ts';
import { RESULT_SCHEMA_VERSION, type OcrResult, type PageResult } from './result.ts';

export type { PageArtifact, PagePreviewer, PageProgress } from './page-reading.ts';

export interface PipelineDeps extends PageReadingDeps {
  opener: DocumentOpener;
  clock?: () => number;
  /** The languages the models on hand read, for language=auto; none given: the default languages. */
  installedLanguages?: () => Promise<readonly string[]>;
}

export interface PipelineOutput {
  result: OcrResult;
  artifacts: PageArtifact[];
}

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
    // language=auto: chosen from the first page's script before any page is read, and reported in the result.
    // The first page is rendered once: the render the script was told from is the one that is read.
    const auto = isAutoLanguage(options.languages);
    const pagesSource = auto ? keepingFirstRender(source, (options.pages?.first ?? 1) - 1) : source;
    const read = auto ? { ...options, languages: (await autoLanguages(pagesSource, (options.pages?.first ?? 1) - 1, deps, budget.signal)).languages } : options;
    startWorkers(deps, read.languages, options.pages ? options.pages.last - options.pages.first + 1 : source.pageCount);
    const pages = await readPages(pagesSource, read, deps, budget, clock, onProgress);
    budget.check();
    // A shard's pages are judged with the whole document's, when its shards are merged.
    const result = (options.pages ? assemblePartialResult : assembleResult)({
      type,
      languages: read.languages,
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

/**
 * The engine's workers for a document of several pages, started while its first pages render: a worker started only
 * when the second page reached it (docvault ocr starts one) kept that page waiting its start (bench/pdf-pages.ts).
 * A worker that fails to start fails the page that needs it, not this.
 */
function startWorkers(deps: PipelineDeps, languages: readonly string[], pages: number): void {
  const workers = Math.min(pages, deps.concurrency);
  if (workers > 1) void deps.engine.warmUp?.(languages, workers).catch(() => undefined);
}

/**
 * The source with page `index`'s first render (language=auto's look at the first page) handed to its second
 * call (the page's read), then let go.
 */
function keepingFirstRender(source: DocumentSource, index: number): DocumentSource {
  let kept: Promise<GreyImage> | undefined;
  let calls = 0;
  return {
    type: source.type,
    pageCount: source.pageCount,
    close: () => source.close(),
    page: async (i, signal) => {
      const page = await source.page(i, signal);
      if (i !== index) return page;
      return {
        number: page.number,
        textLayer: (s) => page.textLayer(s),
        displayImage: (rotate, s) => page.displayImage(rotate, s),
        render: (s) => {
          calls += 1;
          const rendering = calls === 2 && kept ? kept : page.render(s);
          kept = calls === 1 ? rendering : undefined;
          return rendering;
        },
      };
    },
  };
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
  const part = assemblePartialResult(parts);
  const metadata = extractMetadata(part.text);
  const classification = classifyDocument(part.text, metadata);
  return { ...part, metadata, classification, fields: extractFields(parts.pages, classification) };
}

/**
 * A shard's part: its pages and their text, nothing judged. The all-pages-failed rule, metadata,
 * classification and fields are the whole document's, read once from the merged pages.
 */
function assemblePartialResult(parts: ResultParts): OcrResult {
  return {
    v: RESULT_SCHEMA_VERSION,
    type: parts.type,
    languages: parts.languages,
    pageCount: parts.pageCount,
    text: parts.pages.map((p) => p.text.trimEnd()).join('\n\n'),
    confidence: mean(parts.pages.filter((p) => p.status === 'ok').map((p) => p.confidence)),
    pages: parts.pages,
    metadata: { dates: [], amounts: [], emails: [], phones: [], references: [] },
    classification: { category: 'other', scores: {}, matched: {} },
    fields: null,
    engine: parts.engine,
    timings: { totalMs: parts.totalMs, ocrMs: sum(parts.pages.map((p) => p.timings.ocrMs)) },
  };
}

function checkSize(size: number, maxBytes: number): void {
  if (size === 0) throw new DocVaultError('EMPTY_FILE', 'The file is empty (0 bytes).');
  if (size > maxBytes) throw fileTooLarge(size, maxBytes);
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : Math.round((sum(values) / values.length) * 100) / 100;
}
