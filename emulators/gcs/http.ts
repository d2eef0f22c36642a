import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { badRequest, StorageError } from './errors.ts';
import { boundaryOf, parseMultipartUpload } from './multipart.ts';
import { bucketResource, etag, notificationResource, objectResource } from './resources.ts';
import { checkPreconditions, type ObjectInit, type Preconditions, type StorageCore, type UploadSession } from './storage.ts';
import type { ByteRange, NotificationRecord, ObjectRecord } from './types.ts';

type Query = URLSearchParams;

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  query: Query;
  /** `http://host:port` as the client addressed us (used in selfLink, mediaLink, Location). */
  base: string;
  core: StorageCore;
  projectId: string;
}

const MAX_JSON_BODY = 16 * 1024 * 1024;

/** Error messages by response, for the request trace. */
const errors = new WeakMap<ServerResponse, string>();

/** Routes JSON API, upload, download and path-style (signed URL) requests to the storage core. */
export function createRequestHandler(
  core: StorageCore,
  projectId: string,
  trace?: (entry: Record<string, unknown>) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (trace) {
      const started = Date.now();
      res.on('finish', () =>
        trace({
          severity: 'DEBUG',
          message: 'request',
          method: req.method,
          url: redact(req.url ?? ''),
          contentRange: req.headers['content-range'],
          range: req.headers.range,
          acceptEncoding: req.headers['accept-encoding'],
          contentType: req.headers['content-type'],
          status: res.statusCode,
          ...(errors.has(res) ? { error: errors.get(res) } : {}),
          durationMs: Date.now() - started,
        }),
      );
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const ctx: Ctx = { req, res, query: url.searchParams, base: `http://${req.headers.host ?? 'localhost'}`, core, projectId };
    route(ctx, url.pathname).catch((err: unknown) => sendError(ctx, err));
  };
}

type ApiMode = 'json' | 'upload' | 'download' | 'path';

/** Longest first: the JSON API with and without `/storage/v1` (the latter is STORAGE_EMULATOR_HOST's form). */
const API_PREFIXES: [string, ApiMode][] = [
  ['/resumable/upload/storage/v1', 'upload'],
  ['/upload/storage/v1', 'upload'],
  ['/download/storage/v1', 'download'],
  ['/storage/v1', 'json'],
  ['/upload', 'upload'],
  ['/download', 'download'],
  ['', 'json'],
];

