/**
 * `docvault models sync` against our Cloud Storage emulator (in-process, memory backend, the real
 * @google-cloud/storage client) and temp folders. Fake models are a few KB of random bytes; one test
 * carries the real osd.traineddata.gz from its npm package.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStorageEmulator, type StorageEmulator } from '../../../emulators/gcs/index.ts';
import { runModelsManifest, runModelsSync } from '../../../cli/models-command.ts';
import { DocVaultError } from '../../../shared/core/errors.ts';
import {
  buildManifest,
  decide,
  describeWriteError,
  langOf,
  ModelManifest,
  overlaps,
  packageSourceOf,
  parseLocation,
  syncModels,
  syncProblemOf,
  writeManifest,
  type SyncOptions,
  type SyncReport,
} from '../../../shared/ops/model-sync.ts';

const PROJECT = 'model-sync-test';
/** Source files are dated here, well before any write the tests make. */
const SHIPPED = new Date('2026-01-01T00:00:00.000Z');
const LATER = new Date('2026-03-01T12:00:00.000Z');

let emu: StorageEmulator;
let storage: Storage;
let root: string;
let buckets = 0;

beforeAll(async () => {
  emu = await startStorageEmulator({ projectId: PROJECT, log: () => undefined });
  storage = new Storage({ apiEndpoint: emu.url, projectId: PROJECT });
  root = await mkdtemp(join(tmpdir(), 'model-sync-'));
  await chmod(root, 0o755); // the CLI test reads it as another user
});

afterAll(async () => {
  await emu?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

async function newBucket(): Promise<string> {
  const name = `models-${++buckets}`;
  await storage.createBucket(name);
  return name;
}

async function newDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(root, `${name}-`));
  await chmod(dir, 0o755);
  return dir;
}

/** Writes files (random bytes unless given) dated `time`; returns their contents by path. */
async function writeFiles(dir: string, files: Record<string, Uint8Array | number>, time = SHIPPED): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    await mkdir(dirname(full), { recursive: true });
    const data = typeof content === 'number' ? randomBytes(content) : Buffer.from(content);
    await writeFile(full, data);
    await utimes(full, time, time);
    out[path] = data;
  }
  return out;
}

async function modelSource(): Promise<{ dir: string; files: Record<string, Buffer> }> {
  const dir = await newDir('src');
  const files = await writeFiles(dir, { 'tessdata/eng.traineddata': 4096, 'tessdata/deu.traineddata': 3000, 'tessdata/osd.traineddata': 2048 });
  return { dir, files };
}

async function run(options: Omit<SyncOptions, 'log' | 'storage'>, onLine?: (line: string) => void | Promise<void>): Promise<{ report: SyncReport; lines: string[] }> {
  const lines: string[] = [];
  const pending: Promise<void>[] = [];
  const report = await syncModels({
    ...options,
    storage,
    log: (line) => {
      lines.push(line);
      const p = onLine?.(line);
      if (p) pending.push(p);
    },
  });
  await Promise.all(pending);
  return { report, lines };
}

/** name → generation, md5Hash, customTime, metadata.sha256 */
async function objects(bucket: string): Promise<Map<string, { generation: string; md5: string; customTime?: string; sha256?: string }>> {
  const [files] = await storage.bucket(bucket).getFiles();
  return new Map(
    files.map((f) => [
      f.name,
      {
        generation: String(f.metadata.generation),
        md5: String(f.metadata.md5Hash),
        customTime: f.metadata.customTime,
        sha256: f.metadata.metadata?.sha256 === undefined ? undefined : String(f.metadata.metadata.sha256),
      },
    ]),
  );
}

async function download(bucket: string, name: string): Promise<Buffer> {
  return (await storage.bucket(bucket).file(name).download())[0];
}

async function tree(dir: string): Promise<string[]> {
  return ((await readdir(dir, { recursive: true, withFileTypes: true })) as { name: string; parentPath: string; isFile(): boolean }[])
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1))
    .sort();
}

