/**
 * The font of a searchable PDF's invisible text: tesseract's glyphless font (tesseract-ocr/tesseract,
 * tessdata/pdf.ttf, Apache-2.0; 572 bytes), set up as tesseract's own PDF renderer sets it up. A two-byte
 * code is a character's Unicode value (Identity-H), every code draws glyph 1 (a blank) half an em wide,
 * and the ToUnicode map gives each code back as that character: text extraction and search see the words,
 * and nothing is ever painted (text render mode 3).
 */
import { PDFString, type PDFDocument, type PDFRef } from 'pdf-lib';

const GLYPHLESS_TTF_BASE64 =
  'AAEAAAAKAIAAAwAgT1MvMlbeyJQAAAEoAAAAYGNtYXAACgA0AAABkAAAAB5nbHlmFSJBJAAAAbgAAAAYaGVhZAt48WUAAACsAAAANmhoZWEMAg' +
  'QCAAAA5AAAACRobXR4BAAAAAAAAYgAAAAIbG9jYQAMAAAAAAGwAAAABm1heHAABAAFAAABCAAAACBuYW1l8usW2gAAAdAAAABLcG9zdAABAAEA' +
  'AAIcAAAAIAABAAAAAQAAsJRxEF8PPPUEBwgAAAAAAM+a/G4AAAAA1MOn8gAAAAAEAAgAAAAAEAACAAAAAAAAAAEAAAgA//8AAAQAAAAAAAQAAA' +
  'EAAAAAAAAAAAAAAAAAAAACAAEAAAACAAQAAQAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAwAAAZAABQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAUA' +
  'AQABAAAAAAAAAAAAAAAAAAAAAAAAAAAAR09PRwBAAAAAAAAB//8AAAABAAGAAAAAAAAAAAAAAAAAAAABAAAAAAAABAAAAAAAAAIAAQAAAAAAFA' +
  'ADAAAAAAAUAAYACgAAAAAAAAAAAAAAAAAMAAAAAQAAAAAEAAgAAAMAADEhESEEAPwACAAAAAADACoAAAADAAAABQAWAAAAAQAAAAAABQALABYA' +
  'AwABBAkABQAWAAAAVgBlAHIAcwBpAG8AbgAgADEALgAwVmVyc2lvbiAxLjAAAAEAAAAAAAAAAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAA=';

/** Every glyph's advance, in thousandths of the font size: a code's width is half the size (before Tz). */
export const GLYPH_WIDTH = 500;

/** What a character that cannot be written as one two-byte code (beyond the BMP) becomes in the text layer. */
export const REPLACEMENT_CODE = 0xfffd;

/**
 * Each two-byte code to the character of the same value. A bfrange may only vary in its last byte, and a
 * block holds at most 100 ranges.
 */
function toUnicodeCMap(): string {
  const ranges = Array.from({ length: 256 }, (_, hi) => {
    const h = hi.toString(16).padStart(2, '0').toUpperCase();
    return `<${h}00> <${h}FF> <${h}00>`;
  });
  const blocks: string[] = [];
  for (let i = 0; i < ranges.length; i += 100) {
    const block = ranges.slice(i, i + 100);
    blocks.push(`${block.length} beginbfrange\n${block.join('\n')}\nendbfrange`);
  }
  return `/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
${blocks.join('\n')}
endcmap
CMapName currentdict /CMap defineresource pop
end
end
`;
}

/** Adds the font to the document once; the reference goes into each page's font resources. */
export function embedGlyphlessFont(doc: PDFDocument): PDFRef {
  const { context } = doc;
  const fontFile = context.register(context.flateStream(Buffer.from(GLYPHLESS_TTF_BASE64, 'base64')));
  // Every code to glyph 1: 65,536 big-endian glyph ids (128 KB, a few hundred bytes compressed).
  const cidToGid = new Uint8Array(2 * 65_536);
  for (let i = 1; i < cidToGid.length; i += 2) cidToGid[i] = 1;
  const descriptor = context.register(
    context.obj({
      Type: 'FontDescriptor',
      FontName: 'GlyphLessFont',
      Flags: 5,
      FontBBox: [0, 0, GLYPH_WIDTH, 1000],
      ItalicAngle: 0,
      // The text of a line sits on the line's bottom and rises the font size: its box is the line's box.
      Ascent: 1000,
      CapHeight: 1000,
      Descent: -1,
      StemV: 80,
      FontFile2: fontFile,
    }),
  );
  const cidFont = context.register(
    context.obj({
      Type: 'Font',
      Subtype: 'CIDFontType2',
      BaseFont: 'GlyphLessFont',
      // Strings, where context.obj makes a plain string a name.
      CIDSystemInfo: { Registry: PDFString.of('Adobe'), Ordering: PDFString.of('Identity'), Supplement: 0 },
      CIDToGIDMap: context.register(context.flateStream(cidToGid)),
      FontDescriptor: descriptor,
      DW: GLYPH_WIDTH,
    }),
  );
  return context.register(
    context.obj({
      Type: 'Font',
      Subtype: 'Type0',
      BaseFont: 'GlyphLessFont',
      Encoding: 'Identity-H',
      DescendantFonts: [cidFont],
      ToUnicode: context.register(context.flateStream(toUnicodeCMap())),
    }),
  );
}
