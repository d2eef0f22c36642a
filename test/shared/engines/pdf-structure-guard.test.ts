/**
 * The structure guard (issue: hostile input; a deflate bomb in a PDF's cross-reference or object stream): the
 * streams pdf-lib inflates at load, however their /Type is spelt, and those pdfjs would read as object streams are
 * inflated under a budget; real documents pass. Then every place a user's PDF is loaded with pdf-lib (and the
 * page count, which reads it with pdfjs) refuses a 512 MB bomb before anything inflates it, with the process's
 * peak memory as the witness: unguarded, pdf-lib alone takes ~1 GB for it.
 */
import { readdirSync } from 'node:fs';
import { PDFDocument } from 'pdf-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { cutToPages, parsePageSelection } from '../../../cli/page-selection.ts';
import type { OcrResult } from '../../../shared/core/result.ts';
import { countPages } from '../../../shared/engines/page-count.ts';
import { PageOperatorCounter } from '../../../shared/engines/pdf-operator-count.ts';
import { PageScans } from '../../../shared/engines/pdf-page-scan.ts';
import { openPdf } from '../../../shared/engines/pdf-source.ts';
import { loadPdfDocument, loadPdfDocumentOrNull, MAX_STRUCTURE_BYTES } from '../../../shared/engines/pdf-structure-guard.ts';
import { mergeSearchablePdfs } from '../../../shared/outputs/merge.ts';
import { buildSearchablePdf } from '../../../shared/outputs/searchable-pdf.ts';
import { fixture, FIXTURES_DIR } from '../../support/fixtures.ts';
import { structureBombPdf, type StructureBombOptions } from '../../support/hostile-files.ts';

const MB = 1024 * 1024;
/** Small bombs against a small budget: the rule, cheaply. */
const SMALL_BUDGET = { maxStructureBytes: 4 * MB };
const PAST_SMALL_BUDGET = 8 * MB;

function pagesOf(doc: PDFDocument): number | 'no page tree' {
  try {
    return doc.getPageCount();
  } catch {
    return 'no page tree';
  }
}

async function refusal(load: Promise<unknown>): Promise<string | undefined> {
  return load.then(
    () => undefined,
    (err: { code?: string }) => err.code ?? 'no code',
  );
}

describe('loadPdfDocument', () => {
  const spellings: Array<StructureBombOptions['typeSpelling']> = ['plain', 'escaped', 'indirect'];

  it.each(spellings)('reads a valid file whose pages are in an object stream (/Type written %s): pdf-lib takes it for one', async (typeSpelling) => {
    // The catalog and pages are only in the object stream: a page count of 1 means pdf-lib inflated it as one.
    expect((await loadPdfDocument(await structureBombPdf({ typeSpelling }))).getPageCount()).toBe(1);
  });

  it.each(spellings)('refuses a cross-reference stream that inflates past the budget (/Type written %s)', async (typeSpelling) => {
    const bomb = await structureBombPdf({ typeSpelling, xrefPaddingBytes: PAST_SMALL_BUDGET });
    expect(await refusal(loadPdfDocument(bomb, SMALL_BUDGET))).toBe('DOCUMENT_TOO_COMPLEX');
  });

  it.each(spellings)('refuses an object stream that inflates past the budget (/Type written %s)', async (typeSpelling) => {
    const bomb = await structureBombPdf({ typeSpelling, objStmPaddingBytes: PAST_SMALL_BUDGET });
    expect(await refusal(loadPdfDocument(bomb, SMALL_BUDGET))).toBe('DOCUMENT_TOO_COMPLEX');
  });

  it('refuses an object stream with no /Type or with an abbreviated filter, which pdf-lib skips but pdfjs inflates', async () => {
    for (const options of [{ typeSpelling: 'absent' }, { objStmFilter: 'Fl' }] as const) {
      const bomb = await structureBombPdf({ ...options, objStmPaddingBytes: PAST_SMALL_BUDGET });
      expect(await refusal(loadPdfDocument(bomb, SMALL_BUDGET))).toBe('DOCUMENT_TOO_COMPLEX');
      // Under the budget it loads (pdf-lib cannot find its pages: they are in the stream it does not read).
      expect(await refusal(loadPdfDocument(await structureBombPdf({ ...options, objStmPaddingBytes: 1 * MB }), SMALL_BUDGET))).toBeUndefined();
    }
  });

  it('the budget is for the document: two streams under it one by one are refused together', async () => {
    const bomb = await structureBombPdf({ xrefPaddingBytes: 3 * MB, objStmPaddingBytes: 3 * MB });
    expect(await refusal(loadPdfDocument(bomb, SMALL_BUDGET))).toBe('DOCUMENT_TOO_COMPLEX');
    expect((await loadPdfDocument(bomb, { maxStructureBytes: 8 * MB })).getPageCount()).toBe(1);
  });

  it('reads every PDF fixture as pdf-lib does, as saved and saved again with object streams', async () => {
    const names = readdirSync(FIXTURES_DIR).filter((name) => name.endsWith('.pdf'));
    expect(names.length).toBeGreaterThanOrEqual(4);
    for (const name of names) {
      const bytes = fixture(name);
      const plain = await PDFDocument.load(bytes, { ignoreEncryption: true, updateMetadata: false });
      const guarded = await loadPdfDocument(bytes, { ignoreEncryption: true, updateMetadata: false });
      expect(pagesOf(guarded), name).toBe(pagesOf(plain));
      if (pagesOf(plain) === 'no page tree') continue; // ocrmypdf_invalid.pdf: pdf-lib finds no pages either way
      const resaved = await plain.save({ useObjectStreams: true });
      expect(Buffer.from(resaved).includes('/ObjStm'), name).toBe(true);
      expect((await loadPdfDocument(resaved, { ignoreEncryption: true })).getPageCount(), name).toBe(plain.getPageCount());
    }
  });

  it('loadPdfDocumentOrNull: null for what pdf-lib cannot read, the refusal thrown', async () => {
    expect(await loadPdfDocumentOrNull(new Uint8Array(Buffer.from('not a pdf')))).toBeNull();
    expect(await loadPdfDocumentOrNull(fixture('encrypted_tagged.pdf'))).toBeNull();
    const bomb = await structureBombPdf({ objStmPaddingBytes: PAST_SMALL_BUDGET });
    expect(await refusal(loadPdfDocumentOrNull(bomb, SMALL_BUDGET))).toBe('DOCUMENT_TOO_COMPLEX');
  });
});

