import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Storage, CRC32C, TransferManager, type Bucket } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStorageEmulator, type StorageEmulator, type StorageEmulatorOptions } from '../../emulators/gcs/index.ts';
import { fakeCredentials } from '../support/gcs-keys.ts';

const MiB = 1024 * 1024;
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('base64');
const crc = (b: Buffer): string => {
  const c = new CRC32C();
  c.update(b);
  return c.toString();
};


/**
 * The contract every Cloud Storage backend of the emulator meets, driven through the real
 * `@google-cloud/storage` client. Run once per backend.
 */
export function describeStorageContract(label: string, options: () => StorageEmulatorOptions): void {
  describe(`Cloud Storage emulator (${label}) with @google-cloud/storage`, () => {
    let emulator: StorageEmulator;
    let storage: Storage;
    let bucket: Bucket;

    beforeAll(async () => {
      emulator = await startStorageEmulator(options());
      storage = new Storage({ apiEndpoint: emulator.url, projectId: 'test-project', credentials: fakeCredentials() });
      [bucket] = await storage.createBucket('contract');
    });
    afterAll(async () => {
      await emulator?.stop();
    });

    it('creates, gets, lists and deletes buckets; 409 on a duplicate or a non-empty delete', async () => {
      const [b] = await storage.createBucket('temp-bucket');
      expect((await b.exists())[0]).toBe(true);
      await expect(storage.createBucket('temp-bucket')).rejects.toMatchObject({ code: 409 });
      const [buckets] = await storage.getBuckets();
      expect(buckets.map((x) => x.name)).toEqual(expect.arrayContaining(['contract', 'temp-bucket']));
      const [meta] = await b.getMetadata();
      expect(meta).toMatchObject({ kind: 'storage#bucket', name: 'temp-bucket', storageClass: 'STANDARD', metageneration: '1' });
      await b.file('x').save('x');
      await expect(b.delete()).rejects.toMatchObject({ code: 409 });
      await b.file('x').delete();
      await b.delete();
      expect((await b.exists())[0]).toBe(false);
      expect((await storage.bucket('never-made').exists())[0]).toBe(false);
    });

    it('saves a small object (multipart) with the resource fields the clients read', async () => {
      const data = Buffer.from('hello, emulator\n');
      const file = bucket.file('small/hello.txt');
      await file.save(data, { resumable: false, contentType: 'text/plain', metadata: { metadata: { owner: 'tests' } } });
      const [m] = await file.getMetadata();
      expect(m).toMatchObject({
        kind: 'storage#object',
        name: 'small/hello.txt',
        bucket: 'contract',
        contentType: 'text/plain',
        size: String(data.length),
        md5Hash: md5(data),
        crc32c: crc(data),
        metageneration: '1',
        storageClass: 'STANDARD',
        metadata: { owner: 'tests' },
      });
      expect(m.generation).toMatch(/^\d+$/);
      expect(m.id).toBe(`contract/small/hello.txt/${m.generation}`);
      for (const k of ['selfLink', 'mediaLink', 'etag', 'timeCreated', 'updated']) expect(m[k]).toBeTruthy();
      const [back] = await file.download();
      expect(back.equals(data)).toBe(true);
    });

    it('saves large objects resumably: one stream and chunked', async () => {
      const data = randomBytes(9 * MiB + 123);
      const single = bucket.file('large/single.bin');
      await single.save(data, { resumable: true });
      const chunked = bucket.file('large/chunked.bin');
      await chunked.save(data, { resumable: true, chunkSize: 2 * MiB });
      for (const f of [single, chunked]) {
        const [m] = await f.getMetadata();
        expect(m.size).toBe(String(data.length));
        expect(m.md5Hash).toBe(md5(data));
        expect(m.crc32c).toBe(crc(data));
        const [back] = await f.download();
        expect(back.equals(data)).toBe(true);
      }
    });

    it('streams an upload of unknown size with createWriteStream', async () => {
      const parts = Array.from({ length: 20 }, () => randomBytes(256 * 1024 + 7));
      const file = bucket.file('stream/unknown-size.bin');
      await pipeline(Readable.from(parts), file.createWriteStream({ contentType: 'application/x-test' }));
      const whole = Buffer.concat(parts);
      const [m] = await file.getMetadata();
      expect(m).toMatchObject({ size: String(whole.length), crc32c: crc(whole), contentType: 'application/x-test' });
      const chunks: Buffer[] = [];
      await pipeline(file.createReadStream(), async (src: AsyncIterable<unknown>) => {
        for await (const c of src) chunks.push(c as Buffer);
      });
      expect(Buffer.concat(chunks).equals(whole)).toBe(true);
    });

    it('streams a multipart upload (createWriteStream resumable:false) and an empty object', async () => {
      const data = randomBytes(3 * MiB);
      const file = bucket.file('stream/multipart.bin');
      await pipeline(Readable.from([data]), file.createWriteStream({ resumable: false }));
      expect((await file.getMetadata())[0].md5Hash).toBe(md5(data));
      const empty = bucket.file('stream/empty');
      await empty.save(Buffer.alloc(0));
      const [m] = await empty.getMetadata();
      expect(m.size).toBe('0');
      expect((await empty.download())[0].length).toBe(0);
      const emptyResumable = bucket.file('stream/empty-resumable');
      await emptyResumable.save(Buffer.alloc(0), { resumable: true });
      expect((await emptyResumable.getMetadata())[0].crc32c).toBe('AAAAAA==');
    });

    it('downloads with and without validation, and by byte range', async () => {
      const data = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
      const file = bucket.file('ranges.txt');
      await file.save(data, { resumable: false });
      expect((await file.download({ validation: 'crc32c' }))[0].toString()).toBe(data.toString());
      expect((await file.download({ validation: 'md5' }))[0].toString()).toBe(data.toString());
      expect((await file.download({ validation: false }))[0].toString()).toBe(data.toString());
      expect((await file.download({ start: 10, end: 15 }))[0].toString()).toBe('abcdef');
      expect((await file.download({ start: 30 }))[0].toString()).toBe('uvwxyz');
      const res = await fetch(`${emulator.url}/download/storage/v1/b/contract/o/ranges.txt?alt=media`, { headers: { range: 'bytes=-3' } });
      expect(res.status).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes 33-35/${data.length}`);
      expect(await res.text()).toBe('xyz');
      const bad = await fetch(`${emulator.url}/storage/v1/b/contract/o/ranges.txt?alt=media`, { headers: { range: 'bytes=100-' } });
      expect(bad.status).toBe(416);
    });

    it('sends the download headers the clients validate with', async () => {
      const data = Buffer.from('headers');
      const file = bucket.file('h.txt');
      await file.save(data, { resumable: false, contentType: 'text/plain' });
      const [m] = await file.getMetadata();
      const res = await fetch(`${emulator.url}/storage/v1/b/contract/o/h.txt?alt=media`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-goog-hash')).toBe(`crc32c=${crc(data)},md5=${md5(data)}`);
      expect(res.headers.get('x-goog-stored-content-encoding')).toBe('identity');
      expect(res.headers.get('x-goog-generation')).toBe(m.generation);
      expect(res.headers.get('content-length')).toBe(String(data.length));
      expect(res.headers.get('content-type')).toBe('text/plain');
      expect(await res.text()).toBe('headers');
    });

    it('lists with prefix, delimiter and pagination', async () => {
      const [b] = await storage.createBucket('listing');
      const names = ['a/1', 'a/2', 'a/b/3', 'b/4', 'c', 'd', 'e'];
      await Promise.all(names.map((n) => b.file(n).save(n, { resumable: false })));
      const [all] = await b.getFiles();
      expect(all.map((f) => f.name)).toEqual(names);
      const [underA] = await b.getFiles({ prefix: 'a/' });
      expect(underA.map((f) => f.name)).toEqual(['a/1', 'a/2', 'a/b/3']);
      const [top, , api] = await b.getFiles({ delimiter: '/', autoPaginate: false });
      expect(top.map((f) => f.name)).toEqual(['c', 'd', 'e']);
      expect((api as { prefixes: string[] }).prefixes).toEqual(['a/', 'b/']);
      const [inA, , apiA] = await b.getFiles({ prefix: 'a/', delimiter: '/', autoPaginate: false });
      expect(inA.map((f) => f.name)).toEqual(['a/1', 'a/2']);
      expect((apiA as { prefixes: string[] }).prefixes).toEqual(['a/b/']);
      // pages of 2, following nextPageToken
      const seen: string[] = [];
      let query: { maxResults: number; autoPaginate: false; pageToken?: string } | null = { maxResults: 2, autoPaginate: false };
      let pages = 0;
      while (query) {
        const [files, next]: [{ name: string }[], unknown] = (await b.getFiles(query)) as never;
        expect(files.length).toBeLessThanOrEqual(2);
        seen.push(...files.map((f) => f.name));
        query = (next as typeof query) ?? null;
        pages++;
      }
      expect(seen).toEqual(names);
      expect(pages).toBe(4);
      // autoPaginate over maxResults pages returns everything
      const [auto] = await b.getFiles({ maxResults: 3 });
      expect(auto.length).toBeGreaterThanOrEqual(3);
      const [glob] = await b.getFiles({ matchGlob: 'a/*' });
      expect(glob.map((f) => f.name)).toEqual(['a/1', 'a/2']);
    });

    it('patches metadata: merge, null deletes a key, metageneration increases', async () => {
      const file = bucket.file('meta.txt');
      await file.save('m', { resumable: false, metadata: { metadata: { a: '1', b: '2' } } });
      await file.setMetadata({ metadata: { b: null, c: '3' }, contentType: 'text/markdown', cacheControl: 'no-cache' });
      const [m] = await file.getMetadata();
      expect(m.metadata).toEqual({ a: '1', c: '3' });
      expect(m.contentType).toBe('text/markdown');
      expect(m.cacheControl).toBe('no-cache');
      expect(m.metageneration).toBe('2');
      await expect(file.setMetadata({ metadata: { x: '1' } }, { ifMetagenerationMatch: 1 })).rejects.toMatchObject({ code: 412 });
      await file.setMetadata({ metadata: { x: '1' } }, { ifMetagenerationMatch: 2 });
      expect((await file.getMetadata())[0].metageneration).toBe('3');
    });

    it('answers exists() and 404s in the JSON API error shape', async () => {
      expect((await bucket.file('meta.txt').exists())[0]).toBe(true);
      expect((await bucket.file('nope').exists())[0]).toBe(false);
      await expect(bucket.file('nope').download()).rejects.toMatchObject({ code: 404 });
      const res = await fetch(`${emulator.url}/storage/v1/b/contract/o/nope`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 404, errors: [{ reason: 'notFound' }] } });
    });

    it('copies, moves, renames and deletes', async () => {
      const src = bucket.file('copy/src.txt');
      await src.save('copy me', { resumable: false, contentType: 'text/plain', metadata: { metadata: { k: 'v' } } });
      const [other] = await storage.createBucket('copy-target');
      await src.copy(bucket.file('copy/dst.txt'));
      await src.copy(other.file('elsewhere.txt'));
      for (const f of [bucket.file('copy/dst.txt'), other.file('elsewhere.txt')]) {
        const [m] = await f.getMetadata();
        expect(m).toMatchObject({ contentType: 'text/plain', metadata: { k: 'v' }, size: '7' });
        expect((await f.download())[0].toString()).toBe('copy me');
      }
      await bucket.file('copy/dst.txt').move('copy/moved.txt');
      expect((await bucket.file('copy/dst.txt').exists())[0]).toBe(false);
      expect((await bucket.file('copy/moved.txt').download())[0].toString()).toBe('copy me');
      await bucket.file('copy/moved.txt').moveFileAtomic('copy/atomic.txt', { preconditionOpts: { ifGenerationMatch: 0 } });
      expect((await bucket.file('copy/moved.txt').exists())[0]).toBe(false);
      await bucket.file('copy/atomic.txt').rename('copy/renamed.txt');
      expect((await bucket.file('copy/renamed.txt').exists())[0]).toBe(true);
      await bucket.file('copy/renamed.txt').delete();
      expect((await bucket.file('copy/renamed.txt').exists())[0]).toBe(false);
      await expect(bucket.file('copy/renamed.txt').delete()).rejects.toMatchObject({ code: 404 });
      await bucket.file('copy/renamed.txt').delete({ ignoreNotFound: true });
    });

    it('enforces generation preconditions on writes and deletes', async () => {
      const file = bucket.file('pre.txt');
      await file.save('v1', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
      await expect(file.save('v2', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } })).rejects.toMatchObject({ code: 412 });
      await expect(file.save('v2', { resumable: true, preconditionOpts: { ifGenerationMatch: 0 } })).rejects.toMatchObject({ code: 412 });
      const [m] = await file.getMetadata();
      await file.save('v2', { resumable: false, preconditionOpts: { ifGenerationMatch: Number(m.generation) } });
      const [m2] = await file.getMetadata();
      expect(BigInt(m2.generation as string)).toBeGreaterThan(BigInt(m.generation as string));
      await expect(file.delete({ ifGenerationMatch: Number(m.generation) })).rejects.toMatchObject({ code: 412 });
      await file.delete({ ifGenerationMatch: Number(m2.generation) });
    });

    it('keeps versions in a versioned bucket and reads an old generation', async () => {
      const [b] = await storage.createBucket('versioned', { versioning: { enabled: true } });
      const f = b.file('doc');
      await f.save('one', { resumable: false });
      const [m1] = await f.getMetadata();
      await f.save('two', { resumable: false });
      const [live] = await b.getFiles();
      expect(live).toHaveLength(1);
      const [all] = await b.getFiles({ versions: true });
      expect(all.map((x) => x.metadata.generation)).toHaveLength(2);
      const old = b.file('doc', { generation: Number(m1.generation) });
      expect((await old.download())[0].toString()).toBe('one');
      expect((await f.download())[0].toString()).toBe('two');
    });

    it('composes objects (what parallel composite uploads do)', async () => {
      const parts = [randomBytes(1000), randomBytes(2000), randomBytes(3)];
      await Promise.all(parts.map((p, i) => bucket.file(`compose/part-${i}`).save(p, { resumable: false })));
      const [combined] = await bucket.combine(parts.map((_, i) => `compose/part-${i}`), 'compose/whole', {});
      const whole = Buffer.concat(parts);
      const [m] = await combined.getMetadata();
      expect(m).toMatchObject({ size: String(whole.length), crc32c: crc(whole), componentCount: 3 });
      expect((await combined.download())[0].equals(whole)).toBe(true);
    });

    it('uploads and downloads through V4 signed URLs, and refuses an expired one', async () => {
      const file = bucket.file('signed/doc.pdf');
      const [putUrl] = await file.getSignedUrl({ version: 'v4', action: 'write', expires: Date.now() + 60_000, contentType: 'application/pdf' });
      expect(putUrl.startsWith(`${emulator.url}/contract/signed/doc.pdf?`)).toBe(true);
      const put = await fetch(putUrl, { method: 'PUT', headers: { 'content-type': 'application/pdf' }, body: '%PDF-1.4 test' });
      expect(put.status).toBe(200);
      const [m] = await file.getMetadata();
      expect(m.contentType).toBe('application/pdf');
      const [getUrl] = await file.getSignedUrl({ version: 'v4', action: 'read', expires: Date.now() + 60_000 });
      const got = await fetch(getUrl);
      expect(got.status).toBe(200);
      expect(await got.text()).toBe('%PDF-1.4 test');
      const expired = new URL(getUrl);
      expired.searchParams.set('X-Goog-Date', '20200101T000000Z');
      expect((await fetch(expired)).status).toBe(400);
    });

    it('speaks the resumable protocol: partial chunks, 308 + Range, status queries, final chunk', async () => {
      const start = await fetch(`${emulator.url}/upload/storage/v1/b/contract/o?uploadType=resumable&name=raw/resumable.bin`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-upload-content-type': 'image/png' },
        body: '{}',
      });
      expect(start.status).toBe(200);
      const location = start.headers.get('location');
      expect(location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/upload\/storage\/v1\/b\/contract\/o\?.*upload_id=/);
      const data = randomBytes(1000);
      const put = (range: string, body?: Buffer): Promise<Response> =>
        fetch(location as string, { method: 'PUT', headers: { 'content-range': range }, ...(body ? { body } : {}) });
      let r = await put('bytes */*');
      expect(r.status).toBe(308);
      expect(r.headers.get('range')).toBeNull();
      r = await put('bytes 0-399/*', data.subarray(0, 400));
      expect(r.status).toBe(308);
      expect(r.headers.get('range')).toBe('bytes=0-399');
      // a resent overlap is skipped
      r = await put('bytes 300-599/*', data.subarray(300, 600));
      expect(r.headers.get('range')).toBe('bytes=0-599');
      r = await put('bytes */1000');
      expect(r.status).toBe(308);
      r = await put('bytes 600-999/1000', data.subarray(600));
      expect(r.status).toBe(200);
      const o = (await r.json()) as Record<string, unknown>;
      expect(o).toMatchObject({ name: 'raw/resumable.bin', size: '1000', contentType: 'image/png', crc32c: crc(data), md5Hash: md5(data) });
      r = await put('bytes */1000');
      expect(r.status).toBe(200);
      expect((await bucket.file('raw/resumable.bin').download())[0].equals(data)).toBe(true);
    });

    it('keeps what arrived of a chunk cut off mid-way, and the upload resumes from there', async () => {
      const start = await fetch(`${emulator.url}/upload/storage/v1/b/contract/o?uploadType=resumable&name=raw/cut.bin`, { method: 'POST' });
      const location = new URL(start.headers.get('location') as string);
      const data = randomBytes(256 * 1024);
      // send half of a chunk that declares the whole object, then drop the connection
      await new Promise<void>((resolve) => {
        const req = request(location, { method: 'PUT', headers: { 'content-range': `bytes 0-${data.length - 1}/${data.length}`, 'content-length': data.length } });
        req.on('error', () => resolve());
        req.write(data.subarray(0, 100_000), () => setTimeout(() => req.destroy(), 100));
      });
      await new Promise((r) => setTimeout(r, 100));
      const status = await fetch(location, { method: 'PUT', headers: { 'content-range': 'bytes */*' } });
      expect(status.status).toBe(308);
      const kept = Number((status.headers.get('range') ?? 'bytes=0--1').split('-')[1]) + 1;
      expect(kept).toBeLessThanOrEqual(100_000);
      const rest = await fetch(location, {
        method: 'PUT',
        headers: { 'content-range': `bytes ${kept}-${data.length - 1}/${data.length}` },
        body: data.subarray(kept),
      });
      expect(rest.status).toBe(200);
      expect(await rest.json()).toMatchObject({ size: String(data.length), md5Hash: md5(data), crc32c: crc(data) });
    });

    it('accepts multipart bodies with a single-quoted boundary, LF line ends and the name only in the query', async () => {
      const boundary = '===============7330845974216740156==';
      const body = [
        `--${boundary}`,
        'Content-Type: application/json',
        '',
        '{"contentType": "text/csv"}',
        `--${boundary}`,
        'Content-Type: text/csv',
        '',
        'a,b\nc,d',
        `--${boundary}--`,
        '',
      ].join('\n');
      const r = await fetch(`${emulator.url}/upload/storage/v1/b/contract/o?uploadType=multipart&name=raw/quoted.csv`, {
        method: 'POST',
        headers: { 'content-type': `multipart/related; boundary='${boundary}'` },
        body,
      });
      expect(r.status).toBe(200);
      expect((await bucket.file('raw/quoted.csv').download())[0].toString()).toBe('a,b\nc,d');
      expect((await bucket.file('raw/quoted.csv').getMetadata())[0].contentType).toBe('text/csv');
    });

    it('works through STORAGE_EMULATOR_HOST (bare /b/ paths)', async () => {
      const before = process.env.STORAGE_EMULATOR_HOST;
      process.env.STORAGE_EMULATOR_HOST = emulator.url;
      try {
        const s = new Storage({ projectId: 'test-project' });
        const f = s.bucket('contract').file('env/host.txt');
        await f.save('via env', { resumable: false });
        await f.save('via env, resumable', { resumable: true });
        expect((await f.download())[0].toString()).toBe('via env, resumable');
        const [files] = await s.bucket('contract').getFiles({ prefix: 'env/' });
        expect(files.map((x) => x.name)).toEqual(['env/host.txt']);
      } finally {
        if (before === undefined) delete process.env.STORAGE_EMULATOR_HOST;
        else process.env.STORAGE_EMULATOR_HOST = before;
      }
    });

    it('handles object names with spaces, unicode, #, ?, + and %', async () => {
      const names = ['dir/with space.txt', 'dir/ünïcødé-名前.txt', 'dir/hash#1?q=2.txt', 'dir/plus+sign%41.txt'];
      for (const n of names) await bucket.file(n).save(n, { resumable: false });
      await bucket.file('dir/resumable #2.txt').save('r', { resumable: true });
      const [files] = await bucket.getFiles({ prefix: 'dir/' });
      expect(files.map((f) => f.name).sort()).toEqual([...names, 'dir/resumable #2.txt'].sort());
      for (const n of names) expect((await bucket.file(n).download())[0].toString()).toBe(n);
      const [url] = await bucket.file(names[2] as string).getSignedUrl({ version: 'v4', action: 'read', expires: Date.now() + 60_000 });
      expect(await (await fetch(url)).text()).toBe(names[2]);
    });

    it('lets exactly one of two racing ifGenerationMatch:0 writers win', async () => {
      const results = await Promise.allSettled(
        ['first', 'second', 'third'].map((v) => bucket.file('race.txt').save(v, { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 412 });
    });

    it('resumes an upload through a session URI made earlier (createResumableUpload)', async () => {
      const file = bucket.file('resume/later.bin');
      const [uri] = await file.createResumableUpload({ metadata: { contentType: 'application/x-later' } });
      const data = randomBytes(300 * 1024);
      await file.save(data, { uri, resumable: true });
      const [m] = await file.getMetadata();
      expect(m).toMatchObject({ size: String(data.length), contentType: 'application/x-later', md5Hash: md5(data) });
    });

    it('stores gzip content-encoding as sent and the client decompresses it', async () => {
      const text = 'compress me '.repeat(1000);
      const file = bucket.file('gzip.txt');
      await file.save(text, { gzip: true, resumable: false, contentType: 'text/plain' });
      const [m] = await file.getMetadata();
      expect(m.contentEncoding).toBe('gzip');
      expect(Number(m.size)).toBeLessThan(text.length);
      expect((await file.download())[0].toString()).toBe(text);
      // a client that does not accept gzip gets it decoded (decompressive transcoding)
      const plain = await fetch(`${emulator.url}/storage/v1/b/contract/o/gzip.txt?alt=media`, { headers: { 'accept-encoding': 'identity' } });
      expect(plain.headers.get('content-encoding')).toBeNull();
      expect(plain.headers.get('x-goog-stored-content-encoding')).toBe('gzip');
      expect(await plain.text()).toBe(text);
    });

    it('serves the TransferManager: uploadManyFiles and downloadFileInChunks with validation', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gcs-tm-'));
      try {
        const big = randomBytes(3 * MiB + 11);
        writeFileSync(join(dir, 'one.bin'), big);
        writeFileSync(join(dir, 'two.txt'), 'two');
        const tm = new TransferManager(bucket);
        await tm.uploadManyFiles([join(dir, 'one.bin'), join(dir, 'two.txt')], { customDestinationBuilder: (p) => `tm/${basename(p)}` });
        const out = join(dir, 'one.down');
        await tm.downloadFileInChunks('tm/one.bin', { destination: out, chunkSizeBytes: MiB, validation: 'crc32c' });
        expect(readFileSync(out).equals(big)).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('manages notification configs', async () => {
      const [n] = await bucket.createNotification('projects/test-project/topics/uploads', { eventTypes: ['OBJECT_FINALIZE'], objectNamePrefix: 'in/' });
      const [meta] = await n.getMetadata();
      expect(meta).toMatchObject({ topic: '//pubsub.googleapis.com/projects/test-project/topics/uploads', payload_format: 'JSON_API_V1', event_types: ['OBJECT_FINALIZE'] });
      const [list] = await bucket.getNotifications();
      expect(list.map((x) => x.id)).toEqual([n.id]);
      await n.delete();
      expect((await bucket.getNotifications())[0]).toHaveLength(0);
    });
  });
}
