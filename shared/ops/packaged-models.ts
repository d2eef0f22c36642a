/**
 * The traineddata the project ships (npm packages), laid out as the models bucket holds it:
 * `tessdata/{lang}.traineddata`, uncompressed, each file dated like the package file it came from
 * so that a sync by modification time sees an unchanged package as unchanged.
 */
import { mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ModelStore, packagedModelDirs } from '../engines/model-store.ts';
import { writeManifest } from './model-sync.ts';

export const SHIPPED_LANGUAGES = ['eng', 'osd'] as const;

export async function stagePackagedModels(dir: string, languages: readonly string[] = SHIPPED_LANGUAGES): Promise<string[]> {
  const store = new ModelStore(packagedModelDirs());
  const tessdata = join(dir, 'tessdata');
  await mkdir(tessdata, { recursive: true });
  const written: string[] = [];
  const sources: Record<string, string> = {};
  for (const lang of languages) {
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
  // The manifest says where each file came from (npm:@tesseract.js-data/…); a sync carries it on.
  await writeManifest(dir, { sources });
  return written;
}
