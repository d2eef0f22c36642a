/**
 * Where the worker's traineddata comes from: a read-only mounted folder, or a once-per-instance
 * download from the models bucket (our storage emulator, the real client) checked by sha256.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStorageEmulator, type StorageEmulator } from '../../../emulators/gcs/index.ts';
import { characterErrorRate } from '../../../shared/core/text-metrics.ts';
import { createOcr } from '../../../shared/engines/index.ts';
import { stagePackagedModels } from '../../../shared/ops/packaged-models.ts';
import { syncModels } from '../../../shared/ops/model-sync.ts';
import { cacheInfo, modelSetup } from '../../../shared/services/models.ts';
import { fixture, FIXTURES_DIR, groundTruth } from '../../support/fixtures.ts';
import { canIsolateNetwork } from '../../support/network.ts';

let emulator: StorageEmulator;
let storage: Storage;
let staged: string;
const BUCKET = 'models-test';

beforeAll(async () => {
  emulator = await startStorageEmulator();
  storage = new Storage({ apiEndpoint: emulator.url, projectId: 'models-test' });
  await storage.createBucket(BUCKET);
  staged = mkdtempSync(join(tmpdir(), 'models-staged-'));
  await stagePackagedModels(staged);
  await syncModels({ source: staged, destination: `gs://${BUCKET}/`, storage, log: () => undefined });
});
afterAll(() => emulator?.stop());

async function readWith(dirs: ReturnType<typeof modelSetup>['dirs'], document = fixture('tess_phototest.tif')): Promise<string> {
  const ocr = createOcr({ modelDirs: dirs, workers: 1 });
  try {
    return (await ocr.process(document)).result.text;
  } finally {
    await ocr.close();
  }
}

const listing = (dir: string) => readdirSync(dir, { recursive: true }).map((f) => `${f}:${statSync(join(dir, String(f))).mtimeMs}`).sort();

const debianFast = existsSync('/usr/share/tesseract-ocr/5/tessdata/eng.traineddata');

describe('model cache', () => {
  it.skipIf(!debianFast)("a worker reading the models bucket that npm start staged reads with the line cascade (its eng_fast)", async () => {
    const setup = modelSetup({ MODEL_CACHE_DIR: staged, MODELS_BUCKET: BUCKET }, storage);
    const ocr = createOcr({ modelDirs: setup.dirs, workers: 1 });
    try {
      await ocr.process(fixture('tess_phototest.tif'));
      expect(ocr.engine.stats().cascade.pages).toBe(1);
    } finally {
      await ocr.close();
    }
  });

  it('reads from a mounted folder (tessdata/ layout) and writes nothing into it', async () => {
    const before = listing(staged);
    const setup = modelSetup({ MODEL_CACHE_DIR: staged, MODELS_BUCKET: BUCKET }, storage);
    expect(setup.origin).toBe('mount');
    expect(characterErrorRate(groundTruth('tess_phototest.tif'), await readWith(setup.dirs))).toBeLessThanOrEqual(0.02);
    expect(listing(staged)).toEqual(before);
    const info = await cacheInfo(setup);
    // Every installed @tesseract.js-data package, and Debian's tessdata_fast English as eng_fast where it is installed.
    expect(info.languages.map((l) => l.lang)).toEqual(['deu', 'eng', ...(debianFast ? ['eng_fast'] : []), 'osd']);
    expect(info.languages.every((l) => l.source === 'mount')).toBe(true);
    expect(info.freeBytes).toBeGreaterThan(0);
  });

  it('downloads each language once from the models bucket, verified against its manifest', async () => {
    const downloads = mkdtempSync(join(tmpdir(), 'models-download-'));
    const setup = modelSetup({ MODELS_BUCKET: BUCKET }, storage, downloads);
    expect(setup.origin).toBe('download');
    expect(characterErrorRate(groundTruth('tess_phototest.tif'), await readWith(setup.dirs))).toBeLessThanOrEqual(0.02);
    // An upright page needs no orientation detection, so the OSD model is fetched only when a page does; the bucket's
    // eng_fast (staged where Debian's tessdata_fast is installed) is fetched for the line cascade.
    const fast = debianFast ? ['eng_fast.traineddata'] : [];
    expect(readdirSync(downloads).sort()).toEqual(['eng.traineddata', ...fast]);
    expect(readFileSync(join(downloads, 'eng.traineddata')).equals(readFileSync(join(staged, 'tessdata', 'eng.traineddata')))).toBe(true);
    const upsideDown = new Uint8Array(await sharp(fixture('tess_phototest.tif')).rotate(180).png().toBuffer());
    expect(characterErrorRate(groundTruth('tess_phototest.tif'), await readWith(setup.dirs, upsideDown))).toBeLessThanOrEqual(0.02);
    expect(readdirSync(downloads).sort()).toEqual(['eng.traineddata', ...fast, 'osd.traineddata']);
    const info = await cacheInfo(setup);
    expect(info.origin).toBe('download');
    expect(info.languages.find((l) => l.lang === 'eng')).toMatchObject({ local: true, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('fetches a cached file again when it no longer matches the manifest', async () => {
    const downloads = mkdtempSync(join(tmpdir(), 'models-download-'));
    await modelSetup({ MODELS_BUCKET: BUCKET }, storage, downloads).downloader!.ensure('eng');
    writeFileSync(join(downloads, 'eng.traineddata'), 'corrupted on disk');
    // A new instance (cold start) over the same folder.
    const setup = modelSetup({ MODELS_BUCKET: BUCKET }, storage, downloads);
    expect(await setup.downloader!.ensure('eng')).toBe(true);
    expect(readFileSync(join(downloads, 'eng.traineddata')).equals(readFileSync(join(staged, 'tessdata', 'eng.traineddata')))).toBe(true);
  });

  it('refuses a bucket copy that does not match the manifest, with a clear error, and writes nothing', async () => {
    const bucket = 'models-corrupt';
    await storage.createBucket(bucket);
    await syncModels({ source: staged, destination: `gs://${bucket}/`, storage, log: () => undefined });
    await storage.bucket(bucket).file('tessdata/eng.traineddata').save('not a model', { resumable: false });
    const downloads = mkdtempSync(join(tmpdir(), 'models-download-'));
    const setup = modelSetup({ MODELS_BUCKET: bucket }, storage, downloads);
    await expect(setup.downloader!.ensure('eng')).rejects.toThrow(/does not match the manifest.*models sync/);
    expect(readdirSync(downloads)).toEqual([]);
  });

  it.runIf(canIsolateNetwork())('downloads from the bucket and reads a page with no network but loopback (own namespace)', async () => {
    // A fresh namespace's loopback starts down: bring it up for the emulator, nothing else exists.
    const script = `ip link set lo up && exec node_modules/.bin/node test/support/offline-download.ts "$0" "$1"`;
    const { stdout } = await promisify(execFile)('unshare', ['-n', 'sh', '-c', script, staged, FIXTURES_DIR + 'tess_phototest.tif']);
    const [origin, ...text] = stdout.split('\n');
    expect(origin).toBe('download');
    expect(characterErrorRate(groundTruth('tess_phototest.tif'), text.join('\n'))).toBeLessThanOrEqual(0.02);
  });

  it('says which languages exist when one is missing from the bucket', async () => {
    const setup = modelSetup({ MODELS_BUCKET: BUCKET }, storage, mkdtempSync(join(tmpdir(), 'models-download-')));
    const ocr = createOcr({ modelDirs: setup.dirs, workers: 1 });
    try {
      await expect(ocr.process(fixture('tessjs_simple_png.png'), { languages: 'fra' })).rejects.toMatchObject({ code: 'LANGUAGE_UNAVAILABLE' });
    } finally {
      await ocr.close();
    }
  });
});
