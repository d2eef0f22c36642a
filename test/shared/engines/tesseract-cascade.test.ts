/**
 * The line cascade (shared/engines/tesseract-cascade.ts): a page read with the fast model (`eng_fast`, Debian's
 * tessdata_fast file), its unsure lines read again with best_int (`eng`, the npm package). Real engines, real pages.
 */
import { existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { characterErrorRate } from '../../../shared/core/text-metrics.ts';
import { modelDirs, ModelStore, packagedModelDirs, TesseractEngine } from '../../../shared/engines/index.ts';
import { DEFAULT_UNSURE_BELOW, linesOf, mergeLines, paragraphsOfLines, placeLineWords, textOfLines, unsureLines, withUnsureLinesSure } from '../../../shared/engines/tesseract-cascade.ts';
import { wordsFromTsv } from '../../../shared/engines/tesseract-page.ts';
import type { GreyImage, RecognizedPage, RecognizedWord } from '../../../shared/core/ports.ts';
import { groundTruth } from '../../support/fixtures.ts';
import { firstPage } from './first-page.ts';

/** Debian's tesseract-ocr-eng: tessdata_fast (.ci/run installs it). */
const DEBIAN_FAST = '/usr/share/tesseract-ocr/5/tessdata/eng.traineddata';
const haveFast = existsSync(DEBIAN_FAST);

const options = { languages: ['eng'], level: true };

const word = (text: string, line: number, x0: number, confidence = 95): RecognizedWord => ({ text, confidence, line, bbox: { x0, y0: line * 40, x1: x0 + 30, y1: line * 40 + 20 } });

describe('the cascade, its pure parts', () => {
  it('a line with a word under the bar is unsure; the others are not', () => {
    const words = [word('sure', 0, 0), word('line', 0, 40), word('one', 1, 0, 99), word('doubt', 1, 40, 60), word('sure', 2, 0)];
    expect(unsureLines(words, 85)).toEqual([1]);
    expect(unsureLines(words, 50)).toEqual([]);
  });

  it('the words of a line read again replace that line only, in place, moved to the page and numbered as the line', () => {
    const words = [word('a', 0, 0), word('b', 1, 0, 40), word('c', 1, 40, 40), word('d', 2, 0)];
    const box = { x0: 100, y0: 30, x1: 300, y1: 70 };
    const reread = new Map([[1, placeLineWords([{ text: 'B', confidence: 91, line: 0, bbox: { x0: 5, y0: 8, x1: 60, y1: 30 } }], box, 1)]]);
    const merged = mergeLines(words, reread);
    expect(merged.map((w) => w.text)).toEqual(['a', 'B', 'd']);
    expect(merged[1]).toEqual({ text: 'B', confidence: 91, line: 1, bbox: { x0: 105, y0: 38, x1: 160, y1: 60 } });
    expect(merged[0]).toBe(words[0]);
    expect(merged[2]).toBe(words[3]);
  });

  it('the best a fast read can be once its unsure lines are read again: their words sure, the same text', () => {
    const words = [word('a', 0, 0, 90), word('b', 1, 0, 40), word('c', 1, 40, 60), word('d', 2, 0, 80)];
    const page = { text: 'a\nb c\nd\n', confidence: 67.5, words, skewDegrees: 0, width: 400, height: 100 };
    const best = withUnsureLinesSure(page, [1]);
    expect(best.words.map((w) => w.confidence)).toEqual([90, 100, 100, 80]);
    expect(best.confidence).toBe(92.5);
    expect({ ...best, words: [], confidence: 0 }).toEqual({ ...page, words: [], confidence: 0 });
    expect(page.words[1]!.confidence).toBe(40); // the read itself is left as it is
  });

  it('a line read again that yields no words is dropped', () => {
    const words = [word('a', 0, 0), word('~', 1, 0, 10), word('d', 2, 0)];
    expect(mergeLines(words, new Map([[1, []]])).map((w) => w.text)).toEqual(['a', 'd']);
  });
});

describe.skipIf(!haveFast)('the cascade in the engine (Debian tessdata_fast as eng_fast)', () => {
  const folder = mkdtempSync(join(tmpdir(), 'docvault-cascade-test-'));
  const withFast = () => new ModelStore([{ dir: folder, label: 'test' }, ...packagedModelDirs()]);
  let image: GreyImage;
  let fastOnly: RecognizedPage;
  beforeAll(async () => {
    symlinkSync(DEBIAN_FAST, join(folder, 'eng_fast.traineddata'));
    image = await firstPage('tess_eurotext.tif');
    // The fast model's own read: a store whose `eng` is Debian's file.
    const fast = new TesseractEngine({ models: new ModelStore([{ dir: '/usr/share/tesseract-ocr/5/tessdata', label: 'system' }]), workers: 1, cascade: false });
    try {
      fastOnly = await fast.recognize(image, options);
    } finally {
      await fast.close();
    }
  });
  const engines: TesseractEngine[] = [];
  afterAll(async () => {
    await Promise.all(engines.map((e) => e.close()));
  });
  const engine = (cascade?: { unsureBelow: number }) => {
    const e = new TesseractEngine({ models: withFast(), workers: 1, ...(cascade ? { cascade } : {}) });
    engines.push(e);
    return e;
  };

  it("unsure lines are read again by best_int and their words replace fast's; sure lines keep fast's words; the CER drops", async () => {
    const cascade = engine();
    const page = await cascade.recognize(image, options);
    const unsure = new Set(unsureLines(fastOnly.words, DEFAULT_UNSURE_BELOW));
    const lines = linesOf(fastOnly.words);
    expect(unsure.size).toBeGreaterThan(0);
    expect(unsure.size).toBeLessThan(lines.size);
    expect(unsure.size).toBeLessThanOrEqual(lines.size / 2);
    expect(cascade.stats().cascade).toMatchObject({ pages: 1, lines: lines.size, linesReread: unsure.size, pagesReread: 0, pagesRereadNotClean: 0, direct: 0 });

    const read = linesOf(page.words);
    for (const [line, words] of lines) {
      if (!unsure.has(line)) expect(read.get(line), `sure line ${line}`).toEqual(words);
    }
    // The lines read again are best_int's: on this page (five languages) it reads them better than fast.
    const changed = [...unsure].filter((line) => JSON.stringify(read.get(line)) !== JSON.stringify(lines.get(line)));
    expect(changed.length).toBeGreaterThan(0);
    const text = (line: number) => (read.get(line) ?? []).map((w) => w.text).join(' ');
    const changedText = [...unsure].filter((line) => text(line) !== lines.get(line)!.map((w) => w.text).join(' '));
    expect(cascade.stats().cascade.linesChanged).toBe(changedText.length);
    const truth = groundTruth('tess_eurotext.tif');
    expect(characterErrorRate(truth, page.text)).toBeLessThan(characterErrorRate(truth, fastOnly.text));
    // Words stay in reading order, on the page, inside the line they replace.
    expect(page.words.map((w) => w.line)).toEqual([...page.words.map((w) => w.line)].sort((a, b) => a - b));
    for (const w of page.words) expect(w.bbox.x1 <= page.width && w.bbox.y1 <= page.height && w.bbox.x0 >= 0 && w.bbox.y0 >= 0).toBe(true);
    expect(page.text.trim().split('\n').filter(Boolean)).toHaveLength(read.size);
    // The worker went back to the fast model after the lines: the next page is read as the first was.
    expect(await cascade.recognize(image, options)).toEqual(page);
  });

  it('a page unsure of most of its lines is read again whole by best_int: the same read as without the cascade', async () => {
    const cascade = engine({ unsureBelow: 101 });
    const page = await cascade.recognize(image, options);
    const lines = linesOf(fastOnly.words).size;
    expect(cascade.stats().cascade).toEqual({ pages: 1, lines, linesReread: 0, linesChanged: 0, pagesReread: 1, pagesRereadNotClean: 0, direct: 0 });
    const best = new TesseractEngine({ models: new ModelStore(packagedModelDirs()), workers: 1, cascade: false });
    try {
      expect(page).toEqual(await best.recognize(image, options));
    } finally {
      await best.close();
    }
  });
});

describe.skipIf(!haveFast)('which pages take the fast read', () => {
  const engines: TesseractEngine[] = [];
  afterAll(async () => {
    await Promise.all(engines.map((e) => e.close()));
  });
  const track = (e: TesseractEngine) => (engines.push(e), e);

  it('a page expected to read unsurely (a form, a till slip) is read by best_int at once: no fast read, the read without the cascade', async () => {
    const image = await firstPage('tess_eurotext.tif');
    const cascade = track(new TesseractEngine({ models: new ModelStore(modelDirs()), workers: 1 }));
    let asked = 0;
    const page = await cascade.recognize(image, { ...options, expectUnsure: () => (asked++, true) });
    expect(asked).toBe(1);
    expect(cascade.stats().cascade).toEqual({ pages: 0, lines: 0, linesReread: 0, linesChanged: 0, pagesReread: 0, pagesRereadNotClean: 0, direct: 1 });
    const best = track(new TesseractEngine({ models: new ModelStore(packagedModelDirs()), workers: 1, cascade: false }));
    expect(page).toEqual(await best.recognize(image, options));
    // The same worker reads the next page with the fast model again.
    await cascade.recognize(image, { ...options, expectUnsure: () => false });
    expect(cascade.stats()).toMatchObject({ workersStarted: 1, cascade: { pages: 1, direct: 1 } });
  });

  it("a page whose cascade read the pipeline would not keep as it is (isCleanRead) is read again whole by best_int: the second engine is handed best_int's read", async () => {
    const image = await firstPage('tess_eurotext.tif');
    const cascade = track(new TesseractEngine({ models: new ModelStore(modelDirs()), workers: 1 }));
    const kept = await cascade.recognize(image, { ...options, isCleanRead: () => true });
    expect(cascade.stats().cascade).toMatchObject({ pages: 1, pagesReread: 0 });
    expect(kept.words.length).toBeGreaterThan(0);
    const linesBefore = cascade.stats().cascade.linesReread;
    expect(linesBefore).toBeGreaterThan(0);
    // Asked first of the fast read with its unsure lines taken as sure: not clean even so, the page is read whole at once.
    const seen: RecognizedPage[] = [];
    const page = await cascade.recognize(image, { ...options, isCleanRead: (read) => (seen.push(read), false) });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.text).not.toEqual(kept.text); // fast's words, not the merged read's
    expect(seen[0]!.confidence).toBeGreaterThan(kept.confidence);
    expect(cascade.stats().cascade).toMatchObject({ pages: 2, linesReread: linesBefore, pagesReread: 1, pagesRereadNotClean: 1 });
    const best = track(new TesseractEngine({ models: new ModelStore(packagedModelDirs()), workers: 1, cascade: false }));
    expect(page).toEqual(await best.recognize(image, options));
    expect(page).not.toEqual(kept);
    // Clean at best but not once read: the lines are read, and the merged read, not clean, sends the page whole again.
    const asked: RecognizedPage[] = [];
    expect(await cascade.recognize(image, { ...options, isCleanRead: (read) => (asked.push(read), asked.length === 1) })).toEqual(page);
    expect(asked[1]).toEqual(kept);
    expect(cascade.stats().cascade).toMatchObject({ pages: 3, linesReread: 2 * linesBefore, pagesReread: 2, pagesRereadNotClean: 2 });
    // A page fast read with no line unsure keeps fast's read even so (a table of numbers: not a clean read).
    const sure = await firstPage('tess_phototest.tif');
    const fastRead = await cascade.recognize(sure, options);
    expect(unsureLines(fastRead.words, DEFAULT_UNSURE_BELOW)).toEqual([]);
    expect(fastRead).not.toEqual(await best.recognize(sure, options)); // fast's read, not best_int's
    expect(await cascade.recognize(sure, { ...options, isCleanRead: () => false })).toEqual(fastRead);
    expect(cascade.stats().cascade).toMatchObject({ pages: 5, pagesReread: 2 });
  });

  it("the default model folders turn the cascade on where Debian's tessdata_fast is installed; the warm-up starts the cascade's worker", async () => {
    const engine = track(new TesseractEngine({ models: new ModelStore(modelDirs()), workers: 1 }));
    await engine.warmUp(['eng']);
    expect(engine.stats().loadedLanguages).toEqual(['eng_fast']);
    await engine.recognize(await firstPage('tess_phototest.tif'), options);
    expect(engine.stats()).toMatchObject({ workersStarted: 1, cascade: { pages: 1, direct: 0 } });
  });
});

