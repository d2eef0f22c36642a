/**
 * Counts a PDF page's drawing operators before pdfjs parses them. pdfjs builds the whole operator
 * list while it renders (a 51 KB page of 2,000,000 `0 0 1 1 re f` took ~50 s and gigabytes before
 * the in-render check could stop it); a scan of the decoded content stream counts them in well
 * under a second, so such a page fails DOCUMENT_TOO_COMPLEX before its render starts.
 *
 * The count is a lexer's, not a parser's: an operator is a keyword (a run of regular characters
 * that is not a number, a name or true/false/null); strings, hex strings, names, comments and the
 * data of inline images are skipped. A stream this cannot read (a filter other than FlateDecode,
 * an encrypted document, a stream whose first decoded bytes up to a cap hold fewer operators than
 * the limit but do not end there) gives no count, and the in-render check stays the guard.
 */
import { createInflate } from 'node:zlib';
import { ParseSpeeds, PDFArray, PDFName, PDFRawStream, type PDFDocument, type PDFObject } from 'pdf-lib';
import { loadPdfDocumentOrNull } from './pdf-structure-guard.ts';

const WHITESPACE = new Uint8Array(256);
for (const c of [0, 9, 10, 12, 13, 32]) WHITESPACE[c] = 1;
const DELIMITER = new Uint8Array(256);
for (const c of '()<>[]{}/%') DELIMITER[c.charCodeAt(0)] = 1;
const REGULAR = new Uint8Array(256).map((_, c) => (WHITESPACE[c] || DELIMITER[c] ? 0 : 1));
const NUMBER_START = new Uint8Array(256);
for (const c of '+-.0123456789') NUMBER_START[c.charCodeAt(0)] = 1;
const OPERANDS = ['true', 'false', 'null'].map((w) => Buffer.from(w, 'latin1'));

/** true, false or null: keywords that are operands (compared byte by byte: this runs millions of times). */
function isOperand(bytes: Uint8Array, at: number, length: number): boolean {
  if (length !== 4 && length !== 5) return false;
  return OPERANDS.some((w) => w.length === length && w.every((b, k) => bytes[at + k] === b));
}

/** Operators in a decoded content stream; stops counting once past `stopAbove`. */
export function countOperators(bytes: Uint8Array, stopAbove = Number.POSITIVE_INFINITY): number {
  let count = 0;
  let i = 0;
  const n = bytes.length;
  while (i < n && count <= stopAbove) {
    const c = bytes[i]!;
    if (WHITESPACE[c]) i++;
    else if (c === 0x25 /* % */) while (i < n && bytes[i] !== 10 && bytes[i] !== 13) i++;
    else if (c === 0x28 /* ( */) i = skipString(bytes, i);
    else if (c === 0x3c /* < */) i = bytes[i + 1] === 0x3c ? i + 2 : skipPast(bytes, i, 0x3e);
    else if (c === 0x2f /* / */) i = skipRegular(bytes, i + 1); // a name
    else if (DELIMITER[c]) i++; // > ] [ { }
    else {
      let end = skipRegular(bytes, i);
      if (!NUMBER_START[c] && !isOperand(bytes, i, end - i)) {
        count++;
        if (end - i === 2 && c === 0x49 && bytes[i + 1] === 0x44 /* ID */) end = skipInlineImage(bytes, end);
      }
      i = end;
    }
  }
  return count;
}

function skipRegular(bytes: Uint8Array, i: number): number {
  while (i < bytes.length && REGULAR[bytes[i]!]) i++;
  return i;
}

/** Past a literal string: nested parentheses, backslash escapes. */
function skipString(bytes: Uint8Array, i: number): number {
  let depth = 0;
  for (; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === 0x5c /* \ */) i++;
    else if (c === 0x28) depth++;
    else if (c === 0x29 && --depth === 0) return i + 1;
  }
  return i;
}

function skipPast(bytes: Uint8Array, i: number, end: number): number {
  const at = bytes.indexOf(end, i + 1);
  return at < 0 ? bytes.length : at + 1;
}

