import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { StorageError } from '../errors.ts';
import { etag } from '../resources.ts';
import { checkPreconditions } from '../storage.ts';
import type { ByteRange, ObjectRecord } from '../types.ts';
import { baseHeaders, bool, type Ctx, header, num, type Params, preconditions } from './context.ts';
import { checkContentKey, customerKey } from './csek.ts';
import { refuseUnsupportedObjectOptions } from './unsupported.ts';

export async function download(ctx: Ctx, { bucket, object }: Params): Promise<void> {
  refuseUnsupportedObjectOptions(ctx);
  if (bool(ctx.query.get('softDeleted'))) {
    throw new StorageError('invalid', 'A soft-deleted object\'s content cannot be read; restore it first (objects.restore).');
  }
  const o = ctx.core.getObject(bucket, object, num(ctx.query.get('generation')));
  checkPreconditions(o, preconditions(ctx.query));
  checkContentKey(o, customerKey(ctx.req));
  await sendContent(ctx, o);
}

/**
 * A header value as GCS sends custom metadata on the wire: printable ASCII as is, anything else
 * (UTF-8 beyond ASCII, control characters) percent-encoded, so a name like `報告.png` cannot break
 * the response.
 */
export function headerSafe(value: string): string {
  return value.replace(/[^\x20-\x7e]+/gu, (s) => encodeURIComponent(s));
}

export async function sendContent(ctx: Ctx, o: ObjectRecord): Promise<void> {
  const headers: Record<string, string> = {
    ...baseHeaders(ctx),
    'content-type': o.contentType,
    'accept-ranges': 'bytes',
    etag: `"${etag(o)}"`,
    'last-modified': new Date(o.updated).toUTCString(),
    'x-goog-generation': String(o.generation),
    'x-goog-metageneration': String(o.metageneration),
    'x-goog-stored-content-encoding': o.contentEncoding ?? 'identity',
    'x-goog-stored-content-length': String(o.size),
    'x-goog-storage-class': o.storageClass,
    'x-goog-hash': `crc32c=${o.crc32c},md5=${o.md5Hash}`,
  };
  if (o.customerEncryption) {
    headers['x-goog-encryption-algorithm'] = o.customerEncryption.encryptionAlgorithm;
    headers['x-goog-encryption-key-sha256'] = o.customerEncryption.keySha256;
  }
  if (o.contentEncoding) headers['content-encoding'] = o.contentEncoding;
  if (o.contentDisposition) headers['content-disposition'] = headerSafe(o.contentDisposition);
  if (o.cacheControl) headers['cache-control'] = o.cacheControl;
  if (o.contentLanguage) headers['content-language'] = o.contentLanguage;
  for (const [k, v] of Object.entries(o.metadata ?? {})) headers[`x-goog-meta-${headerSafe(k)}`] = headerSafe(v);

  // Decompressive transcoding, as GCS does: a gzip-encoded object goes out decoded, whole and
  // without a length, to a client that does not accept gzip.
  const acceptEncoding = header(ctx.req, 'accept-encoding') ?? '';
  if (o.contentEncoding === 'gzip' && !/\bgzip\b|\*/.test(acceptEncoding)) {
    delete headers['content-encoding'];
    headers['warning'] = '214 UploadServer gunzipped';
    ctx.res.writeHead(200, headers);
    if (ctx.req.method === 'HEAD') {
      ctx.res.end();
      return;
    }
    await pipeline(ctx.core.readObject(o), createGunzip(), ctx.res);
    return;
  }

  let range: ByteRange | undefined;
  const rangeHeader = header(ctx.req, 'range');
  if (rangeHeader && o.size > 0) {
    const parsed = parseRange(rangeHeader, o.size);
    if (parsed === null) {
      ctx.res.writeHead(416, { ...baseHeaders(ctx), 'content-range': `bytes */${o.size}`, 'content-type': 'application/json' });
      ctx.res.end(JSON.stringify(new StorageError('requestedRangeNotSatisfiable', 'The requested range cannot be satisfied.').toJSON()));
      return;
    }
    range = parsed;
  }
  const status = range ? 206 : 200;
  headers['content-length'] = String(range ? range.end - range.start + 1 : o.size);
  if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${o.size}`;
  ctx.res.writeHead(status, headers);
  if (ctx.req.method === 'HEAD') {
    ctx.res.end();
    return;
  }
  await pipeline(ctx.core.readObject(o, range), ctx.res);
}

/** `bytes=S-E`, `bytes=S-`, `bytes=-N`; undefined = whole object, null = unsatisfiable. */
export function parseRange(h: string, size: number): ByteRange | undefined | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim());
  if (!m) return undefined;
  const [, s, e] = m;
  if (s === '' && e === '') return undefined;
  if (s === '') {
    const n = Math.min(Number(e), size);
    return n === 0 ? null : { start: size - n, end: size - 1 };
  }
  const start = Number(s);
  if (start >= size) return null;
  const end = e === '' ? size - 1 : Math.min(Number(e), size - 1);
  if (end < start) return undefined;
  return { start, end };
}
