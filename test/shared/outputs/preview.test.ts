/** Page previews: at most PREVIEW_MAX_PX on the longer side, turned upright as the page was read, for images and PDFs. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { OcrResult } from '../../../shared/core/result.ts';
import { MAX_PREVIEW_PAGES, pagePreview, PREVIEW_MAX_PX, previewObjectName, renderPreviews } from '../../../shared/outputs/preview.ts';
import { fixture } from '../../support/fixtures.ts';

/** Only what previews read of a result: the type and each page's number and orientation. */
function resultOf(type: OcrResult['type'], orientations: Array<0 | 90 | 180 | 270>): OcrResult {
  return { type, pages: orientations.map((orientation, i) => ({ number: i + 1, rotation: { orientation, skewDegrees: 0 } })) } as unknown as OcrResult;
}

describe('page previews', () => {
  it('an image: WebP, no larger than it was, turned by the orientation the page was read in', async () => {
    const [upright] = [...(await renderPreviews(fixture('tess_phototest.tif'), { result: resultOf('tiff', [0]) }, 50e6)).values()];
    const [turned] = [...(await renderPreviews(fixture('tess_phototest.tif'), { result: resultOf('tiff', [90]) }, 50e6)).values()];
    const a = await sharp(upright!).metadata();
    const b = await sharp(turned!).metadata();
    expect(a.format).toBe('webp');
    expect([a.width, a.height]).toEqual([640, 480]);
    expect([b.width, b.height]).toEqual([480, 640]);
  });

  it('a PDF page: rendered and scaled to fit PREVIEW_MAX_PX', async () => {
    const previews = await renderPreviews(fixture('ocrmypdf_skew.pdf'), { result: resultOf('pdf', [0]) }, 50e6);
    const meta = await sharp(previews.get(1)!).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(PREVIEW_MAX_PX);
    expect(Math.max(meta.width!, meta.height!)).toBeGreaterThan(500);
  });

  it('an OCRed page: cut from the image the pipeline read, the document not opened again', async () => {
    const { data, info } = await sharp(fixture('tess_phototest.tif')).greyscale().raw().toBuffer({ resolveWithObject: true });
    const read = await pagePreview({ width: info.width, height: info.height, data: new Uint8Array(data), dpi: 200 }, 1);
    expect((await sharp(read!).metadata()).format).toBe('webp');
    expect(await pagePreview({ width: 1, height: 1, data: new Uint8Array(1), dpi: 200 }, MAX_PREVIEW_PAGES + 1)).toBeUndefined();
    // Bytes that are no document at all: only a page without the pipeline's preview would need them.
    const previews = await renderPreviews(new Uint8Array([0]), { result: resultOf('pdf', [0]), artifacts: [{ number: 1, source: 'ocr', widthPt: 612, heightPt: 792, preview: read! }] }, 50e6);
    expect(previews.get(1)).toBe(read);
  });

  it('lives beside the results, in the user’s own prefix', () => {
    expect(previewObjectName('ab'.repeat(32), 'f'.repeat(32), 3)).toBe(`users/${'ab'.repeat(32)}/${'f'.repeat(32)}/preview-3.webp`);
  });
});
