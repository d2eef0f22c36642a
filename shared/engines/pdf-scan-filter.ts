/**
 * Whether a PDF is worth parsing with pdf-lib for its scanned pages (pdf-page-scan.ts), from its bytes alone, without
 * parsing it: pdf-lib parses a whole document on the main thread, with no budget of its own, where pdfjs parses what it
 * needs in the render thread under the page's budgets. So only a plain file is taken: one that names a G4 or JPEG
 * filter (a stream's /Filter is in its dictionary, never inside an object stream, so the name is in the bytes as it
 * is), holds no object stream (scanners write none; pdf-lib's inflation of one is bounded by pdf-structure-guard.ts) and at
 * most MAX_OBJECTS objects. Scanners and img2pdf write such files; anything else is rendered by pdfjs as before.
 */

const SCAN_FILTERS = ['/CCITTFaxDecode', '/DCTDecode'];
/** A 10,000-page scan is ~30,000 objects. */
const MAX_OBJECTS = 100_000;

export function mayHoldScans(bytes: Uint8Array): boolean {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!SCAN_FILTERS.some((filter) => buffer.includes(filter)) || buffer.includes('/ObjStm')) return false;
  let objects = 0;
  for (let at = buffer.indexOf('endobj'); at >= 0; at = buffer.indexOf('endobj', at + 6)) if (++objects > MAX_OBJECTS) return false;
  return true;
}
