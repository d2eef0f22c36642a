/**
 * A searchable PDF: each page's image with tesseract's invisible text laid over it (the sandwich
 * OCRmyPDF makes). Pages of an input PDF are kept as they were when they can be: a text-layer page
 * is copied untouched, an OCRed page gets the invisible text on top of its original content.
 */
import { PDFDocument, type PDFPage } from 'pdf-lib';
import type { PageArtifact } from '../core/pipeline.ts';
import type { OcrResult } from '../core/result.ts';

export async function buildSearchablePdf(original: Uint8Array, result: OcrResult, artifacts: readonly PageArtifact[]): Promise<Uint8Array> {
  const out = await PDFDocument.create();
  out.setProducer('DocVault OCR');
  out.setCreator(`${result.engine.name} ${result.engine.version}`);
  const source = result.type === 'pdf' ? await loadUnencrypted(original) : undefined;

  for (const artifact of artifacts) {
    // By number: a shard's result holds only its own pages.
    const page = result.pages.find((p) => p.number === artifact.number)!;
    const keepOriginal = source && page.rotation.orientation === 0 && source.getPage(artifact.number - 1).getRotation().angle === 0;
    let target: PDFPage;
    if (keepOriginal) {
      [target] = (await out.copyPages(source, [artifact.number - 1])) as [PDFPage];
      out.addPage(target);
    } else if (artifact.image) {
      target = out.addPage([artifact.widthPt, artifact.heightPt]);
      const image = artifact.image.format === 'jpeg' ? await out.embedJpg(artifact.image.bytes) : await out.embedPng(artifact.image.bytes);
      target.drawImage(image, { x: 0, y: 0, width: artifact.widthPt, height: artifact.heightPt });
    } else {
      // A page that failed: keep its place so page numbers still match.
      target = out.addPage([artifact.widthPt, artifact.heightPt]);
    }
    if (page.source === 'ocr' && artifact.textPdf) {
      const [text] = await out.embedPdf(artifact.textPdf, [0]);
      const { width, height } = target.getSize();
      target.drawPage(text!, { x: 0, y: 0, width, height });
    }
  }
  return out.save();
}

async function loadUnencrypted(bytes: Uint8Array): Promise<PDFDocument | undefined> {
  try {
    const doc = await PDFDocument.load(bytes, { updateMetadata: false });
    return doc.isEncrypted ? undefined : doc;
  } catch {
    return undefined; // pdfjs read it but pdf-lib cannot: fall back to page images
  }
}
