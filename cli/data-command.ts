/**
 * `docvault data list|usage|cleanup|archive`: the launch data folders `npm start` leaves under
 * data/{YYYYMMDD_HHMMSS}/. Sizes are human-readable here and exact bytes with --json.
 */
import { relative, resolve } from 'node:path';
import { reportCliError } from './cli-errors.ts';
import { archiveLaunch, cleanupLaunches, dataUsage, formatBytes, listLaunches, type LaunchFolder } from '../shared/ops/data-folders.ts';
import { localOffsetIso } from '../shared/ops/launch-data.ts';
import { DEFAULT_DATA_ROOT } from './target.ts';

export interface DataIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface DataListFlags {
  root?: string;
  verbose?: boolean;
  json?: boolean;
}

export interface DataUsageFlags {
  root?: string;
  json?: boolean;
}

export interface DataCleanupFlags {
  root?: string;
  days: number;
  dryRun?: boolean;
  now?: Date;
}

export interface DataArchiveFlags {
  root?: string;
  remove?: boolean;
}

const rootOf = (flags: { root?: string }) => resolve(flags.root ?? DEFAULT_DATA_ROOT);
const files = (n: number) => `${n} ${n === 1 ? 'file' : 'files'}`;
/** A path shown relative to the working folder when it lies below it. */
const shown = (path: string) => {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') ? rel : path;
};

async function run(io: DataIo, body: () => Promise<void>): Promise<number> {
  try {
    await body();
    return 0;
  } catch (err) {
    return reportCliError(err, io.stderr);
  }
}

function launchJson(launch: LaunchFolder) {
  return { ...launch, startedAt: localOffsetIso(launch.startedAt) };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length)));
  return rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  ').trimEnd()).join('\n') + '\n';
}

export function runDataList(flags: DataListFlags, io: DataIo): Promise<number> {
  return run(io, async () => {
    const root = rootOf(flags);
    const launches = await listLaunches(root);
    if (flags.json) {
      io.stdout.write(JSON.stringify({ root, launches: launches.map(launchJson) }, null, 2) + '\n');
      return;
    }
    if (launches.length === 0) {
      io.stdout.write(`no launch folders under ${root}\n`);
      return;
    }
    const rows = [['launch', 'started', 'size', 'files'], ...launches.map((l) => [l.name, localOffsetIso(l.startedAt), formatBytes(l.bytes), String(l.files)])];
    if (!flags.verbose) {
      io.stdout.write(table(rows));
      return;
    }
    for (const launch of launches) {
      io.stdout.write(`${launch.name}  ${formatBytes(launch.bytes)}, ${files(launch.files)}  ${launch.path}\n`);
      const started = typeof launch.info?.startedAt === 'string' ? launch.info.startedAt : `${localOffsetIso(launch.startedAt)} (from the name; no launch_info.json)`;
      io.stdout.write(`  started  ${started}\n`);
      const ports = launch.info?.ports;
      if (ports && typeof ports === 'object') {
        io.stdout.write(`  ports    ${Object.entries(ports).map(([k, v]) => `${k} ${String(v)}`).join(', ')}\n`);
      }
      for (const [part, size] of Object.entries(launch.parts).sort(([a], [b]) => a.localeCompare(b))) {
        io.stdout.write(`  ${(part === '' ? '(top)' : `${part}/`).padEnd(9)}${formatBytes(size.bytes)}, ${files(size.files)}\n`);
      }
    }
  });
}

export function runDataUsage(flags: DataUsageFlags, io: DataIo): Promise<number> {
  return run(io, async () => {
    const usage = await dataUsage(rootOf(flags));
    if (flags.json) {
      io.stdout.write(JSON.stringify(usage, null, 2) + '\n');
      return;
    }
    io.stdout.write(`${usage.root}: ${formatBytes(usage.bytes)} in ${files(usage.files)}; ${usage.launches} launch folders hold ${formatBytes(usage.launchBytes)}\n`);
    if (usage.largest.length === 0) return;
    io.stdout.write(`largest:\n`);
    io.stdout.write(table(usage.largest.map((e) => ['  ' + e.name, e.kind, formatBytes(e.bytes), files(e.files)])));
  });
}

export function runDataCleanup(flags: DataCleanupFlags, io: DataIo): Promise<number> {
  return run(io, async () => {
    const report = await cleanupLaunches(rootOf(flags), { days: flags.days, dryRun: flags.dryRun ?? false, ...(flags.now ? { now: flags.now } : {}) });
    const verb = report.dryRun ? 'would remove' : 'removed';
    for (const r of report.removed) io.stdout.write(`${verb}  ${r.name}  ${formatBytes(r.bytes)}, ${files(r.files)}\n`);
    io.stdout.write(
      `${report.removed.length} ${report.removed.length === 1 ? 'launch folder' : 'launch folders'} ${report.dryRun ? 'would be removed' : 'removed'}, ` +
        `${formatBytes(report.freedBytes)} ${report.dryRun ? 'to free' : 'freed'}; ` +
        `${report.kept} kept (started after ${localOffsetIso(report.cutoff)})${report.dryRun ? ' — dry run, nothing changed' : ''}\n`,
    );
  });
}

export function runDataArchive(name: string, flags: DataArchiveFlags, io: DataIo): Promise<number> {
  return run(io, async () => {
    const report = await archiveLaunch(rootOf(flags), name, { remove: flags.remove ?? false });
    io.stdout.write(
      `archived ${report.name} (${formatBytes(report.source.bytes)}, ${files(report.source.files)}) → ${shown(report.archive)} (${formatBytes(report.bytes)})\n`,
    );
    if (report.removed) io.stdout.write(`removed ${report.name}\n`);
  });
}
