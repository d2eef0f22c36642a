/** The README's `sh` blocks, as the README tests run them. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const README = resolve(import.meta.dirname, '../../README.md');

/** The first `sh` block after the line containing `marker`: one entry per command, continuation lines joined, comments and blank lines left out. */
export function readmeBlock(marker: string): string[] {
  const readme = readFileSync(README, 'utf8');
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no "${marker}"`);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at))?.[1] ?? '';
  return block
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.replace(/(^|\s+)#.*$/, '').trimEnd())
    .filter(Boolean);
}

/** A command with its optional parts (`[--dry-run]`) left out, as the shortest form the README shows. */
export function withoutOptionalParts(command: string): string {
  return command.replace(/\s*\[[^\]]*\]/g, '');
}