const actions = (report: SyncReport) => Object.fromEntries(report.files.map((f) => [f.path, f.reason ? `${f.action}: ${f.reason}` : f.action]));

describe('pure parts', () => {
  it.each([
    ['gs://models', { kind: 'gcs', bucket: 'models', prefix: '', url: 'gs://models/' }],
    ['gs://models/', { kind: 'gcs', bucket: 'models', prefix: '', url: 'gs://models/' }],
    ['gs://models/tessdata', { kind: 'gcs', bucket: 'models', prefix: 'tessdata/', url: 'gs://models/tessdata/' }],
    ['gs://docvault-models/a/b/', { kind: 'gcs', bucket: 'docvault-models', prefix: 'a/b/', url: 'gs://docvault-models/a/b/' }],
    ['some/dir', { kind: 'local', dir: resolve('some/dir'), url: resolve('some/dir') }],
  ])('parseLocation(%s)', (value, expected) => {
    expect(parseLocation(value)).toEqual(expected);
  });

  it.each(['', 'gs://', 'gs://a', 'gs://Models/x', 'gs://models/../x'])('parseLocation(%j) is refused with INVALID_LOCATION', (value) => {
    let err: unknown;
    try {
      parseLocation(value);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DocVaultError);
    expect(syncProblemOf(err)).toBe('INVALID_LOCATION');
  });

  it.each([
    // src time, dst time, same content, force → action
    [100, undefined, false, false, 'copied'],
    [100, 100, true, false, 'unchanged'],
    [100, 900, true, true, 'unchanged'],
    [900, 100, false, false, 'updated'],
    [100, 900, false, false, 'skipped'],
    [100, 900, false, true, 'updated'],
    [100, 100, false, false, 'updated'], // same time, different content: rsync -u copies
    [100.2, 100.9, false, false, 'updated'], // compared in whole milliseconds
  ] as const)('decide(src %s, dst %s, same %s, force %s) = %s', (src, dst, same, force, action) => {
    expect(decide(src, dst, same, force).action).toBe(action);
  });

  it.each([
    ['ENOSPC', 'NO_SPACE', /No space left to write \/models\/tessdata\/eng.traineddata: nothing was written there/],
    ['EACCES', 'PERMISSION_DENIED', /Permission denied writing \/models\/tessdata\/eng.traineddata/],
    ['EROFS', 'PERMISSION_DENIED', /Permission denied writing/],
    [403, 'PERMISSION_DENIED', /Permission denied writing/],
    ['EIO', undefined, /Could not write \/models\/tessdata\/eng.traineddata: boom/],
  ] as const)('a write failing with %s is reported as %s, naming the path', (code, problem, message) => {
    const err = describeWriteError(Object.assign(new Error('boom'), { code }), '/models/tessdata/eng.traineddata');
    expect(syncProblemOf(err)).toBe(problem);
    expect(err.message).toMatch(message);
  });

  it.each([
    ['/m', '/m', true],
    ['/m', '/m/cache', true],
    ['/m/cache', '/m', true],
    ['/m', '/models', false],
    ['gs://bkt/x', 'gs://bkt/x/y', true],
    ['gs://bkt', 'gs://bkt/x', true],
    ['gs://bkt/x', 'gs://bkt/xy', false],
    ['gs://bkt/x', 'gs://other/x', false],
    ['/m', 'gs://m00', false],
  ])('overlaps(%s, %s) = %s', (a, b, expected) => {
    expect(overlaps(parseLocation(a), parseLocation(b))).toBe(expected);
  });

  it('buildManifest sorts by path and validates; langOf and packageSourceOf name files', () => {
    const h = 'a'.repeat(64);
    const m = buildManifest([
      { path: 'tessdata/osd.traineddata', lang: 'osd', size: 2, sha256: h, source: 'x' },
      { path: 'tessdata/eng.traineddata', lang: 'eng', size: 1, sha256: h, source: 'y' },
    ]);
    expect(m.v).toBe(1);
    expect(m.files.map((f) => f.path)).toEqual(['tessdata/eng.traineddata', 'tessdata/osd.traineddata']);
    expect(() => buildManifest([{ path: 'x', size: 1, sha256: 'nothex', source: 's' }])).toThrow();
    expect([langOf('tessdata/eng.traineddata'), langOf('tessdata/chi_sim.traineddata.gz'), langOf('README.md')]).toEqual(['eng', 'chi_sim', null]);
    expect(packageSourceOf('/repo/node_modules/@tesseract.js-data/eng/4.0.0_best_int/eng.traineddata.gz')).toBe('npm:@tesseract.js-data/eng');
    expect(packageSourceOf('/usr/share/tesseract-ocr/5/tessdata/deu.traineddata')).toBe('debian:tesseract-ocr-deu');
    expect(packageSourceOf('/home/op/models/eng.traineddata')).toBeUndefined();
  });
});

