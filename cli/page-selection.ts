/**
 * `--pages 1-3,7`: which pages of a document to read. The pipeline reads whole documents, so a PDF is
 * cut down to the chosen pages (pdf-lib, already used for searchable PDFs) before it goes in; the
 * pages' numbers in the result are then set back to the original ones.
 */
import { DocVaultError } from '../shared/core/errors.ts';
import type { OcrResult } from '../shared/core/result.ts';

const RANGE = /^(\d+)(?:-(\d+)?)?$/;

/** "1-3,7,10-" → a predicate-like description; "10-" means page 10 to the end. */
export interface PageSelection {
  ranges: Array<{ from: number; to: number | null }>;
  text: string;
}

export function parsePageSelection(text: string): PageSelection {
  const ranges = text.split(',').map((part) => {
    const match = RANGE.exec(part.trim());
    const from = Number(match?.[1]);
    const to = match?.[2] === undefined ? (part.trim().endsWith('-') ? null : from) : Number(match[2]);
    if (!match || from < 1 || (to !== null && to < from)) {
      throw new DocVaultError('INVALID_ARGUMENT', `--pages: "${part.trim()}" is not a page or range; write e.g. 1-3,7 or 10- (pages are numbered from 1).`);
    }
    return { from, to };
  });
  return { ranges, text };
}

/** The chosen page numbers of a document of `pageCount` pages, in order, each once. */
export function selectedPages(selection: PageSelection, pageCount: number): number[] {
  const chosen = new Set<number>();
  for (const { from, to } of selection.ranges) {
    for (let n = from; n <= Math.min(to ?? pageCount, pageCount); n++) chosen.add(n);
  }
  if (chosen.size === 0) {
    throw new DocVaultError('INVALID_ARGUMENT', `--pages ${selection.text}: the document has ${pageCount} page${pageCount === 1 ? '' : 's'}.`);
  }
  return [...chosen].sort((a, b) => a - b);
}

const PDF_MAGIC = '%PDF-';

function isPdf(bytes: Uint8Array): boolean {
  return new TextDecoder().decode(bytes.subarray(0, 1024)).includes(PDF_MAGIC);
}

/**
 * What the summary line says was read: the selection as typed when the document holds all of it, else
 * the pages read and why not the rest ("--pages 1-3,7" of a 2-page document read pages 1-2, not quietly 1-3,7).
 */
export function describeSelection(selection: PageSelection, read: readonly number[], pageCount: number): string {
  const beyond = selection.ranges.some(({ from, to }) => Math.max(from, to ?? from) > pageCount);
  if (!beyond) return `pages ${selection.text}`;
  return `pages ${read.join(',')} of ${selection.text}: the document has ${pageCount} page${pageCount === 1 ? '' : 's'}`;
}

/** The document with only the chosen pages, their original numbers, and how many pages it had. */
export async function cutToPages(
  bytes: Uint8Array,
  selection: PageSelection,
): Promise<{ bytes: Uint8Array; pages: number[] | null; pageCount: number }> {
  if (!isPdf(bytes)) {
    // An image is one page (a multi-page TIFF is read whole: the pipeline takes no page list).
    selectedPages(selection, 1);
    return { bytes, pages: null, pageCount: 1 };
  }
  const [{ PDFDocument }, { loadPdfDocument }] = await Promise.all([import('pdf-lib'), import('../shared/engines/pdf-structure-guard.ts')]);
  const source = await loadPdfDocument(bytes, { updateMetadata: false }).catch((err: Error) => {
    if (/encrypt/i.test(err.message)) throw new DocVaultError('INVALID_ARGUMENT', '--pages cannot cut an encrypted PDF; leave it out to read every page.');
    throw err;
  });
  const pageCount = source.getPageCount();
  const pages = selectedPages(selection, pageCount);
  const cut = await PDFDocument.create();
  for (const page of await cut.copyPages(source, pages.map((n) => n - 1))) cut.addPage(page);
  return { bytes: await cut.save(), pages, pageCount };
}

/** Puts the original page numbers back on a result read from a cut document. */
export function renumberPages(result: OcrResult, pages: readonly number[]): void {
  result.pages.forEach((page, i) => {
    page.number = pages[i] ?? page.number;
  });
}
