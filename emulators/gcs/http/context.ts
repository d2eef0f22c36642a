import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { badRequest, StorageError } from '../errors.ts';
import { uniformAccessEnabled } from '../bucket-metadata.ts';
import { bucketResource, objectResource } from '../resources.ts';
import type { Preconditions, StorageCore } from '../storage.ts';
import type { BucketRecord, ObjectRecord } from '../types.ts';
import { corsHeaders } from './cors.ts';
import { showsHashes } from './csek.ts';

export type Query = URLSearchParams;

/** One request as the handlers see it. */
export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  query: Query;
  /** `http://host:port` as the client addressed us (used in selfLink, mediaLink, Location). */
  base: string;
  core: StorageCore;
  projectId: string;
  /** `json` for the JSON API (upload and download included), `xml` for path-style requests (signed URLs). */
  api: 'json' | 'xml';
  /** The bucket whose CORS configuration answers a browser's `Origin` on the XML API (set once the route names one). */
  bucket?: string;
}

/** Path parameters of the matched route (`{bucket}`, `{object...}`, ...), already percent-decoded. */
export type Params = Readonly<Record<'bucket' | 'object' | 'id' | 'entity' | 'destBucket' | 'destObject', string>>;
export type Handler = (ctx: Ctx, params: Params) => Promise<void> | void;

const MAX_JSON_BODY = 16 * 1024 * 1024;

/** Error messages by response, for the request trace. */
export const errorMessages = new WeakMap<ServerResponse, string>();

export const bool = (v: string | null): boolean => v?.toLowerCase() === 'true';

export function num(v: unknown): number | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw badRequest(`Invalid number: ${String(v)}`);
  return n;
}

export const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const methodNotAllowed = (): StorageError => new StorageError('notImplemented', 'Method not supported by the emulator.');

/** Signed URL signatures are credentials: keep them out of logs. */
export const redact = (url: string): string => url.replace(/([?&](?:X-Goog-Signature|Signature)=)[^&]*/gi, '$1REDACTED');

export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
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

/** Response headers every answer carries: CORS for a browser's `Origin`, when the bucket allows it. */
export function baseHeaders(ctx: Ctx): Record<string, string> {
  return corsHeaders(ctx);
}

export function send(ctx: Ctx, status: number, headers: Record<string, string | number>, body?: string | Buffer): void {
  ctx.res.writeHead(status, { ...baseHeaders(ctx), ...headers });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : body);
}

/** The object resource, with what its bucket adds (the retention expiration). */
export function objectJson(ctx: Ctx, o: ObjectRecord): Record<string, unknown> {
  let bucket: BucketRecord | undefined;
  try {
    bucket = ctx.core.getBucket(o.bucket);
  } catch {
    bucket = undefined;
  }
  const res = objectResource(o, ctx.base, bucket);
  if (!showsHashes(o, ctx.req)) {
    delete res.md5Hash;
    delete res.crc32c;
  }
  if (fullProjection(ctx, bucket) && o.acl) res.acl = o.acl;
  return res;
}

/** The bucket resource; with `projection=full` its legacy ACLs too (not under uniform access, as in GCS). */
export function bucketJson(ctx: Ctx, b: BucketRecord): Record<string, unknown> {
  const res = bucketResource(b, ctx.base);
  if (fullProjection(ctx, b)) {
    if (b.acl) res.acl = b.acl;
    if (b.defaultObjectAcl) res.defaultObjectAcl = b.defaultObjectAcl;
  }
  return res;
}

const fullProjection = (ctx: Ctx, b: BucketRecord | undefined): boolean =>
  ctx.query.get('projection') === 'full' && b !== undefined && !uniformAccessEnabled(b.metadata);

export function sendJson(ctx: Ctx, status: number, body: unknown): void {
  const text = JSON.stringify(applyFields(body, ctx.query.get('fields')));
  send(ctx, status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) }, text);
}

