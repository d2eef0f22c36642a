/**
 * `docvault models sync SRC DEST`: copies a model folder (`tessdata/{lang}.traineddata` plus a root
 * `manifest.json`) between local folders and `gs://bucket/prefix` locations with rsync -u semantics:
 *
 * - a file missing at DEST is copied;
 * - identical content (same md5 when both sides have one, else same sha256) is never re-copied;
 * - otherwise a file newer at DEST is kept (an operator's change survives a redeploy) unless `force`;
 * - otherwise SRC's version replaces DEST's.
 *
 * Times: a local file's mtime; an object's `customTime` when set, else its `updated`. Writes carry
 * the source's time (utimes locally, `customTime` in the bucket), so a copy is never "newer" than
 * what it was copied from and a round trip comes back `unchanged`. Times are compared in whole
 * milliseconds.
 *
 * Writes are atomic: locally a temp name in the same folder, then rename; in a bucket an upload with
 * a generation precondition (0 for a new object, the listed generation for a replacement), so a
 * concurrent change is reported, never clobbered. The root `manifest.json` is not synced as a file:
 * DEST's is rebuilt from what DEST holds after a run.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, realpath, rename, rm, stat, unlink, utimes } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Storage, type File } from '@google-cloud/storage';
import { httpStatusOf } from '../adapters/storage.ts';
import { z } from 'zod';
import { DocVaultError, type ErrorCode } from '../core/errors.ts';
import { langOf, MANIFEST_NAME, ManifestEntry, ModelManifest, SHA256_HEX } from '../core/model-manifest.ts';

export { langOf, MANIFEST_NAME, ManifestEntry, ModelManifest } from '../core/model-manifest.ts';

/** Temp files of an interrupted local write end with this; listings ignore them. */
const TEMP_SUFFIX = '.docvault-tmp';

// ---------------------------------------------------------------------------------------------
// Locations

export type Location =
  | { kind: 'local'; dir: string; url: string }
  | { kind: 'gcs'; bucket: string; prefix: string; url: string };

type LocalLocation = Extract<Location, { kind: 'local' }>;
type GcsLocation = Extract<Location, { kind: 'gcs' }>;

const GS_URL = /^gs:\/\/([a-z0-9][a-z0-9._-]{1,220}[a-z0-9])(?:\/(.*))?$/;

/** A local folder or `gs://bucket[/prefix]`; the prefix is normalised to end with `/` (or be empty). */
export const LocationArg = z
  .string()
  .trim()
  .min(1, 'give a local folder or gs://bucket/prefix')
  .transform((value, ctx): Location => {
    if (!value.startsWith('gs://')) {
      const dir = resolve(value);
      return { kind: 'local', dir, url: dir };
    }
    const m = GS_URL.exec(value);
    if (!m) {
      ctx.addIssue({ code: 'custom', message: `${value} is not gs://BUCKET/PREFIX (bucket names are 3-222 characters: a-z, 0-9, ".", "-", "_")` });
      return z.NEVER;
    }
    const bucket = m[1] as string;
    const rest = (m[2] ?? '').replace(/^\/+/, '');
    if (rest.split('/').some((segment) => segment === '.' || segment === '..')) {
      ctx.addIssue({ code: 'custom', message: `${value}: "." and ".." are not allowed in an object prefix` });
      return z.NEVER;
    }
    const prefix = rest === '' || rest.endsWith('/') ? rest : `${rest}/`;
    return { kind: 'gcs', bucket, prefix, url: `gs://${bucket}/${prefix}` };
  });

