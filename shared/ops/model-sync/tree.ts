/** A local folder or a bucket prefix, behind one interface, and the hashing both sides share. */
import { createHash } from 'node:crypto';
import { sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import type { Location } from './locations.ts';

/** Temp files of an interrupted local write end with this; listings ignore them. */
export const TEMP_SUFFIX = '.docvault-tmp';

export interface FileEntry {
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

export interface WriteMeta {
  timeMs: number;
  /** SHA-256 of the content, when known before the write: checked locally, stored as object metadata. */
  sha256?: string | undefined;
  /** The entry being replaced (undefined: the file must not exist yet). */
  replaces?: FileEntry | undefined;
}

export type WriteOutcome = 'written' | 'conflict';

export interface Tree {
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

export async function hashStream(stream: Readable): Promise<{ sha256: string; md5: string }> {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  for await (const chunk of stream) {
    sha.update(chunk as Buffer);
    md5.update(chunk as Buffer);
  }
  return { sha256: sha.digest('hex'), md5: md5.digest('base64') };
}

export function hashingPassThrough(hash: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
}

export const toPosix = (p: string) => p.split(sep).join('/');
