/**
 * A PDF's budget covers its rendering: a page with millions of drawing operations, one that takes
 * too long or too much memory, or a cancel, ends the render thread's work and not the process
 * (issue: hostile input, item 1).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Limits } from '../../../shared/core/options.ts';
import { contentBombPdf, hugeEmptyPagesPdf, hugePageWithTextPdf, manyOperatorsPdf } from '../../support/hostile-files.ts';
import { testOcr } from '../../support/ocr.ts';

const ocr = testOcr({ workers: 1 });
afterAll(() => ocr.close());
const limits = (overrides: Partial<Limits>) => ({ ...Limits.parse({}), ...overrides });
const manyOps = manyOperatorsPdf(2_000_000);

describe('PDF budgets', () => {
  it('a page with 2,000,000 drawing operators fails DOCUMENT_TOO_COMPLEX once it passes the operator limit', async () => {
    const bytes = await manyOps;
    expect(bytes.length).toBeLessThan(60_000);
    await expect(ocr.process(bytes, { limits: limits({ maxOperatorsPerPage: 20_000 }) })).rejects.toMatchObject({ code: 'DOCUMENT_TOO_COMPLEX' });
  });

  it('with the default limit the 2,000,000-operator page is refused from a count of its content stream, before pdfjs parses it', async () => {
    const bytes = await manyOps;
    await expect(ocr.process(bytes)).rejects.toMatchObject({ code: 'DOCUMENT_TOO_COMPLEX', message: expect.stringMatching(/more than 300000 operations \(counted before rendering\)/) });
  });

  it('the page time budget covers rendering: a page still rendering at its limit fails PAGE_TIMEOUT', async () => {
    const started = Date.now();
    await expect(ocr.process(await manyOps, { limits: limits({ maxOperatorsPerPage: 10_000_000, pageTimeoutMs: 1500 }) })).rejects.toMatchObject({ code: 'PAGE_TIMEOUT' });
    // Stopped at its limit, not when the render finished (minutes, and gigabytes, on this file).
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('a render thread out of memory fails the document DOCUMENT_TOO_COMPLEX; the process goes on', async () => {
    // 400,000 operators hold more than 32 MB of parsed operators; no time limit gets there first.
    const bytes = await manyOperatorsPdf(400_000);
    const generous = { maxOperatorsPerPage: 10_000_000, renderHeapMb: 32, pageTimeoutMs: 600_000 };
    await expect(ocr.process(bytes, { limits: limits(generous) })).rejects.toMatchObject({ code: 'DOCUMENT_TOO_COMPLEX', message: expect.stringMatching(/32 MB/) });
    // The OCR engine and the render threads still work.
    await expect(ocr.process(await hugeEmptyPagesPdf(1, 612))).resolves.toMatchObject({ result: { pageCount: 1 } });
  }, 300_000);

  it('a page whose content stream inflates past the thread\'s memory outside its heap fails DOCUMENT_TOO_COMPLEX while pdfjs still reads it; the process goes on', async () => {
    // 512 MB of spaces: no operator for the count, nothing on the V8 heap; pdfjs holds the decoded stream in ArrayBuffers.
    const bytes = await contentBombPdf(512 << 20);
    expect(bytes.length).toBeLessThan(1_000_000);
    const rssBefore = process.memoryUsage.rss();
    let peak = rssBefore;
    const sampling = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
    try {
      await expect(ocr.process(bytes, { limits: limits({ renderHeapMb: 64 }) })).rejects.toMatchObject({ code: 'DOCUMENT_TOO_COMPLEX', message: expect.stringMatching(/64 MB/) });
    } finally {
      clearInterval(sampling);
    }
    // Ended near its budget, not after the whole stream (over 1 GB when read through).
    expect(peak - rssBefore).toBeLessThan(400 << 20);
    await expect(ocr.process(await hugeEmptyPagesPdf(1, 612))).resolves.toMatchObject({ result: { pageCount: 1 } });
  }, 120_000);

  it('the document time budget stops a document whose pages each stay within theirs', async () => {
    const bytes = await hugeEmptyPagesPdf(3, 14_400);
    await expect(
      ocr.process(bytes, { limits: limits({ documentTimeoutMs: 1, maxPixelsPerPage: 400_000_000 }) }),
    ).rejects.toMatchObject({ code: 'DOCUMENT_TOO_COMPLEX' });
  });

  it('the pixels of all pages count against the document: over the total, DOCUMENT_TOO_COMPLEX', async () => {
    const bytes = await hugeEmptyPagesPdf(3, 612);
    // One 612 pt page at 300 dpi is 2550² = 6.5 Mpx: three are over 15 Mpx.
    await expect(ocr.process(bytes, { limits: limits({ maxPixelsPerDocument: 15_000_000 }) })).rejects.toMatchObject({ code: 'DOCUMENT_TOO_COMPLEX' });
    await expect(ocr.process(bytes, { limits: limits({ maxPixelsPerDocument: 25_000_000 }) })).resolves.toMatchObject({ result: { pageCount: 3 } });
  });

  it('ten empty 14400 pt pages are read from a small preview each: blank, at once, without gigapixel renders', async () => {
    const bytes = await hugeEmptyPagesPdf(10);
    const { result } = await ocr.process(bytes, { searchablePdf: true });
    expect(result.pages.map((p) => p.status)).toEqual(Array(10).fill('ok'));
    expect(result.text.trim()).toBe('');
    for (const page of result.pages) expect(page.width * page.height).toBeLessThanOrEqual(2_000_000);
  });

  it('a 14400 pt sheet with one line of 9 pt text is read at the reading DPI: only its ink is rendered', async () => {
    // Whole, the sheet fits the pixel limit only at 50 dpi, where 9 pt text is 6 px tall and reads as nothing.
    const bytes = await hugePageWithTextPdf(14_400, 'Quarterly inspection report for the north wing', 9);
    // The text layer is set aside (as if the sheet were a scan) so the page is OCRed.
    const { result } = await ocr.process(bytes, { textLayerMinChars: 10_000 });
    expect(result.pages[0]).toMatchObject({ status: 'ok', source: 'ocr', dpi: 300 });
    expect(result.text).toMatch(/Quarterly inspection report/);
  });

  it('an abort stops the work in flight within a second and rejects with its reason', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by the test');
    const work = ocr.process(await manyOps, { limits: limits({ maxOperatorsPerPage: 10_000_000 }) }, undefined, controller.signal);
    await new Promise((r) => setTimeout(r, 1500));
    const abortedAt = Date.now();
    controller.abort(reason);
    await expect(work).rejects.toBe(reason);
    expect(Date.now() - abortedAt).toBeLessThan(1000);
  });
});
