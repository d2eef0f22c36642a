import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createFilesystemBackend } from '../../emulators/gcs/backends/filesystem.ts';
import { createMemoryBackend } from '../../emulators/gcs/backends/memory.ts';
import { boundaryOf, parseMultipartUpload } from '../../emulators/gcs/multipart.ts';
import { StorageCore } from '../../emulators/gcs/storage.ts';

async function collect(r: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of r) out.push(c as Buffer);
  return Buffer.concat(out);
}

/** A body cut into pieces of `size` bytes, as a socket may deliver it. */
const chunked = (body: Buffer, size: number): Readable =>
  Readable.from(Array.from({ length: Math.ceil(body.length / size) }, (_, i) => body.subarray(i * size, (i + 1) * size)));

describe('multipart/related upload parsing', () => {
  it.each([
    ['multipart/related; boundary=abc', 'abc'],
    ['multipart/related; boundary="a b"', 'a b'],
    ["multipart/related; boundary='===x=='", '===x=='],
    ['application/json', undefined],
  ])('finds the boundary in %s', (header, boundary) => {
    expect(boundaryOf(header)).toBe(boundary);
  });

  const media = Buffer.concat([randomBytes(5000), Buffer.from('\r\n--not-the-boundary\r\n'), randomBytes(3000)]);
  const body = (eol: string, content = media): Buffer =>
    Buffer.concat([
      Buffer.from(`--b0undary${eol}Content-Type: application/json; charset=UTF-8${eol}${eol}{"name":"x","metadata":{"k":"v"}}${eol}`),
      Buffer.from(`--b0undary${eol}Content-Type: image/png${eol}${eol}`),
      content,
      Buffer.from(`${eol}--b0undary--${eol}`),
    ]);

  it.each([
    { label: 'CRLF', eol: '\r\n', size: 1 },
    { label: 'CRLF', eol: '\r\n', size: 7 },
    { label: 'CRLF', eol: '\r\n', size: 65536 },
    { label: 'LF', eol: '\n', size: 1 },
    { label: 'LF', eol: '\n', size: 13 },
  ])('splits a $label body delivered in $size-byte pieces', async ({ eol, size }) => {
    const parsed = await parseMultipartUpload(chunked(body(eol), size), 'b0undary');
    expect(parsed.metadata).toEqual({ name: 'x', metadata: { k: 'v' } });
    expect(parsed.mediaContentType).toBe('image/png');
    expect((await collect(parsed.media)).equals(media)).toBe(true);
  });

  // gcloud writes its messages with LF line breaks; a PDF commonly ends `%%EOF\r` (seen: gcloud storage cp of a
  // sample scan failed with "Source hash … does not match destination hash", the stored object a byte short).
  it.each([
    { label: 'LF', eol: '\n', ending: '%%EOF\r' },
    { label: 'LF', eol: '\n', ending: '%%EOF\r\n' },
    { label: 'CRLF', eol: '\r\n', ending: '%%EOF\r' },
    { label: 'CRLF', eol: '\r\n', ending: '%%EOF\n' },
    { label: 'CRLF', eol: '\r\n', ending: '%%EOF\r\n' },
  ].map((c) => ({ ...c, shown: JSON.stringify(c.ending) })))('keeps a file ending $shown in a $label message whole', async ({ eol, ending }) => {
    const file = Buffer.concat([randomBytes(3000), Buffer.from(ending)]);
    const parsed = await parseMultipartUpload(chunked(body(eol, file), 1000), 'b0undary');
    expect((await collect(parsed.media)).equals(file)).toBe(true);
  });

  it('rejects a body without the closing boundary', async () => {
    const cut = body('\r\n').subarray(0, 6000);
    const parsed = await parseMultipartUpload(chunked(cut, 1000), 'b0undary');
    await expect(collect(parsed.media)).rejects.toThrow(/closing boundary/);
  });
});

