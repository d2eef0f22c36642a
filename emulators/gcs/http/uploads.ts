import type { IncomingMessage } from 'node:http';
import { badRequest, StorageError } from '../errors.ts';
import { boundaryOf, parseMultipartUpload } from '../multipart.ts';
import type { ObjectInit, UploadSession } from '../storage.ts';
import type { ObjectRecord } from '../types.ts';
import { baseHeaders, type Ctx, header, objectJson, methodNotAllowed, num, type Params, preconditions, readJson, sendEmpty, sendJson } from './context.ts';
import { objectInit, withPredefinedAcl } from './objects.ts';
import { customerKey } from './csek.ts';
import { refuseUnsupportedObjectOptions } from './unsupported.ts';

/** Any request to `/upload/storage/v1/b/B/o`: a new upload by `uploadType`, or a session's chunk by `upload_id`. */
export async function upload(ctx: Ctx, { bucket }: Params): Promise<void> {
  const q = ctx.query;
  const uploadId = q.get('upload_id');
  if (uploadId) return resumableChunk(ctx, ctx.core.getUpload(uploadId));
  if (ctx.req.method !== 'POST') throw methodNotAllowed();
  refuseUnsupportedObjectOptions(ctx);
  const type = q.get('uploadType') ?? (boundaryOf(ctx.req.headers['content-type']) ? 'multipart' : 'media');
  const pre = preconditions(q);

  if (type === 'resumable') {
    const body = await readJson(ctx.req);
    const init = withCustomerKey(ctx, withPredefinedAcl(ctx, objectInit(body)));
    const headerType = header(ctx.req, 'x-upload-content-type');
    if (!init.contentType && headerType) init.contentType = headerType;
    const name = q.get('name') || (typeof body.name === 'string' ? body.name : '');
    const total = num(header(ctx.req, 'x-upload-content-length'));
    const session = await ctx.core.startUpload(bucket, name, init, pre, total);
    const location = `${ctx.base}${ctx.req.url?.startsWith('/resumable/') ? '/resumable' : ''}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${session.id}`;
    ctx.res.writeHead(200, { ...baseHeaders(ctx), location, 'x-guploader-uploadid': session.id, 'content-length': '0' });
    ctx.res.end();
    return;
  }

  if (type === 'multipart') {
    const boundary = boundaryOf(ctx.req.headers['content-type']);
    if (!boundary) throw badRequest('Multipart upload without a boundary.');
    const { metadata, mediaContentType, media } = await parseMultipartUpload(ctx.req, boundary);
    const init = withCustomerKey(ctx, withPredefinedAcl(ctx, objectInit(metadata)));
    if (!init.contentType && mediaContentType) init.contentType = mediaContentType;
    const name = q.get('name') || (typeof metadata.name === 'string' ? metadata.name : '');
    const o = await ctx.core.writeObject(bucket, name, media, init, pre);
    return sendJson(ctx, 200, objectJson(ctx, o));
  }

  if (type === 'media') {
    const name = q.get('name') ?? '';
    const init: ObjectInit = withCustomerKey(ctx, withPredefinedAcl(ctx, {}));
    const ct = header(ctx.req, 'content-type');
    if (ct) init.contentType = ct;
    const ce = q.get('contentEncoding');
    if (ce) init.contentEncoding = ce;
    Object.assign(init, hashHeader(ctx.req));
    const o = await ctx.core.writeObject(bucket, name, ctx.req, init, pre);
    return sendJson(ctx, 200, objectJson(ctx, o));
  }
  throw badRequest(`Unsupported uploadType: ${type}`);
}

/** `x-goog-encryption-key` on an upload: the object is kept under that key. */
function withCustomerKey(ctx: Ctx, init: ObjectInit): ObjectInit {
  const key = customerKey(ctx.req);
  return key ? { ...init, customerEncryption: key } : init;
}

/**
 * One PUT to a resumable session, by `Content-Range` (see the README for the cases). `finished`
 * answers the request that completes the object: the JSON API sends the object resource, the
 * XML API (a session begun from a signed URL) only headers.
 */
