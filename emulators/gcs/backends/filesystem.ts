import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Backend, BucketRecord, ObjectRecord, UploadRecord } from '../types.ts';

/**
 * Content streamed to files under `DIR/blobs/`, metadata as JSON beside it:
 * `DIR/buckets/B.json`, `DIR/objects/B/<sha256(name)>.<generation>.json` and resumable sessions in
 * `DIR/uploads/ID.json` (their bytes so far in `blobs/`), so an upload survives an emulator restart.
 * Writes go through a temporary file and a rename so a crash never leaves half a record.
 */
export async function createFilesystemBackend(dir: string): Promise<Backend> {
  const blobsDir = join(dir, 'blobs');
  const bucketsDir = join(dir, 'buckets');
  const objectsDir = join(dir, 'objects');
  const uploadsDir = join(dir, 'uploads');
  await Promise.all([blobsDir, bucketsDir, objectsDir, uploadsDir].map((d) => mkdir(d, { recursive: true })));

  const blobPath = (key: string): string => join(blobsDir, key);
  const objectPath = (o: ObjectRecord): string =>
    join(objectsDir, o.bucket, `${createHash('sha256').update(o.name).digest('hex')}.${o.generation}.json`);

  return {
    kind: 'filesystem',
    load: () => loadRecords(bucketsDir, objectsDir, uploadsDir),
    async saveBucket(bucket) {
      await mkdir(join(objectsDir, bucket.name), { recursive: true });
      await writeJson(join(bucketsDir, `${bucket.name}.json`), bucket);
    },
    async deleteBucket(name) {
      await rm(join(bucketsDir, `${name}.json`), { force: true });
      await rm(join(objectsDir, name), { recursive: true, force: true });
    },
    async saveObject(object) {
      await writeJson(objectPath(object), object);
    },
    async deleteObject(object) {
      await rm(objectPath(object), { force: true });
    },
    async saveUpload(upload) {
      await writeJson(join(uploadsDir, `${upload.id}.json`), upload);
    },
    async deleteUpload(id) {
      await rm(join(uploadsDir, `${id}.json`), { force: true });
    },
    createBlobWriter(key, options) {
      return createWriteStream(blobPath(key), { flags: options?.append ? 'a' : 'w' });
    },
    createBlobReader(key, range) {
      return createReadStream(blobPath(key), range ? { start: range.start, end: range.end } : {});
    },
    async copyBlob(from, to) {
      await copyFile(blobPath(from), blobPath(to));
    },
    async deleteBlob(key) {
      await unlink(blobPath(key)).catch(() => {});
    },
    async sweepBlobs(keep) {
      let removed = 0;
      for (const f of await readdir(blobsDir)) {
        if (keep.has(f)) continue;
        await unlink(join(blobsDir, f)).catch(() => {});
        removed++;
      }
      return removed;
    },
    async close() {},
  };
}

/** Written to a temporary name and renamed, so a crash never leaves half a record. */
async function writeJson(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await writeFile(tmp, JSON.stringify(value));
  await rename(tmp, path);
}

/** Reads every stored bucket, object version and resumable upload back at start-up. */
async function loadRecords(bucketsDir: string, objectsDir: string, uploadsDir: string): Promise<{ buckets: BucketRecord[]; objects: ObjectRecord[]; uploads: UploadRecord[] }> {
  const buckets: BucketRecord[] = [];
  const objects: ObjectRecord[] = [];
  for (const f of await readdir(bucketsDir)) {
    if (!f.endsWith('.json')) continue;
    buckets.push(JSON.parse(await readFile(join(bucketsDir, f), 'utf8')) as BucketRecord);
  }
  for (const b of buckets) {
    const d = join(objectsDir, b.name);
    let files: string[];
    try {
      files = await readdir(d);
    } catch {
      continue;
    }
    for (const f of files) {
      if (!f.endsWith('.json')) continue;
      objects.push(JSON.parse(await readFile(join(d, f), 'utf8')) as ObjectRecord);
    }
  }
  const uploads: UploadRecord[] = [];
  for (const f of await readdir(uploadsDir)) {
    if (f.endsWith('.json')) uploads.push(JSON.parse(await readFile(join(uploadsDir, f), 'utf8')) as UploadRecord);
  }
  return { buckets, objects, uploads };
}
