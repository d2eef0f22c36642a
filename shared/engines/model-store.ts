/**
 * Where traineddata comes from. Never the network: a list of local folders searched in order (the
 * mounted models bucket first, then the data shipped in npm packages, then the system's tesseract).
 * tesseract.js wants one folder holding every language of a worker, so we give it a folder of
 * `{lang}.traineddata`: links to the models, or a gzipped model's content unpacked once and kept for the next runs.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readdirSync, rmSync } from 'node:fs';
import { lstat, mkdtemp, open, readdir, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { DocVaultError } from '../core/errors.ts';
import { fastModelName, isFastModelName } from './tesseract-cascade.ts';

export interface ModelDir {
  dir: string;
  /** Where the folder came from, shown in /cache/info and errors: "mount", "download", "npm", "system", … */
  label: string;
  /** Called for a language this folder lacks; puts `{lang}.traineddata` into it and says whether it could. */
  fetch?: (lang: string) => Promise<boolean>;
  /**
   * Each `{lang}.traineddata` here that is a tessdata_fast model (isFastModel) is offered as `{lang}_fast` too, for the
   * line cascade (tesseract-cascade.ts), unless a folder holds a `{lang}_fast.traineddata` of its own. Debian's folders.
   */
  offersFast?: boolean;
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

/** Debian's `tesseract-ocr-{lang}` packages hold tessdata_fast: offered as `{lang}_fast` beside the npm packages' best_int. */
export function systemModelDirs(): ModelDir[] {
  return SYSTEM_TESSDATA_DIRS.map((dir) => ({ dir, label: 'system', offersFast: true }));
}

/** The LSTM model's component of a traineddata file and the one after it (tesseract's TessdataType). */
const TESSDATA_LSTM = 17;
/** Bytes at the end of the LSTM component that hold its network's spec (77 for English's). */
const SPEC_TAIL_BYTES = 512;
/** tessdata_fast's LSTM layers are at most this wide (English's 48/96/96/192); best and best_int's widest is 384–512. */
const FAST_MAX_LSTM_WIDTH = 256;

/**
 * The widths of the LSTM layers of an uncompressed traineddata file's model, from its network spec (`[1,36,0,1Ct3,3,16Mp3,3
 * Lfys48Lfx96Lrx96Lfx192O1c1]`, written at the end of the LSTM component); none for a legacy-only model or another file.
 * Reads the component table (24 offsets after a count) and the component's tail: two small reads.
 */
export async function lstmLayerWidths(path: string): Promise<number[]> {
  const file = await open(path);
  try {
    const { size } = await file.stat();
    const head = Buffer.alloc(4 + 8 * (TESSDATA_LSTM + 8));
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    const count = bytesRead >= 4 ? head.readInt32LE(0) : 0;
    if (count <= TESSDATA_LSTM || 4 + 8 * count > bytesRead) return [];
    const offsets = Array.from({ length: count }, (_, i) => Number(head.readBigInt64LE(4 + 8 * i)));
    const start = offsets[TESSDATA_LSTM]!;
    if (start < 0) return [];
    const end = offsets.slice(TESSDATA_LSTM + 1).find((o) => o > start) ?? size;
    const tailStart = Math.max(start, end - SPEC_TAIL_BYTES);
    const tail = Buffer.alloc(end - tailStart);
    await file.read(tail, 0, tail.length, tailStart);
    const spec = /\[1,\d+,\d+,\d+[A-Za-z0-9,]*\]/.exec(tail.toString('latin1'))?.[0] ?? '';
    return [...spec.matchAll(/L[a-z]{1,3}(\d+)/g)].map((m) => Number(m[1]));
  } finally {
    await file.close();
  }
}

/** Whether an uncompressed traineddata file is a tessdata_fast model: an LSTM no wider than fast's. */
export async function isFastModel(path: string): Promise<boolean> {
  const widths = await lstmLayerWidths(path).catch(() => []);
  return widths.length > 0 && Math.max(...widths) <= FAST_MAX_LSTM_WIDTH;
}

export class ModelStore {
  private readonly dirs: readonly ModelDir[];
  private catalog: Promise<Map<string, ModelFile>> | undefined;
  private readonly views = new Map<string, Promise<string>>();

  constructor(dirs: readonly ModelDir[]) {
    // Absolute, because the folder tesseract.js reads holds links to these files.
    this.dirs = dirs.map((d) => ({ ...d, dir: resolve(d.dir) }));
  }

  /** Every language found, the first folder in search order winning. */
  async list(): Promise<ModelFile[]> {
    return [...(await this.load()).values()].sort((a, b) => a.lang.localeCompare(b.lang));
  }

