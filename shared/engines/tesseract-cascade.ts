/**
 * The line cascade: a page is read with a language's fast model (tessdata_fast, `{lang}_fast.traineddata` beside
 * `{lang}.traineddata`), and only the lines holding a word under a confidence bar are read again with the language's
 * own model (best_int), each line cut out of the page with a margin and read as one line (psm 7). Their words
 * replace fast's; every other line keeps fast's read. bench/pdf-cascade.ts measured it on bench:pdf's pages:
 * ~0.76–0.86× best_int's CPU at a lower CER (bench/RESULTS.md). The pure parts are here; the engine runs the reads.
 */
import type { RecognizedPage, RecognizedWord } from '../core/ports.ts';
import type { BBox } from '../core/result.ts';
import { meanConfidence } from './tesseract-page.ts';

/** A fast model is named `{lang}_fast`: `tessdata/eng_fast.traineddata` beside `tessdata/eng.traineddata`. */
export const FAST_MODEL_SUFFIX = '_fast';

export function fastModelName(lang: string): string {
  return `${lang}${FAST_MODEL_SUFFIX}`;
}

export function isFastModelName(name: string): boolean {
  return name.endsWith(FAST_MODEL_SUFFIX);
}

/** `eng` for `eng_fast`. */
export function ownModelName(fast: string): string {
  return fast.slice(0, -FAST_MODEL_SUFFIX.length);
}

/**
 * A line with a word under this confidence is read again. bench/pdf-cascade.ts (bench:pdf's pages): under 80, 16 of 160
 * lines read again, 0.76× best_int's CPU at 1.18% CER; under 85, 0.86× at 1.15% (best_int alone 1.22%, fast 1.43%).
 * bench:pdf, same rounds (2026-12-03, bench/RESULTS.md): 80 took 0.83× the CPU of the read without the cascade, 85 0.88×;
 * bench:accuracy read every receipt, form, sample and table page the same at either bar (the samples 0.76× against 0.85×).
 */
export const DEFAULT_UNSURE_BELOW = 80;

/** The margin around a line cut out for its second read, as a share of the line's height (as measured). */
const LINE_MARGIN = 0.3;

/** The page's words grouped by line, in reading order. */
export function linesOf(words: readonly RecognizedWord[]): Map<number, RecognizedWord[]> {
  const lines = new Map<number, RecognizedWord[]>();
  for (const w of words) {
    const line = lines.get(w.line);
    if (line) line.push(w);
    else lines.set(w.line, [w]);
  }
  return lines;
}

/** The lines (their numbers) that hold a word under `unsureBelow`. */
export function unsureLines(words: readonly RecognizedWord[], unsureBelow: number): number[] {
  return [...linesOf(words)].filter(([, ws]) => ws.some((w) => w.confidence < unsureBelow)).map(([line]) => line);
}

/**
 * The fast read as it would be at best once its unsure lines are read again: the same words, those of the unsure lines
 * sure (confidence 100), the page's confidence their mean. A page that would not be a clean read (page-strategy.ts)
 * even so is read again whole at once: reading its lines first was wasted (bench:accuracy, 2026-12-03: 28 of the 32
 * lines read again were on the 5 pages then read again whole, 3 tables and 2 photographed receipts).
 */
export function withUnsureLinesSure(page: RecognizedPage, unsure: readonly number[]): RecognizedPage {
  const lines = new Set(unsure);
  const words = page.words.map((w) => (lines.has(w.line) ? { ...w, confidence: 100 } : w));
  return { ...page, words, confidence: meanConfidence(words) };
}

/** The box a line is cut out with: its words' box with a margin, inside the page. */
export function lineBox(words: readonly RecognizedWord[], width: number, height: number): BBox {
  const y0 = Math.min(...words.map((w) => w.bbox.y0));
  const y1 = Math.max(...words.map((w) => w.bbox.y1));
  const pad = Math.round((y1 - y0) * LINE_MARGIN);
  return {
    x0: Math.max(0, Math.min(...words.map((w) => w.bbox.x0)) - pad),
    y0: Math.max(0, y0 - pad),
    x1: Math.min(width, Math.max(...words.map((w) => w.bbox.x1)) + pad),
    y1: Math.min(height, y1 + pad),
  };
}

/** A line's words read from its cut-out, moved to page coordinates and given the line's number. */
export function placeLineWords(words: readonly RecognizedWord[], box: BBox, line: number): RecognizedWord[] {
  return words.map((w) => ({
    ...w,
    line,
    bbox: { x0: w.bbox.x0 + box.x0, y0: w.bbox.y0 + box.y0, x1: w.bbox.x1 + box.x0, y1: w.bbox.y1 + box.y0 },
  }));
}

/** The page's words with the words of each line in `reread` replaced by that line's second read, in reading order. */
export function mergeLines(words: readonly RecognizedWord[], reread: ReadonlyMap<number, readonly RecognizedWord[]>): RecognizedWord[] {
  const merged: RecognizedWord[] = [];
  for (const [line, ws] of linesOf(words)) merged.push(...(reread.get(line) ?? ws));
  return merged;
}

/**
 * The paragraph of each line, by its number as wordsFromTsv counts lines (a level-4 row starts one): the
 * block and paragraph numbers of tesseract's TSV.
 */
export function paragraphsOfLines(tsv: string): string[] {
  const paragraphs: string[] = [];
  for (const row of tsv.split('\n')) {
    const fields = row.split('\t');
    if (fields.length < 12 || fields[0] !== '4') continue;
    paragraphs.push(`${fields[2]}.${fields[3]}`);
  }
  return paragraphs;
}

/**
 * The page's text from its words, laid out as tesseract's own text is: one line of words a row, a blank
 * row between paragraphs.
 */
export function textOfLines(words: readonly RecognizedWord[], paragraphs: readonly string[]): string {
  let text = '';
  let paragraph: string | undefined;
  for (const [line, ws] of linesOf(words)) {
    const here = paragraphs[line] ?? `line ${line}`;
    if (paragraph !== undefined && here !== paragraph) text += '\n';
    paragraph = here;
    text += `${ws.map((w) => w.text).join(' ')}\n`;
  }
  return text;
}
