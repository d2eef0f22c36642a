/** Wires the real engines (pdfjs, sharp, tesseract.js) to the pure pipeline. */
import type { PagePreviewer, PageProgress, PipelineOutput } from '../core/pipeline.ts';
import type { OcrOptionsInput } from '../core/options.ts';
import { ModelStore, packagedModelDirs, systemModelDirs, type ModelDir } from './model-store.ts';
import { PaddleOcrEngine } from './ppocr-engine.ts';
import { TesseractEngine, type TesseractEngineOptions } from './tesseract-engine.ts';

export { ModelStore, packagedModelDirs, systemModelDirs, type ModelDir, type ModelFile } from './model-store.ts';
export { TesseractEngine, type EngineStats } from './tesseract-engine.ts';
export { warmRenderThread } from './pdf-renderer.ts';
export { PaddleOcrEngine, PPOCR_LANGUAGES } from './ppocr-engine.ts';

/** Search order: the given folders (the model cache), then npm-packaged data, then the system's. */
export function modelDirs(cacheDirs: readonly string[] = []): ModelDir[] {
  return [...cacheDirs.map((dir) => ({ dir, label: 'cache' })), ...packagedModelDirs(), ...systemModelDirs()];
}

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
  } & Omit<TesseractEngineOptions, 'models'> = {},
): Ocr {
  const models = new ModelStore(options.modelDirs ?? modelDirs());
  const engine = new TesseractEngine({ ...options, models });
  const secondEngine = options.secondEngine === false ? undefined : new PaddleOcrEngine();
  return {
    engine,
    models,
    ...(secondEngine ? { secondEngine } : {}),
    process: async (bytes, ocrOptions = {}, onProgress, signal) => {
      // Loaded at the first document, not with the engine: a new process (docvault ocr) starts its OCR worker
      // first, and the pipeline, the document readers and the result's patterns load while that worker starts.
      const [{ processDocument }, { documentOpener }] = await Promise.all([import('../core/pipeline.ts'), import('./document-opener.ts')]);
      return processDocument(
        bytes,
        ocrOptions,
        { opener: documentOpener, engine, ...(secondEngine ? { secondEngine } : {}), ...(options.preview ? { preview: options.preview } : {}), concurrency: engine.size },
        onProgress,
        signal,
      );
    },
    close: async () => {
      await Promise.all([engine.close(), secondEngine?.close()]);
    },
  };
}
