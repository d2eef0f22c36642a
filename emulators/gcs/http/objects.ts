import { parseAcl, predefinedAcl } from '../acl.ts';
import { StorageError } from '../errors.ts';
import { checkPreconditions, type ListOptions, type ObjectInit } from '../storage.ts';
import {
  bool,
  type Ctx,
  isRecord,
  num,
  objectJson,
  type Params,
  preconditions,
  readJson,
  sendEmpty,
  sendJson,
  sourcePreconditions,
} from './context.ts';
import { download } from './downloads.ts';
import { checkContentKey, customerKey } from './csek.ts';
import { refuseUnsupportedObjectOptions } from './unsupported.ts';

export function listObjects(ctx: Ctx, { bucket }: Params): void {
  const q = ctx.query;
  const opt: ListOptions = {};
  for (const k of ['prefix', 'delimiter', 'pageToken', 'startOffset', 'endOffset', 'matchGlob'] as const) {
    const v = q.get(k);
    if (v !== null && v !== '') opt[k] = v;
  }
  const max = q.get('maxResults');
  if (max) opt.maxResults = Number(max);
  // gcloud (Python) sends booleans as `True`
  if (bool(q.get('versions'))) opt.versions = true;
  if (bool(q.get('includeTrailingDelimiter'))) opt.includeTrailingDelimiter = true;
  if (bool(q.get('softDeleted'))) opt.softDeleted = true;
  const { items, prefixes, nextPageToken } = ctx.core.listObjects(bucket, opt);
  const body: Record<string, unknown> = { kind: 'storage#objects', items: items.map((o) => objectJson(ctx, o)) };
  if (prefixes.length > 0) body.prefixes = prefixes;
  if (nextPageToken) body.nextPageToken = nextPageToken;
  sendJson(ctx, 200, body);
}

export function getObject(ctx: Ctx, params: Params): Promise<void> | void {
  const { bucket, object } = params;
  if (ctx.query.get('alt') === 'media') return download(ctx, params);
  refuseUnsupportedObjectOptions(ctx);
  const generation = num(ctx.query.get('generation'));
  const o = bool(ctx.query.get('softDeleted'))
    ? ctx.core.getSoftDeletedObject(bucket, object, requiredGeneration(generation))
    : ctx.core.getObject(bucket, object, generation);
  checkPreconditions(o, preconditions(ctx.query));
  sendJson(ctx, 200, objectJson(ctx, o));
}

/** PATCH merges (`metadata: {}` clears the custom metadata, a key set to null is removed); PUT replaces. */
export async function updateObject(ctx: Ctx, { bucket, object }: Params): Promise<void> {
  refuseUnsupportedObjectOptions(ctx);
  const body = await readJson(ctx.req);
  const mode = ctx.req.method === 'PATCH' ? 'patch' : 'replace';
  const init = withPredefinedAcl(ctx, objectInit(body));
  const o = await ctx.core.updateObject(bucket, object, num(ctx.query.get('generation')), init, mode, preconditions(ctx.query), {
    overrideUnlockedRetention: ctx.query.get('overrideUnlockedRetention') === 'true',
  });
  sendJson(ctx, 200, objectJson(ctx, o));
}

export async function deleteObject(ctx: Ctx, { bucket, object }: Params): Promise<void> {
  await ctx.core.deleteObject(bucket, object, num(ctx.query.get('generation')), preconditions(ctx.query));
  sendEmpty(ctx, 204);
}

