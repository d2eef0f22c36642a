/**
 * Hostile documents, generated in a few lines rather than committed as blobs: each is small on
 * disk and expensive to read naively (issue: hostile input). Shared by the tests and bench:hostile.
 */
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { createDeflate, deflateSync } from 'node:zlib';
import { PDFDocument, PDFName, StandardFonts } from 'pdf-lib';

/** `pages` empty pages of `sizePt`×`sizePt` points: 10 × 14400 pt is the 1.3 KB file that held a worker 129 s. */
export async function hugeEmptyPagesPdf(pages: number, sizePt = 14_400): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  for (let i = 0; i < pages; i++) doc.addPage([sizePt, sizePt]);
  return doc.save();
}

/** One `sizePt` square page with one line of `textPt` text near its top left corner: a plan or poster sheet. */
export async function hugePageWithTextPdf(sizePt: number, text: string, textPt: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage([sizePt, sizePt]).drawText(text, { x: 600, y: sizePt - 900, size: textPt, font });
  return doc.save();
}

/** One page drawing `count` one-point squares (`0 0 1 1 re f`): ~50 KB compressed for 2,000,000. */
export async function manyOperatorsPdf(count: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([612, 792]);
  const content = Buffer.from('0 0 1 1 re f\n'.repeat(count), 'latin1');
  const stream = doc.context.flateStream(content);
  page.node.set(PDFName.of('Contents'), doc.context.register(stream));
  return doc.save();
}

/**
 * A very large page (`sizePt` square) whose content is one 1-bit image of `pixels`² (a scan at
 * pixels/sizePt×72 dpi) with a line of text on it, drawn into the image bits: what a plotter-sized
 * scan looks like. The text is drawn as vector glyphs over a white image when `textAsImage` is false.
 */
export async function hugeScannedPagePdf(options: { sizePt: number; pixels: number; text: string; textPt: number; at: { x: number; y: number } }): Promise<Uint8Array> {
  const { sizePt, pixels, text, textPt, at } = options;
  // The text line is rendered to a small 1-bit strip first (via a tiny PDF would be circular): sharp draws it.
  const { default: sharp } = await import('sharp');
  const scale = pixels / sizePt;
  const fontPx = Math.round(textPt * scale);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(fontPx * text.length * 0.65)}" height="${Math.ceil(fontPx * 1.4)}"><rect width="100%" height="100%" fill="white"/><text x="0" y="${fontPx}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${fontPx}" fill="black">${text}</text></svg>`;
  const strip = await sharp(Buffer.from(svg)).greyscale().threshold(128).raw().toBuffer({ resolveWithObject: true });
  const rowBytes = Math.ceil(pixels / 8);
  const bits = Buffer.alloc(rowBytes * pixels, 0xff); // 1 = white with /Decode [0 1] on DeviceGray
  const x0 = Math.round(at.x * scale);
  const y0 = Math.round(at.y * scale);
  for (let y = 0; y < strip.info.height; y++) {
    for (let x = 0; x < strip.info.width; x++) {
      if (strip.data[y * strip.info.width + x]! < 128) {
        const px = x0 + x;
        const row = (y0 + y) * rowBytes;
        bits[row + (px >> 3)]! &= ~(0x80 >> (px & 7));
      }
    }
  }
  const doc = await PDFDocument.create();
  const page = doc.addPage([sizePt, sizePt]);
  const image = doc.context.stream(deflateSync(bits, { level: 9 }), {
    Type: 'XObject',
    Subtype: 'Image',
    Width: pixels,
    Height: pixels,
    ColorSpace: 'DeviceGray',
    BitsPerComponent: 1,
    Filter: 'FlateDecode',
  });
  const imageRef = doc.context.register(image);
  page.node.setXObject(PDFName.of('Im0'), imageRef);
  const content = doc.context.flateStream(`q ${sizePt} 0 0 ${sizePt} 0 0 cm /Im0 Do Q\n`);
  page.node.set(PDFName.of('Contents'), doc.context.register(content));
  return doc.save();
}

/** A BMP header claiming `width`×`height` 8-bit RLE pixels over a few bytes of data (bmp-js allocates w×h×4 first). */
export function bmpBomb(width: number, height: number): Uint8Array {
  const palette = Buffer.alloc(256 * 4, 0xff);
  const pixels = Buffer.from([0x00, 0x01]); // RLE8: end of bitmap
  const headerSize = 14 + 40;
  const offset = headerSize + palette.length;
  const file = Buffer.alloc(offset + pixels.length);
  file.write('BM', 0, 'latin1');
  file.writeUInt32LE(file.length, 2);
  file.writeUInt32LE(offset, 10);
  file.writeUInt32LE(40, 14);
  file.writeInt32LE(width, 18);
  file.writeInt32LE(height, 22);
  file.writeUInt16LE(1, 26);
  file.writeUInt16LE(8, 28);
  file.writeUInt32LE(1, 30); // BI_RLE8
  file.writeUInt32LE(pixels.length, 34);
  file.writeUInt32LE(256, 46);
  palette.copy(file, headerSize);
  pixels.copy(file, offset);
  return new Uint8Array(file);
}

/** A Netpbm header claiming `width`×`height` with no pixel data after it. */
export function netpbmBomb(width: number, height: number, magic: 'P1' | 'P2' | 'P3' | 'P4' | 'P5' | 'P6' = 'P5'): Uint8Array {
  const bitmap = magic === 'P1' || magic === 'P4';
  return new Uint8Array(Buffer.from(`${magic}\n${width} ${height}\n${bitmap ? '' : '255\n'}`, 'latin1'));
}

