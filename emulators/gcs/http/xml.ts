import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { badRequest, StorageError } from '../errors.ts';
import { checkPreconditions, type ObjectInit, type Preconditions, type StorageCore } from '../storage.ts';
import type { ObjectRecord } from '../types.ts';
import { baseHeaders, type Ctx, header, methodNotAllowed, num, type Params, send, sendEmpty, sendText } from './context.ts';
import { checkContentKey, customerKey } from './csek.ts';
import { sendContent } from './downloads.ts';
import { lengthRangeError, resumableChunk } from './uploads.ts';
import { refuseUnsupportedObjectOptions } from './unsupported.ts';

/**
 * Path-style requests (`/BUCKET/OBJECT`), the XML API's form: what V4 and V2 signed URLs address. The
 * signature is not checked (the emulator has no keys); the validity window is.
 */
export async function xmlObject(ctx: Ctx, { bucket, object }: Params): Promise<void> {
  const method = ctx.req.method;
  const uploadId = ctx.query.get('upload_id');
  if (uploadId !== null) {
    // A session URI from a signed resumable start. It is its own credential and outlives the signed
    // URL that began it (GCS keeps a session a week), so the URL's validity no longer applies.
    const session = ctx.core.getUpload(uploadId);
    if (session.bucket !== bucket || session.name !== object) {
      ctx.req.resume();
      throw new StorageError('notFound', `No such upload session for ${bucket}/${object}: ${uploadId}`);
    }
    return resumableChunk(ctx, session, sendWritten);
  }
  checkValidity(ctx.query);
  refuseUnsupportedObjectOptions(ctx);
  if (method === 'GET' || method === 'HEAD') {
    const o = ctx.core.getObject(bucket, object, num(ctx.query.get('generation')));
    checkContentKey(o, customerKey(ctx.req));
    return sendContent(ctx, o);
  }
  if (method === 'PUT') {
    const range = lengthRange(ctx.req);
    const declared = num(header(ctx.req, 'content-length'));
    if (range && declared !== undefined && (declared > range.max || declared < range.min)) throw lengthRangeError(declared, range);
    const source = range ? ctx.req.pipe(limitLength(range)) : ctx.req;
    const o = await ctx.core.writeObject(bucket, object, source, xmlObjectInit(ctx.req), xmlPreconditions(ctx.req));
    return sendWritten(ctx, o);
  }
  if (method === 'POST') return startSignedResumable(ctx, bucket, object);
  if (method === 'DELETE') {
    await ctx.core.deleteObject(bucket, object, num(ctx.query.get('generation')));
    return sendEmpty(ctx, 204);
  }
  throw methodNotAllowed();
}

/**
 * `POST /BUCKET/OBJECT` with `x-goog-resumable: start` (a V4 URL signed with action `resumable`):
 * the XML API's resumable start. The object's content type, `x-goog-meta-*` metadata and
 * preconditions come from this request's headers; the answer is 201 with the session URI in
 * `Location`, to which the content goes by PUT exactly as to a JSON API session.
 */
async function startSignedResumable(ctx: Ctx, bucket: string, name: string): Promise<void> {
  ctx.req.resume(); // the start carries no content
  if (header(ctx.req, 'x-goog-resumable')?.trim().toLowerCase() !== 'start') {
    throw badRequest('A POST to an object URL starts a resumable upload: send x-goog-resumable: start (sign the URL with action "resumable").');
  }
  const init = xmlObjectInit(ctx.req);
  const pre = xmlPreconditions(ctx.req);
  // GCS checks the preconditions when the session starts, and again when the object is committed
  checkPreconditions(liveObject(ctx.core, bucket, name), pre);
  const range = lengthRange(ctx.req);
  const session = await ctx.core.startUpload(bucket, name, init, pre, undefined, range);
  const path = [bucket, ...name.split('/')].map((s) => encodeURIComponent(s)).join('/');
  ctx.res.writeHead(201, {
    ...baseHeaders(ctx),
    location: `${ctx.base}/${path}?upload_id=${session.id}`,
    'x-guploader-uploadid': session.id,
    'content-length': '0',
  });
  ctx.res.end();
}

export function liveObject(core: StorageCore, bucket: string, name: string): ObjectRecord | undefined {
  try {
    return core.getObject(bucket, name);
  } catch (err) {
    if (err instanceof StorageError && err.status === 404) {
      core.getBucket(bucket); // a missing bucket is still a 404
      return undefined;
    }
    throw err;
  }
}

/** Object fields the XML API takes from headers (and an HTML form upload from fields of the same names). */
export const XML_OBJECT_FIELDS = [
  ['content-type', 'contentType'],
  ['content-encoding', 'contentEncoding'],
  ['content-disposition', 'contentDisposition'],
  ['content-language', 'contentLanguage'],
  ['cache-control', 'cacheControl'],
  ['x-goog-custom-time', 'customTime'],
  ['x-goog-storage-class', 'storageClass'],
] as const;

/** Object fields an XML API write takes from its headers. */
export function xmlObjectInit(req: IncomingMessage): ObjectInit {
  const init: ObjectInit = {};
  for (const [h, k] of XML_OBJECT_FIELDS) {
    const v = header(req, h);
    if (v) init[k] = v;
  }
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (k.startsWith('x-goog-meta-') && typeof v === 'string') metadata[k.slice('x-goog-meta-'.length)] = v;
  }
  if (Object.keys(metadata).length > 0) init.metadata = metadata;
  const key = customerKey(req);
  if (key) init.customerEncryption = key;
  return init;
}