/** copyTo answers the object; rewriteTo a rewrite response, done in one call. */
export async function copyObject(ctx: Ctx, { bucket, object, destBucket, destObject }: Params): Promise<void> {
  refuseUnsupportedObjectOptions(ctx);
  const body = await readJson(ctx.req);
  const src: Parameters<Ctx['core']['copyObject']>[0] = { bucket, name: object, preconditions: sourcePreconditions(ctx.query) };
  const g = num(ctx.query.get('sourceGeneration'));
  if (g !== undefined) src.generation = g;
  checkContentKey(ctx.core.getObject(bucket, object, g), customerKey(ctx.req, 'x-goog-copy-source-'));
  const key = customerKey(ctx.req);
  const given = Object.keys(body).length > 0 ? objectInit(body) : undefined;
  const predefined = ctx.query.get('destinationPredefinedAcl');
  const override = predefined ? { ...given, acl: predefinedAcl(predefined, 'object') } : given;
  const o = await ctx.core.copyObject(
    src,
    { bucket: destBucket, name: destObject, preconditions: preconditions(ctx.query), ...(key ? { customerEncryption: key } : {}) },
    override,
  );
  const resource = objectJson(ctx, o);
  if (ctx.req.url?.includes('/copyTo/')) return sendJson(ctx, 200, resource);
  sendJson(ctx, 200, {
    kind: 'storage#rewriteResponse',
    totalBytesRewritten: String(o.size),
    objectSize: String(o.size),
    done: true,
    resource,
  });
}

export async function moveObject(ctx: Ctx, { bucket, object, destObject }: Params): Promise<void> {
  await readJson(ctx.req);
  const o = await ctx.core.moveObject(bucket, object, destObject, sourcePreconditions(ctx.query), preconditions(ctx.query));
  sendJson(ctx, 200, objectJson(ctx, o));
}

export async function composeObject(ctx: Ctx, { bucket, object }: Params): Promise<void> {
  refuseUnsupportedObjectOptions(ctx);
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
  const o = await ctx.core.composeObject(bucket, object, parts, init, preconditions(ctx.query));
  sendJson(ctx, 200, objectJson(ctx, o));
}

/** `?predefinedAcl=` on a write or PATCH: the object's grants. */
export function withPredefinedAcl(ctx: Ctx, init: ObjectInit): ObjectInit {
  const name = ctx.query.get('predefinedAcl');
  return name ? { ...init, acl: predefinedAcl(name, 'object') } : init;
}

/** `POST .../o/O/restore?generation=G`: a soft-deleted generation back as a new live one. */
export async function restoreObject(ctx: Ctx, { bucket, object }: Params): Promise<void> {
  ctx.req.resume();
  const generation = requiredGeneration(num(ctx.query.get('generation')));
  const o = await ctx.core.restoreObject(bucket, object, generation, preconditions(ctx.query), bool(ctx.query.get('copySourceAcl')));
  sendJson(ctx, 200, objectJson(ctx, o));
}

/** Soft-deleted objects are addressed by generation only, as GCS requires. */
function requiredGeneration(generation: number | undefined): number {
  if (generation === undefined) throw new StorageError('required', 'Required parameter: generation (a soft-deleted object is addressed by its generation).');
  return generation;
}

const INIT_STRINGS = ['contentType', 'contentEncoding', 'contentDisposition', 'contentLanguage', 'cacheControl', 'customTime', 'storageClass'] as const;

/** Object fields a JSON API request body sets; fields the emulator cannot honour are refused, not dropped. */
export function objectInit(body: Record<string, unknown>): ObjectInit {
  const init: ObjectInit = {};
  for (const k of INIT_STRINGS) {
    const v = body[k];
    if (typeof v === 'string') init[k] = v;
    else if (v === null) init[k] = null;
  }
  if (isRecord(body.metadata)) init.metadata = body.metadata as Record<string, string | null>;
  else if (body.metadata === null) init.metadata = null;
  if (typeof body.crc32c === 'string' && body.crc32c) init.expectedCrc32c = body.crc32c;
  if (typeof body.md5Hash === 'string' && body.md5Hash) init.expectedMd5 = body.md5Hash;
  for (const k of ['temporaryHold', 'eventBasedHold'] as const) {
    const v = body[k];
    if (typeof v === 'boolean' || v === null) init[k] = v;
    else if (v !== undefined) throw new StorageError('invalid', `Invalid value for ${k}: ${JSON.stringify(v)}.`);
  }
  if (isRecord(body.retention)) {
    init.retention = { mode: body.retention.mode as 'Unlocked' | 'Locked', retainUntilTime: String(body.retention.retainUntilTime) };
  } else if (body.retention === null) init.retention = null;
  if (body.acl !== undefined && body.acl !== null) init.acl = parseAcl(body.acl);
  return init;
}
