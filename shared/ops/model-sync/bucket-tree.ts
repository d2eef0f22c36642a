/** A model folder under a `gs://` prefix: writes with generation preconditions, times from `customTime`. */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { File, Storage } from '@google-cloud/storage';
import { downloadObject, objectReadStream } from '../../adapters/object-read.ts';
import { httpStatusOf } from '../../adapters/storage.ts';
import { DocVaultError } from '../../core/errors.ts';
import { MANIFEST_NAME, SHA256_HEX } from '../../core/model-manifest.ts';
import { describeReadError, describeWriteError, isSourceError, syncError } from './errors.ts';
import type { GcsLocation } from './locations.ts';
import { hashStream, type FileEntry, type Tree, type WriteMeta, type WriteOutcome } from './tree.ts';

export class BucketTree implements Tree {
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
    return objectReadStream(this.file(entry.path, entry.generation), { decompress: false });
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
      const data = await downloadObject(this.file(path));
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
