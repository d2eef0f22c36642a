/** PDFs through pdfjs-dist: the text layer when a page has one, pixels for OCR when it does not. */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
// The legacy build carries the polyfills (Promise.try, …) that Node 22 lacks.
import * as pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { PDFDocumentProxy, PDFPageProxy, TextItem } from 'pdfjs-dist/types/src/display/api.js';
import sharp from 'sharp';
import { DocVaultError } from '../core/errors.ts';
import type { DocumentSource, GreyImage, OpenOptions, SourcePage, TextLayer, TextLayerWord } from '../core/ports.ts';
import type { Orientation } from '../core/result.ts';

const require = createRequire(import.meta.url);
const PDFJS_ROOT = dirname(require.resolve('pdfjs-dist/package.json'));
// Local copies of what pdfjs would otherwise try to fetch; trailing slashes are required.
const PDFJS_ASSETS = {
  standardFontDataUrl: join(PDFJS_ROOT, 'standard_fonts') + '/',
  cMapUrl: join(PDFJS_ROOT, 'cmaps') + '/',
  cMapPacked: true,
  wasmUrl: join(PDFJS_ROOT, 'wasm') + '/',
  iccUrl: join(PDFJS_ROOT, 'iccs') + '/',
};

interface CanvasAndContext {
  canvas: { width: number; height: number };
  context: {
    fillStyle: string;
    fillRect(x: number, y: number, w: number, h: number): void;
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  };
}
interface CanvasFactory {
  create(width: number, height: number): CanvasAndContext;
  destroy(canvasAndContext: CanvasAndContext): void;
}

export async function openPdf(bytes: Uint8Array, options: OpenOptions): Promise<DocumentSource> {
  // pdfjs takes ownership of (and detaches) the buffer it is given: hand it a copy.
  const task = pdfjs.getDocument({
    data: new Uint8Array(bytes),
    password: options.password,
    disableFontFace: true,
    useSystemFonts: false,
    verbosity: 0,
    ...PDFJS_ASSETS,
  });
  let doc: PDFDocumentProxy;
  try {
    doc = await task.promise;
  } catch (err) {
    await task.destroy().catch(() => undefined);
    throw asPdfError(err, options.password !== undefined);
  }
  const canvasFactory = (doc as unknown as { canvasFactory: CanvasFactory }).canvasFactory;

  return {
    type: 'pdf',
    pageCount: doc.numPages,
    async page(index: number): Promise<SourcePage> {
      const page = await doc.getPage(index + 1).catch((err: unknown) => {
        throw new DocVaultError('CORRUPT_DOCUMENT', `Page ${index + 1} of the PDF cannot be read: ${(err as Error).message}`);
      });
      return pdfPage(page, options, canvasFactory);
    },
    // Version 6 dropped doc.destroy(); the loading task owns the document.
    close: () => task.destroy(),
  };
}

