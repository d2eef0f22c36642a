import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCloudSdkRoot } from '../../emulators/gcloud.ts';
import { startStorageEmulator, type StorageEmulator } from '../../emulators/gcs/index.ts';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const hasGcloud = findCloudSdkRoot() !== undefined;

async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const out = createWriteStream(path);
  for (let left = bytes; left > 0; left -= 8 * MiB) {
    if (!out.write(randomBytes(Math.min(8 * MiB, left)))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

describe.skipIf(!hasGcloud)('the real `gcloud storage` CLI against the emulator', () => {
  const work = mkdtempSync(join(tmpdir(), 'gcs-gcloud-'));
  let emulator: StorageEmulator;
  let storage: Storage;
  let env: NodeJS.ProcessEnv;
  const gcloud = async (...args: string[]): Promise<{ stdout: string; stderr: string }> =>
    run('gcloud', ['storage', ...args], { env, maxBuffer: 16 * MiB });

  beforeAll(async () => {
    emulator = await startStorageEmulator({ dataDir: join(work, 'data'), projectId: 'cli-project' });
    storage = new Storage({ apiEndpoint: emulator.url, projectId: 'cli-project' });
    env = {
      ...process.env,
      ...emulator.env, // CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE=<url>/, CLOUDSDK_AUTH_DISABLE_CREDENTIALS, CLOUDSDK_CORE_PROJECT
      // a private config dir: gcloud keeps resumable-upload tracker files there
      CLOUDSDK_CONFIG: join(work, 'gcloud-config'),
      CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
      CLOUDSDK_STORAGE_PARALLEL_COMPOSITE_UPLOAD_ENABLED: 'True',
    };
    writeFileSync(join(work, 'small.txt'), 'hello from gcloud\n');
    await writeRandomFile(join(work, 'resumable.bin'), 9 * MiB + 5);
    await writeRandomFile(join(work, 'composite.bin'), 151 * MiB + 17);
    await gcloud('buckets', 'create', 'gs://cli-bucket');
  });
  afterAll(async () => {
    await emulator?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('cp uploads a small file (multipart) and cat reads it', async () => {
    await gcloud('cp', join(work, 'small.txt'), 'gs://cli-bucket/docs/small.txt');
    expect((await gcloud('cat', 'gs://cli-bucket/docs/small.txt')).stdout).toBe('hello from gcloud\n');
    const [m] = await storage.bucket('cli-bucket').file('docs/small.txt').getMetadata();
    expect(m.contentType).toBe('text/plain');
  });

  it('cp uploads a file ending in a CR (a PDF\'s "%%EOF\\r") byte for byte', async () => {
    // gcloud's multipart messages break lines with LF: the CR before the closing delimiter is the file's.
    const pdfEnd = Buffer.concat([randomBytes(2000), Buffer.from('startxref\r116\r%%EOF\r')]);
    writeFileSync(join(work, 'ends-in-cr.pdf'), pdfEnd);
    await gcloud('cp', join(work, 'ends-in-cr.pdf'), 'gs://cli-bucket/scans/ends-in-cr.pdf');
    const file = storage.bucket('cli-bucket').file('scans/ends-in-cr.pdf');
    const [stored] = await file.download();
    expect(stored.equals(pdfEnd)).toBe(true);
    await file.delete(); // the listings below count the bucket's objects
  });

  it('cp uploads >= 8 MiB resumably and downloads it back intact', async () => {
    await gcloud('cp', join(work, 'resumable.bin'), 'gs://cli-bucket/docs/resumable.bin');
    await gcloud('cp', 'gs://cli-bucket/docs/resumable.bin', join(work, 'resumable.down'));
    expect(readFileSync(join(work, 'resumable.down')).equals(readFileSync(join(work, 'resumable.bin')))).toBe(true);
  });

  it('cp uploads > 150 MiB as a parallel composite upload and slices the download', async () => {
    await gcloud('cp', join(work, 'composite.bin'), 'gs://cli-bucket/big/composite.bin');
    const [m] = await storage.bucket('cli-bucket').file('big/composite.bin').getMetadata();
    expect(m.componentCount).toBeGreaterThan(1);
    expect(m.size).toBe(String(statSync(join(work, 'composite.bin')).size));
    // the temporary components are gone
    const [left] = await storage.bucket('cli-bucket').getFiles({ prefix: 'gcloud/' });
    expect(left).toHaveLength(0);
    await gcloud('cp', 'gs://cli-bucket/big/composite.bin', join(work, 'composite.down'));
    expect(readFileSync(join(work, 'composite.down')).equals(readFileSync(join(work, 'composite.bin')))).toBe(true);
    rmSync(join(work, 'composite.down'));
  });

  it('ls lists objects and prefixes, ls -l shows sizes', async () => {
    const top = (await gcloud('ls', 'gs://cli-bucket/')).stdout.trim().split('\n');
    expect(top).toEqual(['gs://cli-bucket/big/', 'gs://cli-bucket/docs/']);
    const docs = (await gcloud('ls', 'gs://cli-bucket/docs/')).stdout.trim().split('\n');
    expect(docs).toEqual(['gs://cli-bucket/docs/resumable.bin', 'gs://cli-bucket/docs/small.txt']);
    const long = (await gcloud('ls', '-l', 'gs://cli-bucket/docs/small.txt')).stdout;
    expect(long).toMatch(/\s18\s+\S+\s+gs:\/\/cli-bucket\/docs\/small\.txt/);
  });

  it('mv moves an object, rm removes one, rm -r removes a prefix and a bucket', async () => {
    await gcloud('mv', 'gs://cli-bucket/docs/small.txt', 'gs://cli-bucket/moved/small.txt');
    const bucket = storage.bucket('cli-bucket');
    expect((await bucket.file('docs/small.txt').exists())[0]).toBe(false);
    expect((await bucket.file('moved/small.txt').download())[0].toString()).toBe('hello from gcloud\n');
    await gcloud('rm', 'gs://cli-bucket/moved/small.txt');
    expect((await bucket.file('moved/small.txt').exists())[0]).toBe(false);
    await gcloud('rm', '-r', 'gs://cli-bucket/docs');
    expect((await bucket.getFiles({ prefix: 'docs/' }))[0]).toHaveLength(0);
    await gcloud('rm', '-r', 'gs://cli-bucket');
    expect((await bucket.exists())[0]).toBe(false);
  });

  it('legacy gsutil works in its gcloud-storage shim mode', async () => {
    await storage.createBucket('gsutil-bucket');
    const gsutil = (...args: string[]): Promise<{ stdout: string }> =>
      run('gsutil', ['-o', 'GSUtil:use_gcloud_storage=True', ...args], { env });
    await gsutil('cp', join(work, 'small.txt'), 'gs://gsutil-bucket/in/file.txt');
    expect((await gsutil('cat', 'gs://gsutil-bucket/in/file.txt')).stdout).toBe('hello from gcloud\n');
    // each gsutil shim command starts gsutil's Python and then gcloud's: ~20 s apiece on a loaded 2-core machine
  }, 180_000);
});
