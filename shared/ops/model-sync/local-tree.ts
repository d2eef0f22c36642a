/** A model folder on disk: atomic writes (temp name, then rename), times from mtime, symlinks followed. */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, realpath, rename, rm, stat, unlink, utimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DocVaultError } from '../../core/errors.ts';
import { MANIFEST_NAME } from '../../core/model-manifest.ts';
import { describeReadError, describeWriteError, isSourceError, syncError } from './errors.ts';
import type { LocalLocation } from './locations.ts';
import { packageSourceOf } from './manifest.ts';
import { hashingPassThrough, hashStream, TEMP_SUFFIX, toPosix, type FileEntry, type Tree, type WriteMeta, type WriteOutcome } from './tree.ts';

export class LocalTree implements Tree {
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
