/**
 * The local launch data folders under data/: one `{YYYYMMDD_HHMMSS}/` per `npm start` (storage/,
 * logs/, tmp/, launch_info.json), beside folders that are not launches (`default/` of
 * `--data default`, `archives/`, `models-shipped/`). Listing, disk usage, cleanup by age and
 * archiving to tar.gz. Only folders whose name is a launch timestamp are ever deleted.
 */
import { lstat, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import * as tar from 'tar';
import { DocVaultError } from '../core/errors.ts';
import { LAUNCH_FOLDER } from './launch-data.ts';

export const ARCHIVES_FOLDER = 'archives';
/** The archive name's prefix when no package.json sits beside the data root. */
export const DEFAULT_ARCHIVE_PREFIX = 'docvault';
const DAY_MS = 24 * 60 * 60 * 1000;

export interface FolderSize {
  bytes: number;
  files: number;
}

export interface LaunchFolder extends FolderSize {
  /** The folder name, YYYYMMDD_HHMMSS. */
  name: string;
  path: string;
  /** The local time the name stands for. */
  startedAt: Date;
  /** storage/, logs/, tmp/ and anything else, each with its size; files at the top count under "". */
  parts: Record<string, FolderSize>;
  /** launch_info.json as written by the launcher, or null when absent or unreadable. */
  info: Record<string, unknown> | null;
}

export type EntryKind = 'launch' | 'default' | 'archives' | 'models-shipped' | 'other';

export interface UsageEntry extends FolderSize {
  name: string;
  kind: EntryKind;
}

export interface DataUsage extends FolderSize {
  root: string;
  launches: number;
  launchBytes: number;
  /** The five largest entries directly under the root, launches or not, largest first. */
  largest: UsageEntry[];
}

/** The local time a launch folder's name stands for, or null when the name is not a real launch timestamp. */
export function parseLaunchName(name: string): Date | null {
  if (!LAUNCH_FOLDER.test(name)) return null;
  const n = (from: number, to: number) => Number(name.slice(from, to));
  const [year, month, day, hours, minutes, seconds] = [n(0, 4), n(4, 6), n(6, 8), n(9, 11), n(11, 13), n(13, 15)];
  const date = new Date(year, month - 1, day, hours, minutes, seconds);
  const valid = date.getFullYear() === year && date.getMonth() === month - 1 && date.getDate() === day && hours < 24 && minutes < 60 && seconds < 60;
  return valid ? date : null;
}

/** 1536 → "1.5 KiB": binary units, one decimal below 10 of a unit. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${bytes} B`;
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** Bytes and regular files under a path, symlinks counted as themselves and never followed. */
export async function folderSize(path: string): Promise<FolderSize> {
  const info = await lstat(path);
  if (!info.isDirectory()) return info.isFile() ? { bytes: info.size, files: 1 } : { bytes: 0, files: 0 };
  const total: FolderSize = { bytes: 0, files: 0 };
  const entries = await readdir(path, { withFileTypes: true });
  for (const entry of entries) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) {
      const sub = await folderSize(child);
      total.bytes += sub.bytes;
      total.files += sub.files;
    } else if (entry.isFile()) {
      total.bytes += (await lstat(child)).size;
      total.files++;
    }
  }
  return total;
}

async function readInfo(path: string): Promise<Record<string, unknown> | null> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(path, 'launch_info.json'), 'utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Real directories directly under the root whose names are launch timestamps (a symlink is not one). */
async function launchEntries(root: string): Promise<Array<{ name: string; startedAt: Date }>> {
  if (!(await exists(root))) return [];
  const entries = await readdir(root, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => ({ name: e.name, startedAt: parseLaunchName(e.name) }))
    .filter((e): e is { name: string; startedAt: Date } => e.startedAt !== null)
    .sort((a, b) => b.name.localeCompare(a.name));
}

async function describeLaunch(root: string, name: string, startedAt: Date): Promise<LaunchFolder> {
  const path = join(root, name);
  const parts: Record<string, FolderSize> = {};
  const total: FolderSize = { bytes: 0, files: 0 };
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const size = await folderSize(join(path, entry.name));
    const key = entry.isDirectory() ? entry.name : '';
    const part = (parts[key] ??= { bytes: 0, files: 0 });
    part.bytes += size.bytes;
    part.files += size.files;
    total.bytes += size.bytes;
    total.files += size.files;
  }
  return { name, path, startedAt, ...total, parts, info: await readInfo(path) };
}

/** Every launch folder under the root, newest first, with its size and file count. */
export async function listLaunches(root: string): Promise<LaunchFolder[]> {
  const launches: LaunchFolder[] = [];
  for (const { name, startedAt } of await launchEntries(root)) launches.push(await describeLaunch(root, name, startedAt));
  return launches;
}

function kindOf(name: string, isDirectory: boolean): EntryKind {
  if (isDirectory && parseLaunchName(name)) return 'launch';
  if (name === 'default' || name === ARCHIVES_FOLDER || name === 'models-shipped') return name;
  return 'other';
}

