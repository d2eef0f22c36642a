import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createOcr, packagedModelDirs, type Ocr } from '../../shared/engines/index.ts';

const require = createRequire(import.meta.url);

/** German traineddata from a devDependency, for the multi-language tests. */
export const DEU_MODEL_DIR = join(dirname(require.resolve('@tesseract.js-data/deu/package.json')), '4.0.0_best_int');

/**
 * An OCR stack on the npm-packaged models only (never the machine's own tessdata), so tests read
 * the same on every machine.
 */
export function testOcr(options: { workers?: number; recycleAfterPages?: number; extraDirs?: string[] } = {}): Ocr {
  return createOcr({
    modelDirs: [...(options.extraDirs ?? []).map((dir) => ({ dir, label: 'test' })), ...packagedModelDirs()],
    workers: options.workers ?? 2,
    recycleAfterPages: options.recycleAfterPages,
  });
}
