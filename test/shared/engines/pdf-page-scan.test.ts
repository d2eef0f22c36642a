/**
 * A plotter-sized scan (an 8400 pt page holding one 35000² 1-bit image with a line of 12 pt text):
 * pdfjs leaves an image that large out and the page read blank; its ink is now decoded by us and
 * read at the scan's resolution, within the page's pixel budget and its signal.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DocVaultError } from '../../../shared/core/errors.ts';
import { openPdf } from '../../../shared/engines/pdf-source.ts';
import { hugeScannedPagePdf } from '../../support/hostile-files.ts';
import { testOcr } from '../../support/ocr.ts';

const ocr = testOcr({ workers: 1 });
afterAll(() => ocr.close());
const LINE = 'The quick brown fox jumps over the lazy dog';
const plotterScan = hugeScannedPagePdf({ sizePt: 8400, pixels: 35_000, text: LINE, textPt: 12, at: { x: 1000, y: 2000 } });

async function render(maxPixelsPerPage: number, signal?: AbortSignal) {
  const source = await openPdf(await plotterScan, { dpi: 300, defaultImageDpi: 300, maxPixelsPerPage });
  try {
    return await (await source.page(0)).render(signal);
  } finally {
    await source.close();
  }
}

describe('a page that is one scan too large to render whole', () => {
  it('reads its line of text', async () => {
    const { result } = await ocr.process(await plotterScan);
    expect(result.pages[0]!.status).toBe('ok');
    expect(result.text.toLowerCase()).toContain('quick brown fox');
    expect(result.pages[0]!.dpi).toBe(300);
  }, 300_000);

  it('is cut to its ink at the scan resolution, and shrunk to fit a smaller pixel budget', async () => {
    const whole = await render(100_000_000);
    expect(whole.dpi).toBe(300);
    // The line is 12 pt (50 px at 300 dpi) tall and ~2,000 px long: a sixth of an inch around it, not 35000².
    expect(whole.height).toBeLessThan(300);
    expect(whole.width).toBeLessThan(3000);
    expect(whole.data.some((v) => v < 128)).toBe(true);
    const small = await render(whole.width * whole.height / 3);
    expect(small.width * small.height).toBeLessThanOrEqual(whole.width * whole.height / 3);
    expect(small.dpi).toBe(150);
  }, 300_000);

  it('stops when the page signal aborts', async () => {
    const reason = new DocVaultError('PAGE_TIMEOUT', 'Page 1 took too long.');
    await expect(render(100_000_000, AbortSignal.abort(reason))).rejects.toBe(reason);
  }, 300_000);
});