async function route(ctx: Ctx, pathname: string): Promise<void> {
  const method = ctx.req.method ?? 'GET';
  // An API prefix counts only when `/b` follows it, so a bucket named "upload" or "storage" still
  // works path-style (signed URLs).
  let path = pathname;
  let mode: ApiMode = 'path';
  for (const [prefix, m] of API_PREFIXES) {
    const rest = path.slice(prefix.length);
    if (path.startsWith(prefix) && (rest === '/b' || rest.startsWith('/b/'))) {
      path = rest;
      mode = m;
      break;
    }
  }

  let seg: string[];
  try {
    seg = path.split('/').slice(1).map((s) => decodeURIComponent(s));
  } catch {
    throw badRequest(`Malformed percent-encoding in ${pathname}`);
  }
  if (mode === 'path') return pathStyle(ctx, method, seg);
  if (seg[0] !== 'b') throw new StorageError('notFound', `Not Found: ${pathname}`);
  const bucket = seg[1];

  if (mode === 'upload') {
    if (!bucket || seg[2] !== 'o') throw new StorageError('notFound', `Not Found: ${pathname}`);
    return upload(ctx, method, bucket);
  }
  if (mode === 'download') {
    if (!bucket || seg[2] !== 'o' || seg.length < 4) throw new StorageError('notFound', `Not Found: ${pathname}`);
    return download(ctx, bucket, seg.slice(3).join('/'));
  }

  // JSON API
  if (!bucket) {
    if (method === 'GET') return listBuckets(ctx);
    if (method === 'POST') return insertBucket(ctx);
    throw methodNotAllowed();
  }
  if (seg.length === 2) return bucketOp(ctx, method, bucket);
  const sub = seg[2];
  if (sub === 'storageLayout' && method === 'GET') {
    ctx.core.getBucket(bucket);
    return sendJson(ctx, 200, {
      kind: 'storage#storageLayout',
      bucket,
      location: 'US',
      locationType: 'multi-region',
      hierarchicalNamespace: { enabled: false },
    });
  }
  if (sub === 'iam' && method === 'GET') {
    ctx.core.getBucket(bucket);
    return sendJson(ctx, 200, { kind: 'storage#policy', resourceId: `projects/_/buckets/${bucket}`, version: 1, etag: 'CAE=', bindings: [] });
  }
  // no managed folders or HNS folders here; gcloud's `rm -r gs://B` lists them before deleting the bucket
  if ((sub === 'managedFolders' || sub === 'folders') && method === 'GET' && seg.length === 3) {
    ctx.core.getBucket(bucket);
    return sendJson(ctx, 200, { kind: sub === 'folders' ? 'storage#folders' : 'storage#managedFolders', items: [] });
  }
  if (sub === 'notificationConfigs') return notifications(ctx, method, bucket, seg[3]);
  if (sub !== 'o') throw new StorageError('notFound', `Not Found: ${pathname}`);
  if (seg.length === 3) {
    if (method === 'GET') return listObjects(ctx, bucket);
    if (method === 'POST') return upload(ctx, method, bucket);
    throw methodNotAllowed();
  }
  // /b/B/o/NAME[/action...]: the name is one encoded segment, but tolerate raw slashes
  const rest = seg.slice(3);
  const actionAt = rest.findIndex((s, i) => i > 0 && ['rewriteTo', 'copyTo', 'moveTo', 'compose', 'acl'].includes(s));
  if (actionAt < 0) {
    const name = rest.join('/');
    if (name.endsWith('/compose') && method === 'POST') return compose(ctx, bucket, name.slice(0, -'/compose'.length));
    return objectOp(ctx, method, bucket, name);
  }
  const name = rest.slice(0, actionAt).join('/');
  const action = rest[actionAt];
  const after = rest.slice(actionAt + 1);
  if (action === 'compose' && method === 'POST') return compose(ctx, bucket, name);
  if ((action === 'rewriteTo' || action === 'copyTo') && method === 'POST' && after[0] === 'b' && after[2] === 'o') {
    return copy(ctx, bucket, name, after[1] ?? '', after.slice(3).join('/'), action);
  }
  if (action === 'moveTo' && method === 'POST' && after[0] === 'o') return move(ctx, bucket, name, after.slice(1).join('/'));
  if (action === 'acl') return sendJson(ctx, 200, { kind: 'storage#objectAccessControls', items: [] });
  throw new StorageError('notFound', `Not Found: ${pathname}`);
}

// ---- buckets ----

function listBuckets(ctx: Ctx): void {
  const buckets = ctx.core.listBuckets(ctx.query.get('prefix') ?? '');
  sendJson(ctx, 200, { kind: 'storage#buckets', items: buckets.map((b) => bucketResource(b, ctx.base)) });
}

async function insertBucket(ctx: Ctx): Promise<void> {
  const body = await readJson(ctx.req);
  const name = typeof body.name === 'string' ? body.name : '';
  if (!name) throw new StorageError('required', 'Required bucket name.');
  const fields: Parameters<StorageCore['createBucket']>[2] = {};
  if (typeof body.location === 'string') fields.location = body.location.toUpperCase();
  if (typeof body.storageClass === 'string') fields.storageClass = body.storageClass;
  if (isRecord(body.versioning) && body.versioning.enabled === true) fields.versioning = true;
  if (isRecord(body.labels)) fields.labels = body.labels as Record<string, string>;
  const bucket = await ctx.core.createBucket(name, ctx.query.get('project') ?? ctx.projectId, fields);
  sendJson(ctx, 200, bucketResource(bucket, ctx.base));
}