  /** The names of every language found (osd included); a language's fast model (`{lang}_fast`) is no language of its own. */
  async languages(): Promise<string[]> {
    return (await this.list()).map((f) => f.lang).filter((lang) => !isFastModelName(lang));
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

  private makeView(files: ModelFile[]): Promise<string> {
    // Every file already sits in one folder under the name tesseract.js asks for (Debian's, a mounted bucket): no copy.
    const dir = dirname(files[0]!.path);
    if (files.every((f) => f.path === join(dir, `${f.lang}.traineddata`))) return Promise.resolve(dir);
    return sharedView(files);
  }

  private load(): Promise<Map<string, ModelFile>> {
    this.catalog ??= scan(this.dirs);
    return this.catalog;
  }
}

/**
 * A file of a model folder: `{lang}.traineddata`, either a link to the model or, for a gzipped one, its content
 * unpacked (tesseract.js would otherwise gunzip it in each new worker: ~30 ms of CPU for English's best_int, before the
 * worker can read). `id` says which content: the link's target, or the packed file's device, inode, size and time.
 */
interface Entry {
  name: string;
  source: string;
  unpack: boolean;
  id: string;
}

async function entries(files: readonly ModelFile[]): Promise<Entry[]> {
  const out = await Promise.all(
    files.map(async (f): Promise<Entry> => {
      const name = `${f.lang}.traineddata`;
      if (!f.gzipped) return { name, source: f.path, unpack: false, id: f.path };
      const info = await stat(f.path);
      return { name, source: f.path, unpack: true, id: `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}` };
    }),
  );
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The model folder for these files, in the temp folder, named by a hash of its entries and shared by every process of
 * this user: made once (staged under a private name, then renamed into place, so a concurrent run sees either no folder
 * or a whole one), then found again by each run. What a folder holds is settled by its name: no process has to remove
 * it, and a killed one leaves nothing behind. One that is not ours or not as expected (another user's, a half-deleted
 * one), or a temp folder that cannot take the unpacked copies, is not used: this process then links its own to the
 * files as they are, removed when it exits.
 */
async function sharedView(files: readonly ModelFile[]): Promise<string> {
  const wanted = await entries(files);
  const key = createHash('sha256').update(JSON.stringify(wanted.map((e) => [e.name, e.unpack, e.id]))).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `docvault-models-${process.getuid?.() ?? 'u'}-${key}`);
  if (await isView(dir, wanted)) return dir;
  let staged: string | undefined;
  try {
    staged = await stagedFolder(wanted);
    await rename(staged, dir);
    return dir;
  } catch {
    // Another process renamed its own first (ENOTEMPTY), the name is taken by something else, or the disk is full.
    if (staged) await rm(staged, { recursive: true, force: true });
    if (await isView(dir, wanted)) return dir;
  }
  const own = await stagedFolder(wanted.map((e) => ({ ...e, unpack: false })));
  process.once('exit', () => rmSync(own, { recursive: true, force: true }));
  return own;
}

async function stagedFolder(wanted: readonly Entry[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'docvault-models-staging-'));
  try {
    await Promise.all(
      wanted.map((e) => (e.unpack ? pipeline(createReadStream(e.source), createGunzip(), createWriteStream(join(dir, e.name), { flags: 'wx' })) : symlink(e.source, join(dir, e.name)))),
    );
    return dir;
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** A real folder of this user's that only its owner can change, holding these entries whole. */
async function isView(dir: string, wanted: readonly Entry[]): Promise<boolean> {
  try {
    const info = await lstat(dir);
    if (!info.isDirectory() || (info.mode & 0o022) !== 0 || (process.getuid && info.uid !== process.getuid())) return false;
    const found = await Promise.all(
      wanted.map(async (e) => {
        const path = join(dir, e.name);
        if (!e.unpack) return (await readlink(path)) === e.source;
        const copy = await lstat(path);
        return copy.isFile() && copy.size === (await unpackedSize(e.source));
      }),
    );
    return found.every(Boolean);
  } catch {
    return false; // missing, or an entry missing
  }
}

/** The size a gzip file unpacks to, from its trailer (modulo 4 GiB; traineddata are far smaller). */
async function unpackedSize(path: string): Promise<number> {
  const file = await open(path);
  try {
    const { size } = await file.stat();
    const { buffer } = await file.read(Buffer.alloc(4), 0, 4, size - 4);
    return buffer.readUInt32LE(0);
  } finally {
    await file.close();
  }
}

async function scan(dirs: readonly ModelDir[]): Promise<Map<string, ModelFile>> {
  const catalog = new Map<string, ModelFile>();
  /** `{lang}_fast` offered by folders of fast models, taken after the scan where no folder holds that name itself. */
  const offered: ModelFile[] = [];
  for (const { dir, label, offersFast } of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue; // a folder that does not exist offers nothing
    }
    for (const name of names.sort()) {
      const match = TRAINEDDATA.exec(name);
      if (!match || (catalog.has(match[1]!) && !offersFast)) continue;
      const path = join(dir, name);
      const info = await stat(path);
      if (!info.isFile() || info.size === 0) continue;
      const file = { lang: match[1]!, path, size: info.size, gzipped: Boolean(match[2]), source: label };
      if (!catalog.has(file.lang)) catalog.set(file.lang, file);
      // Offered even where another folder's model of the language comes first: that one is the cascade's own model.
      if (offersFast && !file.gzipped && !isFastModelName(file.lang) && (await isFastModel(path))) offered.push({ ...file, lang: fastModelName(file.lang) });
    }
  }
  for (const file of offered) if (!catalog.has(file.lang)) catalog.set(file.lang, file);
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
