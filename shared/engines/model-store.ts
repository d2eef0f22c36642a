/**
 * Where traineddata comes from. Never the network: a list of local folders searched in order (the
 * mounted models bucket first, then the data shipped in npm packages, then the system's tesseract).
 * tesseract.js wants one folder holding every language of a worker, so we give it a folder of
 * links named `{lang}.traineddata` (gzipped content is recognised by its magic bytes).
 */
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, stat, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DocVaultError } from '../core/errors.ts';

export interface ModelDir {
  dir: string;
  /** Where the folder came from, shown in /cache/info and errors: "mount", "download", "npm", "system", … */
  label: string;
  /** Called for a language this folder lacks; puts `{lang}.traineddata` into it and says whether it could. */
  fetch?: (lang: string) => Promise<boolean>;
}

export interface ModelFile {
  lang: string;
  path: string;
  size: number;
  gzipped: boolean;
  source: string;
}

const TRAINEDDATA = /^([A-Za-z0-9_-]+)\.traineddata(\.gz)?$/;

/** The scope the tesseract.js data packages are published under, one package per language. */
const DATA_SCOPE = '@tesseract.js-data';

/** Which folder of a data package to read: LSTM-only best_int for text; OSD exists only as the legacy model. */
function packageSubfolder(lang: string): string {
  return lang === 'osd' ? '4.0.0' : '4.0.0_best_int';
}

/** Every `@tesseract.js-data/*` package installed beside ours (node_modules of this checkout or any parent). */
function installedDataPackages(): Array<{ lang: string; dir: string }> {
  const require = createRequire(import.meta.url);
  const found = new Map<string, string>();
  for (const root of require.resolve.paths(DATA_SCOPE) ?? []) {
    let names: string[];
    try {
      names = readdirSync(join(root, DATA_SCOPE));
    } catch {
      continue; // no such scope folder here
    }
    for (const lang of names.sort()) if (!found.has(lang)) found.set(lang, join(root, DATA_SCOPE, lang));
  }
  return [...found].map(([lang, dir]) => ({ lang, dir }));
}

/** Traineddata shipped in npm packages: every installed `@tesseract.js-data/{lang}`. */
export function packagedModelDirs(): ModelDir[] {
  return installedDataPackages().map(({ lang, dir }) => ({ dir: join(dir, packageSubfolder(lang)), label: `npm:${DATA_SCOPE}/${lang}` }));
}

export const SYSTEM_TESSDATA_DIRS: readonly string[] = ['/usr/share/tesseract-ocr/5/tessdata', '/usr/share/tesseract-ocr/4.00/tessdata'];

export function systemModelDirs(): ModelDir[] {
  return SYSTEM_TESSDATA_DIRS.map((dir) => ({ dir, label: 'system' }));
}

export class ModelStore {
  private readonly dirs: readonly ModelDir[];
  private catalog: Promise<Map<string, ModelFile>> | undefined;
  private readonly views = new Map<string, Promise<string>>();
  private viewRoot: Promise<string> | undefined;

  constructor(dirs: readonly ModelDir[]) {
    // Absolute, because the folder tesseract.js reads holds links to these files.
    this.dirs = dirs.map((d) => ({ ...d, dir: resolve(d.dir) }));
  }

  /** Every language found, the first folder in search order winning. */
  async list(): Promise<ModelFile[]> {
    return [...(await this.load()).values()].sort((a, b) => a.lang.localeCompare(b.lang));
  }

  /** The names of every language found (osd included). */
  async languages(): Promise<string[]> {
    return (await this.list()).map((f) => f.lang);
  }

  async has(lang: string): Promise<boolean> {
    return this.file(lang).then(
      () => true,
      () => false,
    );
  }

  async file(lang: string): Promise<ModelFile> {
    let catalog = await this.load();
    if (!catalog.has(lang) && (await this.fetchMissing(lang))) catalog = await this.load();
    const found = catalog.get(lang);
    if (!found) {
      const available = [...catalog.keys()].filter((l) => l !== 'osd').sort();
      throw new DocVaultError(
        'LANGUAGE_UNAVAILABLE',
        `No traineddata for language "${lang}". Available: ${available.join(', ') || 'none'}. Add ${lang}.traineddata to the model cache.`,
        { language: lang, available },
      );
    }
    return found;
  }

  /** A folder tesseract.js can load all of `langs` from (read-only is fine: nothing is written). */
  async langPath(langs: readonly string[]): Promise<string> {
    const files = await Promise.all(langs.map((l) => this.file(l)));
    const key = files.map((f) => f.path).join('|');
    let view = this.views.get(key);
    if (!view) {
      view = this.makeView(files);
      this.views.set(key, view);
    }
    return view;
  }

  /** Asks folders that can fetch (the models bucket download) for a language; rescans when one did. */
  private async fetchMissing(lang: string): Promise<boolean> {
    for (const d of this.dirs) {
      if (d.fetch && (await d.fetch(lang))) {
        this.catalog = undefined;
        return true;
      }
    }
    return false;
  }

  /** Forget what was scanned, e.g. after a model sync changed the folders. */
  refresh(): void {
    this.catalog = undefined;
    this.views.clear();
  }

  private async makeView(files: ModelFile[]): Promise<string> {
    this.viewRoot ??= mkdtemp(join(tmpdir(), 'docvault-models-'));
    const dir = join(await this.viewRoot, String(this.views.size));
    await mkdir(dir, { recursive: true });
    await Promise.all(files.map((f) => symlink(f.path, join(dir, `${f.lang}.traineddata`))));
    return dir;
  }

  private load(): Promise<Map<string, ModelFile>> {
    this.catalog ??= scan(this.dirs);
    return this.catalog;
  }
}

async function scan(dirs: readonly ModelDir[]): Promise<Map<string, ModelFile>> {
  const catalog = new Map<string, ModelFile>();
  for (const { dir, label } of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue; // a folder that does not exist offers nothing
    }
    for (const name of names.sort()) {
      const match = TRAINEDDATA.exec(name);
      if (!match || catalog.has(match[1]!)) continue;
      const path = join(dir, name);
      const info = await stat(path);
      if (!info.isFile() || info.size === 0) continue;
      catalog.set(match[1]!, { lang: match[1]!, path, size: info.size, gzipped: Boolean(match[2]), source: label });
    }
  }
  return catalog;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Search order: the given folders (the model cache), then npm-packaged data, then the system's. */
export function modelDirs(cacheDirs: readonly string[] = []): ModelDir[] {
  return [...cacheDirs.map((dir) => ({ dir, label: 'cache' })), ...packagedModelDirs(), ...systemModelDirs()];
}