/** The whole data root: its total, how much of it is launches, and its five largest entries. */
export async function dataUsage(root: string, top = 5): Promise<DataUsage> {
  const usage: DataUsage = { root: resolve(root), bytes: 0, files: 0, launches: 0, launchBytes: 0, largest: [] };
  if (!(await exists(root))) return usage;
  const entries: UsageEntry[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const size = await folderSize(join(root, entry.name));
    const kind = kindOf(entry.name, entry.isDirectory());
    entries.push({ name: entry.name, kind, ...size });
    usage.bytes += size.bytes;
    usage.files += size.files;
    if (kind === 'launch') {
      usage.launches++;
      usage.launchBytes += size.bytes;
    }
  }
  usage.largest = entries.sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name)).slice(0, top);
  return usage;
}

export interface CleanupOptions {
  /** Launches older than this many days (by the time in their name) are deleted. */
  days: number;
  dryRun?: boolean;
  now?: Date;
}

export interface CleanupReport {
  dryRun: boolean;
  cutoff: Date;
  /** Deleted, or to be deleted on a dry run. */
  removed: Array<{ name: string; startedAt: Date; bytes: number; files: number }>;
  kept: number;
  freedBytes: number;
}

/**
 * Deletes launch folders started more than `days` days before `now`. Only real directories named
 * YYYYMMDD_HHMMSS are candidates: `default/`, `archives/`, `models-shipped/`, symlinks and anything
 * else are never touched.
 */
export async function cleanupLaunches(root: string, options: CleanupOptions): Promise<CleanupReport> {
  if (!Number.isInteger(options.days) || options.days < 1) {
    throw new DocVaultError('INVALID_ARGUMENT', `--days must be a whole number of days, at least 1 (got ${options.days}): the running launch is never old enough to go.`);
  }
  const now = options.now ?? new Date();
  const cutoff = new Date(now.getTime() - options.days * DAY_MS);
  const report: CleanupReport = { dryRun: options.dryRun ?? false, cutoff, removed: [], kept: 0, freedBytes: 0 };
  for (const { name, startedAt } of await launchEntries(root)) {
    if (startedAt >= cutoff) {
      report.kept++;
      continue;
    }
    const path = join(root, name);
    const size = await folderSize(path);
    if (!report.dryRun) await rm(path, { recursive: true, force: true });
    report.removed.push({ name, startedAt, ...size });
    report.freedBytes += size.bytes;
  }
  return report;
}

/** The name archives start with: the package.json beside the data root names the project (npm scope dropped). */
export async function archivePrefix(root: string): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(join(dirname(resolve(root)), 'package.json'), 'utf8')) as { name?: unknown };
    if (typeof pkg.name === 'string' && pkg.name.trim() !== '') {
      const cleaned = pkg.name.replace(/^@[^/]+\//, '').replace(/[^A-Za-z0-9._-]+/g, '-');
      if (cleaned !== '') return cleaned;
    }
  } catch {
    // no package.json: the default name
  }
  return DEFAULT_ARCHIVE_PREFIX;
}

export interface ArchiveOptions {
  /** Delete the launch folder once the archive is written and holds every file. */
  remove?: boolean;
}

export interface ArchiveReport {
  name: string;
  archive: string;
  /** Size of the .tar.gz. */
  bytes: number;
  /** Bytes and files of the launch folder that went in. */
  source: FolderSize;
  removed: boolean;
}

/** Entry paths of a .tar.gz, in archive order. */
export async function archiveEntries(file: string): Promise<string[]> {
  const paths: string[] = [];
  await tar.list({ file, onReadEntry: (entry) => void paths.push(entry.path) });
  return paths;
}

/**
 * Writes `archives/{project}-{TS}.tar.gz` (entries under `{TS}/`), through a temp name renamed into
 * place so a half-written archive never carries the final name. An existing archive is not
 * overwritten. With `remove`, the folder goes only after the archive was read back and found to
 * hold every file.
 */
export async function archiveLaunch(root: string, name: string, options: ArchiveOptions = {}): Promise<ArchiveReport> {
  if (!parseLaunchName(name)) {
    throw new DocVaultError('INVALID_ARGUMENT', `"${name}" is not a launch folder name: expected YYYYMMDD_HHMMSS, as listed by "docvault data list".`);
  }
  const source = join(root, name);
  const info = await lstat(source).catch(() => null);
  if (!info?.isDirectory()) throw new DocVaultError('NOT_FOUND', `No launch folder ${name} under ${resolve(root)}.`);
  const folder = join(root, ARCHIVES_FOLDER);
  const archive = join(folder, `${await archivePrefix(root)}-${name}.tar.gz`);
  if (await exists(archive)) {
    throw new DocVaultError('INVALID_ARGUMENT', `${archive} exists already: move it away first, it is not overwritten.`);
  }
  await mkdir(folder, { recursive: true });
  const size = await folderSize(source);
  const partial = `${archive}.partial-${process.pid}`;
  try {
    await tar.create({ gzip: true, file: partial, cwd: resolve(root), portable: true }, [name]);
    await rename(partial, archive);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  let removed = false;
  if (options.remove) {
    const entries = await archiveEntries(archive);
    const files = entries.filter((p) => !p.endsWith('/')).length;
    if (files < size.files) {
      throw new DocVaultError('INTERNAL', `${basename(archive)} holds ${files} files but ${name} has ${size.files}: the folder is kept.`);
    }
    await rm(source, { recursive: true, force: true });
    removed = true;
  }
  return { name, archive, bytes: (await stat(archive)).size, source: size, removed };
}
