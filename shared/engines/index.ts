/** Wires the real engines (pdfjs, sharp, tesseract.js) to the pure pipeline. */
import type { PagePreviewer, PageProgress, PipelineOutput } from '../core/pipeline.ts';
import type { OcrOptionsInput } from '../core/options.ts';
import { modelDirs, ModelStore, type ModelDir } from './model-store.ts';
import { PaddleOcrEngine } from './ppocr-engine.ts';
import { TesseractEngine, type TesseractEngineOptions } from './tesseract-engine.ts';

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
  /** Ahead of the first document: starts the engine's workers (all, or `workers` of them) and loads the pipeline. */
  warmUp(languages: readonly string[], workers?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The pipeline and the document readers, loaded at the first document or warm-up rather than with the engine: a new
 * process (docvault ocr) starts its OCR worker first, and these load while it starts.
 */
function loadPipeline() {
  return Promise.all([import('../core/pipeline.ts'), import('./document-opener.ts')]);
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
    /** An engine already started on these models (docvault ocr starts its worker before this module loads). */
    started?: { engine: TesseractEngine; models: ModelStore };
  } & Omit<TesseractEngineOptions, 'models'> = {},
): Ocr {
  const models = options.started?.models ?? new ModelStore(options.modelDirs ?? modelDirs());
  const engine = options.started?.engine ?? new TesseractEngine({ ...options, models });
  const secondEngine = options.secondEngine === false ? undefined : new PaddleOcrEngine();
  return {
    engine,
    models,
    ...(secondEngine ? { secondEngine } : {}),
    process: async (bytes, ocrOptions = {}, onProgress, signal) => {
      const [{ processDocument }, { documentOpener }] = await loadPipeline();
      return processDocument(
        bytes,
        ocrOptions,
        {
          opener: documentOpener,
          engine,
          ...(secondEngine ? { secondEngine } : {}),
          ...(options.preview ? { preview: options.preview } : {}),
          concurrency: engine.size,
          installedLanguages: options.installedLanguages ?? (() => models.languages()),
        },
        onProgress,
        signal,
      );
    },
    warmUp: async (languages, workers) => {
      await Promise.all([engine.warmUp(languages, workers), loadPipeline()]);
    },
    close: async () => {
      await Promise.all([engine.close(), secondEngine?.close()]);
    },
  };
}
