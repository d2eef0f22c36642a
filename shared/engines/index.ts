/** Wires the real engines (pdfjs, sharp, tesseract.js) to the pure pipeline. */
import { processDocument, type PagePreviewer, type PageProgress, type PipelineOutput } from '../core/pipeline.ts';
import type { OcrOptionsInput } from '../core/options.ts';
import { documentOpener } from './document-opener.ts';
import { modelDirs, ModelStore, type ModelDir } from './model-store.ts';
import { PaddleOcrEngine } from './ppocr-engine.ts';
import { TesseractEngine, type TesseractEngineOptions } from './tesseract-engine.ts';

export { documentOpener } from './document-opener.ts';
export { modelDirs, ModelStore, packagedModelDirs, systemModelDirs, type ModelDir, type ModelFile } from './model-store.ts';
export { TesseractEngine, type EngineStats } from './tesseract-engine.ts';
export { warmRenderThread } from './pdf-renderer.ts';
export { PaddleOcrEngine, PPOCR_LANGUAGES } from './ppocr-engine.ts';

export interface Ocr {
  engine: TesseractEngine;
  /** Reads the pages tesseract is unsure of (receipts, forms, photos), in the languages it knows. */
  secondEngine?: PaddleOcrEngine;
  models: ModelStore;
  process(bytes: Uint8Array, options?: OcrOptionsInput, onProgress?: (p: PageProgress) => void, signal?: AbortSignal): Promise<PipelineOutput>;
  close(): Promise<void>;
}

export function createOcr(
  options: {
    modelDirs?: readonly ModelDir[];
    /** PP-OCR for unsure pages (default on). */
    secondEngine?: boolean;
    /** Page previews from the images read (the worker's, for the console). */
    preview?: PagePreviewer;
    /** The languages language=auto chooses from (default: what the model folders hold; a worker's models bucket lists its own). */
    installedLanguages?: () => Promise<readonly string[]>;
  } & Omit<TesseractEngineOptions, 'models'> = {},
): Ocr {
  const models = new ModelStore(options.modelDirs ?? modelDirs());
  const engine = new TesseractEngine({ ...options, models });
  const secondEngine = options.secondEngine === false ? undefined : new PaddleOcrEngine();
  return {
    engine,
    models,
    ...(secondEngine ? { secondEngine } : {}),
    process: (bytes, ocrOptions = {}, onProgress, signal) =>
      processDocument(
        bytes,
        ocrOptions,
        {
          opener: documentOpener,
          engine,
          ...(secondEngine ? { secondEngine } : {}),
          ...(options.preview ? { preview: options.preview } : {}),
          concurrency: engine.size,
          installedLanguages: options.installedLanguages ?? (async () => (await models.list()).map((f) => f.lang)),
        },
        onProgress,
        signal,
      ),
    close: async () => {
      await Promise.all([engine.close(), secondEngine?.close()]);
    },
  };
}