describe('every load of a user\'s PDF refuses a 512 MB structure bomb before it is inflated', () => {
  let bomb: Uint8Array;
  beforeAll(async () => {
    bomb = await structureBombPdf({ objStmPaddingBytes: 512 * MB });
    expect(bomb.length).toBeLessThan(MB);
  }, 60_000);

  /** The growth of the process's peak RSS and of this thread's ArrayBuffers (where an inflater's output lives; the render thread's show in the RSS) over `work`. */
  async function growth(work: () => Promise<unknown>): Promise<{ peakRssMb: number; arrayBuffersMb: number }> {
    const peak = process.resourceUsage().maxRSS; // KB
    const buffers = process.memoryUsage().arrayBuffers;
    await work().catch(() => undefined);
    return { peakRssMb: (process.resourceUsage().maxRSS - peak) / 1024, arrayBuffersMb: (process.memoryUsage().arrayBuffers - buffers) / MB };
  }

  /** The guard's own inflation stops at the budget; unguarded, pdf-lib's or pdfjs's reaches ~1 GB. */
  const BOUND_MB = MAX_STRUCTURE_BYTES / MB + 100;

  const sites: Array<[string, (bytes: Uint8Array) => Promise<unknown>]> = [
    ['the render thread (pdfjs and the operator counter)', async (bytes) => (await openPdf(bytes, { maxPixelsPerPage: 100_000_000, dpi: 300 } as never)).close()],
    ['the operator counter', (bytes) => PageOperatorCounter.open(bytes)],
    ['the scan decoder', (bytes) => new PageScans(bytes).decoded(0, { maxPixels: 100_000_000, dpi: 300 })],
    ['the searchable PDF', (bytes) => buildSearchablePdf(bytes, { type: 'pdf', engine: { name: 'test', version: '1' }, pages: [] } as unknown as OcrResult, [])],
    ['the shard merge', (bytes) => mergeSearchablePdfs([bytes], { engine: { name: 'test', version: '1' } } as OcrResult)],
    ['the CLI\'s --pages', (bytes) => cutToPages(bytes, parsePageSelection('1'))],
  ];

  it.each(sites)('%s: DOCUMENT_TOO_COMPLEX, memory bounded', async (_site, load) => {
    let code: string | undefined;
    const used = await growth(async () => {
      code = await refusal(load(bomb));
    });
    expect(code).toBe('DOCUMENT_TOO_COMPLEX');
    expect(used.peakRssMb).toBeLessThan(BOUND_MB);
    expect(used.arrayBuffersMb).toBeLessThan(BOUND_MB);
  }, 60_000);

  it('the page count (upload, the worker\'s fan-out): unknown, and pdfjs never inflates it', async () => {
    let pages: number | undefined = 0;
    const used = await growth(async () => {
      pages = await countPages(bomb, 'pdf');
    });
    expect(pages).toBeUndefined();
    expect(used.peakRssMb).toBeLessThan(BOUND_MB);
    expect(used.arrayBuffersMb).toBeLessThan(BOUND_MB);
    expect(await countPages(await structureBombPdf(), 'pdf')).toBe(1);
  }, 60_000);
});
