/**
 * PDFs through pdfjs-dist, in a render thread of their own (pdf-renderer.ts): the text layer when a
 * page has one, pixels for OCR when it does not. Every call carries the page's signal, so a page
 * over its time budget, or a cancelled document, ends the thread's work at once.
 */
import sharp from 'sharp';
import { DocVaultError } from '../core/errors.ts';
import { halveGrey } from '../core/grey-image.ts';
import { Limits } from '../core/options.ts';
import type { DocumentSource, GreyImage, OpenOptions, SourcePage, TextLayer } from '../core/ports.ts';
import type { Orientation } from '../core/result.ts';
import { mayHoldScans } from './pdf-scan-filter.ts';
import type { PageScans } from './pdf-page-scan.ts';
import { PdfRenderer } from './pdf-renderer.ts';
import { atReadingResolution } from './reading-resolution.ts';
import type { GreyPixels, PageSize, RenderArea, ThreadError } from './pdf-render-thread.ts';

/** A page too large to render whole at the reading DPI is first looked at this small, to find its ink. */
const PREVIEW_PIXELS = 2_000_000;
/** A blank preview is handed on this small: there is nothing to read, and every step after it is per pixel. */
const BLANK_PIXELS = 10_000;
/** A preview pixel darker than this is ink (small text shrunk onto a preview is a light smudge). */
const INK_LEVEL = 240;

const DEFAULT_LIMITS = Limits.parse({});

export async function openPdf(bytes: Uint8Array, openOptions: OpenOptions): Promise<DocumentSource> {
  const options = {
    ...openOptions,
    maxOperatorsPerPage: openOptions.maxOperatorsPerPage ?? DEFAULT_LIMITS.maxOperatorsPerPage,
    renderHeapMb: openOptions.renderHeapMb ?? DEFAULT_LIMITS.renderHeapMb,
  };
  let opened: { renderer: PdfRenderer; pageCount: number };
  try {
    opened = await PdfRenderer.open(bytes, { password: options.password, maxImagePixels: options.maxPixelsPerPage, signal: options.signal }, { heapMb: options.renderHeapMb });
  } catch (err) {
    throw asPdfError(err, options.password !== undefined);
  }
  const { renderer, pageCount } = opened;
  // pdf-lib loads only for a page too large for pdfjs, or in a plain PDF that holds a G4 or JPEG image (mayHoldScans).
  let scans: Promise<PageScans> | undefined;
  const pageScans = () => (scans ??= import('./pdf-page-scan.ts').then((m) => new m.PageScans(bytes)));
  let plainWithScanFilters: boolean | undefined;
  const plainFileScans = () => {
    plainWithScanFilters ??= mayHoldScans(bytes);
    return plainWithScanFilters ? pageScans() : null;
  };
  return {
    type: 'pdf',
    pageCount,
    async page(index: number, signal?: AbortSignal): Promise<SourcePage> {
      const size = (await renderer.call({ op: 'pageSize', index }, signal).catch((err: unknown) => {
        throw asPageError(err, `Page ${index + 1} of the PDF cannot be read`);
      })) as PageSize;
      return pdfPage(renderer, index, size, options, pageScans, plainFileScans);
    },
    close: async () => renderer.close(),
  };
}

