import { type AclEntry, aclRole, isPublicEntity, publicAccessPreventedError, uniformAccessError } from '../acl.ts';
import { publicAccessPrevented, uniformAccessEnabled } from '../bucket-metadata.ts';
import { StorageError } from '../errors.ts';
import type { BucketRecord } from '../types.ts';
import { type Ctx, type Handler, num, type Params, readJson, sendEmpty, sendJson } from './context.ts';

/**
 * Legacy ACLs (`/b/B/acl`, `/b/B/defaultObjectAcl`, `/b/B/o/O/acl`): list, insert, get, update,
 * delete. Refused with GCS's 400 while the bucket has uniform bucket-level access; the grants are
 * kept meanwhile, so they come back when it is turned off, as in GCS.
 */
type Target = 'acl' | 'defaultObjectAcl' | 'object';

interface AclStore {
  read(): AclEntry[];
  write(entries: AclEntry[]): Promise<void>;
  describe(e: AclEntry): Record<string, unknown>;
}

function store(ctx: Ctx, target: Target, { bucket, object }: Params): AclStore {
  const b = ctx.core.getBucket(bucket);
  checkUniformAccess(ctx, b, target);
  if (target === 'object') {
    const generation = num(ctx.query.get('generation'));
    const o = ctx.core.getObject(bucket, object, generation);
    return {
      read: () => o.acl ?? [],
      write: async (entries) => {
        await ctx.core.updateObject(bucket, object, o.generation, { acl: entries }, 'patch');
      },
      describe: (e) => ({ kind: 'storage#objectAccessControl', id: `${bucket}/${object}/${o.generation}/${e.entity}`, bucket, object, generation: String(o.generation), ...e, etag: 'CAE=' }),
    };
  }
  return {
    read: () => b[target] ?? [],
    write: async (entries) => {
      await ctx.core.updateBucket(bucket, {}, 'patch', {}, { [target]: entries });
    },
    describe: (e) =>
      target === 'acl'
        ? { kind: 'storage#bucketAccessControl', id: `${bucket}/${e.entity}`, bucket, ...e, etag: 'CAE=' }
        : { kind: 'storage#objectAccessControl', bucket, ...e, etag: 'CAE=' },
  };
}

function checkUniformAccess(ctx: Ctx, b: BucketRecord, target: Target): void {
  if (!uniformAccessEnabled(b.metadata)) return;
  ctx.req.resume();
  throw uniformAccessError(target === 'object' ? 'object' : 'bucket');
}

const notFound = (entity: string): StorageError => new StorageError('notFound', `No such ACL entry for entity ${entity}.`);

function checkPublic(b: BucketRecord, entity: string): void {
  if (isPublicEntity(entity) && publicAccessPrevented(b.metadata)) throw publicAccessPreventedError();
}

export function aclRoutes(target: Target): { list: Handler; insert: Handler; get: Handler; update: Handler; remove: Handler } {
  const kind = target === 'acl' ? 'storage#bucketAccessControls' : 'storage#objectAccessControls';
  return {
    list: (ctx, params) => {
      const s = store(ctx, target, params);
      sendJson(ctx, 200, { kind, items: s.read().map((e) => s.describe(e)) });
    },
    insert: async (ctx, params) => {
      const s = store(ctx, target, params);
      const body = await readJson(ctx.req);
      if (typeof body.entity !== 'string' || !body.entity) throw new StorageError('required', 'Required entity.');
      const entry: AclEntry = { entity: body.entity, role: aclRole(body.role) };
      checkPublic(ctx.core.getBucket(params.bucket), entry.entity);
      await s.write([...s.read().filter((e) => e.entity !== entry.entity), entry]);
      sendJson(ctx, 200, s.describe(entry));
    },
    get: (ctx, params) => {
      const s = store(ctx, target, params);
      const found = s.read().find((e) => e.entity === params.entity);
      if (!found) throw notFound(params.entity);
      sendJson(ctx, 200, s.describe(found));
    },
    // an update of an entity not yet granted adds it, as GCS does
    update: async (ctx, params) => {
      const s = store(ctx, target, params);
      const body = await readJson(ctx.req);
      const entry: AclEntry = { entity: params.entity, role: aclRole(body.role) };
      checkPublic(ctx.core.getBucket(params.bucket), entry.entity);
      await s.write([...s.read().filter((e) => e.entity !== entry.entity), entry]);
      sendJson(ctx, 200, s.describe(entry));
    },
    remove: async (ctx, params) => {
      const s = store(ctx, target, params);
      const entries = s.read();
      if (!entries.some((e) => e.entity === params.entity)) throw notFound(params.entity);
      await s.write(entries.filter((e) => e.entity !== params.entity));
      sendEmpty(ctx, 204);
    },
  };
}
