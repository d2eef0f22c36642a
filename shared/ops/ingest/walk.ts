/** The files under a folder that ingest takes: a streamed walk and the extension / glob filter. */
import type { Dirent } from 'node:fs';
import { opendir } from 'node:fs/promises';
import { extname, join, matchesGlob, resolve } from 'node:path';
import { SUPPORTED_EXTENSIONS } from './options.ts';

export interface WalkEntry {
  /** Relative to the root, with forward slashes. */
  path: string;
  absolute: string;
}

/** Whether a relative path is a file to ingest: supported extension, then the include and exclude globs. */
export function selects(path: string, filters: { include?: string[]; exclude?: string[] } = {}): boolean {
  if (!(extname(path).toLowerCase() in SUPPORTED_EXTENSIONS)) return false;
  const matches = (glob: string) => matchesGlob(glob.includes('/') ? path : (path.split('/').pop() ?? path), glob);
  if (filters.include?.length && !filters.include.some(matches)) return false;
  return !filters.exclude?.some(matches);
}

/**
 * Every regular file under root, depth first, one directory handle open per level: memory is the
 * depth of the tree, not its size. Hidden entries (.git, the state file) and symlinks are skipped.
 */
export async function* walk(root: string, signal?: AbortSignal): AsyncGenerator<WalkEntry> {
  async function* under(dir: string, rel: string): AsyncGenerator<WalkEntry> {
    const handle = await opendir(dir, { bufferSize: 64 });
    for await (const entry of handle as AsyncIterable<Dirent>) {
      if (signal?.aborted) return;
      if (entry.name.startsWith('.')) continue;
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) yield* under(join(dir, entry.name), path);
      else if (entry.isFile()) yield { path, absolute: join(dir, entry.name) };
    }
  }
  yield* under(resolve(root), '');
}

