/** Raster images through sharp (BMP and Netpbm decoded first, since libvips reads neither). */
import bmp from 'bmp-js';
import sharp, { type Sharp } from 'sharp';
import { DocVaultError } from '../core/errors.ts';
import type { DocumentType } from '../core/document-type.ts';
import type { DocumentSource, GreyImage, OpenOptions, SourcePage } from '../core/ports.ts';
import type { Orientation } from '../core/result.ts';
import { decodeNetpbm, type RawPixels } from './netpbm.ts';
import { atReadingResolution } from './reading-resolution.ts';
import { greyOf } from './sharp-grey.ts';

/** Declared resolutions below this are screen defaults, not scans: use the configured default. */
const MIN_TRUSTED_DPI = 70;

export async function openImage(bytes: Uint8Array, type: DocumentType, options: OpenOptions): Promise<DocumentSource> {
  const raw = type === 'bmp' ? decodeBmp(bytes, options.maxPixelsPerPage) : type === 'pnm' ? decodeNetpbm(bytes, options.maxPixelsPerPage) : undefined;
  const load = (page: number): Sharp =>
    raw
      ? sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } })
      : sharp(bytes, { page, pages: 1, limitInputPixels: options.maxPixelsPerPage, failOn: 'error' });

  let pageCount: number;
  let density: number | undefined;
  try {
    const meta = await load(0).metadata();
    checkPixels(meta.width ?? 0, meta.height ?? 0, options.maxPixelsPerPage);
    // Every page of a TIFF is a page; the frames of an animated GIF or WebP are not.
    pageCount = type === 'tiff' ? (meta.pages ?? 1) : 1;
    density = meta.density;
  } catch (err) {
    throw asImageError(err);
  }
  const dpi = density && density >= MIN_TRUSTED_DPI ? density : options.defaultImageDpi;

  return {
    type,
    pageCount,
    async page(index: number): Promise<SourcePage> {
      return {
        number: index + 1,
        textLayer: async () => null,
        render: async (): Promise<GreyImage> => {
          try {
            const meta = await load(index).metadata();
            checkPixels(meta.width ?? 0, meta.height ?? 0, options.maxPixelsPerPage);
            const pageDpi = meta.density && meta.density >= MIN_TRUSTED_DPI ? meta.density : dpi;
            // rotate() applies the EXIF orientation; flatten puts transparency on white, not black.
            const raw = await load(index).rotate().flatten({ background: '#ffffff' }).greyscale().raw().toBuffer({ resolveWithObject: true });
            return await atReadingResolution(greyOf(raw, pageDpi));
          } catch (err) {
            throw asImageError(err);
          }
        },
        displayImage: async (rotate: Orientation) => {
          const { data, info } = await load(index).rotate().rotate(rotate).flatten({ background: '#ffffff' }).jpeg({ quality: 85 }).toBuffer({ resolveWithObject: true });
          return { format: 'jpeg' as const, bytes: new Uint8Array(data), width: info.width, height: info.height };
        },
      };
    },
    close: async () => undefined,
  };
}

function decodeBmp(bytes: Uint8Array, maxPixels: number): RawPixels {
  // bmp-js allocates (and for RLE fills) width×height×4 bytes before it looks at the data: a
  // kilobyte file can claim gigapixels. Its header is checked first, read the way bmp-js reads it.
  if (bytes.length < 26) throw new DocVaultError('CORRUPT_DOCUMENT', 'The BMP image cannot be read (truncated header).');
  const header = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  checkPixels(header.getUint32(18, true), Math.abs(header.getInt32(22, true)), maxPixels);
  let decoded: { width: number; height: number; data: Buffer };
  try {
    decoded = bmp.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  } catch (err) {
    throw new DocVaultError('CORRUPT_DOCUMENT', `The BMP image cannot be read (${(err as Error).message}).`);
  }
  checkPixels(decoded.width, decoded.height, maxPixels);
  // bmp-js yields ABGR; reorder to RGB.
  const n = decoded.width * decoded.height;
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    rgb[3 * i] = decoded.data[4 * i + 3]!;
    rgb[3 * i + 1] = decoded.data[4 * i + 2]!;
    rgb[3 * i + 2] = decoded.data[4 * i + 1]!;
  }
  return { width: decoded.width, height: decoded.height, channels: 3, data: rgb };
}

function checkPixels(width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new DocVaultError('IMAGE_TOO_LARGE', `The image is ${width}×${height} pixels; the limit is ${maxPixels} pixels per page.`, {
      width,
      height,
      limit: maxPixels,
    });
  }
}

function asImageError(err: unknown): DocVaultError {
  if (err instanceof DocVaultError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(message)) return new DocVaultError('IMAGE_TOO_LARGE', `The image is larger than the pixel limit per page (${message}).`);
  return new DocVaultError('CORRUPT_DOCUMENT', `The image cannot be decoded: ${message}`);
}
