/** Where the CLI and npm start find traineddata: the npm @tesseract.js-data packages first, then Debian's tesseract-ocr-* packages. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelDirs, ModelStore, packagedModelDirs, systemModelDirs } from '../../../shared/engines/index.ts';
import { SYSTEM_TESSDATA_DIRS } from '../../../shared/engines/model-store.ts';

const debianEng = SYSTEM_TESSDATA_DIRS.some((dir) => existsSync(join(dir, 'eng.traineddata')));

describe('installed models', () => {
  it('every installed @tesseract.js-data package is a language, named by its package', async () => {
    const files = await new ModelStore(packagedModelDirs()).list();
    expect(files.map((f) => [f.lang, f.source])).toEqual(expect.arrayContaining([['deu', 'npm:@tesseract.js-data/deu'], ['eng', 'npm:@tesseract.js-data/eng']]));
  });

  it.skipIf(!debianEng)('Debian\'s tesseract-ocr-* languages are found too, after the npm packages', async () => {
    const system = await new ModelStore(systemModelDirs()).list();
    expect(system.find((f) => f.lang === 'eng')).toMatchObject({ source: 'system', path: expect.stringMatching(/^\/usr\/share\/tesseract-ocr\//) });
    const dirs = modelDirs().map((d) => d.dir);
    for (const dir of SYSTEM_TESSDATA_DIRS) expect(dirs.indexOf(dir)).toBeGreaterThan(dirs.findIndex((d) => d.includes('@tesseract.js-data')));
  });
});
