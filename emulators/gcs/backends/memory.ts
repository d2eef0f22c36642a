import { Readable, Writable } from 'node:stream';
import type { Backend, BucketRecord, ByteRange, ObjectRecord, UploadRecord } from '../types.ts';

/** Content as lists of chunks, metadata only in the core's index. Fast; for tests. */
export function createMemoryBackend(): Backend {
  const blobs = new Map<string, Buffer[]>();

  return {
    kind: 'memory',
    load: async () => ({ buckets: [] as BucketRecord[], objects: [] as ObjectRecord[], uploads: [] as UploadRecord[] }),
    saveBucket: async () => {},
    deleteBucket: async () => {},
    saveObject: async () => {},
    deleteObject: async () => {},
    saveUpload: async () => {},
    deleteUpload: async () => {},
    createBlobWriter(key, options) {
      const chunks = options?.append ? (blobs.get(key) ?? []) : [];
      blobs.set(key, chunks);
      return new Writable({
        write(chunk: Buffer, _enc, done) {
          chunks.push(chunk);
          done();
        },
      });
    },
    createBlobReader(key, range?: ByteRange) {
      const chunks = blobs.get(key);
      if (!chunks) throw new Error(`blob ${key} missing`);
      if (!range) return Readable.from(chunks, { objectMode: false });
      const out: Buffer[] = [];
      let offset = 0;
      for (const c of chunks) {
        const cStart = offset;
        const cEnd = offset + c.length - 1;
        offset += c.length;
        if (cEnd < range.start || cStart > range.end) continue;
        out.push(c.subarray(Math.max(0, range.start - cStart), Math.min(c.length, range.end - cStart + 1)));
      }
      return Readable.from(out, { objectMode: false });
    },
    async copyBlob(from, to) {
      blobs.set(to, [...(blobs.get(from) ?? [])]);
    },
    async deleteBlob(key) {
      blobs.delete(key);
    },
    async sweepBlobs() {
      return 0;
    },
    async close() {
      blobs.clear();
    },
  };
}
