/**
 * Whether tesseract's read of a ruled table already sits in its grid. Tesseract reads a ruled table's rows
 * whole and surely (the rules keep its layout analysis from splitting the columns: 0.3–0.8% CER on the
 * generated tables), so the second engine would only cost; an unruled table it reads column by column,
 * and a read in row order is what the second engine is for.
 */
import type { GreyImage, RecognizedPage } from './ports.ts';

/** A ruling is a dark run along at least this share of the page's width (a row rule) or height (a column rule). */
const RULE_MIN_SHARE = 0.3;
const DARK = 128;
/** A grid has at least this many rules each way (a table of two rows and two columns, framed). */
const GRID_MIN_RULES = 3;
/** Tesseract at least this sure of its read (as for a clean read). */
const GRID_MIN_CONFIDENCE = 85;
/** Two of tesseract's lines side by side (sharing more than this share of the shorter one's height) are not whole rows. */
const ROW_MAX_OVERLAP = 0.5;
const GRID_MIN_ROWS = 3;

/** The longest dark run of each row (or column) of pixels, in one pass over the pixels in memory order. */
function longestDarkRuns(image: GreyImage, alongRows: boolean): Int32Array {
  const { width, height, data } = image;
  const longest = new Int32Array(alongRows ? height : width);
  const run = new Int32Array(alongRows ? 1 : width);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    if (alongRows) run[0] = 0;
    for (let x = 0; x < width; x++) {
      const at = alongRows ? 0 : x;
      if (data[row + x]! < DARK) {
        const length = ++run[at]!;
        const line = alongRows ? y : x;
        if (length > longest[line]!) longest[line] = length;
      } else run[at] = 0;
    }
  }
  return longest;
}

/** Rules across the page one way: neighbouring pixel rows (or columns) with a long dark run count as one rule. */
export function countRules(image: GreyImage, alongRows: boolean): number {
  const runs = longestDarkRuns(image, alongRows);
  const min = (alongRows ? image.width : image.height) * RULE_MIN_SHARE;
  let rules = 0;
  let inRule = false;
  for (const run of runs) {
    const isRule = run >= min;
    if (isRule && !inRule) rules += 1;
    inRule = isRule;
  }
  return rules;
}

/** Whether no two of the read's lines stand side by side: each line is a whole row of the page. */
export function linesAreWholeRows(read: Pick<RecognizedPage, 'words'>): boolean {
  const spans = new Map<number, { y0: number; y1: number }>();
  for (const w of read.words) {
    const span = spans.get(w.line);
    if (span) {
      span.y0 = Math.min(span.y0, w.bbox.y0);
      span.y1 = Math.max(span.y1, w.bbox.y1);
    } else spans.set(w.line, { y0: w.bbox.y0, y1: w.bbox.y1 });
  }
  const rows = [...spans.values()].sort((a, b) => a.y0 - b.y0);
  if (rows.length < GRID_MIN_ROWS) return false;
  for (let i = 1; i < rows.length; i++) {
    const [a, b] = [rows[i - 1]!, rows[i]!];
    const overlap = Math.min(a.y1, b.y1) - b.y0;
    if (overlap > ROW_MAX_OVERLAP * Math.min(a.y1 - a.y0, b.y1 - b.y0)) return false;
  }
  return true;
}

/** A sure read, in whole rows, of a page ruled both ways: a ruled table tesseract has read as it stands. */
export function readsRuledTableInRows(read: RecognizedPage, image: GreyImage): boolean {
  if (read.confidence < GRID_MIN_CONFIDENCE || !linesAreWholeRows(read)) return false;
  return countRules(image, true) >= GRID_MIN_RULES && countRules(image, false) >= GRID_MIN_RULES;
}