async function bucketOp(ctx: Ctx, method: string, bucket: string): Promise<void> {
  const pre = preconditions(ctx.query);
  if (method === 'GET') {
    const b = ctx.core.getBucket(bucket);
    if (pre.ifMetagenerationMatch !== undefined && b.metageneration !== pre.ifMetagenerationMatch) {
      throw new StorageError('conditionNotMet', 'At least one of the pre-conditions you specified did not hold.');
    }
    return sendJson(ctx, 200, bucketResource(b, ctx.base));
  }
  if (method === 'PATCH' || method === 'PUT') {
    const body = await readJson(ctx.req);
    const patch: Parameters<StorageCore['updateBucket']>[1] = {};
    if (isRecord(body.versioning)) patch.versioning = body.versioning.enabled === true;
    if (isRecord(body.labels) || body.labels === null) {
      const labels: Record<string, string> = { ...(method === 'PATCH' ? ctx.core.getBucket(bucket).labels : {}) };
      for (const [k, v] of Object.entries(isRecord(body.labels) ? body.labels : {})) {
        if (v === null) delete labels[k];
        else labels[k] = String(v);
      }
      patch.labels = labels;
    }
    if (typeof body.storageClass === 'string') patch.storageClass = body.storageClass;
    const b = await ctx.core.updateBucket(bucket, patch, pre);
    return sendJson(ctx, 200, bucketResource(b, ctx.base));
  }
  if (method === 'DELETE') {
    await ctx.core.deleteBucket(bucket, pre);
    return sendEmpty(ctx, 204);
  }
  throw methodNotAllowed();
}

