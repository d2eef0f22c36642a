/**
 * A searchable PDF: each page's image with the result's words laid over it as invisible text (the sandwich
 * OCRmyPDF makes; text-layer.ts). Pages of an input PDF are kept as they were when they can be: a
 * text-layer page is copied untouched, an OCRed page gets the invisible text on top of its original content.
 */
import { PDFDocument, popGraphicsState, pushGraphicsState, type PDFPage, type PDFRef } from 'pdf-lib';
import { loadPdfDocumentOrNull } from '../engines/pdf-structure-guard.ts';
import type { PageArtifact } from '../core/pipeline.ts';
import type { OcrResult, PageResult } from '../core/result.ts';
import { embedGlyphlessFont } from './glyphless-font.ts';
import { textLayerOperators } from './text-layer.ts';

export async function buildSearchablePdf(original: Uint8Array, result: OcrResult, artifacts: readonly PageArtifact[]): Promise<Uint8Array> {
  const out = await PDFDocument.create();
  out.setProducer('DocVault OCR');
  out.setCreator(`${result.engine.name} ${result.engine.version}`);
  const source = result.type === 'pdf' ? await loadUnencrypted(original) : undefined;
  let font: PDFRef | undefined;

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
    if (page.source === 'ocr' && page.words.length > 0) {
      font ??= embedGlyphlessFont(out);
      drawTextLayer(target, page, font, keepOriginal === true);
    }
  }
  return out.save();
}

/**
 * The page's words as invisible text over what the page shows: over the whole of a page made from the image, over
 * the visible area (crop box) of a kept original page, whose own content is first closed off in q/Q so a transform
 * it leaves behind cannot move the words.
 */
function drawTextLayer(target: PDFPage, page: PageResult, font: PDFRef, original: boolean): void {
  const box = original ? target.getCropBox() : { x: 0, y: 0, ...target.getSize() };
  if (original) {
    const { context } = target.doc;
    target.node.normalize();
    target.node.wrapContentStreams(context.register(context.contentStream([pushGraphicsState()])), context.register(context.contentStream([popGraphicsState()])));
  }
  target.pushOperators(...textLayerOperators(page, box, target.node.newFontDictionary('GlyphLessFont', font)));
}

/** Undefined when pdfjs read it but pdf-lib cannot (or it is encrypted): the pages are then their images. */
async function loadUnencrypted(bytes: Uint8Array): Promise<PDFDocument | undefined> {
  const doc = await loadPdfDocumentOrNull(bytes, { updateMetadata: false });
  return doc && !doc.isEncrypted ? doc : undefined;
}
