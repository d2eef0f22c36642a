/**
 * A large document's outputs from its shards' parts: the searchable PDF is the parts' pages
 * copied in order (each part was built by searchable-pdf.ts from its own pages), the other
 * formats are rendered from the merged result as for any document.
 */
import { PDFDocument } from 'pdf-lib';
import { loadPdfDocument } from '../engines/pdf-structure-guard.ts';
import type { OcrResult } from '../core/result.ts';
import { renderOutputs, type OutputFormat } from './index.ts';

/** The parts' pages, in the order of the parts. */
export async function mergeSearchablePdfs(parts: readonly Uint8Array[], result: Pick<OcrResult, 'engine'>): Promise<Uint8Array> {
  const out = await PDFDocument.create();
  out.setProducer('DocVault OCR');
  out.setCreator(`${result.engine.name} ${result.engine.version}`);
  for (const bytes of parts) {
    const part = await loadPdfDocument(bytes, { updateMetadata: false });
    for (const page of await out.copyPages(part, part.getPageIndices())) out.addPage(page);
  }
  return out.save();
}

/** Every requested output of the merged document; `pdfParts` in page order. */
export async function renderMergedOutputs(result: OcrResult, pdfParts: readonly Uint8Array[], formats: readonly OutputFormat[]): Promise<Map<OutputFormat, Uint8Array | string>> {
  // Only the searchable PDF needs the original and the page artifacts; the parts already hold them.
  const rendered = await renderOutputs(new Uint8Array(), { result, artifacts: [] }, formats.filter((format) => format !== 'pdf'));
  if (formats.includes('pdf')) rendered.set('pdf', await mergeSearchablePdfs(pdfParts, result));
  return rendered;
}