describe('storage core listing', () => {
  async function coreWith(names: string[]): Promise<StorageCore> {
    const core = new StorageCore(createMemoryBackend());
    await core.init();
    await core.createBucket('bkt', 'p');
    for (const n of names) await core.writeObject('bkt', n, Readable.from([Buffer.from(n)]), {});
    return core;
  }

  it('pages through prefixes and items together, each prefix once', async () => {
    const names = ['a/1', 'a/2', 'a/3', 'b', 'c/1', 'c/2', 'd', 'e/x/y'];
    const core = await coreWith(names);
    const seenItems: string[] = [];
    const seenPrefixes: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const page = core.listObjects('bkt', { delimiter: '/', maxResults: 2, ...(pageToken ? { pageToken } : {}) });
      expect(page.items.length + page.prefixes.length).toBeLessThanOrEqual(2);
      seenItems.push(...page.items.map((o) => o.name));
      seenPrefixes.push(...page.prefixes);
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken);
    expect(seenItems).toEqual(['b', 'd']);
    expect(seenPrefixes).toEqual(['a/', 'c/', 'e/']);
    expect(pages).toBe(3);
  });

  it('filters by startOffset/endOffset and matchGlob', async () => {
    const core = await coreWith(['logs/2024/a.txt', 'logs/2025/b.txt', 'logs/2025/c.pdf', 'z']);
    expect(core.listObjects('bkt', { startOffset: 'logs/2025', endOffset: 'z' }).items.map((o) => o.name)).toEqual([
      'logs/2025/b.txt',
      'logs/2025/c.pdf',
    ]);
    expect(core.listObjects('bkt', { matchGlob: 'logs/**/*.txt' }).items.map((o) => o.name)).toEqual(['logs/2024/a.txt', 'logs/2025/b.txt']);
    expect(core.listObjects('bkt', { matchGlob: 'logs/*/{b,c}.*' }).items.map((o) => o.name)).toEqual(['logs/2025/b.txt', 'logs/2025/c.pdf']);
  });

  it('gives every new generation a larger number, across objects', async () => {
    const core = await coreWith([]);
    const gens: number[] = [];
    for (let i = 0; i < 50; i++) gens.push((await core.writeObject('bkt', `o${i % 3}`, Readable.from([Buffer.from('x')]), {})).generation);
    expect([...gens].sort((a, b) => a - b)).toEqual(gens);
    expect(new Set(gens).size).toBe(gens.length);
  });
});

describe('storage core soft delete', () => {
  const WEEK = 7 * 24 * 3600;
  const text = (s: string): Readable => Readable.from([Buffer.from(s)]);

  it('keeps a deleted generation on disk across a restart, restores it, and drops it once past its hard delete time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gcs-soft-'));
    try {
      const first = new StorageCore(await createFilesystemBackend(dir));
      await first.init();
      await first.createBucket('bkt', 'p', { softDeletePolicy: { retentionDurationSeconds: WEEK } });
      const written = await first.writeObject('bkt', 'doc.txt', text('kept'), {});
      await first.deleteObject('bkt', 'doc.txt', undefined);
      await first.close();

      const second = new StorageCore(await createFilesystemBackend(dir));
      await second.init();
      expect(second.listObjects('bkt').items).toEqual([]);
      const [soft] = second.listObjects('bkt', { softDeleted: true }).items;
      expect(soft?.generation).toBe(written.generation);
      expect(Date.parse(soft?.hardDeleteTime ?? '') - Date.parse(soft?.softDeleteTime ?? '')).toBe(WEEK * 1000);
      const restored = await second.restoreObject('bkt', 'doc.txt', written.generation, {}, false);
      expect(restored.generation).toBeGreaterThan(written.generation);
      expect(restored.softDeleteTime).toBeUndefined();
      const chunks: Buffer[] = [];
      for await (const c of second.readObject(restored)) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe('kept');

      // a soft-deleted record whose hard delete time has passed is gone for good
      await second.deleteObject('bkt', 'doc.txt', undefined);
      const [again] = second.listObjects('bkt', { softDeleted: true }).items;
      if (!again) throw new Error('expected a soft-deleted generation');
      again.hardDeleteTime = new Date(Date.now() - 1000).toISOString();
      expect(second.listObjects('bkt', { softDeleted: true }).items).toEqual([]);
      expect(() => second.getSoftDeletedObject('bkt', 'doc.txt', again.generation)).toThrow(/No such object/);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
