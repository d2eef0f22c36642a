import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(FIXTURES_DIR + name));
}

export function groundTruth(name: string): string {
  return readFileSync(FIXTURES_DIR + name.replace(/\.[^.]+$/, '.gt.txt'), 'utf8');
}
