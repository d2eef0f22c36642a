import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
