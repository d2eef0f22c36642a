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

/** The page's words, the size (pixels) and resolution their boxes refer to, and the skew the page was turned by before they were read. */
export interface TextLayerPage {
  words: readonly Word[];
  width: number;
  height: number;
  dpi: number;
  rotation: { skewDegrees: number };
}

const INVISIBLE = 3;
/** A space narrower than this share of the font size (words that touch or overlap) is drawn this wide. */
const MIN_SPACE_SHARE = 0.05;

/**
 * From the page's pixels (the frame the words were read in) to PDF points on the page shown. A level page's frame is
 * the page: stretched onto the box. A page turned by its skew before reading (page-skew.ts, the engine's deskew: each a
 * turn about the centre onto a larger canvas) is turned back about the box's centre, so each word lies where the page
 * as shown has it.
 */
interface Placement {
  point(x: number, y: number): [number, number];
  sx: number;
  sy: number;
}

function placement(page: TextLayerPage, box: PageBox): Placement {
  const radians = (page.rotation.skewDegrees * Math.PI) / 180;
  if (radians === 0) {
    const sx = box.width / page.width;
    const sy = box.height / page.height;
    return { point: (x, y) => [box.x + x * sx, box.y + box.height - y * sy], sx, sy };
  }
  const k = 72 / page.dpi;
  const cos = Math.cos(radians);
  const sin = Math.sin(radians);
  return {
    point: (x, y) => {
      const dx = (x - page.width / 2) * k;
      const dy = (y - page.height / 2) * k;
      return [box.x + box.width / 2 + dx * cos + dy * sin, box.y + box.height / 2 - (-dx * sin + dy * cos)];
    },
    sx: k,
    sy: k,
  };
}

/** The operators that draw the page's words invisibly into `box`, in the font named `font` in the page's resources. */
export function textLayerOperators(page: TextLayerPage, box: PageBox, font: PDFName): PDFOperator[] {
  if (page.words.length === 0 || page.width <= 0 || page.height <= 0) return [];
  const { point, sx, sy } = placement(page, box);
  const ops: PDFOperator[] = [op(Op.PushGraphicsState), op(Op.BeginText), op(Op.SetTextRenderingMode, INVISIBLE)];
  for (const words of groupLines(page.words)) {
    const top = Math.min(...words.map((w) => w.bbox.y0));
    const bottom = Math.max(...words.map((w) => w.bbox.y1));
    const size = (bottom - top) * sy;
    if (!(size > 0)) continue;
    ops.push(op(Op.SetFontAndSize, font, size));
    const glyphWidth = (size * GLYPH_WIDTH) / 1000;
    words.forEach((word, i) => {
      const codes = codesOf(word.text);
      const width = (word.bbox.x1 - word.bbox.x0) * sx;
      if (codes.length === 0 || !(width > 0)) return;
      // Level, centred where the page shows the word at the line's height: on a level page the line's bottom is every
      // word's baseline. A skewed page's words step with its lines rather than tilt: tilted glyphs drift off their
      // word's baseline, and extractors (poppler: half a point) break the word there.
      const [cx, cy] = point((word.bbox.x0 + word.bbox.x1) / 2, (top + bottom) / 2);
      ops.push(op(Op.SetTextMatrix, 1, 0, 0, 1, cx - width / 2, cy - size / 2));
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
