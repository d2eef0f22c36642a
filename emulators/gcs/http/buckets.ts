import { StorageError } from '../errors.ts';
import { notificationResource } from '../resources.ts';
import type { NotificationRecord } from '../types.ts';
import { parseAcl, predefinedAcl } from '../acl.ts';
import type { BucketAcls } from '../storage.ts';
import { bucketJson, type Ctx, type Params, isRecord, preconditions, readJson, sendEmpty, sendJson } from './context.ts';

export function listBuckets(ctx: Ctx): void {
  const buckets = ctx.core.listBuckets(ctx.query.get('prefix') ?? '');
  sendJson(ctx, 200, { kind: 'storage#buckets', items: buckets.map((b) => bucketJson(ctx, b)) });
}

export async function insertBucket(ctx: Ctx): Promise<void> {
  const body = await readJson(ctx.req);
  const name = typeof body.name === 'string' ? body.name : '';
  if (!name) throw new StorageError('required', 'Required bucket name.');
  const { name: _name, ...metadata } = body;
  if (ctx.query.get('enableObjectRetention') === 'true') metadata.objectRetention = { mode: 'Enabled' };
  const bucket = await ctx.core.createBucket(name, ctx.query.get('project') ?? ctx.projectId, metadata, bucketAcls(ctx, body));
  sendJson(ctx, 200, bucketJson(ctx, bucket));
}

export function getBucket(ctx: Ctx, { bucket }: Params): void {
  const pre = preconditions(ctx.query);
  const b = ctx.core.getBucket(bucket);
  if (pre.ifMetagenerationMatch !== undefined && b.metageneration !== pre.ifMetagenerationMatch) {
    throw new StorageError('conditionNotMet', 'At least one of the pre-conditions you specified did not hold.');
  }
  if (pre.ifMetagenerationNotMatch !== undefined && b.metageneration === pre.ifMetagenerationNotMatch) {
    throw new StorageError('conditionNotMet', 'At least one of the pre-conditions you specified did not hold.');
  }
  sendJson(ctx, 200, bucketJson(ctx, b));
}

/** PATCH merges (a key set to null is removed); PUT replaces every writable field. */
export async function updateBucket(ctx: Ctx, { bucket }: Params): Promise<void> {
  const body = await readJson(ctx.req);
  const b = await ctx.core.updateBucket(bucket, body, ctx.req.method === 'PUT' ? 'replace' : 'patch', preconditions(ctx.query), bucketAcls(ctx, body));
  sendJson(ctx, 200, bucketJson(ctx, b));
}

export async function deleteBucket(ctx: Ctx, { bucket }: Params): Promise<void> {
  await ctx.core.deleteBucket(bucket, preconditions(ctx.query));
  sendEmpty(ctx, 204);
}

/** Grants a bucket request sets: `predefinedAcl` / `predefinedDefaultObjectAcl`, or `acl` / `defaultObjectAcl` in the body. */
function bucketAcls(ctx: Ctx, body: Record<string, unknown>): BucketAcls {
  const acls: BucketAcls = {};
  const acl = ctx.query.get('predefinedAcl');
  const def = ctx.query.get('predefinedDefaultObjectAcl');
  if (acl) acls.acl = predefinedAcl(acl, 'bucket');
  else if (Array.isArray(body.acl)) acls.acl = parseAcl(body.acl);
  if (def) acls.defaultObjectAcl = predefinedAcl(def, 'object');
  else if (Array.isArray(body.defaultObjectAcl)) acls.defaultObjectAcl = parseAcl(body.defaultObjectAcl);
  return acls;
}

export async function lockRetentionPolicy(ctx: Ctx, { bucket }: Params): Promise<void> {
  ctx.req.resume();
  const b = await ctx.core.lockRetentionPolicy(bucket, preconditions(ctx.query).ifMetagenerationMatch);
  sendJson(ctx, 200, bucketJson(ctx, b));
}

export function storageLayout(ctx: Ctx, { bucket }: Params): void {
  const b = ctx.core.getBucket(bucket);
  sendJson(ctx, 200, {
    kind: 'storage#storageLayout',
    bucket,
    location: b.metadata.location,
    locationType: 'multi-region',
    hierarchicalNamespace: { enabled: false },
  });
}

/** No managed folders or HNS folders here; gcloud's `rm -r gs://B` lists them before deleting the bucket. */
export function emptyFolders(kind: 'storage#folders' | 'storage#managedFolders') {
  return (ctx: Ctx, { bucket }: Params): void => {
    ctx.core.getBucket(bucket);
    sendJson(ctx, 200, { kind, items: [] });
  };
}

// ---- notification configs ----

export function listNotifications(ctx: Ctx, { bucket }: Params): void {
  const items = ctx.core.getBucket(bucket).notifications.map((n) => notificationResource(bucket, n, ctx.base));
  sendJson(ctx, 200, { kind: 'storage#notifications', items });
}

export async function insertNotification(ctx: Ctx, { bucket }: Params): Promise<void> {
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
  sendJson(ctx, 200, notificationResource(bucket, created, ctx.base));
}

export function getNotification(ctx: Ctx, { bucket, id }: Params): void {
  sendJson(ctx, 200, notificationResource(bucket, ctx.core.getNotification(bucket, id), ctx.base));
}

export async function deleteNotification(ctx: Ctx, { bucket, id }: Params): Promise<void> {
  await ctx.core.deleteNotification(bucket, id);
  sendEmpty(ctx, 204);
}
