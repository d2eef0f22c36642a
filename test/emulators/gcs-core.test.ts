import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
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
  const body = (eol: string): Buffer =>
    Buffer.concat([
      Buffer.from(`--b0undary${eol}Content-Type: application/json; charset=UTF-8${eol}${eol}{"name":"x","metadata":{"k":"v"}}${eol}`),
      Buffer.from(`--b0undary${eol}Content-Type: image/png${eol}${eol}`),
      media,
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