describe('without a fast model', () => {
  it('the page is read by best_int alone, exactly as with the cascade off', async () => {
    const image = await firstPage('tessjs_testocr.png');
    const on = new TesseractEngine({ models: new ModelStore(packagedModelDirs()), workers: 1 });
    const off = new TesseractEngine({ models: new ModelStore(packagedModelDirs()), workers: 1, cascade: false });
    try {
      const [a, b] = [await on.recognize(image, options), await off.recognize(image, options)];
      expect(a).toEqual(b);
      expect(a.text).toMatch(/quick brown dog/);
      expect(on.stats().cascade).toEqual({ pages: 0, lines: 0, linesReread: 0, linesChanged: 0, pagesReread: 0, pagesRereadNotClean: 0, direct: 0 });
      expect(on.stats().loadedLanguages).toEqual(['eng']);
    } finally {
      await Promise.all([on.close(), off.close()]);
    }
  });

  it.skipIf(!haveFast)('nor when the fast model is the very file the language reads (no second read of the same model)', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'docvault-cascade-same-'));
    symlinkSync(DEBIAN_FAST, join(folder, 'eng.traineddata'));
    symlinkSync(DEBIAN_FAST, join(folder, 'eng_fast.traineddata'));
    const engine = new TesseractEngine({ models: new ModelStore([{ dir: folder, label: 'test' }]), workers: 1 });
    try {
      await engine.recognize(await firstPage('tessjs_testocr.png'), options);
      expect(engine.stats().cascade.pages).toBe(0);
    } finally {
      await engine.close();
    }
  });
});

