/**
 * Launch data folders (`docvault data …`) on temporary folders laid out as `npm start` leaves them:
 * launches named by their local start time beside default/, archives/, models-shipped/ and things
 * that are no launch at all. Sizes are exact because every file is written here.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runDataArchive, runDataCleanup, runDataList, runDataUsage } from '../../../cli/data-command.ts';
import { DocVaultError } from '../../../shared/core/errors.ts';
import {
  archiveEntries,
  archiveLaunch,
  archivePrefix,
  cleanupLaunches,
  dataUsage,
  formatBytes,
  listLaunches,
  parseLaunchName,
} from '../../../shared/ops/data-folders.ts';
import { launchTimestamp } from '../../../shared/ops/launch-data.ts';
import { captureIo } from '../../support/io.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The tests' "now": launches are dated relative to it. */
const NOW = new Date(2026, 10, 29, 12, 0, 0);
const daysAgo = (days: number) => launchTimestamp(new Date(NOW.getTime() - days * DAY_MS));

const OLD = daysAgo(30); // 2 files, 3000 bytes + launch_info.json
const MIDDLE = daysAgo(10); // 1 file of 5000 bytes, no launch_info.json
const RECENT = daysAgo(1); // 3 files, 100 bytes + launch_info.json

/** Holds data/ (root) and nothing else: no package.json beside it, so archives are named docvault-…. */
let base: string;
let root: string;
let outside: string;

async function put(path: string, bytes: number | string): Promise<void> {
  await mkdir(resolve(path, '..'), { recursive: true });
  await writeFile(path, typeof bytes === 'string' ? bytes : Buffer.alloc(bytes, 7));
}

function launchInfo(name: string): string {
  return JSON.stringify({ timestamp: name, dataDir: join(root, name), startedAt: '2026-11-28T12:00:00+00:00', ports: { storage: 9023, api: 8082 } }) + '\n';
}

/** Everything under a folder as relative paths, for "nothing changed" checks. */
async function snapshot(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).sort();
}

