/**
 * A page's invisible text, built from the result's own words (after every engine and cascade step): what
 * a reader selects, searches and copies in the searchable PDF is what the result says, where the result
 * says it. Each line is set in the glyphless font (glyphless-font.ts) at the line's height, on the line's
 * bottom; each word starts at its box's left and is stretched (Tz) to its box's width; a space between
 * words is stretched to the gap, so extractors see the words apart. Render mode 3: nothing is painted.
 */
import { PDFHexString, PDFOperator, PDFOperatorNames as Op, PDFNumber, type PDFName } from 'pdf-lib';
import type { Word } from '../core/result.ts';
import { GLYPH_WIDTH, REPLACEMENT_CODE } from './glyphless-font.ts';
import { groupLines } from './hocr.ts';

/** Where the page's pixels lie on the PDF page, in points (PDF coordinates: y up). */
export interface PageBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The page's words and the size (pixels) their boxes refer to. */
export interface TextLayerPage {
  words: readonly Word[];
  width: number;
  height: number;
}

const INVISIBLE = 3;
/** A space narrower than this share of the font size (words that touch or overlap) is drawn this wide. */
const MIN_SPACE_SHARE = 0.05;

/** The operators that draw the page's words invisibly into `box`, in the font named `font` in the page's resources. */
export function textLayerOperators(page: TextLayerPage, box: PageBox, font: PDFName): PDFOperator[] {
  if (page.words.length === 0 || page.width <= 0 || page.height <= 0) return [];
  const sx = box.width / page.width;
  const sy = box.height / page.height;
  const ops: PDFOperator[] = [op(Op.PushGraphicsState), op(Op.BeginText), op(Op.SetTextRenderingMode, INVISIBLE)];
  for (const words of groupLines(page.words)) {
    const top = Math.min(...words.map((w) => w.bbox.y0));
    const bottom = Math.max(...words.map((w) => w.bbox.y1));
    const size = (bottom - top) * sy;
    if (!(size > 0)) continue;
    const baseline = box.y + box.height - bottom * sy;
    ops.push(op(Op.SetFontAndSize, font, size));
    const glyphWidth = (size * GLYPH_WIDTH) / 1000;
    words.forEach((word, i) => {
      const codes = codesOf(word.text);
      const width = (word.bbox.x1 - word.bbox.x0) * sx;
      if (codes.length === 0 || !(width > 0)) return;
      ops.push(op(Op.SetTextMatrix, 1, 0, 0, 1, box.x + word.bbox.x0 * sx, baseline));
      ops.push(op(Op.SetTextHorizontalScaling, (100 * width) / (codes.length * glyphWidth)));
      ops.push(op(Op.ShowText, hex(codes)));
      const next = words[i + 1];
      if (!next) return;
      const gap = Math.max((next.bbox.x0 - word.bbox.x1) * sx, size * MIN_SPACE_SHARE);
      ops.push(op(Op.SetTextHorizontalScaling, (100 * gap) / glyphWidth));
      ops.push(op(Op.ShowText, hex([0x20])));
    });
  }
  ops.push(op(Op.EndText), op(Op.PopGraphicsState));
  return ops;
}

/** The word's two-byte codes: its characters' Unicode values, whitespace and control characters left out. */
function codesOf(text: string): number[] {
  const codes: number[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp <= 0x20 || (cp >= 0x7f && cp < 0xa0) || /\s/u.test(ch)) continue;
    codes.push(cp > 0xffff || (cp >= 0xd800 && cp <= 0xdfff) ? REPLACEMENT_CODE : cp);
  }
  return codes;
}

function hex(codes: readonly number[]): PDFHexString {
  return PDFHexString.of(codes.map((c) => c.toString(16).padStart(4, '0')).join(''));
}

/** An operator with its numbers rounded to thousandths (the content stream stays small). */
function op(name: Op, ...args: Array<number | PDFName | PDFHexString>): PDFOperator {
  return PDFOperator.of(
    name,
    args.map((a) => (typeof a === 'number' ? PDFNumber.of(Math.round(a * 1000) / 1000) : a)),
  );
}
