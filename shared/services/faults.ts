/**
 * Fault injection through the engine's own seam (the OcrProcessor), for the emulator suite only:
 * a document containing the marker bytes fails with a retryable engine error on every attempt,
 * the way a document that crashes the engine would.
 */
import { DocVaultError } from '../core/errors.ts';
import type { OcrProcessor } from './ocr-worker.ts';

export function withPoisonMarker(processor: OcrProcessor, marker: string): OcrProcessor {
  const needle = Buffer.from(marker, 'utf8');
  return {
    process(bytes, options, onProgress) {
      if (Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).includes(needle)) {
        return Promise.reject(new DocVaultError('ENGINE_FAILURE', 'injected engine failure (poison marker)'));
      }
      return processor.process(bytes, options, onProgress);
    },
  };
}
