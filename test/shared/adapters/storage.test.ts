/** The storage adapter against the storage emulator: reads stop at the size limit. */
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStorageEmulator, type StorageEmulator } from '../../../emulators/gcs/index.ts';
import { readObject } from '../../../shared/adapters/storage.ts';

let emulator: StorageEmulator;
let storage: Storage;
const BUCKET = 'reads';

beforeAll(async () => {
  emulator = await startStorageEmulator();
  storage = new Storage({ apiEndpoint: emulator.url, projectId: 'storage-test' });
  await storage.createBucket(BUCKET);
});
afterAll(async () => {
  await emulator?.stop();
});

describe('readObject', () => {
  it('reads an object whole at or under the limit, refuses one over it with FILE_TOO_LARGE, and names a missing one', async () => {
    const bytes = Buffer.alloc(3 * 1024 * 1024, 7);
    await storage.bucket(BUCKET).file('doc.bin').save(bytes, { resumable: false });
    const read = await readObject(storage, BUCKET, 'doc.bin', undefined, bytes.length);
    expect(Buffer.from(read).equals(bytes)).toBe(true);
    await expect(readObject(storage, BUCKET, 'doc.bin', undefined, bytes.length - 1)).rejects.toMatchObject({ code: 'FILE_TOO_LARGE' });
    await expect(readObject(storage, BUCKET, 'missing.bin')).rejects.toMatchObject({ code: 'SOURCE_MISSING' });
  });
});