export function parseLocation(value: string): Location {
  const parsed = LocationArg.safeParse(value);
  if (!parsed.success) {
    throw new DocVaultError('INVALID_ARGUMENT', parsed.error.issues.map((i) => i.message).join('; '), { problem: 'INVALID_LOCATION', path: value });
  }
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// Errors

/** What went wrong, beyond the DocVaultError code: the CLI prints this. */
export const SyncProblem = z.enum(['INVALID_LOCATION', 'SOURCE_MISSING', 'DESTINATION_MISSING', 'NO_SPACE', 'PERMISSION_DENIED', 'CHECKSUM_MISMATCH']);
export type SyncProblem = z.infer<typeof SyncProblem>;

const CODE_OF: Record<SyncProblem, ErrorCode> = {
  INVALID_LOCATION: 'INVALID_ARGUMENT',
  SOURCE_MISSING: 'SOURCE_MISSING',
  DESTINATION_MISSING: 'INVALID_ARGUMENT',
  NO_SPACE: 'INTERNAL',
  PERMISSION_DENIED: 'INTERNAL',
  CHECKSUM_MISMATCH: 'INTERNAL',
};

function syncError(problem: SyncProblem, path: string, message: string, cause?: unknown): DocVaultError {
  return new DocVaultError(CODE_OF[problem], message, { problem, path }, cause === undefined ? undefined : { cause });
}

/** The SyncProblem of an error thrown by this module, if it is one. */
export function syncProblemOf(err: unknown): SyncProblem | undefined {
  if (!(err instanceof DocVaultError)) return undefined;
  const parsed = SyncProblem.safeParse(err.details.problem);
  return parsed.success ? parsed.data : undefined;
}

/** Maps a failed local write or a failed bucket call to a message that names the path and the fix. */
export function describeWriteError(err: unknown, path: string): DocVaultError {
  if (err instanceof DocVaultError) return err;
  const code = (err as { code?: unknown }).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return syncError('NO_SPACE', path, `No space left to write ${path}: nothing was written there. Free some space and run the sync again.`, err);
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 403) {
    return syncError('PERMISSION_DENIED', path, `Permission denied writing ${path}: nothing was written there. Check who owns it (or the bucket's IAM) and run the sync again.`, err);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new DocVaultError('INTERNAL', `Could not write ${path}: ${message}`, { path }, { cause: err });
}

/** Marks errors of a source stream, so that a failed copy names the side that failed. */
const FROM_SOURCE = Symbol('model-sync source error');

function sourceStream(raw: Readable): Readable {
  // A pass-through between the source and the pipeline: the pipeline destroys it (not the source)
  // when the destination fails, so only the source's own errors get the mark.
  const pass = new PassThrough();
  raw.on('error', (err: unknown) => {
    if (err && typeof err === 'object') (err as Record<symbol, boolean>)[FROM_SOURCE] = true;
    pass.destroy(err as Error);
  });
  pass.once('close', () => raw.destroy());
  return raw.pipe(pass);
}

function isSourceError(err: unknown): boolean {
  return Boolean(err && typeof err === 'object' && (err as Record<symbol, boolean>)[FROM_SOURCE]);
}

function describeReadError(err: unknown, path: string): DocVaultError {
  if (err instanceof DocVaultError) return err;
  const code = (err as { code?: unknown }).code;
  if (code === 'EACCES' || code === 'EPERM' || code === 403) {
    return syncError('PERMISSION_DENIED', path, `Permission denied reading ${path}.`, err);
  }
  if (code === 'ENOENT' || code === 404) return syncError('SOURCE_MISSING', path, `${path} does not exist.`, err);
  const message = err instanceof Error ? err.message : String(err);
  return new DocVaultError('INTERNAL', `Could not read ${path}: ${message}`, { path }, { cause: err });
}

// ---------------------------------------------------------------------------------------------
// Manifest

/** Pure: the manifest of these files, sorted by path. */
export function buildManifest(entries: readonly ManifestEntry[]): ModelManifest {
  // Parsed: a fixed key order, so the same files always give the same text.
  const files = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((e) => ManifestEntry.parse(e));
  return { v: 1, files };
}

export function manifestText(manifest: ModelManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Where a local model file came from, by where it really lives (symlinks followed). */
export function packageSourceOf(realPath: string): string | undefined {
  const npm = /[\\/]node_modules[\\/](@tesseract\.js-data[\\/][^\\/]+)[\\/]/.exec(realPath);
  if (npm) return `npm:${(npm[1] as string).replace(/\\/g, '/')}`;
  if (/^\/usr\/share\/tesseract-ocr\//.test(realPath)) {
    const lang = langOf(realPath);
    return lang ? `debian:tesseract-ocr-${lang.toLowerCase().replace(/_/g, '-')}` : 'debian';
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Trees: a local folder or a bucket prefix, behind one interface

interface FileEntry {
  /** Relative to the tree's root, `/`-separated. */
  path: string;
  size: number;
  /** Modification time, whole milliseconds since the epoch. */
  timeMs: number;
  /** Base64, as GCS reports it. Objects have it from the listing; local files once hashed. */
  md5?: string | undefined;
  sha256?: string | undefined;
  /** Objects only: the generation listed, used as the write/delete precondition. */
  generation?: string | undefined;
}

interface WriteMeta {
  timeMs: number;
  /** SHA-256 of the content, when known before the write: checked locally, stored as object metadata. */
  sha256?: string | undefined;
  /** The entry being replaced (undefined: the file must not exist yet). */
  replaces?: FileEntry | undefined;
}

type WriteOutcome = 'written' | 'conflict';

interface Tree {
  readonly location: Location;
  readonly url: string;
  /** null when the folder / bucket does not exist. */
  list(): Promise<Map<string, FileEntry> | null>;
  md5(entry: FileEntry): Promise<string | undefined>;
  sha256(entry: FileEntry): Promise<string>;
  read(entry: FileEntry): Readable;
  write(path: string, content: () => Readable, meta: WriteMeta): Promise<WriteOutcome>;
  remove(entry: FileEntry): Promise<WriteOutcome>;
  readText(path: string): Promise<string | undefined>;
  writeText(path: string, text: string): Promise<void>;
  /** Where a file came from when nothing better is known (package detection for local files). */
  sourceOf(entry: FileEntry): Promise<string>;
  display(path: string): string;
}

async function hashStream(stream: Readable): Promise<{ sha256: string; md5: string }> {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  for await (const chunk of stream) {
    sha.update(chunk as Buffer);
    md5.update(chunk as Buffer);
  }
  return { sha256: sha.digest('hex'), md5: md5.digest('base64') };
}

function hashingPassThrough(hash: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
}

const toPosix = (p: string) => p.split(sep).join('/');

class LocalTree implements Tree {
  readonly location: LocalLocation;
  readonly url: string;

  constructor(location: LocalLocation) {
    this.location = location;
    this.url = location.dir;
  }

  display(path: string): string {
    return join(this.location.dir, ...path.split('/'));
  }

  async list(): Promise<Map<string, FileEntry> | null> {
    const root = this.location.dir;
    try {
      const info = await stat(root);
      if (!info.isDirectory()) throw syncError('INVALID_LOCATION', root, `${root} is not a folder.`);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return null;
      throw describeReadError(err, root);
    }
    const files = new Map<string, FileEntry>();
    const walk = async (dir: string): Promise<void> => {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (err) {
        throw describeReadError(err, dir);
      }
      for (const name of names.sort()) {
        if (name.endsWith(TEMP_SUFFIX)) continue;
        const full = join(dir, name);
        let info;
        try {
          info = await stat(full); // follows symlinks: a folder of links to packaged data is fine
        } catch (err) {
          if ((err as { code?: string }).code === 'ENOENT') continue; // a dangling link
          throw describeReadError(err, full);
        }
        if (info.isDirectory()) await walk(full);
        else if (info.isFile()) {
          const path = toPosix(full.slice(root.length + 1));
          if (path === MANIFEST_NAME) continue;
          files.set(path, { path, size: info.size, timeMs: Math.floor(info.mtimeMs) });
        }
      }
    };
    await walk(root);
    return files;
  }

  private async hash(entry: FileEntry): Promise<void> {
    if (entry.sha256 && entry.md5) return;
    try {
      const { sha256, md5 } = await hashStream(createReadStream(this.display(entry.path)));
      entry.sha256 = sha256;
      entry.md5 = md5;
    } catch (err) {
      throw describeReadError(err, this.display(entry.path));
    }
  }

  async md5(entry: FileEntry): Promise<string | undefined> {
    await this.hash(entry);
    return entry.md5;
  }

  async sha256(entry: FileEntry): Promise<string> {
    await this.hash(entry);
    return entry.sha256 as string;
  }

  read(entry: FileEntry): Readable {
    return createReadStream(this.display(entry.path));
  }

  async write(path: string, content: () => Readable, meta: WriteMeta): Promise<WriteOutcome> {
    const target = this.display(path);
    const folder = dirname(target);
    const temp = join(folder, `.${basename(target)}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
    try {
      await mkdir(folder, { recursive: true });
      const sha = createHash('sha256');
      await pipeline(content(), hashingPassThrough(sha), createWriteStream(temp, { flags: 'wx', flush: true }));
      const written = sha.digest('hex');
      if (meta.sha256 && written !== meta.sha256) {
        throw syncError('CHECKSUM_MISMATCH', target, `The content read for ${target} has sha256 ${written}, not the expected ${meta.sha256}: nothing was written there.`);
      }
      const time = new Date(meta.timeMs);
      await utimes(temp, time, time);
      // The closest a folder gets to a generation precondition: DEST still is what we listed.
      const now = await stat(target).catch((err: { code?: string }) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
      const expected = meta.replaces;
      const unchanged = expected ? now !== null && now.size === expected.size && Math.floor(now.mtimeMs) === expected.timeMs : now === null;
      if (!unchanged) {
        await rm(temp, { force: true });
        return 'conflict';
      }
      await rename(temp, target);
      return 'written';
    } catch (err) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw isSourceError(err) ? err : describeWriteError(err, target);
    }
  }

  async remove(entry: FileEntry): Promise<WriteOutcome> {
    const target = this.display(entry.path);
    try {
      const now = await stat(target);
      if (now.size !== entry.size || Math.floor(now.mtimeMs) !== entry.timeMs) return 'conflict';
      await unlink(target);
      return 'written';
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return 'conflict';
      throw describeWriteError(err, target);
    }
  }

  async readText(path: string): Promise<string | undefined> {
    try {
      return await readFile(this.display(path), 'utf8');
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      throw describeReadError(err, this.display(path));
    }
  }

  async writeText(path: string, text: string): Promise<void> {
    const data = Buffer.from(text);
    const outcome = await this.writeAny(path, data);
    if (outcome === 'conflict') throw new DocVaultError('INTERNAL', `${this.display(path)} changed while it was being rewritten: run again.`);
  }

  private async writeAny(path: string, data: Buffer): Promise<WriteOutcome> {
    const target = this.display(path);
    const before = await stat(target).catch(() => null);
    const replaces = before ? { path, size: before.size, timeMs: Math.floor(before.mtimeMs) } : undefined;
    return this.write(path, () => Readable.from([data]), { timeMs: Date.now(), replaces });
  }

  async sourceOf(entry: FileEntry): Promise<string> {
    const real = await realpath(this.display(entry.path)).catch(() => this.display(entry.path));
    return packageSourceOf(real) ?? this.url;
  }
}


class BucketTree implements Tree {
  readonly location: GcsLocation;
  readonly url: string;
  private readonly storage: Storage;

  constructor(location: GcsLocation, storage: Storage) {
    this.location = location;
    this.url = location.url;
    this.storage = storage;
  }

  display(path: string): string {
    return `${this.url}${path}`;
  }

  private file(path: string, generation?: string): File {
    return this.storage.bucket(this.location.bucket).file(this.location.prefix + path, generation ? { generation: Number(generation) } : {});
  }

  async list(): Promise<Map<string, FileEntry> | null> {
    let objects: File[];
    try {
      [objects] = await this.storage.bucket(this.location.bucket).getFiles({ prefix: this.location.prefix, autoPaginate: true });
    } catch (err) {
      if (httpStatusOf(err) === 404) return null;
      throw describeReadError(err, this.url);
    }
    const files = new Map<string, FileEntry>();
    for (const object of objects) {
      const path = object.name.slice(this.location.prefix.length);
      if (path === '' || path.endsWith('/') || path === MANIFEST_NAME) continue;
      const m = object.metadata;
      const time = Date.parse(String(m.customTime ?? m.updated ?? ''));
      const sha256 = m.metadata?.sha256;
      files.set(path, {
        path,
        size: Number(m.size ?? 0),
        timeMs: Number.isFinite(time) ? Math.floor(time) : 0,
        md5: m.md5Hash,
        sha256: typeof sha256 === 'string' && SHA256_HEX.test(sha256) ? sha256 : undefined,
        generation: m.generation === undefined ? undefined : String(m.generation),
      });
    }
    return files;
  }

  async md5(entry: FileEntry): Promise<string | undefined> {
    return entry.md5;
  }

  async sha256(entry: FileEntry): Promise<string> {
    if (!entry.sha256) {
      try {
        entry.sha256 = (await hashStream(this.read(entry))).sha256;
      } catch (err) {
        throw describeReadError(err, this.display(entry.path));
      }
    }
    return entry.sha256;
  }

  read(entry: FileEntry): Readable {
    // Stored bytes exactly (no gunzip of a gzip-encoded object); the client checks them against the object's hashes.
    return this.file(entry.path, entry.generation).createReadStream({ decompress: false });
  }

  async write(path: string, content: () => Readable, meta: WriteMeta): Promise<WriteOutcome> {
    const target = this.display(path);
    try {
      await pipeline(
        content(),
        this.file(path).createWriteStream({
          resumable: false,
          gzip: false,
          validation: 'md5',
          contentType: path.endsWith('.json') ? 'application/json' : 'application/octet-stream',
          metadata: { customTime: new Date(meta.timeMs).toISOString(), ...(meta.sha256 ? { metadata: { sha256: meta.sha256 } } : {}) },
          preconditionOpts: { ifGenerationMatch: meta.replaces?.generation ?? 0 },
        }),
      );
      return 'written';
    } catch (err) {
      if (isSourceError(err)) throw err;
      if (httpStatusOf(err) === 412) return 'conflict';
      if (httpStatusOf(err) === 404) {
        throw syncError('DESTINATION_MISSING', target, `The bucket gs://${this.location.bucket} does not exist: create it first.`, err);
      }
      throw describeWriteError(err, target);
    }
  }

  async remove(entry: FileEntry): Promise<WriteOutcome> {
    try {
      await this.file(entry.path).delete({ ifGenerationMatch: entry.generation ?? 0 });
      return 'written';
    } catch (err) {
      if (httpStatusOf(err) === 412 || httpStatusOf(err) === 404) return 'conflict';
      throw describeWriteError(err, this.display(entry.path));
    }
  }

  async readText(path: string): Promise<string | undefined> {
    try {
      const [data] = await this.file(path).download();
      return data.toString('utf8');
    } catch (err) {
      if (httpStatusOf(err) === 404) return undefined;
      throw describeReadError(err, this.display(path));
    }
  }

  async writeText(path: string, text: string): Promise<void> {
    const target = this.display(path);
    let generation: string | undefined;
    try {
      const [m] = await this.file(path).getMetadata();
      generation = m.generation === undefined ? undefined : String(m.generation);
    } catch (err) {
      if (httpStatusOf(err) !== 404) throw describeReadError(err, target);
    }
    const data = Buffer.from(text);
    const outcome = await this.write(path, () => Readable.from([data]), {
      timeMs: Date.now(),
      sha256: createHash('sha256').update(data).digest('hex'),
      replaces: generation ? { path, size: 0, timeMs: 0, generation } : undefined,
    });
    if (outcome === 'conflict') throw new DocVaultError('INTERNAL', `${target} changed while it was being rewritten: run again.`);
  }

  async sourceOf(): Promise<string> {
    return this.url;
  }
}

function openTree(location: Location, storage: () => Storage): Tree {
  return location.kind === 'local' ? new LocalTree(location) : new BucketTree(location, storage());
}

function lazyStorage(given: Storage | undefined): () => Storage {
  let storage = given;
  // No options: STORAGE_EMULATOR_HOST, when set, points the client at the emulator.
  return () => (storage ??= new Storage());
}

// ---------------------------------------------------------------------------------------------
// Plan

export const SyncAction = z.enum(['copied', 'updated', 'skipped', 'unchanged', 'deleted']);
export type SyncAction = z.infer<typeof SyncAction>;

/**
 * Pure: what to do with one file. `sameContent` is only consulted when both sides have the file.
 * Order: missing → copied; same content → unchanged (even with force); force → updated; DEST newer
 * → skipped; otherwise (SRC newer, or same time and different content, as rsync -u) → updated.
 */
export function decide(srcTimeMs: number, dstTimeMs: number | undefined, sameContent: boolean, force: boolean): { action: SyncAction; reason?: string } {
  if (dstTimeMs === undefined) return { action: 'copied' };
  if (sameContent) return { action: 'unchanged' };
  if (force) return { action: 'updated' };
  if (Math.floor(dstTimeMs) > Math.floor(srcTimeMs)) return { action: 'skipped', reason: 'destination newer' };
  return { action: 'updated' };
}

/** Whether one location holds the other (a sync between them would copy into itself). */
export function overlaps(a: Location, b: Location): boolean {
  if (a.kind === 'local' && b.kind === 'local') {
    const [x, y] = [a.dir + sep, b.dir + sep];
    return x.startsWith(y) || y.startsWith(x);
  }
  if (a.kind === 'gcs' && b.kind === 'gcs') return a.bucket === b.bucket && (a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix));
  return false;
}

async function sameContent(src: Tree, s: FileEntry, dst: Tree, d: FileEntry): Promise<boolean> {
  if (s.size !== d.size) return false;
  const [ms, md] = [await src.md5(s), await dst.md5(d)];
  if (ms && md) return ms === md;
  return (await src.sha256(s)) === (await dst.sha256(d));
}

// ---------------------------------------------------------------------------------------------
// Sync

export interface SyncOptions {
  /** A local folder or gs://bucket/prefix. */
  source: string;
  destination: string;
  dryRun?: boolean;
  force?: boolean;
  delete?: boolean;
  /** The client for gs:// locations; default `new Storage()` (which honours STORAGE_EMULATOR_HOST). */
  storage?: Storage;
  /** One line per file, and a summary line. */
  log: (line: string) => void;
}

export interface SyncFileResult {
  path: string;
  action: SyncAction;
  /** For skipped: `destination newer`, or `destination changed during sync` (a precondition failed). */
  reason?: string;
  /** Bytes transferred (0 unless copied or updated). */
  bytes: number;
}

export interface SyncReport {
  source: string;
  destination: string;
  dryRun: boolean;
  files: SyncFileResult[];
  counts: Record<SyncAction, number>;
  bytes: number;
  seconds: number;
  /** Whether DEST's manifest.json was rewritten. */
  manifest: 'written' | 'unchanged' | 'not-written';
}

function lineOf(result: SyncFileResult): string {
  const label = result.action === 'skipped' ? `skipped: ${result.reason}` : result.action;
  return `${label}  ${result.path}`;
}

export function summaryLine(report: Pick<SyncReport, 'counts' | 'bytes' | 'seconds' | 'dryRun'>): string {
  const c = report.counts;
  return (
    `${report.dryRun ? 'dry run, nothing changed: would have ' : ''}` +
    `${c.copied} copied, ${c.updated} updated, ${c.skipped} skipped, ${c.unchanged} unchanged, ${c.deleted} deleted; ` +
    `${report.bytes} bytes in ${report.seconds.toFixed(2)} s`
  );
}

async function readManifest(tree: Tree): Promise<{ text?: string; manifest?: ModelManifest }> {
  const text = await tree.readText(MANIFEST_NAME);
  if (text === undefined) return {};
  try {
    const parsed = ModelManifest.safeParse(JSON.parse(text));
    return parsed.success ? { text, manifest: parsed.data } : { text };
  } catch {
    return { text }; // unreadable: it is rebuilt
  }
}

export async function syncModels(options: SyncOptions): Promise<SyncReport> {
  const started = performance.now();
  const storage = lazyStorage(options.storage);
  const src = openTree(parseLocation(options.source), storage);
  const dst = openTree(parseLocation(options.destination), storage);
  const dryRun = options.dryRun ?? false;
  const force = options.force ?? false;
  if (overlaps(src.location, dst.location)) {
    throw syncError('INVALID_LOCATION', dst.url, `${src.url} and ${dst.url} overlap (one holds the other): give two separate places.`);
  }

  const srcFiles = await src.list();
  if (srcFiles === null) throw syncError('SOURCE_MISSING', src.url, `The source ${src.url} does not exist.`);
  if (srcFiles.size === 0) throw syncError('SOURCE_MISSING', src.url, `The source ${src.url} holds no files: nothing to sync (check the path).`);
  const listed = await dst.list();
  if (listed === null && dst.location.kind === 'gcs') {
    throw syncError('DESTINATION_MISSING', dst.url, `The bucket gs://${dst.location.bucket} does not exist: create it first.`);
  }
  const dstFiles = listed ?? new Map<string, FileEntry>();

  const results: SyncFileResult[] = [];
  const record = (result: SyncFileResult) => {
    results.push(result);
    options.log(lineOf(result));
  };

  for (const path of [...srcFiles.keys()].sort()) {
    const s = srcFiles.get(path) as FileEntry;
    const d = dstFiles.get(path);
    const same = d ? await sameContent(src, s, dst, d) : false;
    const { action, reason } = decide(s.timeMs, d?.timeMs, same, force);
    if (action !== 'copied' && action !== 'updated') {
      record({ path, action, ...(reason ? { reason } : {}), bytes: 0 });
      continue;
    }
    if (!dryRun) {
      // A bucket destination stores the sha256 as metadata: know it before the upload starts.
      // Locally, a sha256 known beforehand (from object metadata) is checked against what arrives.
      const sha256 = s.sha256 ?? (dst.location.kind === 'gcs' ? await src.sha256(s) : undefined);
      const outcome = await dst
        .write(path, () => sourceStream(src.read(s)), { timeMs: s.timeMs, sha256, replaces: d })
        .catch((err: unknown) => Promise.reject(isSourceError(err) ? describeReadError(err, src.display(path)) : err));
      if (outcome === 'conflict') {
        record({ path, action: 'skipped', reason: 'destination changed during sync', bytes: 0 });
        continue;
      }
    }
    record({ path, action, bytes: s.size });
  }

  if (options.delete) {
    for (const path of [...dstFiles.keys()].sort()) {
      const d = dstFiles.get(path) as FileEntry;
      if (srcFiles.has(path)) continue;
      if (!dryRun && (await dst.remove(d)) === 'conflict') {
        record({ path, action: 'skipped', reason: 'destination changed during sync', bytes: 0 });
        continue;
      }
      record({ path, action: 'deleted', bytes: 0 });
    }
  }

  const counts = Object.fromEntries(SyncAction.options.map((a) => [a, 0])) as Record<SyncAction, number>;
  for (const r of results) counts[r.action] += 1;

  // DEST's manifest follows what DEST holds, kept files and extra files included (the worker checks
  // every file against it): rebuilt after every real run, written only when its text changes.
  let manifest: SyncReport['manifest'] = 'not-written';
  if (!dryRun) {
    const srcManifest = (await readManifest(src)).manifest;
    const hints = new Map<string, { sha256: string; source: string }>();
    for (const e of srcManifest?.files ?? []) hints.set(e.path, { sha256: e.sha256, source: e.source });
    const known = new Map<string, FileEntry>(dstFiles);
    for (const r of results) {
      const s = srcFiles.get(r.path);
      if (!s || (r.action !== 'copied' && r.action !== 'updated')) continue;
      known.set(r.path, s); // DEST now has SRC's content, size and time
      if (hints.has(r.path) || (!s.sha256 && src.location.kind !== 'local')) continue;
      hints.set(r.path, { sha256: await src.sha256(s), source: await src.sourceOf(s) });
    }
    manifest = (await refreshManifest(dst, hints, known)).written ? 'written' : 'unchanged';
  }

  const report: SyncReport = {
    source: src.url,
    destination: dst.url,
    dryRun,
    files: results,
    counts,
    bytes: results.reduce((sum, r) => sum + r.bytes, 0),
    seconds: (performance.now() - started) / 1000,
    manifest,
  };
  options.log(summaryLine(report));
  return report;
}

// ---------------------------------------------------------------------------------------------
// Manifest of a folder or prefix

/** `known`: entries hashed earlier in this run; a listed file of the same size and time reuses the hash. */
async function refreshManifest(
  tree: Tree,
  hints: ReadonlyMap<string, { sha256: string; source: string }>,
  known: ReadonlyMap<string, FileEntry> = new Map(),
): Promise<{ manifest: ModelManifest; written: boolean }> {
  const files = await tree.list();
  if (files === null) throw syncError('SOURCE_MISSING', tree.url, `${tree.url} does not exist.`);
  const previous = await readManifest(tree);
  const before = new Map((previous.manifest?.files ?? []).map((e) => [e.path, e]));
  const entries: ManifestEntry[] = [];
  for (const [path, entry] of files) {
    const earlier = known.get(path);
    if (!entry.sha256 && earlier?.sha256 && earlier.size === entry.size && earlier.timeMs === entry.timeMs) entry.sha256 = earlier.sha256;
    const sha256 = await tree.sha256(entry);
    const hint = hints.get(path);
    const old = before.get(path);
    const source =
      hint?.sha256 === sha256 ? hint.source : old?.sha256 === sha256 ? old.source : await tree.sourceOf(entry);
    const lang = langOf(path);
    entries.push({ path, ...(lang ? { lang } : {}), size: entry.size, sha256, source });
  }
  const manifest = buildManifest(entries);
  const text = manifestText(manifest);
  if (text === previous.text) return { manifest, written: false };
  await tree.writeText(MANIFEST_NAME, text);
  return { manifest, written: true };
}

export interface WriteManifestOptions {
  storage?: Storage;
  /** `source` to record per path, overriding what the previous manifest or package detection says. */
  sources?: Readonly<Record<string, string>>;
}

/**
 * (Re)builds `manifest.json` at the root of a model folder or gs:// prefix from the files there
 * (sha256 of each: hashed locally, from the object's `sha256` metadata or by download in a bucket).
 * A file's `source` is kept from the previous manifest while its sha256 is unchanged. Writes only
 * when the content differs.
 */
export async function writeManifest(folderOrGsPrefix: string, options: WriteManifestOptions = {}): Promise<{ manifest: ModelManifest; written: boolean; url: string }> {
  const tree = openTree(parseLocation(folderOrGsPrefix), lazyStorage(options.storage));
  const files = await tree.list();
  const hints = new Map<string, { sha256: string; source: string }>();
  for (const [path, source] of Object.entries(options.sources ?? {})) {
    const entry = files?.get(path);
    if (entry) hints.set(path, { sha256: await tree.sha256(entry), source });
  }
  const { manifest, written } = await refreshManifest(tree, hints);
  return { manifest, written, url: tree.display(MANIFEST_NAME) };
}
