/** Our tesseract.js worker script: what it loads only when it is needed still works when it is. */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Tesseract from 'tesseract.js';
import { describe, expect, it } from 'vitest';
import { startingWorker, tesseractWorkerUrl } from '../../../shared/engines/tesseract-worker-script.ts';
import { fixture } from '../../support/fixtures.ts';

describe('the worker script', () => {
  // The models the engine hands over are unpacked (ModelStore), so the worker requires its gunzip only at a first use.
  it('reads with a gzipped traineddata file: its gunzip, required at first use, unpacks it', async () => {
    const langPath = mkdtempSync(join(tmpdir(), 'worker-script-gz-'));
    const packed = createRequire(import.meta.url).resolve('@tesseract.js-data/eng/4.0.0_best_int/eng.traineddata.gz');
    // The gzipped bytes under the plain name: tesseract.js tells them by their magic number.
    copyFileSync(packed, join(langPath, 'eng.traineddata'));
    const worker = await startingWorker({ langs: 'eng', langPath, oem: Tesseract.OEM.LSTM_ONLY }, () =>
      Tesseract.createWorker('eng', Tesseract.OEM.LSTM_ONLY, { langPath, gzip: false, cacheMethod: 'none', workerPath: tesseractWorkerUrl() as unknown as string }),
    );
    try {
      const { data } = await worker.recognize(Buffer.from(fixture('tessjs_testocr.png')));
      expect(data.text).toMatch(/quick brown dog/);
    } finally {
      await worker.terminate();
    }
  });
});