/** An inline image's data ends at whitespace, `EI`, then whitespace (or the end). */
function skipInlineImage(bytes: Uint8Array, i: number): number {
  for (let j = i + 1; j + 2 <= bytes.length; j++) {
    if (bytes[j] === 0x45 && bytes[j + 1] === 0x49 && WHITESPACE[bytes[j - 1]!] && (j + 2 === bytes.length || WHITESPACE[bytes[j + 2]!])) return j;
  }
  return bytes.length;
}

/** Per page, the operators of its content streams, read with pdf-lib from the document's bytes. */
export class PageOperatorCounter {
  private readonly doc: Promise<PDFDocument | null>;

  private constructor(doc: PDFDocument | null) {
    this.doc = Promise.resolve(doc);
  }

  /**
   * pdf-lib reads the file's objects without decoding a page's stream; a file it cannot read gives no counts, and a
   * file whose structure streams inflate past the guard's budget is refused (DOCUMENT_TOO_COMPLEX).
   */
  static async open(bytes: Uint8Array): Promise<PageOperatorCounter> {
    // At its fastest: its default yields to the event loop every 100 objects, which on a loaded
    // machine doubled the wall time of a 200-page file's parse for nothing (this thread has no other work).
    return new PageOperatorCounter(await loadPdfDocumentOrNull(bytes, { ignoreEncryption: true, updateMetadata: false, throwOnInvalidObject: false, parseSpeed: ParseSpeeds.Fastest }));
  }

  /**
   * Whether the page certainly draws nothing: its content streams hold no operator and it has no
   * annotations (pdfjs draws their appearances too). False when that cannot be known.
   */
  async drawsNothing(index: number, maxDecodedBytes: number): Promise<boolean> {
    const doc = await this.doc;
    const page = doc?.getPages()[index];
    if (!page || page.node.Annots()) return false;
    return (await this.count(index, 0, maxDecodedBytes)) === 0;
  }

  /**
   * The page's operator count, at most a little past `stopAbove`; null when it cannot be known
   * (encrypted, another filter, a decoded stream past `maxDecodedBytes`).
   */
  async count(index: number, stopAbove: number, maxDecodedBytes: number): Promise<number | null> {
    const doc = await this.doc;
    if (!doc || doc.isEncrypted) return null;
    const page = doc.getPages()[index];
    if (!page) return null;
    const contents = page.node.Contents();
    const parts: PDFObject[] = contents instanceof PDFArray ? contents.asArray().map((ref) => doc.context.lookup(ref) ?? ref) : contents ? [contents] : [];
    let total = 0;
    for (const part of parts) {
      const decoded = part instanceof PDFRawStream ? await decode(part, maxDecodedBytes) : null;
      if (!decoded) return null;
      total += countOperators(decoded.bytes, stopAbove - total);
      if (total > stopAbove) return total;
      // Only the first maxDecodedBytes were read: under the limit there, the rest is unknown.
      if (decoded.truncated) return null;
    }
    return total;
  }
}

/** The stream's decoded bytes, at most `maxDecodedBytes` of them (a page's stream may inflate to gigabytes). */
async function decode(stream: PDFRawStream, maxDecodedBytes: number): Promise<{ bytes: Uint8Array; truncated: boolean } | null> {
  const filter = stream.dict.lookup(PDFName.of('Filter'));
  const filters = filter instanceof PDFArray ? filter.asArray() : filter ? [filter] : [];
  if (filters.length === 0) return { bytes: stream.contents.subarray(0, maxDecodedBytes), truncated: stream.contents.length > maxDecodedBytes };
  if (filters.length > 1 || filters[0] !== PDFName.of('FlateDecode')) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  const inflate = createInflate();
  inflate.end(stream.contents);
  try {
    for await (const chunk of inflate) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= maxDecodedBytes) {
        inflate.destroy();
        return { bytes: Buffer.concat(chunks).subarray(0, maxDecodedBytes), truncated: true };
      }
    }
  } catch {
    return null; // corrupt: pdfjs decides
  }
  return { bytes: Buffer.concat(chunks), truncated: false };
}