export interface StructureBombOptions {
  /** Zero bytes after the cross-reference stream's real entries (readers stop at /Size; pdf-lib inflates them all). */
  xrefPaddingBytes?: number;
  /** Spaces after the object stream's last object (pdf-lib and pdfjs inflate the whole stream). */
  objStmPaddingBytes?: number;
  /**
   * How the two /Type values are written: plain, with name escapes (`/X#52ef`), as references to a name object, or
   * left out of the object stream (pdfjs follows the cross-reference stream to it all the same; pdf-lib skips it).
   */
  typeSpelling?: 'plain' | 'escaped' | 'indirect' | 'absent';
  /** The object stream's /Filter: FlateDecode, or pdfjs's abbreviation Fl (pdf-lib knows the long name only). */
  objStmFilter?: 'FlateDecode' | 'Fl';
}

/**
 * A valid one-page PDF whose catalog, page tree, page and font live in a compressed object stream indexed by a
 * compressed cross-reference stream (how PDF 1.5 writers save), either of which can be padded with bytes that
 * deflate ~1000:1: 512 MB of padding is a ~0.5 MB file (issue: hostile input; a deflate bomb in the file's structure).
 */
export async function structureBombPdf(options: StructureBombOptions = {}): Promise<Uint8Array> {
  const spelling = options.typeSpelling ?? 'plain';
  const typeOf = (name: 'XRef' | 'ObjStm', ref: number) =>
    spelling === 'indirect' ? `/Type ${ref} 0 R` : spelling === 'escaped' ? `/Type ${name === 'XRef' ? '/X#52ef' : '/Obj#53tm'}` : spelling === 'absent' && name === 'ObjStm' ? '' : `/Type /${name}`;
  const parts: Buffer[] = [];
  let at = 0;
  const write = (data: Buffer | string) => {
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    parts.push(buf);
    at += buf.length;
  };
  const offsets = new Map<number, number>();
  const object = (num: number, body: string, stream?: Buffer) => {
    offsets.set(num, at);
    write(`${num} 0 obj\n${body}\n`);
    if (stream) write(Buffer.concat([Buffer.from('stream\n'), stream, Buffer.from('\nendstream\n')]));
    write('endobj\n');
  };

  write('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n');
  // The names the indirect spelling refers to, before the streams that use them (pdf-lib resolves them as it parses).
  object(8, '/XRef');
  object(9, '/ObjStm');
  const content = Buffer.from('BT /F1 24 Tf 72 700 Td (Structure bomb) Tj ET\n', 'latin1');
  object(4, `<< /Length ${content.length} >>`, content);
  // Objects 1, 2, 3 and 7 inside the object stream, in that order.
  const packed = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 7 0 R >> >> >>', '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'];
  const numbers = [1, 2, 3, 7];
  let body = '';
  const header: string[] = [];
  packed.forEach((text, i) => {
    header.push(`${numbers[i]} ${body.length}`);
    body += `${text}\n`;
  });
  const index = `${header.join(' ')}\n`;
  const objStm = await deflatePadded(Buffer.from(index + body, 'latin1'), options.objStmPaddingBytes ?? 0, 0x20);
  object(5, `<< ${typeOf('ObjStm', 9)} /N ${packed.length} /First ${index.length} /Filter /${options.objStmFilter ?? 'FlateDecode'} /Length ${objStm.length} >>`, objStm);

  // The cross-reference stream: entries for objects 0..9, W [1 4 2]; it is object 6.
  const xrefAt = at;
  offsets.set(6, xrefAt);
  const entries = Buffer.alloc(10 * 7);
  for (let num = 0; num < 10; num++) {
    const row = num * 7;
    const packedAt = numbers.indexOf(num);
    if (packedAt >= 0) {
      entries[row] = 2;
      entries.writeUInt32BE(5, row + 1);
      entries.writeUInt16BE(packedAt, row + 5);
    } else if (offsets.has(num)) {
      entries[row] = 1;
      entries.writeUInt32BE(offsets.get(num)!, row + 1);
    } else {
      entries.writeUInt16BE(0xffff, row + 5); // object 0: the head of the free list
    }
  }
  const xref = await deflatePadded(entries, options.xrefPaddingBytes ?? 0, 0);
  object(6, `<< ${typeOf('XRef', 8)} /Size 10 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /Length ${xref.length} >>`, xref);
  write(`startxref\n${xrefAt}\n%%EOF\n`);
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * One page whose content stream draws a line of text and then inflates to `paddingBytes` of spaces (~0.5 MB on disk
 * for 512 MB): no operator to count, nothing for V8's heap cap to see, all of it in pdfjs' decoded stream.
 */
export async function contentBombPdf(paddingBytes: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([612, 792]);
  page.node.setFontDictionary(PDFName.of('F1'), font.ref);
  const content = await deflatePadded(Buffer.from('BT /F1 24 Tf 72 700 Td (Content bomb) Tj ET\n', 'latin1'), paddingBytes, 0x20);
  page.node.set(PDFName.of('Contents'), doc.context.register(doc.context.stream(content, { Filter: 'FlateDecode' })));
  return doc.save();
}

/** `head` then `padding` bytes of `fill`, deflated a megabyte at a time (the padding is never held whole). */
async function deflatePadded(head: Buffer, padding: number, fill: number): Promise<Buffer> {
  const chunk = Buffer.alloc(1 << 20, fill);
  function* parts() {
    yield head;
    for (let left = padding; left > 0; left -= chunk.length) yield left >= chunk.length ? chunk : chunk.subarray(0, left);
  }
  return buffer(Readable.from(parts()).pipe(createDeflate({ level: 9 })));
}
