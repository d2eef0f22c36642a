/** Option parsers every command shares. They load nothing heavy: `docvault --help` must stay fast. */
import { InvalidArgumentError } from 'commander';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number, at least 1');
  return n;
}

/** For repeatable options: each use adds to the list. */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** For repeatable, comma-separated options: `-f json,txt -f pdf`. */
export const collectList = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean),
];

export const stdio = () => ({ stdout: process.stdout, stderr: process.stderr });
