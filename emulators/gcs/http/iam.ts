import { StorageError } from '../errors.ts';
import { PROJECT_NUMBER } from '../resources.ts';
import { type Ctx, isRecord, type Params, readJson, sendJson } from './context.ts';

/**
 * A bucket's IAM policy, stored as set (no permission is ever enforced: the emulator has no
 * identities). A new bucket has GCS's legacy bindings for the project's owners, editors and viewers.
 */
function defaultPolicy(ctx: Ctx, bucket: string): Record<string, unknown> {
  const project = ctx.core.getBucket(bucket).projectId;
  return {
    kind: 'storage#policy',
    resourceId: `projects/_/buckets/${bucket}`,
    version: 1,
    etag: 'CAE=',
    bindings: [
      { role: 'roles/storage.legacyBucketOwner', members: [`projectEditor:${project}`, `projectOwner:${project}`] },
      { role: 'roles/storage.legacyBucketReader', members: [`projectViewer:${project}`] },
    ],
  };
}

export function getIamPolicy(ctx: Ctx, { bucket }: Params): void {
  const record = ctx.core.getBucket(bucket);
  sendJson(ctx, 200, record.iamPolicy ?? defaultPolicy(ctx, bucket));
}

export async function setIamPolicy(ctx: Ctx, { bucket }: Params): Promise<void> {
  ctx.core.getBucket(bucket);
  const body = await readJson(ctx.req);
  if (!Array.isArray(body.bindings)) throw new StorageError('required', 'Required policy bindings.');
  for (const b of body.bindings) {
    if (!isRecord(b) || typeof b.role !== 'string' || !Array.isArray(b.members)) throw new StorageError('invalid', 'Each binding needs a role and members.');
  }
  const etag = Buffer.from(String(Date.now())).toString('base64');
  const policy = { kind: 'storage#policy', resourceId: `projects/_/buckets/${bucket}`, version: body.version ?? 1, bindings: body.bindings, etag };
  await ctx.core.updateBucket(bucket, {}, 'patch', {}, { iamPolicy: policy });
  sendJson(ctx, 200, policy);
}

/** Every permission asked about is granted: the emulator has no identities to deny. */
export function testIamPermissions(ctx: Ctx, { bucket }: Params): void {
  ctx.core.getBucket(bucket);
  sendJson(ctx, 200, { kind: 'storage#testIamPermissionsResponse', permissions: ctx.query.getAll('permissions') });
}

/** `GET /projects/P/serviceAccount`: the project's Cloud Storage service agent. */
export function serviceAccount(ctx: Ctx): void {
  sendJson(ctx, 200, { kind: 'storage#serviceAccount', email_address: `service-${PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com` });
}

/** Object change notification channels were never supported here (nor are they by GCS for new users). */
export async function stopChannel(ctx: Ctx): Promise<void> {
  const body = await readJson(ctx.req);
  throw new StorageError('notFound', `Channel '${String(body.id ?? '')}' not found`);
}
