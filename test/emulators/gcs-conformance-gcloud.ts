/**
 * A `gcloud storage` checklist (60 commands): each command runs through the real CLI against the
 * emulator and its effect is checked through the Node client (or the command's own output).
 * Commands run in order; later ones rely on what earlier ones made.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Storage } from '@google-cloud/storage';
import type { StorageEmulator } from '../../emulators/gcs/index.ts';

const run = promisify(execFile);

export interface GcloudContext {
  storage: Storage;
  work: string;
  /** Runs `gcloud storage ...args`; rejects on a non-zero exit. */
  gcloud(...args: string[]): Promise<{ stdout: string; stderr: string }>;
}

export interface GcloudCheck {
  name: string;
  args: (w: string) => string[];
  /** Checked after the command succeeded; a check of a refusal sets `fails`. */
  check?(out: { stdout: string; stderr: string }, ctx: GcloudContext): Promise<void> | void;
  /** The command must exit non-zero, with stderr matching. */
  fails?: RegExp;
}

const B = 'gs://ck-main';
const B2 = 'gs://ck-other';

export function gcloudContext(emulator: StorageEmulator, storage: Storage, work: string): GcloudContext {
  const env = {
    ...process.env,
    ...emulator.env,
    CLOUDSDK_CONFIG: join(work, 'gcloud-config'),
    CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
  };
  mkdirSync(join(work, 'tree', 'sub'), { recursive: true });
  writeFileSync(join(work, 'small.txt'), 'hello checklist\n');
  writeFileSync(join(work, 'tree', 'a.txt'), 'a');
  writeFileSync(join(work, 'tree', 'sub', 'b.txt'), 'bb');
  writeFileSync(join(work, 'cors.json'), JSON.stringify([{ origin: ['http://console.local'], method: ['GET', 'PUT'], responseHeader: ['Location'], maxAgeSeconds: 60 }]));
  writeFileSync(join(work, 'lifecycle.json'), JSON.stringify({ rule: [{ action: { type: 'Delete' }, condition: { age: 30 } }] }));
  return { storage, work, gcloud: (...args) => run('gcloud', ['storage', ...args], { env, maxBuffer: 16 * 1024 * 1024 }) };
}

const bucketMeta = async (ctx: GcloudContext, url = B): Promise<Record<string, unknown>> =>
  (await ctx.storage.bucket(url.slice(5)).getMetadata())[0] as Record<string, unknown>;
const objectMeta = async (ctx: GcloudContext, name: string, url = B): Promise<Record<string, unknown>> =>
  (await ctx.storage.bucket(url.slice(5)).file(name).getMetadata())[0] as Record<string, unknown>;
const exists = async (ctx: GcloudContext, name: string, url = B): Promise<boolean> =>
  (await ctx.storage.bucket(url.slice(5)).file(name).exists())[0];

const SMALL = 'docs/small.txt';

