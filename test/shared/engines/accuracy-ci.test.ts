/**
 * A CI-sized bench:accuracy: the whole pipeline with both engines on a few generated pages, each
 * a defect seen on real documents, against the same pipeline with tesseract.js alone and against
 * the upright original. The full figures (with plain native tesseract as the peer) are in
 * bench/RESULTS.md; this only guards the rules with a margin.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { characterErrorRate } from '../../../shared/core/text-metrics.ts';
import { createOcr, packagedModelDirs, type Ocr } from '../../../shared/engines/index.ts';
import { generateTables, generateVariants, type BenchPage } from '../../../bench/accuracy-generate.ts';
import { FIXTURES_DIR } from '../../support/fixtures.ts';

let both: Ocr;
let tesseractOnly: Ocr;
let tables: BenchPage[];
let variants: BenchPage[];
beforeAll(async () => {
  both = createOcr({ modelDirs: packagedModelDirs(), workers: 1 });
  tesseractOnly = createOcr({ modelDirs: packagedModelDirs(), workers: 1, secondEngine: false });
  const dir = mkdtempSync(join(tmpdir(), 'accuracy-ci-'));
  tables = await generateTables(dir);
  variants = await generateVariants(FIXTURES_DIR, dir);
});
afterAll(async () => {
  await both.close();
  await tesseractOnly.close();
});

const cer = async (ocr: Ocr, page: BenchPage) => characterErrorRate(page.truth, (await ocr.process(new Uint8Array(readFileSync(page.file)))).result.text);

describe('accuracy rules, CI-sized', () => {
  it.each(['tess_phototest_transparent-rot10-72dpi', 'tess_phototest_rot30', 'tessjs_testocr_light-on-dark'])(
    '%s reads within 2 points of the upright original',
    async (name) => {
      const page = variants.find((v) => v.name === name)!;
      expect(await cer(both, page)).toBeLessThanOrEqual(0.02);
    },
    180_000,
  );

  it('an unruled table reads in row order at most half the error of tesseract alone', async () => {
    const page = tables.find((t) => t.name.startsWith('table_unruled'))!;
    const ours = await cer(both, page);
    expect(ours).toBeLessThanOrEqual(0.03);
    expect(ours).toBeLessThanOrEqual((await cer(tesseractOnly, page)) / 2);
  }, 300_000);
});