export function sendText(ctx: Ctx, status: number, text: string, contentType = 'text/plain'): void {
  send(ctx, status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) }, text);
}

export function sendEmpty(ctx: Ctx, status: number): void {
  send(ctx, status, { 'content-length': '0' });
}

export function sendError(ctx: Ctx, err: unknown): void {
  const e = err instanceof StorageError ? err : new StorageError('backendError', err instanceof Error ? err.message : String(err));
  errorMessages.set(ctx.res, e.message);
  if (!(err instanceof StorageError)) {
    process.stderr.write(
      `${JSON.stringify({ severity: 'ERROR', message: 'gcs emulator request failed', method: ctx.req.method, url: redact(ctx.req.url ?? ''), error: e.message })}\n`,
    );
  }
  if (ctx.res.headersSent) {
    ctx.res.destroy();
    return;
  }
  // an unread request body (an upload refused up front) is drained so the connection stays usable
  if (!ctx.req.readableEnded) ctx.req.resume();
  const text = JSON.stringify(e.toJSON());
  let cors: Record<string, string> = {};
  try {
    cors = baseHeaders(ctx);
  } catch {
    // no CORS headers on an error about the bucket itself
  }
  ctx.res.writeHead(e.status, { ...cors, 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  ctx.res.end(text);
}

// ---- fields= (partial responses) ----

/**
 * The JSON API's `fields` selector: `a,b(c,d),items/name`. Keeps only what is named, as GCS does; a
 * malformed selector is a 400.
 */
export function applyFields(body: unknown, fields: string | null): unknown {
  if (!fields || !isRecord(body)) return body;
  return pick(body, parseFields(fields));
}

type FieldTree = Map<string, FieldTree | true>;

export function parseFields(text: string): FieldTree {
  let i = 0;
  const parseList = (depth: number): FieldTree => {
    const tree: FieldTree = new Map();
    for (;;) {
      let name = '';
      while (i < text.length && !',()'.includes(text[i] as string)) name += text[i++];
      const path = name.trim().split('/').filter(Boolean);
      if (path.length === 0) throw badRequest(`Invalid field selection ${text}`);
      let sub: FieldTree | true = true;
      if (text[i] === '(') {
        i++;
        sub = parseList(depth + 1);
        if (text[i] !== ')') throw badRequest(`Invalid field selection ${text}`);
        i++;
      }
      for (let k = path.length - 1; k > 0; k--) sub = new Map([[path[k] as string, sub]]);
      merge(tree, path[0] as string, sub);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ')' && depth > 0) return tree;
      if (i >= text.length && depth === 0) return tree;
      throw badRequest(`Invalid field selection ${text}`);
    }
  };
  return parseList(0);
}

function merge(tree: FieldTree, key: string, sub: FieldTree | true): void {
  const have = tree.get(key);
  if (have === true || sub === true) tree.set(key, true);
  else if (have) for (const [k, v] of sub) merge(have, k, v);
  else tree.set(key, sub);
}

function pick(value: unknown, tree: FieldTree | true): unknown {
  if (tree === true) return value;
  if (Array.isArray(value)) return value.map((v) => pick(v, tree));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, sub] of tree) if (value[k] !== undefined) out[k] = pick(value[k], sub);
  return out;
}

// ---- preconditions ----

const PRECONDITION_KEYS = ['ifGenerationMatch', 'ifGenerationNotMatch', 'ifMetagenerationMatch', 'ifMetagenerationNotMatch'] as const;

export function preconditions(q: Query): Preconditions {
  const p: Preconditions = {};
  for (const k of PRECONDITION_KEYS) {
    const v = num(q.get(k));
    if (v !== undefined) p[k] = v;
  }
  return p;
}

export function sourcePreconditions(q: Query): Preconditions {
  const p: Preconditions = {};
  for (const k of PRECONDITION_KEYS) {
    const v = num(q.get(`ifSource${k.slice(2)}`));
    if (v !== undefined) p[k] = v;
  }
  return p;
}