function pdfPage(
  renderer: PdfRenderer,
  index: number,
  size: PageSize,
  options: Required<Pick<OpenOptions, 'maxOperatorsPerPage'>> & OpenOptions,
  scans: () => Promise<PageScans>,
  plainFileScans: () => Promise<PageScans> | null,
): SourcePage {
  const renderArea = async (area: RenderArea, signal?: AbortSignal): Promise<GreyPixels> =>
    (await renderer.call({ op: 'render', index, area, maxOperators: options.maxOperatorsPerPage }, signal).catch((err: unknown) => {
      throw asPageError(err, `Page ${size.number} of the PDF cannot be rendered`);
    })) as GreyPixels;
  const whole = (dpi: number): RenderArea => ({ dpi, x: 0, y: 0, width: Math.ceil((size.width * dpi) / 72), height: Math.ceil((size.height * dpi) / 72) });
  const pixelsAt = (dpi: number) => ((size.width * dpi) / 72) * ((size.height * dpi) / 72);
  const fittingDpi = (pixels: number) => Math.floor(72 * Math.sqrt(pixels / (size.width * size.height)));

  const renderForOcr = async (signal?: AbortSignal): Promise<GreyImage> => {
    // A page that is one G4 or JPEG scan: decoded by libtiff or libjpeg-turbo, not by pdfjs.
    const decoded = await (await plainFileScans())?.decoded(index, { maxPixels: options.maxPixelsPerPage, signal, dpi: options.dpi });
    if (decoded) return decoded;
    if (pixelsAt(options.dpi) <= options.maxPixelsPerPage) return { ...(await renderArea(whole(options.dpi), signal)), dpi: options.dpi };
    // A large sheet that draws nothing at all (a hostile 14400 pt page, say) is seen blank without a render.
    if (await renderer.call({ op: 'drawsNothing', index }, signal)) return blankPage(size);
    // A page that is one scan too large for pdfjs (which then leaves the image out): its ink, decoded by us.
    const scan = await (await scans()).inkOf(index, { maxPixels: options.maxPixelsPerPage, signal });
    if (scan) return scan;
    // Too large to render whole at the reading DPI: find where the ink is on a small preview and
    // render only that, at the reading DPI if it fits (a large sheet with a little text on it);
    // a page with no ink at all is its preview.
    const previewDpi = Math.max(1, fittingDpi(PREVIEW_PIXELS));
    const preview = await renderArea(whole(previewDpi), signal);
    const ink = inkBox(preview);
    if (!ink) {
      let blank: GreyImage = { ...preview, dpi: previewDpi };
      while (blank.width * blank.height > BLANK_PIXELS) blank = halveGrey(blank);
      return blank;
    }
    const scale = options.dpi / previewDpi;
    const margin = Math.ceil(options.dpi / 6); // a sixth of an inch around the ink
    const x = Math.max(0, Math.floor(ink.x0 * scale) - margin);
    const y = Math.max(0, Math.floor(ink.y0 * scale) - margin);
    const area = whole(options.dpi);
    const crop = { dpi: options.dpi, x, y, width: Math.min(area.width, Math.ceil((ink.x1 + 1) * scale) + margin) - x, height: Math.min(area.height, Math.ceil((ink.y1 + 1) * scale) + margin) - y };
    if (crop.width * crop.height <= options.maxPixelsPerPage) return { ...(await renderArea(crop, signal)), dpi: options.dpi };
    const dpi = fittingDpi(options.maxPixelsPerPage);
    return { ...(await renderArea(whole(dpi), signal)), dpi };
  };

  return {
    number: size.number,
    textLayer: async (signal?: AbortSignal) =>
      (await renderer.call({ op: 'textLayer', index, maxOperators: options.maxOperatorsPerPage }, signal).catch((err: unknown) => {
        throw asPageError(err, `The text of page ${size.number} cannot be read`);
      })) as TextLayer | null,
    // Rendered at the configured DPI, where small print is legible; read at the DPI its text needs.
    render: async (signal?: AbortSignal) => atReadingResolution(await renderForOcr(signal)),
    displayImage: async (rotate: Orientation, signal?: AbortSignal) => {
      const dpi = Math.min(200, pixelsAt(options.dpi) <= options.maxPixelsPerPage ? options.dpi : fittingDpi(options.maxPixelsPerPage));
      const grey = await renderArea(whole(dpi), signal);
      const { data, info } = await sharp(grey.data, { raw: { width: grey.width, height: grey.height, channels: 1 } })
        .rotate(rotate)
        .jpeg({ quality: 80 })
        .toBuffer({ resolveWithObject: true });
      return { format: 'jpeg' as const, bytes: new Uint8Array(data), width: info.width, height: info.height };
    },
  };
}

/** A white page of at most BLANK_PIXELS, as a blank preview is handed on. */
function blankPage(size: PageSize): GreyImage {
  const scale = Math.min(1, Math.sqrt(BLANK_PIXELS / (size.width * size.height)));
  const width = Math.max(1, Math.floor(size.width * scale));
  const height = Math.max(1, Math.floor(size.height * scale));
  return { width, height, data: new Uint8Array(width * height).fill(255), dpi: 72 * scale };
}

/** The box around every ink pixel of an image, or null for a blank one. */
function inkBox(image: GreyPixels): { x0: number; y0: number; x1: number; y1: number } | null {
  let x0 = image.width;
  let y0 = image.height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < image.height; y++) {
    const row = y * image.width;
    for (let x = 0; x < image.width; x++) {
      if (image.data[row + x]! < INK_LEVEL) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x0, y0, x1, y1 };
}

/** A thread's error as ours: codes of ours pass through, an abort's reason is kept as it is. */
function asPageError(err: unknown, what: string): unknown {
  if (err instanceof DocVaultError || err instanceof Error) return err;
  const e = err as ThreadError;
  if (e.code) return new DocVaultError(e.code as DocVaultError['code'], e.message, e.details);
  return new DocVaultError('CORRUPT_DOCUMENT', `${what}: ${e.message}`);
}

function asPdfError(err: unknown, passwordGiven: boolean): unknown {
  if (err instanceof DocVaultError || err instanceof Error) return err;
  const e = err as ThreadError;
  if (e.name === 'PasswordException') {
    // pdfjs: code 1 = a password is needed, 2 = the one given is wrong.
    return e.passwordCode === 2 || passwordGiven
      ? new DocVaultError('WRONG_PASSWORD', 'The PDF is encrypted and the password given does not open it.')
      : new DocVaultError('ENCRYPTED_PDF', 'The PDF is encrypted: give its password (the console asks for it; or POST /tasks/{id}/password), or upload an unencrypted copy.');
  }
  if (e.code) return new DocVaultError(e.code as DocVaultError['code'], e.message, e.details);
  return new DocVaultError('CORRUPT_DOCUMENT', `The PDF cannot be read: ${e.message}`);
}
