/** The engine's pool: a worker started ahead of the first page (warmUp) is the one that page is read with. */
import { describe, expect, it } from 'vitest';
import { ModelStore, packagedModelDirs, TesseractEngine } from '../../../shared/engines/index.ts';
import { hasDarkArea } from '../../../shared/engines/tesseract-page.ts';
import { compileCore, CORE_MODULE_KEY, startingWorker, tesseractWorkerUrl } from '../../../shared/engines/tesseract-worker-script.ts';
import type { GreyImage } from '../../../shared/core/ports.ts';
import Tesseract from 'tesseract.js';
import { getEnvironmentData, setEnvironmentData } from 'node:worker_threads';
import { fixture } from '../../support/fixtures.ts';
import { firstPage } from './first-page.ts';

const options = { languages: ['eng'], timeoutMs: 120_000, level: true };

describe('TesseractEngine.warmUp', () => {
  it('a page that arrives while the worker is starting is read by that worker, not by a second one', async () => {
    const engine = new TesseractEngine({ models: new ModelStore(packagedModelDirs()), workers: 2 });
    try {
      const warming = engine.warmUp(['eng'], 1);
      const page = await engine.recognize(await firstPage('tessjs_testocr.png'), options);
      await warming;
      expect(page.text).toMatch(/quick brown dog/);
      expect(engine.stats()).toMatchObject({ workersStarted: 1, live: 1 });
    } finally {
      await engine.close();
    }
  });

  it('close() while a worker is starting ends that worker once it has started', async () => {
    const engine = new TesseractEngine({ models: new ModelStore(packagedModelDirs()), workers: 1 });
    const warming = engine.warmUp(['eng']);
    await engine.close();
    await warming;
    expect(engine.stats()).toMatchObject({ workersStarted: 1, live: 0 });
  });
});

describe('the WASM cores', () => {
  it('page workers load the LSTM-only core; orientation detection still has the legacy engine it needs', async () => {
    const engine = new TesseractEngine({ models: new ModelStore(packagedModelDirs()), workers: 1 });
    try {
      const page = await engine.recognize(await firstPage('tessjs_testocr.png'), options);
      expect(page.text).toMatch(/quick brown dog/);
      expect(engine.stats().core).toMatch(/^tesseract-core(-\w+)*-lstm$/);
      const guess = await engine.detectOrientation(await firstPage('tessjs_testocr.png'));
      expect(guess).toMatchObject({ degrees: 0, script: 'Latin' });
    } finally {
      await engine.close();
    }
  });
});

describe('one compiled core for the process', () => {
  it('two workers instantiated from the module compiled once read their own pages', async () => {
    const engine = new TesseractEngine({ models: new ModelStore(packagedModelDirs()), workers: 2 });
    try {
      const [testocr, eurotext] = await Promise.all([firstPage('tessjs_testocr.png'), firstPage('tess_eurotext.tif')]);
      const pages = await Promise.all([engine.recognize(testocr, options), engine.recognize(eurotext, options)]);
      expect(pages[0]!.text).toMatch(/This is a lot of 12 point text to test the\s+ocr code/);
      expect(pages[0]!.text).not.toMatch(/lazy> #90 dog/);
      expect(pages[1]!.text).toMatch(/The \(quick\) \[brown\] \{fox\} jumps!\s+Over the \$43,456.78 <lazy> #90 dog/);
      expect(pages[1]!.text).not.toMatch(/12 point text/);
      expect(engine.stats()).toMatchObject({ workersStarted: 2, coreShared: true, core: await compileCore() });
    } finally {
      await engine.close();
    }
  });

  it('a worker whose shared module does not instantiate compiles the core itself and reads', async () => {
    const core = await compileCore();
    const compiled = getEnvironmentData(CORE_MODULE_KEY);
    // A module under the core's name that imports what emscripten does not provide: its instantiation fails.
    const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object } };
    const unlinkable = new wasm.Module(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 2, 7, 1, 1, 0x78, 1, 0x79, 0, 0));
    setEnvironmentData(CORE_MODULE_KEY, { core, module: unlinkable });
    const engine = new TesseractEngine({ models: new ModelStore(packagedModelDirs()), workers: 1 });
    try {
      const page = await engine.recognize(await firstPage('tessjs_testocr.png'), options);
      expect(page.text).toMatch(/quick brown dog/);
      expect(engine.stats()).toMatchObject({ workersStarted: 1, coreShared: false, core });
    } finally {
      setEnvironmentData(CORE_MODULE_KEY, compiled);
      await engine.close();
    }
  });
});

describe('bilevel pages', () => {
  it('a 1-bit page (read as PBM) gives the text of the same pixels as grey (PGM)', async () => {
    const grey = await firstPage('tess_phototest.tif');
    const bilevel = { ...grey, data: grey.data.map((v) => (v < 128 ? 0 : 255)) };
    // The same pixels, but one of them not quite white: below the bilevel test, so read as PGM.
    const nearlyBilevel = { ...bilevel, data: Uint8Array.from(bilevel.data) };
    nearlyBilevel.data[0] = 254;
    const engine = new TesseractEngine({ models: new ModelStore(packagedModelDirs()), workers: 1 });
    try {
      const asPbm = await engine.recognize(bilevel, options);
      const asPgm = await engine.recognize(nearlyBilevel, options);
      expect(asPbm.text).toMatch(/quick brown dog/);
      expect(asPbm.text).toBe(asPgm.text);
    } finally {
      await engine.close();
    }
  });
});

