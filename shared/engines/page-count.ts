/**
 * A document's page count where it is cheap to know before any OCR: a PDF's page tree (pdfjs
 * reads the cross-reference table, not the pages), a TIFF's directory count. Undefined when it
 * cannot be told cheaply (an encrypted PDF): the worker finds out and fails the task if need be.
 */
import type { DocumentType } from '../core/document-type.ts';

export async function countPages(bytes: Uint8Array, type: DocumentType): Promise<number | undefined> {
  if (type === 'tiff') {
    const { default: sharp } = await import('sharp');
    return (await sharp(bytes, { pages: -1 }).metadata()).pages ?? 1;
  }
  if (type !== 'pdf') return 1;
  // pdfjs inflates an object stream whole to read the catalog in it: a deflate bomb there is refused first (the
  // worker then fails the task with the guard's code); it costs a pdf-lib parse of the file's objects.
  const { loadPdfDocumentOrNull } = await import('./pdf-structure-guard.ts');
  const refused = await loadPdfDocumentOrNull(bytes, { ignoreEncryption: true, updateMetadata: false }).then(
    () => false,
    () => true,
  );
  if (refused) return undefined;
  // Loaded on the first PDF only: most uploads never pay for pdfjs.
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = pdfjs.getDocument({ data: new Uint8Array(bytes), verbosity: 0, stopAtErrors: false });
  try {
    return (await task.promise).numPages;
  } catch {
    return undefined;
  } finally {
    await task.destroy().catch(() => undefined);
  }
}