export const GCLOUD_CHECKLIST: GcloudCheck[] = [
  // ---- buckets ----
  { name: 'buckets create', args: () => ['buckets', 'create', B, '--location=US'], check: async (_o, c) => assert.equal((await bucketMeta(c)).location, 'US') },
  {
    name: 'buckets create with a default storage class',
    args: () => ['buckets', 'create', B2, '--default-storage-class=NEARLINE'],
    check: async (_o, c) => assert.equal((await bucketMeta(c, B2)).storageClass, 'NEARLINE'),
  },
  { name: 'buckets create of an existing bucket fails', args: () => ['buckets', 'create', B], fails: /409|already/i },
  { name: 'buckets list', args: () => ['buckets', 'list', '--format=value(name)'], check: (o) => assert.deepEqual(o.stdout.trim().split('\n').filter((n) => n.startsWith('ck-')).sort(), ['ck-main', 'ck-other']) },
  { name: 'buckets describe', args: () => ['buckets', 'describe', B, '--format=json'], check: (o) => assert.equal(JSON.parse(o.stdout).name, 'ck-main') },
  { name: 'buckets update --versioning', args: () => ['buckets', 'update', B, '--versioning'], check: async (_o, c) => assert.deepEqual((await bucketMeta(c)).versioning, { enabled: true }) },
  { name: 'buckets update --no-versioning', args: () => ['buckets', 'update', B, '--no-versioning'], check: async (_o, c) => assert.deepEqual((await bucketMeta(c)).versioning, { enabled: false }) },
  {
    name: 'buckets update --update-labels',
    args: () => ['buckets', 'update', B, '--update-labels=env=dev,team=ocr'],
    check: async (_o, c) => assert.deepEqual((await bucketMeta(c)).labels, { env: 'dev', team: 'ocr' }),
  },
  { name: 'buckets update --remove-labels', args: () => ['buckets', 'update', B, '--remove-labels=team'], check: async (_o, c) => assert.deepEqual((await bucketMeta(c)).labels, { env: 'dev' }) },
  { name: 'buckets update --clear-labels', args: () => ['buckets', 'update', B, '--clear-labels'], check: async (_o, c) => assert.equal((await bucketMeta(c)).labels, undefined) },
  {
    name: 'buckets update --cors-file',
    args: (w) => ['buckets', 'update', B, `--cors-file=${join(w, 'cors.json')}`],
    check: async (_o, c) => assert.deepEqual((await bucketMeta(c)).cors, JSON.parse(readFileSync(join(c.work, 'cors.json'), 'utf8'))),
  },
  { name: 'buckets update --clear-cors', args: () => ['buckets', 'update', B, '--clear-cors'], check: async (_o, c) => assert.equal((await bucketMeta(c)).cors, undefined) },
  {
    name: 'buckets update --lifecycle-file',
    args: (w) => ['buckets', 'update', B, `--lifecycle-file=${join(w, 'lifecycle.json')}`],
    check: async (_o, c) => assert.deepEqual((await bucketMeta(c)).lifecycle, { rule: [{ action: { type: 'Delete' }, condition: { age: 30 } }] }),
  },
  { name: 'buckets update --clear-lifecycle', args: () => ['buckets', 'update', B, '--clear-lifecycle'], check: async (_o, c) => assert.equal((await bucketMeta(c)).lifecycle, undefined) },
  {
    name: 'buckets update --default-storage-class',
    args: () => ['buckets', 'update', B, '--default-storage-class=COLDLINE'],
    check: async (_o, c) => assert.equal((await bucketMeta(c)).storageClass, 'COLDLINE'),
  },
  {
    name: 'buckets update --retention-period',
    args: () => ['buckets', 'update', B, '--retention-period=1s'],
    check: async (_o, c) => assert.equal((await bucketMeta(c)).retentionPolicy && ((await bucketMeta(c)).retentionPolicy as { retentionPeriod: string }).retentionPeriod, '1'),
  },
  { name: 'buckets update --clear-retention-period', args: () => ['buckets', 'update', B, '--clear-retention-period'], check: async (_o, c) => assert.equal((await bucketMeta(c)).retentionPolicy, undefined) },
  {
    name: 'buckets update --public-access-prevention',
    args: () => ['buckets', 'update', B, '--public-access-prevention'],
    check: async (_o, c) => assert.equal(((await bucketMeta(c)).iamConfiguration as { publicAccessPrevention: string }).publicAccessPrevention, 'enforced'),
  },
  {
    name: 'buckets update --no-public-access-prevention',
    args: () => ['buckets', 'update', B, '--no-public-access-prevention'],
    check: async (_o, c) => assert.equal(((await bucketMeta(c)).iamConfiguration as { publicAccessPrevention: string }).publicAccessPrevention, 'inherited'),
  },
  {
    name: 'buckets update --web-main-page-suffix --web-error-page',
    args: () => ['buckets', 'update', B, '--web-main-page-suffix=index.html', '--web-error-page=404.html'],
    check: async (_o, c) => assert.deepEqual((await bucketMeta(c)).website, { mainPageSuffix: 'index.html', notFoundPage: '404.html' }),
  },
  {
    name: 'buckets update --clear-web-error-page',
    args: () => ['buckets', 'update', B, '--clear-web-error-page'],
    check: async (_o, c) => assert.deepEqual((await bucketMeta(c)).website, { mainPageSuffix: 'index.html' }),
  },
  {
    name: 'buckets update --log-bucket --log-object-prefix',
    args: () => ['buckets', 'update', B, `--log-bucket=${B2}`, '--log-object-prefix=logs'],
    check: async (_o, c) => assert.deepEqual((await bucketMeta(c)).logging, { logBucket: 'ck-other', logObjectPrefix: 'logs' }),
  },
  {
    name: 'buckets update --uniform-bucket-level-access',
    args: () => ['buckets', 'update', B, '--uniform-bucket-level-access'],
    check: async (_o, c) => assert.equal(((await bucketMeta(c)).iamConfiguration as { uniformBucketLevelAccess: { enabled: boolean } }).uniformBucketLevelAccess.enabled, true),
  },
  { name: 'buckets notifications list (none)', args: () => ['buckets', 'notifications', 'list', B, '--format=json'], check: (o) => assert.deepEqual(JSON.parse(o.stdout || '[]'), []) },

  // ---- objects ----
  { name: 'cp a small file', args: (w) => ['cp', join(w, 'small.txt'), `${B}/${SMALL}`], check: async (_o, c) => assert.equal((await objectMeta(c, SMALL)).contentType, 'text/plain') },
  {
    name: 'cp --content-type',
    args: (w) => ['cp', join(w, 'small.txt'), `${B}/docs/readme.md`, '--content-type=text/markdown'],
    check: async (_o, c) => assert.equal((await objectMeta(c, 'docs/readme.md')).contentType, 'text/markdown'),
  },
  {
    name: 'cp --custom-metadata',
    args: (w) => ['cp', join(w, 'small.txt'), `${B}/docs/meta.txt`, '--custom-metadata=k1=v1,k2=v2'],
    check: async (_o, c) => assert.deepEqual((await objectMeta(c, 'docs/meta.txt')).metadata, { k1: 'v1', k2: 'v2' }),
  },
  { name: 'cp -r a directory', args: (w) => ['cp', '-r', join(w, 'tree'), `${B}/`], check: async (_o, c) => assert.equal(await exists(c, 'tree/sub/b.txt'), true) },
  { name: 'ls a bucket', args: () => ['ls', `${B}/`], check: (o) => assert.deepEqual(o.stdout.trim().split('\n'), [`${B}/docs/`, `${B}/tree/`]) },
  { name: 'ls -l a prefix', args: () => ['ls', '-l', `${B}/docs/`], check: (o) => assert.match(o.stdout, /\s16\s+\S+\s+gs:\/\/ck-main\/docs\/small\.txt/) },
  { name: 'ls a ** wildcard', args: () => ['ls', `${B}/tree/**`], check: (o) => assert.deepEqual(o.stdout.trim().split('\n'), [`${B}/tree/a.txt`, `${B}/tree/sub/b.txt`]) },
  { name: 'cat', args: () => ['cat', `${B}/${SMALL}`], check: (o) => assert.equal(o.stdout, 'hello checklist\n') },
  { name: 'cat -r a byte range', args: () => ['cat', '-r', '0-4', `${B}/${SMALL}`], check: (o) => assert.equal(o.stdout, 'hello') },
  { name: 'objects describe', args: () => ['objects', 'describe', `${B}/${SMALL}`, '--format=json'], check: (o) => assert.equal(JSON.parse(o.stdout).size, 16) },
  { name: 'objects list', args: () => ['objects', 'list', `${B}/docs/*`, '--format=value(name)'], check: (o) => assert.deepEqual(o.stdout.trim().split('\n'), ['docs/meta.txt', 'docs/readme.md', SMALL]) },
  {
    name: 'objects update --content-type',
    args: () => ['objects', 'update', `${B}/${SMALL}`, '--content-type=text/csv'],
    check: async (_o, c) => assert.equal((await objectMeta(c, SMALL)).contentType, 'text/csv'),
  },
  {
    name: 'objects update --cache-control',
    args: () => ['objects', 'update', `${B}/${SMALL}`, '--cache-control=no-cache'],
    check: async (_o, c) => assert.equal((await objectMeta(c, SMALL)).cacheControl, 'no-cache'),
  },
  {
    name: 'objects update --clear-cache-control',
    args: () => ['objects', 'update', `${B}/${SMALL}`, '--clear-cache-control'],
    check: async (_o, c) => assert.equal((await objectMeta(c, SMALL)).cacheControl, undefined),
  },
  {
    name: 'objects update --update-custom-metadata',
    args: () => ['objects', 'update', `${B}/docs/meta.txt`, '--update-custom-metadata=k3=v3'],
    check: async (_o, c) => assert.deepEqual((await objectMeta(c, 'docs/meta.txt')).metadata, { k1: 'v1', k2: 'v2', k3: 'v3' }),
  },
  {
    name: 'objects update --remove-custom-metadata',
    args: () => ['objects', 'update', `${B}/docs/meta.txt`, '--remove-custom-metadata=k1'],
    check: async (_o, c) => assert.equal(((await objectMeta(c, 'docs/meta.txt')).metadata as Record<string, string> | undefined)?.k1, undefined),
  },
  {
    name: 'objects update --clear-custom-metadata',
    args: () => ['objects', 'update', `${B}/docs/readme.md`, '--clear-custom-metadata'],
    check: async (_o, c) => assert.equal((await objectMeta(c, 'docs/readme.md')).metadata, undefined),
  },
  {
    name: 'objects update --temporary-hold',
    args: () => ['objects', 'update', `${B}/docs/readme.md`, '--temporary-hold'],
    check: async (_o, c) => assert.equal((await objectMeta(c, 'docs/readme.md')).temporaryHold, true),
  },
  { name: 'rm of a held object fails', args: () => ['rm', `${B}/docs/readme.md`], fails: /403|hold/i },
  {
    name: 'objects update --no-temporary-hold',
    args: () => ['objects', 'update', `${B}/docs/readme.md`, '--no-temporary-hold'],
    check: async (_o, c) => assert.equal((await objectMeta(c, 'docs/readme.md')).temporaryHold, false),
  },
  { name: 'cp within the bucket (rewrite)', args: () => ['cp', `${B}/${SMALL}`, `${B}/docs/copy.txt`], check: async (_o, c) => assert.equal((await objectMeta(c, 'docs/copy.txt')).size, '16') },
  { name: 'cp to another bucket', args: () => ['cp', `${B}/${SMALL}`, `${B2}/copied.txt`], check: async (_o, c) => assert.equal(await exists(c, 'copied.txt', B2), true) },
  {
    name: 'mv',
    args: () => ['mv', `${B}/docs/copy.txt`, `${B}/docs/moved.txt`],
    check: async (_o, c) => assert.deepEqual([await exists(c, 'docs/copy.txt'), await exists(c, 'docs/moved.txt')], [false, true]),
  },
  {
    name: 'objects compose',
    args: () => ['objects', 'compose', `${B}/${SMALL}`, `${B}/docs/moved.txt`, `${B}/docs/composed.txt`],
    check: async (_o, c) => assert.equal((await objectMeta(c, 'docs/composed.txt')).componentCount, 2),
  },
  {
    name: 'cp down a composed object',
    args: (w) => ['cp', `${B}/docs/composed.txt`, join(w, 'composed.down')],
    check: (_o, c) => assert.equal(readFileSync(join(c.work, 'composed.down'), 'utf8'), 'hello checklist\n'.repeat(2)),
  },
  { name: 'rsync a directory', args: (w) => ['rsync', '-r', join(w, 'tree'), `${B}/synced`], check: async (_o, c) => assert.equal(await exists(c, 'synced/sub/b.txt'), true) },
  { name: 'du', args: () => ['du', '-s', `${B}/tree`], check: (o) => assert.match(o.stdout, /^3\s+gs:\/\/ck-main\/tree/) },
  { name: 'rm', args: () => ['rm', `${B}/docs/moved.txt`], check: async (_o, c) => assert.equal(await exists(c, 'docs/moved.txt'), false) },
  { name: 'rm -r a prefix', args: () => ['rm', '-r', `${B}/tree/`], check: async (_o, c) => assert.equal((await c.storage.bucket('ck-main').getFiles({ prefix: 'tree/' }))[0].length, 0) },
  { name: 'ls of what is gone fails', args: () => ['ls', `${B}/tree/`], fails: /matched no objects/i },
  {
    name: 'buckets update --soft-delete-duration',
    args: () => ['buckets', 'update', B, '--soft-delete-duration=7d'],
    check: async (_o, c) => assert.equal(((await bucketMeta(c)).softDeletePolicy as Record<string, unknown>).retentionDurationSeconds, '604800'),
  },
  // `mv` above took docs/copy.txt away: the soft-delete commands use the composed object, still there.
  { name: 'rm under a soft delete policy', args: () => ['rm', `${B}/docs/composed.txt`], check: async (_o, c) => assert.equal(await exists(c, 'docs/composed.txt'), false) },
  { name: 'ls --soft-deleted', args: () => ['ls', '--soft-deleted', `${B}/docs/**`], check: (o) => assert.match(o.stdout, /gs:\/\/ck-main\/docs\/composed\.txt#\d+/) },
  { name: 'restore', args: () => ['restore', `${B}/docs/composed.txt`], check: async (_o, c) => assert.equal((await objectMeta(c, 'docs/composed.txt')).size, '32') },
  {
    name: 'buckets update --clear-soft-delete',
    args: () => ['buckets', 'update', B, '--clear-soft-delete'],
    check: async (_o, c) => assert.equal(((await bucketMeta(c)).softDeletePolicy as Record<string, unknown>).retentionDurationSeconds, '0'),
  },
  {
    name: 'rm -r a bucket (objects, then the bucket)',
    args: () => ['rm', '-r', B2],
    check: async (_o, c) => assert.equal((await c.storage.bucket('ck-other').exists())[0], false),
  },
];

/** Runs one check: true when it passed; the failure's message otherwise. */
export async function runGcloudCheck(check: GcloudCheck, ctx: GcloudContext): Promise<true | string> {
  try {
    let out: { stdout: string; stderr: string };
    try {
      out = await ctx.gcloud(...check.args(ctx.work));
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      if (check.fails) {
        assert.match(e.stderr ?? e.message, check.fails);
        return true;
      }
      return `exit: ${(e.stderr ?? e.message).trim().split('\n').slice(-2).join(' | ')}`;
    }
    if (check.fails) return `expected a failure, got success: ${out.stdout.slice(0, 200)}`;
    await check.check?.(out, ctx);
    return true;
  } catch (err) {
    return err instanceof Error ? err.message.split('\n').slice(0, 3).join(' ') : String(err);
  }
}
