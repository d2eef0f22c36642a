/** The storage adapter against the storage emulator: reads stop at the size limit and leave no listeners behind. */
import type { EventEmitter } from 'node:events';
import { ApiError, Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStorageEmulator, type StorageEmulator } from '../../../emulators/gcs/index.ts';
import { downloadObject } from '../../../shared/adapters/object-read.ts';
import { GcsBlobStore, readObject, storageRefusal } from '../../../shared/adapters/storage.ts';
import { DocVaultError } from '../../../shared/core/errors.ts';

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

describe('a refusal that cannot change on retry', () => {
  it('an object under a customer-supplied key is STORAGE_REFUSED on read: one plain line, no JSON, not retryable', async () => {
    await storage.bucket(BUCKET).file('sealed.png', { encryptionKey: Buffer.alloc(32, 3) }).save(Buffer.from('png'), { resumable: false });
    const err = await new GcsBlobStore(storage).read({ bucket: BUCKET, name: 'sealed.png' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DocVaultError);
    expect(err).toMatchObject({ code: 'STORAGE_REFUSED', retryable: false, details: { status: 400 } });
    const { message } = err as DocVaultError;
    expect(message).toMatch(/^Cloud Storage refused to read the uploaded document \(HTTP 400: The target object is encrypted by a customer-supplied encryption key\.\)/);
    expect(message).not.toMatch(/[{}\n]/);
  });

  const apiError = (code: number, message: string) => Object.assign(new ApiError(message), { code });
  const nodeError = (code: string, message: string) => Object.assign(new TypeError(message), { code });
  it.each([
    ['400 bad request', apiError(400, 'Invalid argument.'), 'STORAGE_REFUSED'],
    ['416 range', apiError(416, 'Requested range not satisfiable.'), 'STORAGE_REFUSED'],
    ['a header Node cannot send', nodeError('ERR_INVALID_CHAR', 'Invalid character in header content ["x-goog-meta-docvault-original-name"]'), 'STORAGE_REFUSED'],
    ['429 too many requests', apiError(429, 'Rate limit.'), null],
    ['403 forbidden (a role may be granted)', apiError(403, 'Forbidden.'), null],
    ['503 unavailable', apiError(503, 'Backend error.'), null],
    ['a reset connection', nodeError('ECONNRESET', 'socket hang up'), null],
    ['one of ours', new DocVaultError('FILE_TOO_LARGE', 'too big'), null],
  ])('%s', (_, err, code) => {
    expect(storageRefusal(err, 'read the uploaded document')?.code ?? null).toBe(code);
  });
});

/** Runs `work` and answers the MaxListenersExceededWarnings it caused (emitted on the next tick). */
async function listenerWarnings(work: () => Promise<unknown>): Promise<Array<{ emitter: EventEmitter; type: string }>> {
  const warnings: Array<{ emitter: EventEmitter; type: string }> = [];
  const onWarning = (w: Error & { emitter?: EventEmitter; type?: string }) => {
    if (w.name === 'MaxListenersExceededWarning' && w.emitter) warnings.push({ emitter: w.emitter, type: String(w.type) });
  };
  process.on('warning', onWarning);
  try {
    await work();
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    process.off('warning', onWarning);
  }
  return warnings;
}

describe('reads leave no listeners behind and print no MaxListenersExceededWarning (the worker log\'s non-JSON lines)', () => {
  it('many reads add no listener to the process, and none warns', async () => {
    const bytes = Buffer.alloc(3 * 1024 * 1024, 1);
    await storage.bucket(BUCKET).file('many.bin').save(bytes, { resumable: false });
    const store = new GcsBlobStore(storage);
    const listenersOfProcess = () => Object.fromEntries(process.eventNames().map((e) => [String(e), process.listenerCount(e)]));
    await store.read({ bucket: BUCKET, name: 'many.bin' }); // the client's own one-time set-up
    const before = listenersOfProcess();
    const warnings = await listenerWarnings(async () => {
      for (let i = 0; i < 12; i++) expect((await store.read({ bucket: BUCKET, name: 'many.bin' })).length).toBe(bytes.length);
      const streamed = store.openRead({ bucket: BUCKET, name: 'many.bin' });
      for await (const _ of streamed) void _;
    });
    // Each read's response body carries 11 listeners from the client's own layers (shared/adapters/object-read.ts),
    // one over Node's default: the read gives that body room for them, and for no more.
    expect(warnings.map((w) => w.type)).toEqual([]);
    // No listener is left on the process.
    expect(listenersOfProcess()).toEqual(before);
  });

  it('downloadObject reads what download() reads, without the warning download() prints (two lines a download)', async () => {
    const bytes = Buffer.alloc(100_000, 2);
    const file = storage.bucket(BUCKET).file('whole.bin');
    await file.save(bytes, { resumable: false });
    let read: Buffer = Buffer.alloc(0);
    expect(await listenerWarnings(async () => (read = await downloadObject(file)))).toEqual([]);
    expect(read.equals(bytes)).toBe(true);
    await expect(downloadObject(storage.bucket(BUCKET).file('missing.bin'))).rejects.toMatchObject({ code: 404 });
  });
});