describe('the worker script starts itself', () => {
  // The worker runs load, loadLanguage and initialize for the languages in its URL before tesseract.js asks; a request
  // for anything else must be run as asked, not answered from what was run ahead.
  it('asked for other languages than it started with, it loads those', async () => {
    const models = new ModelStore(packagedModelDirs());
    const langPath = await models.langPath(['eng', 'deu']);
    const worker = await startingWorker({ langs: 'eng', langPath, oem: Tesseract.OEM.LSTM_ONLY }, () =>
      Tesseract.createWorker('deu', Tesseract.OEM.LSTM_ONLY, { langPath, gzip: false, cacheMethod: 'none', workerPath: tesseractWorkerUrl() as unknown as string }),
    );
    try {
      const files = (await worker.FS('readdir', ['/'])).data as string[];
      expect(files).toContain('deu.traineddata');
      const { data } = await worker.recognize(Buffer.from(fixture('tessjs_testocr.png')));
      expect(data.text).toMatch(/quick brown/);
    } finally {
      await worker.terminate();
    }
  });
});

/** tess_phototest with its first text line as light text on a dark bar within the margins: the rest stays dark on light. */
async function withInvertedFirstLine(): Promise<GreyImage> {
  const page = await firstPage('tess_phototest.tif');
  const inked = (y: number) => page.data.subarray(y * page.width, (y + 1) * page.width).some((v) => v < 128);
  let top = 0;
  while (!inked(top)) top += 1;
  let bottom = top;
  while (inked(bottom + 1)) bottom += 1;
  const pad = Math.round((bottom - top) / 2);
  const [left, right] = [Math.round(page.width * 0.05), Math.round(page.width * 0.95)];
  const data = Uint8Array.from(page.data);
  for (let y = top - pad; y <= bottom + pad; y++) for (let x = left; x < right; x++) data[y * page.width + x] = 255 - data[y * page.width + x]!;
  return { ...page, data };
}

/** The page with a dark strip down its left side, as a scanner's dark edge or the table beside a photographed receipt. */
async function withDarkSide(): Promise<GreyImage> {
  const page = await firstPage('tess_phototest.tif');
  const data = Uint8Array.from(page.data);
  for (let y = 0; y < page.height; y++) data.fill(20, y * page.width, y * page.width + Math.round(page.width * 0.2));
  return { ...page, data };
}

describe('hasDarkArea', () => {
  /** Every square's whole sum, then a run of at least four dark squares between light ones: the check as first written. */
  function referenceDarkArea(image: GreyImage): boolean {
    const tile = Math.max(8, Math.round(image.dpi / 10));
    const columns = Math.floor(image.width / tile);
    if (columns < 6) return false;
    for (let top = 0; top + tile <= image.height; top += tile) {
      let run = -1;
      for (let c = 0; c < columns; c++) {
        let sum = 0;
        for (let y = top; y < top + tile; y++) for (let x = c * tile; x < (c + 1) * tile; x++) sum += image.data[y * image.width + x]!;
        const dark = sum < 100 * tile * tile;
        if (!dark && run >= 4) return true;
        run = dark ? (run < 0 ? -1 : run + 1) : 0;
      }
    }
    return false;
  }

  it('decides as summing every square whole, on real pages with and without dark areas', async () => {
    const pages = [await withInvertedFirstLine(), await withDarkSide(), ...(await Promise.all(['tess_phototest.tif', 'tess_eurotext.tif', 'tessjs_testocr.png', 'ocrmypdf_skew.pdf', 'ocrmypdf_c02-22.pdf'].map(firstPage)))];
    const decided = pages.map(hasDarkArea);
    expect(decided).toEqual(pages.map(referenceDarkArea));
    expect(decided).toContain(true);
  });
});

describe('light text on a dark area of a light page', () => {
  it('is read: tesseract re-reads such a line inverted, on pages with a dark area only', async () => {
    const mixed = await withInvertedFirstLine();
    expect(hasDarkArea(mixed)).toBe(true);
    expect(hasDarkArea(await firstPage('tess_phototest.tif'))).toBe(false);
    expect(hasDarkArea(await withDarkSide())).toBe(false);
    const engine = new TesseractEngine({ models: new ModelStore(packagedModelDirs()), workers: 1 });
    // The same page with the inverted re-read off: the line on the dark bar is lost, so the test above can fail.
    const off = new TesseractEngine({ models: new ModelStore(packagedModelDirs()), workers: 1, parameters: { init: {}, page: { tessedit_do_invert: '0' } } });
    try {
      const page = await engine.recognize(mixed, options);
      expect(page.text).toMatch(/lot of 12 point text/);
      expect(page.text).toMatch(/quick brown dog/);
      expect(engine.stats().invertingReads).toBe(1);
      expect((await off.recognize(mixed, options)).text).not.toMatch(/12 point text/);
    } finally {
      await engine.close();
      await off.close();
    }
  });
});