export async function resumableChunk(
  ctx: Ctx,
  session: UploadSession,
  finished: (ctx: Ctx, o: ObjectRecord) => void = (c, o) => sendJson(c, 200, objectJson(c, o)),
): Promise<void> {
  const method = ctx.req.method;
  if (method === 'DELETE') {
    await ctx.core.cancelUpload(session.id);
    return sendEmpty(ctx, 499);
  }
  if (method !== 'PUT' && method !== 'POST') throw methodNotAllowed();
  if (session.result) {
    ctx.req.resume();
    return finished(ctx, session.result);
  }
  const range = header(ctx.req, 'content-range');
  const hashes = hashHeader(ctx.req);
  let final: boolean;
  if (!range) {
    // the whole object in one request
    await ctx.core.appendUpload(session, ctx.req, 0);
    final = true;
  } else {
    const m = /^bytes (?:\*|(\d+)-(\d+|\*))\/(\d+|\*)$/.exec(range.trim());
    if (!m) throw badRequest(`Invalid Content-Range: ${range}`);
    const [, startText, endText, totalText] = m;
    const total = totalText === '*' ? undefined : Number(totalText);
    if (total !== undefined) session.totalSize = total;
    if (startText === undefined) {
      // status query: `bytes */T` or `bytes */*`
      ctx.req.resume();
      final = total !== undefined && session.hasher.size === total;
    } else {
      await ctx.core.appendUpload(session, ctx.req, Number(startText));
      // `bytes S-*/*` streams an object of unknown size: the end of the request ends it
      final = total !== undefined ? session.hasher.size >= total : endText === '*';
      if (total !== undefined && session.hasher.size > total) {
        throw badRequest(`Upload has ${session.hasher.size} bytes, more than the declared ${total}.`);
      }
    }
  }
  await checkLengthRange(ctx, session, final);
  if (!final) {
    const headers: Record<string, string> = { 'content-length': '0', 'x-guploader-uploadid': session.id };
    if (session.hasher.size > 0) headers.range = `bytes=0-${session.hasher.size - 1}`;
    ctx.res.writeHead(308, { ...baseHeaders(ctx), ...headers });
    ctx.res.end();
    return;
  }
  if (hashes.expectedCrc32c) session.init.expectedCrc32c = hashes.expectedCrc32c;
  if (hashes.expectedMd5) session.init.expectedMd5 = hashes.expectedMd5;
  const o = await ctx.core.finishUpload(session);
  finished(ctx, o);
}

/** `x-goog-content-length-range` signed into the URL that started the session: the object's size must fall in it. */
async function checkLengthRange(ctx: Ctx, session: UploadSession, final: boolean): Promise<void> {
  const r = session.lengthRange;
  if (!r) return;
  const size = session.hasher.size;
  if (size > r.max || (final && size < r.min)) {
    await ctx.core.cancelUpload(session.id);
    throw lengthRangeError(size, r);
  }
}

export function lengthRangeError(size: number, r: { min: number; max: number }): StorageError {
  return size > r.max
    ? new StorageError('badRequest', `EntityTooLarge: Your proposed upload is larger than the maximum object size specified in your Policy Document (${size} > ${r.max} bytes).`)
    : new StorageError('badRequest', `EntityTooSmall: Your proposed upload is smaller than the minimum object size specified in your Policy Document (${size} < ${r.min} bytes).`);
}

export function hashHeader(req: IncomingMessage): Pick<ObjectInit, 'expectedCrc32c' | 'expectedMd5'> {
  const out: Pick<ObjectInit, 'expectedCrc32c' | 'expectedMd5'> = {};
  const raw = req.headers['x-goog-hash'];
  const values = Array.isArray(raw) ? raw : raw ? raw.split(',') : [];
  for (const part of values.flatMap((v) => v.split(','))) {
    const i = part.indexOf('=');
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (k === 'crc32c') out.expectedCrc32c = v;
    if (k === 'md5') out.expectedMd5 = v;
  }
  return out;
}
