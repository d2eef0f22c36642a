/**
 * The web console for `npm start`: built into dist/console unless a build newer than every source
 * file is there already (a rebuild takes ~3 s; a fresh one is skipped).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
const SOURCE = join(ROOT, 'console');
const BUILT = join(ROOT, 'dist', 'console', 'index.html');

function newestChange(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestChange(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Whether dist/console is missing or older than a file under console/. */
export function consoleBuildStale(): boolean {
  return !existsSync(BUILT) || statSync(BUILT).mtimeMs < newestChange(SOURCE);
}

/** Builds the console when stale; returns whether it built. */
export async function ensureConsoleBuilt(): Promise<boolean> {
  if (!consoleBuildStale()) return false;
  await promisify(execFile)(join(ROOT, 'node_modules', '.bin', 'vite'), ['build', '--config', join(SOURCE, 'vite.config.ts')], { cwd: ROOT });
  return true;
}
