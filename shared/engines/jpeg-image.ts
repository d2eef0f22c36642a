/**
 * A PDF image stored as a baseline or progressive JPEG (/DCTDecode: how colour and grey scanners, and img2pdf, store a
 * photo-like page), decoded by libjpeg-turbo through sharp straight to grey: pdfjs decodes it in JavaScript and paints
 * it through its canvas, ~1 CPU-s for a 300-dpi letter page against ~0.1 here (bench/RESULTS.md). Grey as the render
 * thread makes it (BT.601 luma), at the DPI pdfjs would have rendered the page at.
 */
import sharp from 'sharp';
import type { GreyImage } from '../core/ports.ts';
import { greyOf } from './sharp-grey.ts';

/**
 * The image as grey pixels, `width`×`height` (the page at the DPI asked for), at most `maxPixels` decoded; null when
 * it is not the JPEG its dictionary says (another size, CMYK, another number of channels) or libjpeg reports it damaged.
 */
export async function decodeJpeg(
  image: { bytes: Uint8Array; width: number; height: number; channels: 1 | 3 },
  out: { width: number; height: number; dpi: number },
  maxPixels: number,
): Promise<GreyImage | null> {
  try {
    const input = sharp(image.bytes, { limitInputPixels: maxPixels, failOn: 'warning' });
    const meta = await input.metadata();
    const expected = image.channels === 1 ? 'b-w' : 'srgb';
    if (meta.format !== 'jpeg' || meta.width !== image.width || meta.height !== image.height || meta.channels !== image.channels || meta.space !== expected) return null;
    let pipeline = image.channels === 1 ? input : input.recomb([[0.299, 0.587, 0.114], [0.299, 0.587, 0.114], [0.299, 0.587, 0.114]]);
    if (out.width !== image.width || out.height !== image.height) pipeline = pipeline.resize(out.width, out.height, { fit: 'fill', kernel: 'lanczos3' });
    const raw = await pipeline.extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    if (raw.info.width !== out.width || raw.info.height !== out.height || raw.info.channels !== 1) return null;
    return greyOf(raw, out.dpi);
  } catch {
    return null;
  }
}
