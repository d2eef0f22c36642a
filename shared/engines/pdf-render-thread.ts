/**
 * The PDF side of a document, inside a worker thread: pdfjs parses, reads text layers and renders
 * here, so a page that takes too long or too much memory is ended by terminating the thread
 * (pdf-renderer.ts) while the process, its other work and its OCR engine carry on.
 *
 * Messages in: { id, op, ...args }; out: { id, ok: true, value } or { id, ok: false, error }.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parentPort } from 'node:worker_threads';
// The legacy build carries the polyfills (Promise.try, …) that Node 22 lacks.
import * as pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { PDFDocumentLoadingTask, PDFDocumentProxy, PDFPageProxy, TextItem } from 'pdfjs-dist/types/src/display/api.js';
import { DocVaultError } from '../core/errors.ts';
import type { TextLayer, TextLayerWord } from '../core/ports.ts';
import { PageOperatorCounter } from './pdf-operator-count.ts';

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

/** An error that crosses the thread boundary: a code of ours, or none (the caller decides). */
export interface ThreadError {
  code?: string;
  name?: string;
  passwordCode?: number;
  message: string;
  details?: Record<string, unknown>;
}

/** Pixels of a rendered area: 8-bit grey, rows top to bottom. */
export interface GreyPixels {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface PageSize {
  number: number;
  /** In points, rotation applied. */
  width: number;
  height: number;
}

/** A part of the page at a given resolution, in pixels of the whole page rendered at it. */
export interface RenderArea {
  dpi: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export type Request =
  | { id: number; op: 'open'; bytes: Uint8Array; password?: string | undefined; maxImagePixels: number }
  | { id: number; op: 'pageSize'; index: number }
  | { id: number; op: 'textLayer'; index: number; maxOperators: number }
  | { id: number; op: 'render'; index: number; area: RenderArea; maxOperators: number }
  /** Whether the page certainly draws nothing (no operator, no annotation): it need not be rendered to be seen blank. */
  | { id: number; op: 'drawsNothing'; index: number }
  | { id: number; op: 'close' };

let task: PDFDocumentLoadingTask | undefined;
let doc: PDFDocumentProxy | undefined;
/** The open document's pages' operator counts, read before pdfjs parses a page (see pdf-operator-count.ts). */
let operators: { counter: PageOperatorCounter; pages: Map<number, Promise<number | null>> } | undefined;

class OperatorLimitError extends Error {
  readonly code = 'DOCUMENT_TOO_COMPLEX';
}

async function handle(request: Request): Promise<{ value: unknown; transfer?: ArrayBuffer[] }> {
  switch (request.op) {
    case 'open': {
      await close();
      // pdf-lib first, on a copy (pdfjs may take the buffer over): its load inflates the file's cross-reference and
      // object streams under the structure guard's budget, so a deflate bomb there fails DOCUMENT_TOO_COMPLEX
      // before pdfjs, which inflates an object stream whole and outside this thread's heap limit, reads it.
      operators = { counter: await PageOperatorCounter.open(request.bytes.slice()), pages: new Map() };
      task = pdfjs.getDocument({
        data: request.bytes,
        password: request.password,
        disableFontFace: true,
        useSystemFonts: false,
        verbosity: 0,
        // An image larger than a page may be is dropped by the parser, before it is decoded.
        maxImageSize: request.maxImagePixels,
        ...PDFJS_ASSETS,
      });
      doc = await task.promise;
      return { value: { pageCount: doc.numPages } };
    }
    case 'pageSize': {
      const page = await getPage(request.index);
      const { width, height } = page.getViewport({ scale: 1 });
      return { value: { number: page.pageNumber, width, height } satisfies PageSize };
    }
    case 'textLayer':
      // pdfjs parses the whole content stream for its text too: the same count first.
      await checkOperatorCount(request.index, request.maxOperators);
      return { value: await readTextLayer(await getPage(request.index)) };
    case 'render': {
      const count = await checkOperatorCount(request.index, request.maxOperators);
      const page = await getPage(request.index);
      const grey = (count !== null && count <= SCAN_PAGE_OPERATORS ? await bilevelScan(page, request.area) : null) ?? (await render(page, request.area, request.maxOperators));
      return { value: grey, transfer: [grey.data.buffer as ArrayBuffer] };
    }
    case 'drawsNothing':
      return { value: (await operators?.counter.drawsNothing(request.index, 1 << 20)) ?? false };
    case 'close':
      await close();
      return { value: null };
  }
}

async function getPage(index: number): Promise<PDFPageProxy> {
  if (!doc) throw new Error('no document is open');
  return doc.getPage(index + 1);
}

async function close(): Promise<void> {
  const old = task;
  task = undefined;
  doc = undefined;
  operators = undefined;
  // Version 6 dropped doc.destroy(); the loading task owns the document.
  await old?.destroy().catch(() => undefined);
}

/**
 * Fails a page whose content stream holds more than `maxOperators` operators before pdfjs spends
 * seconds (and gigabytes) building its operator list; a page it cannot count is left to the check
 * during the render.
 */
async function checkOperatorCount(index: number, maxOperators: number): Promise<number | null> {
  if (!operators) return null;
  const { counter } = operators;
  let counted = operators.pages.get(index);
  if (!counted) {
    // A content stream decoding to more than this many bytes per allowed operator is left to the render's check.
    counted = counter.count(index, maxOperators, Math.max(16 << 20, maxOperators * 64));
    operators.pages.set(index, counted);
  }
  const count = await counted;
  if (count !== null && count > maxOperators) {
    throw new OperatorLimitError(`Page ${index + 1} draws more than ${maxOperators} operations (counted before rendering); it is too complex to read.`);
  }
  return count;
}

async function render(page: PDFPageProxy, area: RenderArea, maxOperators: number): Promise<GreyPixels> {
  const canvasFactory = (doc as unknown as { canvasFactory: CanvasFactory }).canvasFactory;
  const full = page.getViewport({ scale: area.dpi / 72 });
  // The area's own viewport: the page moved so that the area's corner is at the origin.
  const viewport = full.clone({ offsetX: -area.x, offsetY: -area.y });
  const { width, height } = area;
  const target = canvasFactory.create(width, height);
  try {
    target.context.fillStyle = '#ffffff';
    target.context.fillRect(0, 0, width, height);
    const renderTask = page.render({ canvas: target.canvas, canvasContext: target.context, viewport } as unknown as Parameters<PDFPageProxy['render']>[0]);
    // pdfjs parses the content stream in chunks while it draws: a page with millions of operators
    // is stopped when the count passes the limit, not when it has all been parsed and drawn.
    const internal = renderTask as unknown as { _internalRenderTask?: { operatorList?: { fnArray: unknown[] } } };
    let tooMany = 0;
    renderTask.onContinue = (next: () => void) => {
      const count = internal._internalRenderTask?.operatorList?.fnArray.length ?? 0;
      if (count > maxOperators) {
        tooMany = count;
        renderTask.cancel();
        return;
      }
      next();
    };
    try {
      await renderTask.promise;
    } catch (err) {
      if (tooMany) {
        throw new OperatorLimitError(`Page ${page.pageNumber} draws more than ${maxOperators} operations; it is too complex to read.`);
      }
      throw err;
    }
    const rgba = target.context.getImageData(0, 0, width, height).data;
    const grey = new Uint8Array(width * height);
    for (let i = 0, j = 0; i < grey.length; i++, j += 4) {
      // ITU-R BT.601 luma, in integers.
      grey[i] = (rgba[j]! * 299 + rgba[j + 1]! * 587 + rgba[j + 2]! * 114) / 1000;
    }
    return { width, height, data: grey };
  } finally {
    canvasFactory.destroy(target);
    page.cleanup();
  }
}

/** A scanned page's content stream: save, place the image, draw it, restore (img2pdf, office scanners). */
const SCAN_PAGE_OPERATORS = 8;

/**
 * A page that is one 1-bit image drawn over the whole page at the resolution asked for (a CCITT G4 or JBIG2 scan at
 * its own DPI), as grey pixels straight from the image pdfjs decoded: the same pixels the canvas gives (pdfjs paints
 * such an image 1:1), without turning it into RGBA, painting it, drawing it onto the page and reading it back, ~0.2
 * CPU-s of a 300-dpi page's ~0.23 (bench/RESULTS.md). Null for anything else, which the canvas renders.
 */
async function bilevelScan(page: PDFPageProxy, area: RenderArea): Promise<GreyPixels | null> {
  const [x0, y0, x1, y1] = page.view as [number, number, number, number];
  if (page.rotate % 360 !== 0 || x0 !== 0 || y0 !== 0 || area.x !== 0 || area.y !== 0) return null;
  const ops = await page.getOperatorList();
  const drawn = ops.fnArray.map((fn, i) => ({ fn, args: ops.argsArray[i] as unknown[] })).filter((op) => op.fn !== pdfjs.OPS.dependency);
  const [save, place, paint, restore] = drawn;
  if (drawn.length !== 4 || save!.fn !== pdfjs.OPS.save || place!.fn !== pdfjs.OPS.transform || paint!.fn !== pdfjs.OPS.paintImageXObject || restore!.fn !== pdfjs.OPS.restore) return null;
  // The image's unit square onto the whole page, upright: [width 0 0 height 0 0].
  const [a, b, c, d, e, f] = place!.args as number[];
  if (a !== x1 || b !== 0 || c !== 0 || d !== y1 || e !== 0 || f !== 0) return null;
  const image = await new Promise<{ width: number; height: number; kind: number; data?: Uint8Array } | null>((resolve) =>
    page.objs.get(paint!.args[0] as string, resolve, () => resolve(null)),
  );
  if (!image?.data || image.kind !== pdfjs.ImageKind.GRAYSCALE_1BPP || image.width !== area.width || image.height !== area.height) return null;
  const { width, height, data: bits } = image;
  const rowBytes = (width + 7) >> 3;
  if (bits.length < rowBytes * height) return null;
  // A set bit is white: pdfjs has already applied the image's /Decode.
  const grey = new Uint8Array(width * height);
  const whole = width >> 3;
  for (let y = 0; y < height; y++) {
    const row = y * rowBytes;
    const out = y * width;
    // A byte at a time, a bit to 0 or 255 without a branch ((bit) * 255): a third of the CPU of a test a pixel.
    for (let b = 0; b < whole; b++) {
      const v = bits[row + b]!;
      const o = out + (b << 3);
      grey[o] = ((v >> 7) & 1) * 255;
      grey[o + 1] = ((v >> 6) & 1) * 255;
      grey[o + 2] = ((v >> 5) & 1) * 255;
      grey[o + 3] = ((v >> 4) & 1) * 255;
      grey[o + 4] = ((v >> 3) & 1) * 255;
      grey[o + 5] = ((v >> 2) & 1) * 255;
      grey[o + 6] = ((v >> 1) & 1) * 255;
      grey[o + 7] = (v & 1) * 255;
    }
    for (let x = whole << 3; x < width; x++) grey[out + x] = (bits[row + (x >> 3)]! << (x & 7)) & 0x80 ? 255 : 0;
  }
  page.cleanup();
  return { width, height, data: grey };
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

function asThreadError(err: unknown): ThreadError {
  const e = err as { name?: string; message?: string; code?: unknown };
  if (err instanceof OperatorLimitError) return { code: err.code, message: err.message };
  if (err instanceof DocVaultError) return { code: err.code, message: err.message, details: { ...err.details } };
  if (e?.name === 'PasswordException') return { name: e.name, passwordCode: Number(e.code), message: String(e.message) };
  return { name: e?.name ?? 'Error', message: e?.message ?? String(err) };
}

// One request at a time, in order: pdfjs is not asked to do two things at once for one document.
let queue: Promise<unknown> = Promise.resolve();
parentPort?.on('message', (request: Request) => {
  queue = queue.then(async () => {
    try {
      const { value, transfer } = await handle(request);
      parentPort!.postMessage({ id: request.id, ok: true, value }, transfer ?? []);
    } catch (err) {
      parentPort!.postMessage({ id: request.id, ok: false, error: asThreadError(err) });
    }
  });
});
