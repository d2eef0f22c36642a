/**
 * Where the CLI and npm start find traineddata: the npm @tesseract.js-data packages first, then Debian's tesseract-ocr-* packages;
 * and the model folder tesseract.js is pointed at.
 */
import { existsSync } from 'node:fs';
import { copyFile, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { modelDirs, ModelStore, packagedModelDirs, systemModelDirs } from '../../../shared/engines/index.ts';
import { isFastModel, lstmLayerWidths, SYSTEM_TESSDATA_DIRS } from '../../../shared/engines/model-store.ts';

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

/** Debian's tesseract-ocr-eng: tessdata_fast. */
const DEBIAN_FAST = '/usr/share/tesseract-ocr/5/tessdata/eng.traineddata';

describe.skipIf(!existsSync(DEBIAN_FAST))("a language's fast model (the line cascade's), offered by a folder of fast models", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'docvault-fast-models-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  /** The npm package's best_int, unpacked: the same network as tessdata_best, in integers. */
  const bestInt = async (to: string) => writeFile(to, gunzipSync(await readFile((await new ModelStore(packagedModelDirs()).file('eng')).path)));

  it("tells fast from best_int by the network spec in the file (English's LSTM layers 48/96/96/192 against 64/96/96/512)", async () => {
    expect(await lstmLayerWidths(DEBIAN_FAST)).toEqual([48, 96, 96, 192]);
    await bestInt(join(dir, 'eng.traineddata'));
    expect(await lstmLayerWidths(join(dir, 'eng.traineddata'))).toEqual([64, 96, 96, 512]);
    expect(await isFastModel(DEBIAN_FAST)).toBe(true);
    expect(await isFastModel(join(dir, 'eng.traineddata'))).toBe(false);
    await writeFile(join(dir, 'junk.traineddata'), 'not a model');
    expect(await isFastModel(join(dir, 'junk.traineddata'))).toBe(false);
  });

  it("the default folders offer Debian's file as eng_fast beside the npm package's eng; it is no language of its own", async () => {
    const store = new ModelStore(modelDirs());
    expect(await store.file('eng_fast')).toMatchObject({ path: DEBIAN_FAST, source: 'system' });
    expect((await store.file('eng')).source).toBe('npm:@tesseract.js-data/eng');
    expect(await store.languages()).not.toContain('eng_fast');
    expect((await store.list()).map((f) => f.lang)).toContain('eng_fast');
  });

  it('a folder that offers fast models offers a best_int file as nothing; a folder that does not offers none', async () => {
    await bestInt(join(dir, 'eng.traineddata'));
    expect(await new ModelStore([{ dir, label: 'system', offersFast: true }]).has('eng_fast')).toBe(false);
    await rm(join(dir, 'eng.traineddata'));
    await symlink(DEBIAN_FAST, join(dir, 'eng.traineddata'));
    expect(await new ModelStore([{ dir, label: 'system', offersFast: true }]).has('eng_fast')).toBe(true);
    expect(await new ModelStore([{ dir, label: 'cache' }]).has('eng_fast')).toBe(false);
  });

  it("an eng_fast.traineddata of the operator's, in any folder, comes before the one offered", async () => {
    const own = join(dir, 'own');
    await mkdir(own);
    await symlink(DEBIAN_FAST, join(own, 'eng_fast.traineddata'));
    const store = new ModelStore([...systemModelDirs(), { dir: own, label: 'cache' }]);
    expect(await store.file('eng_fast')).toMatchObject({ path: join(own, 'eng_fast.traineddata'), source: 'cache' });
  });
});

describe('the folder tesseract.js reads (langPath)', () => {
  let tmp: string;
  let savedTmpdir: string | undefined;
  const tempEntries = async () => (await readdir(tmp)).sort();
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'docvault-model-store-'));
    savedTmpdir = process.env.TMPDIR;
    process.env.TMPDIR = tmp; // os.tmpdir() reads it at each call
  });
  afterEach(async () => {
    if (savedTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmpdir;
    await rm(tmp, { recursive: true, force: true });
  });

  it('one folder per set of files, the gzipped ones unpacked, shared by stores started at once and found again by later ones', async () => {
    const stores = Array.from({ length: 4 }, () => new ModelStore(packagedModelDirs()));
    const dirs = await Promise.all(stores.map((s) => s.langPath(['eng', 'deu'])));
    expect(new Set(dirs).size).toBe(1);
    expect(await tempEntries()).toEqual([basename(dirs[0]!)]); // nothing staged is left over
    for (const lang of ['eng', 'deu']) {
      const packed = await stores[0]!.file(lang);
      expect(packed.gzipped).toBe(true);
      expect((await readFile(join(dirs[0]!, `${lang}.traineddata`))).equals(gunzipSync(await readFile(packed.path)))).toBe(true);
    }

    expect(await new ModelStore(packagedModelDirs()).langPath(['deu', 'eng'])).toBe(dirs[0]); // order does not matter
    const engOnly = await new ModelStore(packagedModelDirs()).langPath(['eng']);
    expect(engOnly).not.toBe(dirs[0]);
    expect(await tempEntries()).toHaveLength(2);
  });

  it('a model that is not gzipped is linked, beside one unpacked', async () => {
    const models = join(tmp, 'models');
    await mkdir(models);
    await writeFile(join(models, 'eng.traineddata'), gunzipSync(await readFile((await new ModelStore(packagedModelDirs()).file('eng')).path)));
    const store = new ModelStore([{ dir: models, label: 'cache' }, ...packagedModelDirs()]);
    const dir = await store.langPath(['eng', 'deu']);
    expect(await readlink(join(dir, 'eng.traineddata'))).toBe(join(models, 'eng.traineddata'));
    expect((await lstat(join(dir, 'deu.traineddata'))).isFile()).toBe(true);
  });

  it('a folder of that name not as expected (other links, a cut copy) is not used: the store links its own to the files as they are', async () => {
    const store = new ModelStore(packagedModelDirs());
    const eng = await store.file('eng');
    const shared = await store.langPath(['eng']);
    const cut = (await readFile(join(shared, 'eng.traineddata'))).subarray(0, 1000);
    for (const plant of [() => writeFile(join(shared, 'eng.traineddata'), cut), () => symlink('/etc/hostname', join(shared, 'eng.traineddata'))]) {
      await rm(shared, { recursive: true });
      await mkdir(shared, { mode: 0o700 });
      await plant();
      const own = await new ModelStore(packagedModelDirs()).langPath(['eng']);
      expect(own).not.toBe(shared);
      expect(await readlink(join(own, 'eng.traineddata'))).toBe(eng.path);
    }
  });

  it('files already named {lang}.traineddata in one folder are read from there: nothing is linked', async () => {
    const models = join(tmp, 'models');
    await mkdir(models);
    for (const lang of ['eng', 'deu']) await copyFile((await new ModelStore(packagedModelDirs()).file(lang)).path, join(models, `${lang}.traineddata`));
    expect(await new ModelStore([{ dir: models, label: 'cache' }]).langPath(['eng', 'deu'])).toBe(models);
    expect(await tempEntries()).toEqual(['models']);
  });
});