function xmlPreconditions(req: IncomingMessage): Preconditions {
  const pre: Preconditions = {};
  const g = num(header(req, 'x-goog-if-generation-match'));
  if (g !== undefined) pre.ifGenerationMatch = g;
  const mg = num(header(req, 'x-goog-if-metageneration-match'));
  if (mg !== undefined) pre.ifMetagenerationMatch = mg;
  return pre;
}

/** `x-goog-content-length-range: MIN,MAX` (bytes, inclusive), as a signed URL may require. */
export function lengthRange(req: IncomingMessage): { min: number; max: number } | undefined {
  const v = header(req, 'x-goog-content-length-range');
  if (v === undefined) return undefined;
  const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(v);
  if (!m) throw badRequest(`Invalid x-goog-content-length-range: ${v} (expected MIN,MAX).`);
  return { min: Number(m[1]), max: Number(m[2]) };
}

/** Passes bytes through, failing once more than `max` went by or, at the end, fewer than `min`. */
export function limitLength(range: { min: number; max: number }): Transform {
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      size += chunk.length;
      if (size > range.max) cb(lengthRangeError(size, range));
      else cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      cb(size < range.min ? lengthRangeError(size, range) : null);
    },
  });
}

/** The XML API's answer to a finished write: headers, no body. */
export function sendWritten(ctx: Ctx, o: ObjectRecord): void {
  send(ctx, 200, {
    etag: `"${Buffer.from(o.md5Hash, 'base64').toString('hex')}"`,
    'x-goog-generation': String(o.generation),
    'x-goog-metageneration': String(o.metageneration),
    'x-goog-hash': `crc32c=${o.crc32c},md5=${o.md5Hash}`,
    'content-length': '0',
  });
}

/** V4 (`X-Goog-Date` + `X-Goog-Expires`) or V2 (`Expires`): refused before its start and after its end. */
export function checkValidity(q: URLSearchParams): void {
  const date = q.get('X-Goog-Date');
  const expires = q.get('X-Goog-Expires');
  let deadline: number | undefined;
  if (date && expires) {
    const start = parseGoogDate(date);
    if (start === undefined) throw new StorageError('badRequest', 'Invalid X-Goog-Date.');
    if (Date.now() < start) {
      throw new StorageError('forbidden', 'Request is not yet valid: the signed URL is not valid before its X-Goog-Date.');
    }
    deadline = start + Number(expires) * 1000;
  } else if (q.get('Expires')) {
    deadline = Number(q.get('Expires')) * 1000;
  }
  if (deadline !== undefined && Date.now() > deadline) {
    throw new StorageError('badRequest', 'ExpiredToken: Invalid argument. The signed URL has expired.');
  }
}

/** `20261202T010203Z` → epoch ms. */
export function parseGoogDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
}

/** `GET /` (the XML API's service root). */
export function xmlRoot(ctx: Ctx): void {
  ctx.req.resume();
  sendText(ctx, 200, 'OK');
}

/** `GET /BUCKET`: the XML API's object listing (`prefix`, `delimiter`, `marker`, `max-keys`). */
export function xmlListObjects(ctx: Ctx, { bucket }: Params): void {
  checkValidity(ctx.query);
  const q = ctx.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const marker = q.get('marker') ?? '';
  const maxKeys = Math.min(num(q.get('max-keys')) ?? 1000, 1000);
  const opt: Parameters<StorageCore['listObjects']>[1] = { maxResults: maxKeys };
  if (prefix) opt.prefix = prefix;
  if (delimiter) opt.delimiter = delimiter;
  if (marker) opt.startOffset = `${marker}\u0000`;
  const { items, prefixes, nextPageToken } = ctx.core.listObjects(bucket, opt);
  const x = xmlEscape;
  const last = items[items.length - 1]?.name ?? prefixes[prefixes.length - 1] ?? '';
  const body = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    "<ListBucketResult xmlns='http://doc.s3.amazonaws.com/2006-03-01'>",
    `<Name>${x(bucket)}</Name><Prefix>${x(prefix)}</Prefix><Marker>${x(marker)}</Marker>`,
    ...(nextPageToken ? [`<NextMarker>${x(last)}</NextMarker>`] : []),
    `<IsTruncated>${nextPageToken ? 'true' : 'false'}</IsTruncated>`,
    ...items.map(
      (o) =>
        `<Contents><Key>${x(o.name)}</Key><Generation>${o.generation}</Generation><MetaGeneration>${o.metageneration}</MetaGeneration>` +
        `<LastModified>${o.updated}</LastModified><ETag>"${Buffer.from(o.md5Hash, 'base64').toString('hex')}"</ETag><Size>${o.size}</Size></Contents>`,
    ),
    ...prefixes.map((p) => `<CommonPrefixes><Prefix>${x(p)}</Prefix></CommonPrefixes>`),
    '</ListBucketResult>',
  ].join('');
  sendText(ctx, 200, body, 'application/xml; charset=UTF-8');
}

export const xmlEscape = (s: string): string =>
  s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string);