async function notifications(ctx: Ctx, method: string, bucket: string, id: string | undefined): Promise<void> {
  if (id === undefined) {
    if (method === 'GET') {
      const items = ctx.core.getBucket(bucket).notifications.map((n) => notificationResource(bucket, n, ctx.base));
      return sendJson(ctx, 200, { kind: 'storage#notifications', items });
    }
    if (method === 'POST') {
      const body = await readJson(ctx.req);
      const topic = typeof body.topic === 'string' ? body.topic.replace(/^\/\/pubsub\.googleapis\.com\//, '') : '';
      if (!/^projects\/[^/]+\/topics\/[^/]+$/.test(topic)) {
        throw new StorageError('invalid', "Invalid topic: expected '//pubsub.googleapis.com/projects/P/topics/T'.");
      }
      const n: Omit<NotificationRecord, 'id'> = {
        topic,
        payloadFormat: body.payload_format === 'NONE' ? 'NONE' : 'JSON_API_V1',
      };
      if (Array.isArray(body.event_types) && body.event_types.length > 0) n.eventTypes = body.event_types.map(String);
      if (typeof body.object_name_prefix === 'string') n.objectNamePrefix = body.object_name_prefix;
      if (isRecord(body.custom_attributes)) n.customAttributes = body.custom_attributes as Record<string, string>;
      const created = await ctx.core.addNotification(bucket, n);
      return sendJson(ctx, 200, notificationResource(bucket, created, ctx.base));
    }
    throw methodNotAllowed();
  }
  if (method === 'GET') return sendJson(ctx, 200, notificationResource(bucket, ctx.core.getNotification(bucket, id), ctx.base));
  if (method === 'DELETE') {
    await ctx.core.deleteNotification(bucket, id);
    return sendEmpty(ctx, 204);
  }
  throw methodNotAllowed();
}

// ---- objects ----

function listObjects(ctx: Ctx, bucket: string): void {
  const q = ctx.query;
  const opt: Parameters<StorageCore['listObjects']>[1] = {};
  for (const k of ['prefix', 'delimiter', 'pageToken', 'startOffset', 'endOffset', 'matchGlob'] as const) {
    const v = q.get(k);
    if (v !== null && v !== '') opt[k] = v;
  }
  const max = q.get('maxResults');
  if (max) opt.maxResults = Number(max);
  // gcloud (Python) sends booleans as `True`
  if (bool(q.get('versions'))) opt.versions = true;
  if (bool(q.get('includeTrailingDelimiter'))) opt.includeTrailingDelimiter = true;
  const { items, prefixes, nextPageToken } = ctx.core.listObjects(bucket, opt);
  const body: Record<string, unknown> = { kind: 'storage#objects', items: items.map((o) => objectResource(o, ctx.base)) };
  if (prefixes.length > 0) body.prefixes = prefixes;
  if (nextPageToken) body.nextPageToken = nextPageToken;
  sendJson(ctx, 200, body);
}

async function objectOp(ctx: Ctx, method: string, bucket: string, name: string): Promise<void> {
  const generation = num(ctx.query.get('generation'));
  const pre = preconditions(ctx.query);
  if (method === 'GET' || method === 'HEAD') {
    if (ctx.query.get('alt') === 'media') return download(ctx, bucket, name);
    const o = ctx.core.getObject(bucket, name, generation);
    checkReadPreconditions(o, pre);
    return sendJson(ctx, 200, objectResource(o, ctx.base));
  }
  if (method === 'PATCH' || method === 'PUT') {
    const body = await readJson(ctx.req);
    const o = await ctx.core.updateObject(bucket, name, generation, objectInit(body), method === 'PATCH' ? 'patch' : 'replace', pre);
    return sendJson(ctx, 200, objectResource(o, ctx.base));
  }
  if (method === 'DELETE') {
    await ctx.core.deleteObject(bucket, name, generation, pre);
    return sendEmpty(ctx, 204);
  }
  throw methodNotAllowed();
}

async function copy(ctx: Ctx, srcBucket: string, srcName: string, dstBucket: string, dstName: string, action: string): Promise<void> {
  const body = await readJson(ctx.req);
  const src: Parameters<StorageCore['copyObject']>[0] = { bucket: srcBucket, name: srcName, preconditions: sourcePreconditions(ctx.query) };
  const g = num(ctx.query.get('sourceGeneration'));
  if (g !== undefined) src.generation = g;
  const override = Object.keys(body).length > 0 ? objectInit(body) : undefined;
  const o = await ctx.core.copyObject(src, { bucket: dstBucket, name: dstName, preconditions: preconditions(ctx.query) }, override);
  const resource = objectResource(o, ctx.base);
  if (action === 'copyTo') return sendJson(ctx, 200, resource);
  sendJson(ctx, 200, {
    kind: 'storage#rewriteResponse',
    totalBytesRewritten: String(o.size),
    objectSize: String(o.size),
    done: true,
    resource,
  });
}

async function move(ctx: Ctx, bucket: string, from: string, to: string): Promise<void> {
  await readJson(ctx.req);
  const o = await ctx.core.moveObject(bucket, from, to, sourcePreconditions(ctx.query), preconditions(ctx.query));
  sendJson(ctx, 200, objectResource(o, ctx.base));
}

async function compose(ctx: Ctx, bucket: string, name: string): Promise<void> {
  const body = await readJson(ctx.req);
  const sources = Array.isArray(body.sourceObjects) ? body.sourceObjects : [];
  const parts = sources.map((s: unknown) => {
    const r = isRecord(s) ? s : {};
    const part: { name: string; generation?: number; ifGenerationMatch?: number } = { name: String(r.name ?? '') };
    const g = num(r.generation);
    if (g !== undefined) part.generation = g;
    const cond = isRecord(r.objectPreconditions) ? num(r.objectPreconditions.ifGenerationMatch) : undefined;
    if (cond !== undefined) part.ifGenerationMatch = cond;
    return part;
  });
  const dest = isRecord(body.destination) ? body.destination : {};
  // gcloud's parallel composite upload puts the FIRST component's md5Hash and crc32c into
  // `destination`; GCS does not check them on compose, so neither do we.
  const { expectedCrc32c: _c, expectedMd5: _m, ...init } = objectInit(dest);
  const o = await ctx.core.composeObject(bucket, name, parts, init, preconditions(ctx.query));
  sendJson(ctx, 200, objectResource(o, ctx.base));
}

// ---- uploads ----

async function upload(ctx: Ctx, method: string, bucket: string): Promise<void> {
  const q = ctx.query;
  const uploadId = q.get('upload_id');
  if (uploadId) return resumableChunk(ctx, method, ctx.core.getUpload(uploadId));
  if (method !== 'POST') throw methodNotAllowed();
  const type = q.get('uploadType') ?? (boundaryOf(ctx.req.headers['content-type']) ? 'multipart' : 'media');
  const pre = preconditions(q);

  if (type === 'resumable') {
    const body = await readJson(ctx.req);
    const init = objectInit(body);
    const headerType = header(ctx.req, 'x-upload-content-type');
    if (!init.contentType && headerType) init.contentType = headerType;
    const name = q.get('name') || (typeof body.name === 'string' ? body.name : '');
    const total = num(header(ctx.req, 'x-upload-content-length'));
    const session = await ctx.core.startUpload(bucket, name, init, pre, total);
    const location = `${ctx.base}${ctx.req.url?.startsWith('/resumable/') ? '/resumable' : ''}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${session.id}`;
    ctx.res.writeHead(200, { location, 'x-guploader-uploadid': session.id, 'content-length': '0' });
    ctx.res.end();
    return;
  }

  if (type === 'multipart') {
    const boundary = boundaryOf(ctx.req.headers['content-type']);
    if (!boundary) throw badRequest('Multipart upload without a boundary.');
    const { metadata, mediaContentType, media } = await parseMultipartUpload(ctx.req, boundary);
    const init = objectInit(metadata);
    if (!init.contentType && mediaContentType) init.contentType = mediaContentType;
    const name = q.get('name') || (typeof metadata.name === 'string' ? metadata.name : '');
    const o = await ctx.core.writeObject(bucket, name, media, init, pre);
    return sendJson(ctx, 200, objectResource(o, ctx.base));
  }

  if (type === 'media') {
    const name = q.get('name') ?? '';
    const init: ObjectInit = {};
    const ct = header(ctx.req, 'content-type');
    if (ct) init.contentType = ct;
    const ce = q.get('contentEncoding');
    if (ce) init.contentEncoding = ce;
    Object.assign(init, hashHeader(ctx.req));
    const o = await ctx.core.writeObject(bucket, name, ctx.req, init, pre);
    return sendJson(ctx, 200, objectResource(o, ctx.base));
  }
  throw badRequest(`Unsupported uploadType: ${type}`);
}

/**
 * One PUT to a resumable session, by `Content-Range` (see the README for the cases). `finished`
 * answers the request that completes the object: the JSON API sends the object resource, the
 * XML API (a session begun from a signed URL) only headers.
 */
async function resumableChunk(
  ctx: Ctx,
  method: string,
  session: UploadSession,
  finished: (ctx: Ctx, o: ObjectRecord) => void = (c, o) => sendJson(c, 200, objectResource(o, c.base)),
): Promise<void> {
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
  if (!final) {
    const headers: Record<string, string> = { 'content-length': '0', 'x-guploader-uploadid': session.id };
    if (session.hasher.size > 0) headers.range = `bytes=0-${session.hasher.size - 1}`;
    ctx.res.writeHead(308, headers);
    ctx.res.end();
    return;
  }
  if (hashes.expectedCrc32c) session.init.expectedCrc32c = hashes.expectedCrc32c;
  if (hashes.expectedMd5) session.init.expectedMd5 = hashes.expectedMd5;
  const o = await ctx.core.finishUpload(session);
  finished(ctx, o);
}

// ---- downloads ----

async function download(ctx: Ctx, bucket: string, name: string): Promise<void> {
  const o = ctx.core.getObject(bucket, name, num(ctx.query.get('generation')));
  checkReadPreconditions(o, preconditions(ctx.query));
  await sendContent(ctx, o);
}

async function sendContent(ctx: Ctx, o: ObjectRecord): Promise<void> {
  const headers: Record<string, string> = {
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
  if (o.contentEncoding) headers['content-encoding'] = o.contentEncoding;
  if (o.contentDisposition) headers['content-disposition'] = o.contentDisposition;
  if (o.cacheControl) headers['cache-control'] = o.cacheControl;
  if (o.contentLanguage) headers['content-language'] = o.contentLanguage;
  for (const [k, v] of Object.entries(o.metadata ?? {})) headers[`x-goog-meta-${k}`] = v;

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
      ctx.res.writeHead(416, { 'content-range': `bytes */${o.size}`, 'content-type': 'application/json' });
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
function parseRange(h: string, size: number): ByteRange | undefined | null {
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

// ---- path-style: V4 (and V2) signed URLs ----

async function pathStyle(ctx: Ctx, method: string, seg: string[]): Promise<void> {
  const bucket = seg[0];
  if (!bucket) {
    ctx.req.resume();
    return sendText(ctx, 200, 'OK');
  }
  const name = seg.slice(1).join('/');
  const uploadId = ctx.query.get('upload_id');
  if (uploadId !== null) {
    // A session URI from a signed resumable start. It is its own credential and outlives the signed
    // URL that began it (GCS keeps a session a week), so the URL's expiry no longer applies.
    const session = ctx.core.getUpload(uploadId);
    if (session.bucket !== bucket || session.name !== name) {
      ctx.req.resume();
      throw new StorageError('notFound', `No such upload session for ${bucket}/${name}: ${uploadId}`);
    }
    return resumableChunk(ctx, method, session, sendWritten);
  }
  checkExpiry(ctx.query);
  if (!name) throw new StorageError('notFound', 'Path-style bucket operations are not supported; use the JSON API.');
  if (method === 'GET' || method === 'HEAD') {
    const o = ctx.core.getObject(bucket, name, num(ctx.query.get('generation')));
    return sendContent(ctx, o);
  }
  if (method === 'PUT') {
    const o = await ctx.core.writeObject(bucket, name, ctx.req, xmlObjectInit(ctx.req), xmlPreconditions(ctx.req));
    return sendWritten(ctx, o);
  }
  if (method === 'POST') return startSignedResumable(ctx, bucket, name);
  if (method === 'DELETE') {
    await ctx.core.deleteObject(bucket, name, undefined);
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
  const session = await ctx.core.startUpload(bucket, name, init, pre);
  const path = [bucket, ...name.split('/')].map((s) => encodeURIComponent(s)).join('/');
  ctx.res.writeHead(201, { location: `${ctx.base}/${path}?upload_id=${session.id}`, 'x-guploader-uploadid': session.id, 'content-length': '0' });
  ctx.res.end();
}

function liveObject(core: StorageCore, bucket: string, name: string): ObjectRecord | undefined {
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

/** Object fields an XML API write takes from its headers. */
function xmlObjectInit(req: IncomingMessage): ObjectInit {
  const init: ObjectInit = {};
  const fields = [
    ['content-type', 'contentType'],
    ['content-encoding', 'contentEncoding'],
    ['content-disposition', 'contentDisposition'],
    ['content-language', 'contentLanguage'],
    ['cache-control', 'cacheControl'],
    ['x-goog-custom-time', 'customTime'],
    ['x-goog-storage-class', 'storageClass'],
  ] as const;
  for (const [h, k] of fields) {
    const v = header(req, h);
    if (v) init[k] = v;
  }
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (k.startsWith('x-goog-meta-') && typeof v === 'string') metadata[k.slice('x-goog-meta-'.length)] = v;
  }
  if (Object.keys(metadata).length > 0) init.metadata = metadata;
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

/** The XML API's answer to a finished write: headers, no body. */
function sendWritten(ctx: Ctx, o: ObjectRecord): void {
  ctx.res.writeHead(200, {
    etag: `"${Buffer.from(o.md5Hash, 'base64').toString('hex')}"`,
    'x-goog-generation': String(o.generation),
    'x-goog-metageneration': String(o.metageneration),
    'x-goog-hash': `crc32c=${o.crc32c},md5=${o.md5Hash}`,
    'content-length': '0',
  });
  ctx.res.end();
}

/** The signature is not checked (the emulator has no keys); the expiry is. */
function checkExpiry(q: Query): void {
  const date = q.get('X-Goog-Date');
  const expires = q.get('X-Goog-Expires');
  let deadline: number | undefined;
  if (date && expires) {
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
    if (!m) throw new StorageError('badRequest', 'Invalid X-Goog-Date.');
    const [, y, mo, d, h, mi, s] = m;
    deadline = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) + Number(expires) * 1000;
  } else if (q.get('Expires')) {
    deadline = Number(q.get('Expires')) * 1000;
  }
  if (deadline !== undefined && Date.now() > deadline) {
    throw new StorageError('badRequest', 'ExpiredToken: Invalid argument. The signed URL has expired.');
  }
}

// ---- helpers ----

function objectInit(body: Record<string, unknown>): ObjectInit {
  const init: ObjectInit = {};
  for (const k of ['contentType', 'contentEncoding', 'contentDisposition', 'contentLanguage', 'cacheControl', 'customTime', 'storageClass'] as const) {
    const v = body[k];
    if (typeof v === 'string') init[k] = v;
  }
  if (isRecord(body.metadata)) init.metadata = body.metadata as Record<string, string | null>;
  else if (body.metadata === null) init.metadata = {};
  if (typeof body.crc32c === 'string' && body.crc32c) init.expectedCrc32c = body.crc32c;
  if (typeof body.md5Hash === 'string' && body.md5Hash) init.expectedMd5 = body.md5Hash;
  return init;
}

function hashHeader(req: IncomingMessage): Pick<ObjectInit, 'expectedCrc32c' | 'expectedMd5'> {
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

function preconditions(q: Query): Preconditions {
  const p: Preconditions = {};
  for (const k of ['ifGenerationMatch', 'ifGenerationNotMatch', 'ifMetagenerationMatch', 'ifMetagenerationNotMatch'] as const) {
    const v = num(q.get(k));
    if (v !== undefined) p[k] = v;
  }
  return p;
}

function sourcePreconditions(q: Query): Preconditions {
  const p: Preconditions = {};
  for (const k of ['ifGenerationMatch', 'ifGenerationNotMatch', 'ifMetagenerationMatch', 'ifMetagenerationNotMatch'] as const) {
    const v = num(q.get(`ifSource${k.slice(2)}`));
    if (v !== undefined) p[k] = v;
  }
  return p;
}

function checkReadPreconditions(o: ObjectRecord, pre: Preconditions): void {
  const fail = (): never => {
    throw new StorageError('conditionNotMet', 'At least one of the pre-conditions you specified did not hold.');
  };
  if (pre.ifGenerationMatch !== undefined && o.generation !== pre.ifGenerationMatch) fail();
  if (pre.ifGenerationNotMatch !== undefined && o.generation === pre.ifGenerationNotMatch) fail();
  if (pre.ifMetagenerationMatch !== undefined && o.metageneration !== pre.ifMetagenerationMatch) fail();
  if (pre.ifMetagenerationNotMatch !== undefined && o.metageneration === pre.ifMetagenerationNotMatch) fail();
}

/** Signed URL signatures are credentials: keep them out of logs. */
const redact = (url: string): string => url.replace(/([?&](?:X-Goog-Signature|Signature)=)[^&]*/gi, '$1REDACTED');

const bool = (v: string | null): boolean => v?.toLowerCase() === 'true';

function num(v: unknown): number | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw badRequest(`Invalid number: ${String(v)}`);
  return n;
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const methodNotAllowed = (): StorageError => new StorageError('notImplemented', 'Method not supported by the emulator.');

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as Readable) {
    size += (chunk as Buffer).length;
    if (size > MAX_JSON_BODY) throw badRequest('Request body too large.');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    const v: unknown = JSON.parse(text);
    return isRecord(v) ? v : {};
  } catch {
    throw badRequest('Request body is not valid JSON.');
  }
}

function sendJson(ctx: Ctx, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  ctx.res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : text);
}

function sendText(ctx: Ctx, status: number, text: string): void {
  ctx.res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
  ctx.res.end(text);
}

function sendEmpty(ctx: Ctx, status: number): void {
  ctx.res.writeHead(status, { 'content-length': '0' });
  ctx.res.end();
}

function sendError(ctx: Ctx, err: unknown): void {
  const e = err instanceof StorageError ? err : new StorageError('backendError', err instanceof Error ? err.message : String(err));
  errors.set(ctx.res, e.message);
  if (!(err instanceof StorageError)) {
    process.stderr.write(`${JSON.stringify({ severity: 'ERROR', message: 'gcs emulator request failed', method: ctx.req.method, url: redact(ctx.req.url ?? ''), error: e.message })}\n`);
  }
  if (ctx.res.headersSent) {
    ctx.res.destroy();
    return;
  }
  // an unread request body (an upload refused up front) is drained so the connection stays usable
  if (!ctx.req.readableEnded) ctx.req.resume();
  const text = JSON.stringify(e.toJSON());
  ctx.res.writeHead(e.status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  ctx.res.end(text);
}

