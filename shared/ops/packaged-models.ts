/**
 * The traineddata installed on this machine (npm `@tesseract.js-data/*` packages, then Debian's
 * `tesseract-ocr-*` packages), laid out as the models bucket holds it: `tessdata/{lang}.traineddata`,
 * uncompressed, each file dated like the file it came from so that a sync by modification time sees
 * an unchanged package as unchanged.
 */
import { mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { modelDirs, ModelStore } from '../engines/model-store.ts';
import { writeManifest } from './model-sync.ts';

/** What is installed: the npm packages first (they win for a language both have), then the system's. */
export function installedModels(): ModelStore {
  return new ModelStore(modelDirs());
}

/** Every installed model (osd and the fast models, `{lang}_fast`, included), for `npm start` to put into the local models bucket. */
export async function installedLanguages(store: ModelStore = installedModels()): Promise<string[]> {
  return (await store.list()).map((f) => f.lang);
}

export async function stagePackagedModels(dir: string, languages?: readonly string[], store: ModelStore = installedModels()): Promise<string[]> {
  const tessdata = join(dir, 'tessdata');
  await mkdir(tessdata, { recursive: true });
  const written: string[] = [];
  const sources: Record<string, string> = {};
  for (const lang of languages ?? (await installedLanguages(store))) {
    const file = await store.file(lang);
    const target = join(tessdata, `${lang}.traineddata`);
    const { mtime } = await stat(file.path);
    const existing = await stat(target).catch(() => undefined);
    if (!existing || existing.mtimeMs !== mtime.getTime()) {
      const raw = await readFile(file.path);
      await writeFile(target, file.gzipped ? gunzipSync(raw) : raw);
      await utimes(target, mtime, mtime);
    }
    written.push(target);
    sources[`tessdata/${lang}.traineddata`] = file.source;
  }
  // The manifest says where each file came from (npm:@tesseract.js-data/…, system); a sync carries it on.
  await writeManifest(dir, { sources });
  return written;
}
