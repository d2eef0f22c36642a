/**
 * Resumable uploads through V4 signed URLs (`getSignedUrl({ action: 'resumable' })`), as GCS's XML
 * API does them: POST the signed URL with `x-goog-resumable: start`, get 201 and a session URI in
 * `Location`, PUT the content there (at once or in chunks). URLs are signed by the real client.
 */
import { createHash, randomBytes } from 'node:crypto';
import { CRC32C, Storage, type Bucket, type GetSignedUrlConfig } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStorageEmulator, type StorageEmulator } from '../../emulators/gcs/index.ts';
import { fakeCredentials } from '../support/gcs-keys.ts';

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('base64');
const crc = (b: Buffer): string => {
  const c = new CRC32C();
  c.update(b);
  return c.toString();
};


let emulator: StorageEmulator;
let bucket: Bucket;

beforeAll(async () => {
  emulator = await startStorageEmulator({ projectId: 'test-project' });
  const storage = new Storage({ apiEndpoint: emulator.url, projectId: 'test-project', credentials: fakeCredentials() });
  [bucket] = await storage.createBucket('signed-resumable');
});
afterAll(async () => {
  await emulator?.stop();
});

/** Signs a resumable URL for `name` with these extension headers; returns it and the headers the POST must carry. */
async function signResumable(
  name: string,
  extensionHeaders: Record<string, string>,
  contentType = 'application/pdf',
): Promise<{ url: string; headers: Record<string, string> }> {
  const config: GetSignedUrlConfig = { version: 'v4', action: 'resumable', expires: Date.now() + 60_000, contentType, extensionHeaders };
  const [url] = await bucket.file(name).getSignedUrl(config);
  return { url, headers: { 'content-type': contentType, 'x-goog-resumable': 'start', ...extensionHeaders } };
}

async function start(url: string | URL, headers: Record<string, string>): Promise<Response> {
  return fetch(url, { method: 'POST', headers });
}

describe('V4 signed URLs for resumable uploads', () => {
  it('signs the start (POST, x-goog-resumable: start), answers 201 with a session URI, takes the content in one PUT', async () => {
    const name = 'in/one go.pdf';
    const data = randomBytes(300 * 1024);
    const { url, headers } = await signResumable(name, { 'x-goog-meta-owner': 'alice', 'x-goog-meta-task': 't-1', 'x-goog-if-generation-match': '0' });
    const signed = new URL(url);
    expect(`${signed.origin}${signed.pathname}`).toBe(`${emulator.url}/signed-resumable/in/one%20go.pdf`);
    expect(signed.searchParams.get('X-Goog-SignedHeaders')?.split(';')).toEqual(
      expect.arrayContaining(['content-type', 'x-goog-resumable', 'x-goog-meta-owner', 'x-goog-if-generation-match']),
    );

    const started = await start(url, headers);
    expect(started.status).toBe(201);
    const location = started.headers.get('location');
    expect(location).toMatch(new RegExp(`^${emulator.url}/signed-resumable/in/one%20go\\.pdf\\?upload_id=[0-9a-f]+$`));

    const put = await fetch(location as string, { method: 'PUT', body: data });
    expect(put.status).toBe(200);
    expect(put.headers.get('x-goog-hash')).toBe(`crc32c=${crc(data)},md5=${md5(data)}`);
    const [meta] = await bucket.file(name).getMetadata();
    expect(meta).toMatchObject({ contentType: 'application/pdf', size: String(data.length), md5Hash: md5(data), crc32c: crc(data) });
    expect(meta.metadata).toEqual({ owner: 'alice', task: 't-1' });
    expect(put.headers.get('x-goog-generation')).toBe(String(meta.generation));
    expect((await bucket.file(name).download())[0].equals(data)).toBe(true);

    // the session is done: asking again gets the same object, not a second one
    const again = await fetch(location as string, { method: 'PUT', headers: { 'content-range': `bytes */${data.length}` } });
    expect(again.status).toBe(200);
    expect(again.headers.get('x-goog-generation')).toBe(String(meta.generation));
  });

  it('takes the content in two chunks by Content-Range: 308 with Range, a status query, then the last chunk', async () => {
    const name = 'in/chunked.png';
    const data = randomBytes(600 * 1024 + 17);
    const cut = 256 * 1024;
    const { url, headers } = await signResumable(name, { 'x-goog-meta-source': 'signed-url' }, 'image/png');
    const started = await start(url, headers);
    expect(started.status).toBe(201);
    const location = started.headers.get('location') as string;

    let r = await fetch(location, { method: 'PUT', headers: { 'content-range': `bytes 0-${cut - 1}/*` }, body: data.subarray(0, cut) });
    expect(r.status).toBe(308);
    expect(r.headers.get('range')).toBe(`bytes=0-${cut - 1}`);
    r = await fetch(location, { method: 'PUT', headers: { 'content-range': `bytes */${data.length}` } });
    expect(r.status).toBe(308);
    expect(r.headers.get('range')).toBe(`bytes=0-${cut - 1}`);
    expect((await bucket.file(name).exists())[0]).toBe(false);
    r = await fetch(location, {
      method: 'PUT',
      headers: { 'content-range': `bytes ${cut}-${data.length - 1}/${data.length}` },
      body: data.subarray(cut),
    });
    expect(r.status).toBe(200);

    const [meta] = await bucket.file(name).getMetadata();
    expect(meta).toMatchObject({ contentType: 'image/png', size: String(data.length), crc32c: crc(data), metadata: { source: 'signed-url' } });
    expect((await bucket.file(name).download())[0].equals(data)).toBe(true);
  });

  it('refuses an expired URL and starts no session', async () => {
    const name = 'in/late.pdf';
    const { url, headers } = await signResumable(name, { 'x-goog-meta-owner': 'bob' });
    const expired = new URL(url);
    expired.searchParams.set('X-Goog-Date', '20200101T000000Z');
    const r = await start(expired, headers);
    expect(r.status).toBe(400);
    expect(r.headers.get('location')).toBeNull();
    expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/expired/i);
    expect((await bucket.file(name).exists())[0]).toBe(false);
  });

  it('honours x-goog-if-generation-match: 0 at the start, so the URL cannot replace an uploaded object', async () => {
    const name = 'in/once.pdf';
    const { url, headers } = await signResumable(name, { 'x-goog-if-generation-match': '0' });
    const first = await start(url, headers);
    const second = await start(url, headers); // started before the first finished: refused at commit
    await fetch(first.headers.get('location') as string, { method: 'PUT', body: '%PDF-1.7 first' });
    expect((await bucket.file(name).download())[0].toString()).toBe('%PDF-1.7 first');

    const third = await start(url, headers);
    expect(third.status).toBe(412);
    const late = await fetch(second.headers.get('location') as string, { method: 'PUT', body: '%PDF-1.7 second' });
    expect(late.status).toBe(412);
    expect((await bucket.file(name).download())[0].toString()).toBe('%PDF-1.7 first');
  });

  it('answers 400 to a POST without x-goog-resumable: start, and 404 to a session URI for another object', async () => {
    const { url, headers } = await signResumable('in/x.pdf', {});
    const { 'x-goog-resumable': _start, ...withoutStart } = headers;
    expect((await start(url, withoutStart)).status).toBe(400);
    const started = await start(url, headers);
    const other = new URL(started.headers.get('location') as string);
    other.pathname = '/signed-resumable/in/y.pdf';
    expect((await fetch(other, { method: 'PUT', body: 'x' })).status).toBe(404);
  });
});
