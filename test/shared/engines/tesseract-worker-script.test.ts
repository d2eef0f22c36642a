/** Our tesseract.js worker script says when a page's read begins (onceReading): docvault ocr does its result's set-up then. */
import { describe, expect, it } from 'vitest';
import { ModelStore, packagedModelDirs, TesseractEngine } from '../../../shared/engines/index.ts';
import { onceReading } from '../../../shared/engines/tesseract-worker-script.ts';
import { firstPage } from './first-page.ts';

const options = { languages: ['eng'], timeoutMs: 120_000, level: true };

describe('onceReading', () => {
  it('calls its listener once, when a worker starts reading, before that read has answered; a cancelled one is not called', async () => {
    const engine = new TesseractEngine({ models: new ModelStore(packagedModelDirs()), workers: 1, cascade: false });
    try {
      await engine.warmUp(['eng'], 1);
      const calls: number[] = [];
      let cancelledCalls = 0;
      const called = new Promise<void>((resolve) =>
        onceReading(() => {
          // Pages read when it was called: 0 while the first read is running.
          calls.push(engine.stats().pagesRead);
          resolve();
        }),
      );
      const cancel = onceReading(() => (cancelledCalls += 1));
      cancel();
      // Nothing read yet: not called (the worker has started, it has not read).
      expect(calls).toEqual([]);
      const image = await firstPage('tessjs_testocr.png');
      const page = await engine.recognize(image, options);
      await called;
      expect(page.text).toMatch(/quick brown dog/);
      expect(calls).toEqual([0]);
      await engine.recognize(image, options);
      expect(calls).toEqual([0]);
      expect(cancelledCalls).toBe(0);
    } finally {
      await engine.close();
    }
  });
});