describe("the text rebuilt from a read's words", () => {
  it("is tesseract's own text when no line was replaced", async () => {
    const { default: Tesseract } = await import('tesseract.js');
    const { tesseractWorkerUrl } = await import('../../../shared/engines/tesseract-worker-script.ts');
    const { toPgm } = await import('../../../shared/core/grey-image.ts');
    const worker = await Tesseract.createWorker('eng', Tesseract.OEM.LSTM_ONLY, {
      langPath: await new ModelStore(packagedModelDirs()).langPath(['eng']),
      gzip: false,
      cacheMethod: 'none',
      workerPath: tesseractWorkerUrl() as unknown as string,
      errorHandler: () => undefined,
    });
    try {
      for (const name of ['tess_eurotext.tif', 'tess_phototest.tif', 'ocrmypdf_c02-22.pdf']) {
        const image = await firstPage(name);
        const params = { tessedit_pageseg_mode: '3', user_defined_dpi: String(image.dpi), debug_file: '/dev/null' } as object;
        const { data } = await worker.recognize(Buffer.from(toPgm(image)), params, { text: true, tsv: true });
        const tsv = data.tsv ?? '';
        expect(textOfLines(wordsFromTsv(tsv), paragraphsOfLines(tsv)), name).toBe(data.text);
      }
    } finally {
      await worker.terminate();
    }
  });
});
