import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { Storage } from '@google-cloud/storage';
import { afterAll, describe, expect, it } from 'vitest';
import { startStorageEmulator } from '../../emulators/gcs/index.ts';
import { describeStorageContract } from './gcs-client-contract.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'gcs-emulator-fs-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describeStorageContract('filesystem backend', () => ({ dataDir: join(dataDir, 'contract') }));

describe('filesystem backend persistence', () => {
  it('keeps buckets, objects and generations across a restart', async () => {
    const dir = join(dataDir, 'restart');
    const first = await startStorageEmulator({ dataDir: dir });
    const s1 = new Storage({ apiEndpoint: first.url, projectId: 'p' });
    const [b] = await s1.createBucket('persist');
    await b.file('a/b.txt').save('kept', { resumable: false, metadata: { metadata: { k: 'v' } } });
    const [m1] = await b.file('a/b.txt').getMetadata();
    await first.stop();
    writeFileSync(join(dir, 'blobs', 'orphan-from-a-crash'), 'x');

    const second = await startStorageEmulator({ dataDir: dir });
    try {
      const s2 = new Storage({ apiEndpoint: second.url, projectId: 'p' });
      const f = s2.bucket('persist').file('a/b.txt');
      const [m2] = await f.getMetadata();
      expect(m2).toMatchObject({ generation: m1.generation, md5Hash: m1.md5Hash, metadata: { k: 'v' } });
      expect((await f.download())[0].toString()).toBe('kept');
      expect(existsSync(join(dir, 'blobs', 'orphan-from-a-crash'))).toBe(false);
      await f.save('newer', { resumable: false });
      const [m3] = await f.getMetadata();
      expect(BigInt(m3.generation as string)).toBeGreaterThan(BigInt(m1.generation as string));
    } finally {
      await second.stop();
    }
  });
});

describe('filesystem backend: a resumable upload across a restart', () => {
  it('keeps the session and its bytes, and the upload finishes after the restart', async () => {
    const dir = join(dataDir, 'restart-upload');
    const data = randomBytes(512 * 1024);
    const first = await startStorageEmulator({ dataDir: dir });
    await new Storage({ apiEndpoint: first.url, projectId: 'p' }).createBucket('persist');
    const start = await fetch(`${first.url}/upload/storage/v1/b/persist/o?uploadType=resumable&name=later.bin`, {
      method: 'POST',
      headers: { 'x-upload-content-type': 'application/pdf' },
    });
    const location = new URL(start.headers.get('location') as string);
    const half = data.length / 2;
    const r1 = await fetch(location, { method: 'PUT', headers: { 'content-range': `bytes 0-${half - 1}/*` }, body: data.subarray(0, half) });
    expect(r1.status).toBe(308);
    await first.stop();

    const second = await startStorageEmulator({ dataDir: dir });
    try {
      const again = new URL(`${location.pathname}${location.search}`, second.url);
      const status = await fetch(again, { method: 'PUT', headers: { 'content-range': 'bytes */*' } });
      expect(status.headers.get('range')).toBe(`bytes=0-${half - 1}`);
      const r2 = await fetch(again, {
        method: 'PUT',
        headers: { 'content-range': `bytes ${half}-${data.length - 1}/${data.length}` },
        body: data.subarray(half),
      });
      expect(r2.status).toBe(200);
      expect(await r2.json()).toMatchObject({ size: String(data.length), contentType: 'application/pdf' });
      const [back] = await new Storage({ apiEndpoint: second.url, projectId: 'p' }).bucket('persist').file('later.bin').download();
      expect(back.equals(data)).toBe(true);
    } finally {
      await second.stop();
    }
  });
});

describe('filesystem backend memory', () => {
  it('streams a 384 MiB upload to disk: the emulator process grows far less than the object', async () => {
    const cli = fileURLToPath(new URL('../../emulators/gcs/cli.ts', import.meta.url));
    const child = spawn(process.execPath, [cli, '--port', '0', '--data', join(dataDir, 'rss')], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (b: Buffer) => {
          const m = /"url":"([^"]+)"/.exec(b.toString());
          if (m?.[1]) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`emulator exited ${code}`)));
      });
      const vmHwmMiB = (): number => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]) / 1024;
      const storage = new Storage({ apiEndpoint: url, projectId: 'p' });
      const [bucket] = await storage.createBucket('rss');
      await bucket.file('warm-up').save('x', { resumable: true });
      const before = vmHwmMiB();
      const block = randomBytes(8 * 1024 * 1024);
      await pipeline(
        Readable.from((function* () {
          for (let i = 0; i < 48; i++) yield block;
        })()),
        bucket.file('big.bin').createWriteStream({ resumable: true, validation: false }),
      );
      const [m] = await bucket.file('big.bin').getMetadata();
      expect(m.size).toBe(String(384 * 1024 * 1024));
      expect(vmHwmMiB() - before).toBeLessThan(96);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