describe('local folder → bucket', () => {
  it('copies everything, then finds everything unchanged; objects carry the source time and sha256; the manifest matches', async () => {
    const { dir, files } = await modelSource();
    const bucket = await newBucket();
    const dest = `gs://${bucket}`;

    const first = await run({ source: dir, destination: dest });
    expect(first.lines.slice(0, 3)).toEqual(['copied  tessdata/deu.traineddata', 'copied  tessdata/eng.traineddata', 'copied  tessdata/osd.traineddata']);
    expect(first.lines[3]).toMatch(/^3 copied, 0 updated, 0 skipped, 0 unchanged, 0 deleted; 9144 bytes in \d+\.\d\d s$/);
    expect(first.report.manifest).toBe('written');

    const objs = await objects(bucket);
    expect([...objs.keys()].sort()).toEqual(['manifest.json', ...Object.keys(files).sort()]);
    for (const [path, data] of Object.entries(files)) {
      expect((await download(bucket, path)).equals(data)).toBe(true);
      expect(objs.get(path)?.customTime && Date.parse(objs.get(path)!.customTime!)).toBe(SHIPPED.getTime());
      expect(objs.get(path)?.sha256).toBe(sha256(data));
    }
    const manifest = ModelManifest.parse(JSON.parse((await download(bucket, 'manifest.json')).toString()));
    expect(manifest.files.map((f) => [f.path, f.lang, f.size, f.sha256])).toEqual(
      Object.keys(files)
        .sort()
        .map((p) => [p, langOf(p), files[p]!.length, sha256(files[p]!)]),
    );
    expect(manifest.files.every((f) => f.source === dir)).toBe(true);

    const second = await run({ source: dir, destination: dest });
    expect(Object.values(actions(second.report))).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(second.report.bytes).toBe(0);
    expect(second.report.manifest).toBe('unchanged');
    expect(await objects(bucket)).toEqual(objs); // not one write
  });

  it('a newer source file updates only that file (and its manifest entry)', async () => {
    const { dir } = await modelSource();
    const bucket = await newBucket();
    await run({ source: dir, destination: `gs://${bucket}/models` });
    const before = await objects(bucket);

    const [eng] = Object.values(await writeFiles(dir, { 'tessdata/eng.traineddata': 5000 }, LATER));
    const { report, lines } = await run({ source: dir, destination: `gs://${bucket}/models` });
    expect(actions(report)).toEqual({ 'tessdata/deu.traineddata': 'unchanged', 'tessdata/eng.traineddata': 'updated', 'tessdata/osd.traineddata': 'unchanged' });
    expect(lines).toContain('updated  tessdata/eng.traineddata');
    expect(report.bytes).toBe(5000);

    const after = await objects(bucket);
    expect(after.get('models/tessdata/deu.traineddata')).toEqual(before.get('models/tessdata/deu.traineddata'));
    expect(after.get('models/tessdata/eng.traineddata')?.generation).not.toBe(before.get('models/tessdata/eng.traineddata')?.generation);
    expect((await download(bucket, 'models/tessdata/eng.traineddata')).equals(eng!)).toBe(true);
    const manifest = ModelManifest.parse(JSON.parse((await download(bucket, 'models/manifest.json')).toString()));
    expect(manifest.files.find((f) => f.path === 'tessdata/eng.traineddata')?.sha256).toBe(sha256(eng!));
  });

  it('a hand-edited (newer) destination file survives a normal sync and is replaced by --force', async () => {
    const { dir, files } = await modelSource();
    const bucket = await newBucket();
    const dest = `gs://${bucket}/`;
    await run({ source: dir, destination: dest });

    const edited = randomBytes(4096);
    await storage.bucket(bucket).file('tessdata/eng.traineddata').save(edited, { resumable: false }); // an operator's upload: now
    const normal = await run({ source: dir, destination: dest });
    expect(actions(normal.report)['tessdata/eng.traineddata']).toBe('skipped: destination newer');
    expect(normal.lines).toContain('skipped: destination newer  tessdata/eng.traineddata');
    expect((await download(bucket, 'tessdata/eng.traineddata')).equals(edited)).toBe(true);
    // The manifest follows what the bucket holds (the edit), found by download since the edit has no sha256 metadata.
    const kept = ModelManifest.parse(JSON.parse((await download(bucket, 'manifest.json')).toString()));
    expect(kept.files.find((f) => f.path === 'tessdata/eng.traineddata')?.sha256).toBe(sha256(edited));

    const forced = await run({ source: dir, destination: dest, force: true });
    expect(actions(forced.report)).toEqual({ 'tessdata/deu.traineddata': 'unchanged', 'tessdata/eng.traineddata': 'updated', 'tessdata/osd.traineddata': 'unchanged' });
    expect((await download(bucket, 'tessdata/eng.traineddata')).equals(files['tessdata/eng.traineddata']!)).toBe(true);
    const reset = ModelManifest.parse(JSON.parse((await download(bucket, 'manifest.json')).toString()));
    expect(reset.files.find((f) => f.path === 'tessdata/eng.traineddata')?.sha256).toBe(sha256(files['tessdata/eng.traineddata']!));

    const again = await run({ source: dir, destination: dest, force: true });
    expect(again.report.counts).toMatchObject({ unchanged: 3, updated: 0 });
  });

  it('--dry-run prints the plan and writes nothing', async () => {
    const { dir } = await modelSource();
    const bucket = await newBucket();
    const fresh = await run({ source: dir, destination: `gs://${bucket}`, dryRun: true });
    expect(fresh.report.counts.copied).toBe(3);
    expect(fresh.lines.at(-1)).toMatch(/^dry run, nothing changed: would have 3 copied/);
    expect((await objects(bucket)).size).toBe(0);

    await run({ source: dir, destination: `gs://${bucket}` });
    await storage.bucket(bucket).file('tessdata/extra.traineddata').save('extra', { resumable: false });
    await writeFiles(dir, { 'tessdata/osd.traineddata': 100 }, LATER);
    const before = await objects(bucket);
    const planned = await run({ source: dir, destination: `gs://${bucket}`, dryRun: true, delete: true, force: true });
    expect(actions(planned.report)).toMatchObject({ 'tessdata/osd.traineddata': 'updated', 'tessdata/extra.traineddata': 'deleted' });
    expect(await objects(bucket)).toEqual(before);

    const local = join(root, 'never-created');
    await run({ source: dir, destination: local, dryRun: true });
    await expect(stat(local)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('--delete removes destination files absent at the source, only when asked, and never the manifest', async () => {
    const { dir } = await modelSource();
    const bucket = await newBucket();
    await run({ source: dir, destination: `gs://${bucket}` });
    await storage.bucket(bucket).file('tessdata/fra.traineddata').save(randomBytes(1000), { resumable: false });

    const normal = await run({ source: dir, destination: `gs://${bucket}` });
    expect(normal.report.counts.deleted).toBe(0);
    expect((await objects(bucket)).has('tessdata/fra.traineddata')).toBe(true);

    const pruned = await run({ source: dir, destination: `gs://${bucket}`, delete: true });
    expect(pruned.lines).toContain('deleted  tessdata/fra.traineddata');
    const left = await objects(bucket);
    expect([...left.keys()].sort()).toEqual(['manifest.json', 'tessdata/deu.traineddata', 'tessdata/eng.traineddata', 'tessdata/osd.traineddata']);
    const manifest = ModelManifest.parse(JSON.parse((await download(bucket, 'manifest.json')).toString()));
    expect(manifest.files.map((f) => f.path)).not.toContain('tessdata/fra.traineddata');
  });

  it('a concurrent change to a destination object is not clobbered (generation precondition)', async () => {
    const { dir } = await modelSource();
    const bucket = await newBucket();
    await run({ source: dir, destination: `gs://${bucket}` });
    await writeFiles(dir, { 'tessdata/deu.traineddata': 3000, 'tessdata/eng.traineddata': 4096 }, LATER);

    const theirs = randomBytes(64);
    const { report } = await run({ source: dir, destination: `gs://${bucket}` }, async (line) => {
      // deu is written first; eng changes under the sync after it listed the bucket.
      // In-process (no HTTP), so the change lands before the sync's own request for eng.
      if (line === 'updated  tessdata/deu.traineddata') await emu.core.writeObject(bucket, 'tessdata/eng.traineddata', Readable.from([theirs]), {});
    });
    expect(actions(report)).toMatchObject({ 'tessdata/deu.traineddata': 'updated', 'tessdata/eng.traineddata': 'skipped: destination changed during sync' });
    expect((await download(bucket, 'tessdata/eng.traineddata')).equals(theirs)).toBe(true);
  });
});

describe('bucket → bucket', () => {
  it('copies between prefixes, then finds everything unchanged by md5', async () => {
    const { dir } = await modelSource();
    const bucket = await newBucket();
    await run({ source: dir, destination: `gs://${bucket}/shipped` });
    const first = await run({ source: `gs://${bucket}/shipped`, destination: `gs://${bucket}/live` });
    expect(first.report.counts.copied).toBe(3);
    const objs = await objects(bucket);
    for (const p of ['deu', 'eng', 'osd']) {
      const [a, b] = [objs.get(`shipped/tessdata/${p}.traineddata`), objs.get(`live/tessdata/${p}.traineddata`)];
      expect(b?.md5).toBe(a?.md5);
      expect(b?.customTime).toBe(a?.customTime);
      expect(b?.sha256).toBe(a?.sha256);
    }
    expect((await run({ source: `gs://${bucket}/shipped`, destination: `gs://${bucket}/live` })).report.counts).toMatchObject({ unchanged: 3 });
  });
});

describe('bucket → local folder', () => {
  it('copies with the source times, so an immediate re-sync (either way) is all unchanged', async () => {
    const { dir, files } = await modelSource();
    const bucket = await newBucket();
    await run({ source: dir, destination: `gs://${bucket}/m` });

    const local = join(await newDir('cache'), 'models'); // created by the sync
    const down = await run({ source: `gs://${bucket}/m`, destination: local });
    expect(down.report.counts.copied).toBe(3);
    expect(await tree(local)).toEqual(['manifest.json', ...Object.keys(files).sort()]);
    for (const [path, data] of Object.entries(files)) {
      expect((await readFile(join(local, path))).equals(data)).toBe(true);
      expect((await stat(join(local, path))).mtimeMs).toBe(SHIPPED.getTime());
    }
    const manifest = ModelManifest.parse(JSON.parse(await readFile(join(local, 'manifest.json'), 'utf8')));
    for (const f of manifest.files) expect(f.sha256).toBe(sha256(await readFile(join(local, f.path))));

    expect((await run({ source: `gs://${bucket}/m`, destination: local })).report.counts).toMatchObject({ unchanged: 3, copied: 0, updated: 0 });
    expect((await run({ source: local, destination: `gs://${bucket}/m` })).report.counts).toMatchObject({ unchanged: 3, copied: 0, updated: 0 });
  });

  it('keeps a hand-edited local file, and a concurrent local change is not clobbered', async () => {
    const { dir } = await modelSource();
    const bucket = await newBucket();
    await run({ source: dir, destination: `gs://${bucket}` });
    const local = await newDir('cache');
    await run({ source: `gs://${bucket}`, destination: local });

    await writeFile(join(local, 'tessdata/osd.traineddata'), 'operator'); // mtime: now
    await writeFiles(dir, { 'tessdata/deu.traineddata': 10, 'tessdata/eng.traineddata': 20 }, LATER);
    await run({ source: dir, destination: `gs://${bucket}` });

    const { report } = await run({ source: `gs://${bucket}`, destination: local }, async (line) => {
      if (line === 'updated  tessdata/deu.traineddata') writeFileSync(join(local, 'tessdata/eng.traineddata'), 'theirs');
    });
    expect(actions(report)).toEqual({
      'tessdata/deu.traineddata': 'updated',
      'tessdata/eng.traineddata': 'skipped: destination changed during sync',
      'tessdata/osd.traineddata': 'skipped: destination newer',
    });
    expect(await readFile(join(local, 'tessdata/osd.traineddata'), 'utf8')).toBe('operator');
    expect(await readFile(join(local, 'tessdata/eng.traineddata'), 'utf8')).toBe('theirs');
    expect((await tree(local)).filter((p) => p.endsWith('.docvault-tmp'))).toEqual([]);
  });

  it('carries the real osd.traineddata.gz through a bucket; the manifest names its npm package', async () => {
    const osd = createRequire(import.meta.url).resolve('@tesseract.js-data/osd/4.0.0/osd.traineddata.gz');
    const src = await newDir('pkg');
    await mkdir(join(src, 'tessdata'));
    const { symlink } = await import('node:fs/promises');
    await symlink(osd, join(src, 'tessdata/osd.traineddata.gz')); // a folder of links to packaged data
    const bucket = await newBucket();
    await run({ source: src, destination: `gs://${bucket}` });
    const local = await newDir('cache');
    await run({ source: `gs://${bucket}`, destination: local });

    const original = await readFile(osd);
    expect(sha256(await readFile(join(local, 'tessdata/osd.traineddata.gz')))).toBe(sha256(original));
    const manifest = ModelManifest.parse(JSON.parse(await readFile(join(local, 'manifest.json'), 'utf8')));
    expect(manifest.files).toEqual([{ path: 'tessdata/osd.traineddata.gz', lang: 'osd', size: original.length, sha256: sha256(original), source: 'npm:@tesseract.js-data/osd' }]);
  });
});

describe('errors', () => {
  it.each([
    ['a missing folder', () => join(root, 'no-such-folder')],
    ['a missing bucket', () => 'gs://no-such-bucket/tessdata'],
    ['an empty prefix', () => `gs://models-1/nothing-here`],
  ])('%s as source is SOURCE_MISSING, naming it', async (_label, source) => {
    const err = await run({ source: source(), destination: join(root, 'unused') }).catch((e: unknown) => e);
    expect(syncProblemOf(err)).toBe('SOURCE_MISSING');
    expect((err as Error).message).toContain(source().startsWith('gs://') ? source().replace(/\/?$/, '/') : source());
  });

  it('a source object that vanishes mid-run is SOURCE_MISSING, naming it, with nothing half-written', async () => {
    const { dir } = await modelSource();
    const bucket = await newBucket();
    await run({ source: dir, destination: `gs://${bucket}` });
    const local = await newDir('cache');
    const err = await run({ source: `gs://${bucket}`, destination: local }, async (line) => {
      if (line === 'copied  tessdata/deu.traineddata') await emu.core.deleteObject(bucket, 'tessdata/eng.traineddata', undefined);
    }).catch((e: unknown) => e);
    expect(syncProblemOf(err)).toBe('SOURCE_MISSING');
    expect((err as Error).message).toBe(`gs://${bucket}/tessdata/eng.traineddata does not exist.`);
    expect(await tree(local)).toEqual(['tessdata/deu.traineddata']);
  });

  it('a read-only destination folder fails with a permission error naming the path, exit code 1, no temp file left', async () => {
    const { dir } = await modelSource();
    const dest = await newDir('readonly');
    await mkdir(join(dest, 'tessdata'));
    await chmod(join(dest, 'tessdata'), 0o555);
    await chmod(dest, 0o555);
    // root ignores file modes: run the command as nobody then.
    const asOther = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const child = spawn(process.execPath, ['cli/docvault.ts', 'models', 'sync', dir, dest], { cwd: resolve(import.meta.dirname, '../../..'), ...asOther });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.resume();
    const code = await new Promise<number | null>((done) => child.on('close', done));

    expect(code).toBe(1);
    expect(stderr).toMatch(/^error PERMISSION_DENIED: Permission denied writing .*nothing was written there/);
    expect(stderr).toContain(join(dest, 'tessdata', 'deu.traineddata'));
    expect(await tree(dest)).toEqual([]);
  });

  it('the CLI functions print per-file lines and errors, and return the exit code', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } } as unknown as Parameters<typeof runModelsSync>[3];
    const { dir } = await modelSource();
    const dest = join(await newDir('cli'), 'models');
    expect(await runModelsSync(dir, dest, { dryRun: true }, io)).toBe(0);
    expect(out.slice(0, 3)).toEqual(['copied  tessdata/deu.traineddata\n', 'copied  tessdata/eng.traineddata\n', 'copied  tessdata/osd.traineddata\n']);
    expect(await runModelsSync(dir, join(dir, 'inside'), {}, io)).toBe(2); // a usage error
    expect(err.pop()).toMatch(/^error INVALID_LOCATION: .* overlap/);
    expect(await runModelsSync(join(root, 'missing'), dest, {}, io)).toBe(1);
    expect(err.pop()).toBe(`error SOURCE_MISSING: The source ${join(root, 'missing')} does not exist.\n`);
    expect(await runModelsManifest(dir, io)).toBe(0);
    expect(out.pop()).toBe(`written  ${join(dir, 'manifest.json')} (3 files)\n`);
  });

  it('writeManifest keeps a given source while the file is unchanged and writes only when something changed', async () => {
    const dir = await newDir('folder');
    const files = await writeFiles(dir, { 'tessdata/eng.traineddata': 1000, 'README.txt': new TextEncoder().encode('notes') });
    const first = await writeManifest(dir, { sources: { 'tessdata/eng.traineddata': 'debian:tesseract-ocr-eng' } });
    expect(first.written).toBe(true);
    expect(first.manifest.files).toEqual([
      { path: 'README.txt', size: 5, sha256: sha256(files['README.txt']!), source: dir },
      { path: 'tessdata/eng.traineddata', lang: 'eng', size: 1000, sha256: sha256(files['tessdata/eng.traineddata']!), source: 'debian:tesseract-ocr-eng' },
    ]);
    expect(await writeManifest(dir)).toMatchObject({ written: false, manifest: first.manifest });
    await writeFiles(dir, { 'tessdata/eng.traineddata': 1000 });
    const changed = await writeManifest(dir);
    expect(changed.written).toBe(true);
    expect(changed.manifest.files[1]?.source).toBe(dir);

    const bucket = await newBucket();
    await run({ source: dir, destination: `gs://${bucket}/x` });
    const remote = await writeManifest(`gs://${bucket}/x`, { storage });
    expect(remote).toMatchObject({ written: false, url: `gs://${bucket}/x/manifest.json` });
    expect(remote.manifest.files.map((f) => f.sha256)).toEqual(changed.manifest.files.map((f) => f.sha256));
  });
});