function pdfPage(page: PDFPageProxy, options: OpenOptions, canvasFactory: CanvasFactory): SourcePage {
  const renderGrey = async (dpi: number): Promise<GreyImage> => {
    const viewport = page.getViewport({ scale: dpi / 72 });
    const width = Math.ceil(viewport.width);
    const height = Math.ceil(viewport.height);
    const target = canvasFactory.create(width, height);
    try {
      target.context.fillStyle = '#ffffff';
      target.context.fillRect(0, 0, width, height);
      await page.render({ canvas: target.canvas, canvasContext: target.context, viewport } as unknown as Parameters<PDFPageProxy['render']>[0]).promise;
      const rgba = target.context.getImageData(0, 0, width, height).data;
      const grey = new Uint8Array(width * height);
      for (let i = 0, j = 0; i < grey.length; i++, j += 4) {
        // ITU-R BT.601 luma, in integers.
        grey[i] = (rgba[j]! * 299 + rgba[j + 1]! * 587 + rgba[j + 2]! * 114) / 1000;
      }
      return { width, height, data: grey, dpi };
    } finally {
      canvasFactory.destroy(target);
      page.cleanup();
    }
  };
  // A huge page at the OCR resolution would blow the pixel budget: render it at a lower one.
  const ocrDpi = (): number => {
    const { width, height } = page.getViewport({ scale: 1 });
    const pixelsAt = (dpi: number) => ((width * dpi) / 72) * ((height * dpi) / 72);
    if (pixelsAt(options.dpi) <= options.maxPixelsPerPage) return options.dpi;
    return Math.floor(72 * Math.sqrt(options.maxPixelsPerPage / (width * height)));
  };
  return {
    number: page.pageNumber,
    textLayer: () => readTextLayer(page),
    render: () => renderGrey(ocrDpi()),
    displayImage: async (rotate: Orientation) => {
      const grey = await renderGrey(Math.min(ocrDpi(), 200));
      const { data, info } = await sharp(grey.data, { raw: { width: grey.width, height: grey.height, channels: 1 } })
        .rotate(rotate)
        .jpeg({ quality: 80 })
        .toBuffer({ resolveWithObject: true });
      return { format: 'jpeg' as const, bytes: new Uint8Array(data), width: info.width, height: info.height };
    },
  };
}

async function readTextLayer(page: PDFPageProxy): Promise<TextLayer | null> {
  const content = await page.getTextContent();
  const viewport = page.getViewport({ scale: 1 });
  const items = content.items.filter((i): i is TextItem => 'str' in i);
  if (items.length === 0) return null;
  const words: TextLayerWord[] = [];
  let text = '';
  let line = 0;
  let lastBaseline: number | undefined;
  for (const item of items) {
    const [, , c, d, x, baseline] = pdfjs.Util.transform(viewport.transform, item.transform) as number[];
    const fontHeight = Math.hypot(c!, d!) || item.height;
    if (lastBaseline !== undefined && Math.abs(baseline! - lastBaseline) > fontHeight * 0.5 && !text.endsWith('\n')) {
      text += '\n';
      line += 1;
    }
    lastBaseline = baseline;
    text += item.str;
    // Word boxes are apportioned by character count: pdfjs gives one box per text run.
    const charWidth = item.str.length > 0 ? item.width / item.str.length : 0;
    for (const match of item.str.matchAll(/\S+/g)) {
      const x0 = x! + match.index * charWidth;
      words.push({
        text: match[0],
        bbox: round({ x0, y0: baseline! - fontHeight, x1: x0 + match[0].length * charWidth, y1: baseline! + fontHeight * 0.2 }),
        line,
      });
    }
    if (item.hasEOL) {
      text += '\n';
      line += 1;
      lastBaseline = undefined;
    } else if (item.str && !/\s$/.test(item.str)) {
      text += ' ';
    }
  }
  return { text: text.replace(/[ \t]+\n/g, '\n').trim(), words, width: viewport.width, height: viewport.height };
}

function round(b: { x0: number; y0: number; x1: number; y1: number }) {
  const r = (v: number) => Math.round(v * 100) / 100;
  return { x0: r(b.x0), y0: r(b.y0), x1: r(b.x1), y1: r(b.y1) };
}

function asPdfError(err: unknown, passwordGiven: boolean): DocVaultError {
  const e = err as { name?: string; message?: string; code?: number };
  if (e?.name === 'PasswordException') {
    // pdfjs: code 1 = a password is needed, 2 = the one given is wrong.
    return e.code === 2 || passwordGiven
      ? new DocVaultError('WRONG_PASSWORD', 'The PDF is encrypted and the password given does not open it.')
      : new DocVaultError('ENCRYPTED_PDF', 'The PDF is encrypted. Upload it again with its password, or an unencrypted copy.');
  }
  return new DocVaultError('CORRUPT_DOCUMENT', `The PDF cannot be read: ${e?.message ?? String(err)}`);
}
