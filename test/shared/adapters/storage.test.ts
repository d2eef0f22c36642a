/** The storage adapter against the storage emulator: reads stop at the size limit and leave no listeners behind. */
import type { EventEmitter } from 'node:events';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStorageEmulator, type StorageEmulator } from '../../../emulators/gcs/index.ts';
import { GcsBlobStore, readObject } from '../../../shared/adapters/storage.ts';

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

describe('reads leave no listeners behind (the MaxListenersExceededWarning of the worker log)', () => {
  it('many reads add no listener to the process, and no stream collects listeners across reads', async () => {
    const bytes = Buffer.alloc(3 * 1024 * 1024, 1);
    await storage.bucket(BUCKET).file('many.bin').save(bytes, { resumable: false });
    const store = new GcsBlobStore(storage);
    const listenersOfProcess = () => Object.fromEntries(process.eventNames().map((e) => [String(e), process.listenerCount(e)]));
    const warnings: Array<{ emitter: EventEmitter; type: string; count: number }> = [];
    const onWarning = (w: Error & { emitter?: EventEmitter; type?: string; count?: number }) => {
      if (w.name === 'MaxListenersExceededWarning' && w.emitter) warnings.push({ emitter: w.emitter, type: String(w.type), count: Number(w.count) });
    };
    await store.read({ bucket: BUCKET, name: 'many.bin' }); // the client's own one-time set-up
    const before = listenersOfProcess();
    process.on('warning', onWarning);
    try {
      for (let i = 0; i < 12; i++) expect((await store.read({ bucket: BUCKET, name: 'many.bin' })).length).toBe(bytes.length);
      await new Promise((r) => setTimeout(r, 50)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(listenersOfProcess()).toEqual(before);
    // What the log showed: one response body per read, each with 11-12 'error'/'close' listeners from
    // the storage client's layers of pipelines (teeny-request 11 over node-fetch 3), one over Node's
    // default of 10. A fixed count on a stream that lives for one read, not a growing set.
    for (const type of new Set(warnings.map((w) => w.type))) {
      const streams = warnings.filter((w) => w.type === type).map((w) => w.emitter);
      expect(new Set(streams).size).toBe(streams.length);
    }
    // After its read a body still holds 8 of them (the pipelines' end-of-stream handlers), and goes
    // with them when it is collected: a fixed count per read, never more.
    for (const w of warnings) expect(w.emitter.listenerCount(w.type)).toBeLessThanOrEqual(12);
  });
});