const capture = captureIo;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'data-folders-'));
  root = join(base, 'data');
  outside = await mkdtemp(join(tmpdir(), 'data-outside-'));
  await put(join(root, OLD, 'storage', 'docvault-uploads', 'a.bin'), 1000);
  await put(join(root, OLD, 'logs', 'api.log'), 2000);
  await put(join(root, OLD, 'launch_info.json'), launchInfo(OLD));
  await mkdir(join(root, OLD, 'tmp'));
  await put(join(root, MIDDLE, 'storage', 'b.bin'), 5000);
  await put(join(root, RECENT, 'logs', 'upload.log'), 40);
  await put(join(root, RECENT, 'logs', 'api.log'), 60);
  await put(join(root, RECENT, 'launch_info.json'), launchInfo(RECENT));
  // Not launches, however old: each must survive every cleanup.
  await put(join(root, 'default', 'storage', 'kept.bin'), 700);
  await put(join(root, 'models-shipped', 'tessdata', 'eng.traineddata'), 9000);
  await put(join(root, 'archives', 'docvault-20200101_000000.tar.gz'), 50);
  await put(join(root, 'notes', 'todo.txt'), 10);
  await put(join(root, '20261399_000000', 'x.bin'), 10); // the pattern, but no real date
  await put(join(root, '20200101_000000.txt'), 20); // a file, not a folder
  await put(join(outside, 'precious.bin'), 30);
  await symlink(outside, join(root, '20200102_000000')); // a launch name on a symlink
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe('launch folder names and sizes', () => {
  it('reads a launch name back as the local time it was made from, and refuses impossible dates', () => {
    expect(parseLaunchName(launchTimestamp(NOW))).toEqual(NOW);
    for (const name of ['20261399_000000', '20260230_120000', '20261129_246000', 'default', '20261129-120000']) expect(parseLaunchName(name)).toBeNull();
  });

  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [5 * 1024 * 1024, '5.0 MiB'],
    [300 * 1024 * 1024, '300 MiB'],
    [3 * 1024 ** 3, '3.0 GiB'],
  ])('formats %d bytes as %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('data list', () => {
  it('lists launches newest first with exact sizes and file counts, and nothing that is not a launch', async () => {
    const launches = await listLaunches(root);
    const infoBytes = (name: string) => Buffer.byteLength(launchInfo(name));
    expect(launches.map((l) => [l.name, l.bytes, l.files])).toEqual([
      [RECENT, 100 + infoBytes(RECENT), 3],
      [MIDDLE, 5000, 1],
      [OLD, 3000 + infoBytes(OLD), 3],
    ]);
    const old = launches[2]!;
    expect(old.parts).toEqual({ storage: { bytes: 1000, files: 1 }, logs: { bytes: 2000, files: 1 }, tmp: { bytes: 0, files: 0 }, '': { bytes: infoBytes(OLD), files: 1 } });
    expect(old.info).toMatchObject({ timestamp: OLD, ports: { storage: 9023 } });
    expect(launches[1]!.info).toBeNull();
  });

  it('prints human-readable sizes, details with --verbose, and exact bytes with --json', async () => {
    const plain = capture();
    expect(await runDataList({ root }, plain)).toBe(0);
    const lines = plain.out().trim().split('\n');
    expect(lines[0]).toMatch(/^launch\s+started\s+size\s+files$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual([RECENT, MIDDLE, OLD]);
    expect(lines[2]).toMatch(new RegExp(`^${MIDDLE}\\s+\\S+\\s+4\\.9 KiB\\s+1$`));

    const verbose = capture();
    await runDataList({ root, verbose: true }, verbose);
    expect(verbose.out()).toContain('  ports    storage 9023, api 8082\n');
    expect(verbose.out()).toMatch(/ {2}logs\/ +2\.0 KiB, 1 file\n/);
    expect(verbose.out()).toContain('(from the name; no launch_info.json)');

    const json = capture();
    await runDataList({ root, json: true }, json);
    const parsed = JSON.parse(json.out()) as { launches: Array<{ name: string; bytes: number; startedAt: string }> };
    expect(parsed.launches.map((l) => [l.name, l.bytes])).toEqual([
      [RECENT, 100 + Buffer.byteLength(launchInfo(RECENT))],
      [MIDDLE, 5000],
      [OLD, 3000 + Buffer.byteLength(launchInfo(OLD))],
    ]);
    expect(parsed.launches[0]!.startedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
  });

  it('says so when there is no data folder at all', async () => {
    const io = capture();
    expect(await runDataList({ root: join(root, 'missing') }, io)).toBe(0);
    expect(io.out()).toMatch(/^no launch folders under /);
  });
});

describe('data usage', () => {
  it('totals the whole data folder and names its five largest entries, launches or not', async () => {
    const usage = await dataUsage(root);
    const launchBytes = 3000 + 5000 + 100 + Buffer.byteLength(launchInfo(OLD)) + Buffer.byteLength(launchInfo(RECENT));
    expect(usage.launches).toBe(3);
    expect(usage.launchBytes).toBe(launchBytes);
    // the symlink counts as nothing: its target lies outside
    expect(usage.bytes).toBe(launchBytes + 700 + 9000 + 50 + 10 + 10 + 20);
    expect(usage.files).toBe(7 + 1 + 1 + 1 + 1 + 1 + 1);
    expect(usage.largest.map((e) => [e.name, e.kind])).toEqual([
      ['models-shipped', 'models-shipped'],
      [MIDDLE, 'launch'],
      [OLD, 'launch'],
      ['default', 'default'],
      [RECENT, 'launch'],
    ]);

    const io = capture();
    await runDataUsage({ root }, io);
    expect(io.out()).toMatch(/: 18 KiB in 13 files; 3 launch folders hold 8\.\d KiB\n/);
    expect(io.out()).toMatch(/largest:\n {2}models-shipped +models-shipped +8\.8 KiB +1 file\n/);
    const json = capture();
    await runDataUsage({ root, json: true }, json);
    expect(JSON.parse(json.out())).toMatchObject({ bytes: usage.bytes, files: 13, launches: 3, launchBytes });
  });
});

describe('data cleanup', () => {
  it('a dry run reports what would go and changes nothing', async () => {
    const before = await snapshot(root);
    const report = await cleanupLaunches(root, { days: 7, dryRun: true, now: NOW });
    expect(report.removed.map((r) => r.name)).toEqual([MIDDLE, OLD]);
    expect(report.kept).toBe(1);
    expect(await snapshot(root)).toEqual(before);

    const io = capture();
    expect(await runDataCleanup({ root, days: 7, dryRun: true, now: NOW }, io)).toBe(0);
    expect(io.out()).toContain(`would remove  ${MIDDLE}  4.9 KiB, 1 file\n`);
    expect(io.out()).toMatch(/2 launch folders would be removed, .* to free; 1 kept .* dry run, nothing changed\n$/);
    expect(await snapshot(root)).toEqual(before);
  });

  it('deletes launches older than N days by their name and never anything that is not a launch', async () => {
    const report = await cleanupLaunches(root, { days: 7, now: NOW });
    expect(report.removed.map((r) => r.name)).toEqual([MIDDLE, OLD]);
    expect(report.freedBytes).toBe(5000 + 3000 + Buffer.byteLength(launchInfo(OLD)));
    expect((await readdir(root)).sort()).toEqual(['20200101_000000.txt', '20200102_000000', '20261399_000000', RECENT, 'archives', 'default', 'models-shipped', 'notes'].sort());
    expect(await readFile(join(outside, 'precious.bin'))).toHaveLength(30);

    // older than any launch: nothing more goes, even with the non-launches dated 2020 by name
    const again = await cleanupLaunches(root, { days: 1000, now: NOW });
    expect(again.removed).toEqual([]);
  });

  it('refuses --days below 1: the running launch is never "old"', async () => {
    await expect(cleanupLaunches(root, { days: 0, now: NOW })).rejects.toBeInstanceOf(DocVaultError);
  });
});

describe('data archive', () => {
  it('packs a launch into archives/{project}-{TS}.tar.gz with every file, and keeps the folder', async () => {
    const report = await archiveLaunch(root, OLD);
    expect(report.archive).toBe(join(root, 'archives', `docvault-${OLD}.tar.gz`));
    expect(report.removed).toBe(false);
    expect(report.source).toEqual({ bytes: 3000 + Buffer.byteLength(launchInfo(OLD)), files: 3 });
    expect((await stat(report.archive)).size).toBe(report.bytes);
    const entries = await archiveEntries(report.archive);
    expect(entries.filter((p) => !p.endsWith('/')).sort()).toEqual(
      [`${OLD}/launch_info.json`, `${OLD}/logs/api.log`, `${OLD}/storage/docvault-uploads/a.bin`].sort(),
    );
    expect(entries).toContain(`${OLD}/tmp/`);
    expect((await stat(join(root, OLD))).isDirectory()).toBe(true);
    expect((await readdir(join(root, 'archives'))).sort()).toEqual(['docvault-20200101_000000.tar.gz', `docvault-${OLD}.tar.gz`]);
  });

  it('with --remove deletes the folder after the archive is written; names the archive after the project', async () => {
    const project = await mkdtemp(join(tmpdir(), 'data-project-'));
    try {
      await writeFile(join(project, 'package.json'), JSON.stringify({ name: '@acme/vault-ocr' }));
      const data = join(project, 'data');
      await put(join(data, RECENT, 'logs', 'api.log'), 60);
      expect(await archivePrefix(data)).toBe('vault-ocr');
      const io = capture();
      expect(await runDataArchive(RECENT, { root: data, remove: true }, io)).toBe(0);
      const archive = join(data, 'archives', `vault-ocr-${RECENT}.tar.gz`);
      expect(io.out()).toMatch(new RegExp(`^archived ${RECENT} \\(60 B, 1 file\\) → .*vault-ocr-${RECENT}\\.tar\\.gz \\(\\d+ B\\)\\nremoved ${RECENT}\\n$`));
      expect(await readdir(data)).toEqual(['archives']);
      expect(await archiveEntries(archive)).toEqual([`${RECENT}/`, `${RECENT}/logs/`, `${RECENT}/logs/api.log`]);
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  });

  it('refuses what is not a launch, a missing launch and an archive that exists already', async () => {
    for (const [name, code] of [
      ['default', 'INVALID_ARGUMENT'],
      ['models-shipped', 'INVALID_ARGUMENT'],
      ['20261399_000000', 'INVALID_ARGUMENT'],
      ['20200102_000000', 'NOT_FOUND'], // the symlink
      ['20250101_000000', 'NOT_FOUND'],
    ] as const) {
      await expect(archiveLaunch(root, name, { remove: true })).rejects.toMatchObject({ code });
    }
    await archiveLaunch(root, MIDDLE);
    const io = capture();
    expect(await runDataArchive(MIDDLE, { root, remove: true }, io)).toBe(2); // a usage error
    expect(io.err()).toMatch(/^error INVALID_ARGUMENT: .* exists already/);
    expect((await stat(join(root, MIDDLE))).isDirectory()).toBe(true);
    expect(await readFile(join(outside, 'precious.bin'))).toHaveLength(30);
  });
});

describe('docvault data (the command line)', () => {
  it('is registered on docvault and runs end to end', () => {
    const cli = resolve(import.meta.dirname, '../../../cli/docvault.ts');
    const result = spawnSync(process.execPath, [cli, 'data', 'list', '--root', root], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n').slice(1, 4).map((l) => l.split(/\s+/)[0])).toEqual([RECENT, MIDDLE, OLD]);
    const bad = spawnSync(process.execPath, [cli, 'data', 'cleanup', '--days', '0', '--root', root], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/at least 1/);
  });
});
