import { StorageError } from './errors.ts';
import { PROJECT_NUMBER } from './resources.ts';

/** One legacy ACL grant: `allUsers`, `user-EMAIL`, `group-EMAIL`, `domain-D`, `project-TEAM-NUMBER`, ... */
export interface AclEntry {
  entity: string;
  role: AclRole;
}

export type AclRole = 'OWNER' | 'READER' | 'WRITER';
const ROLES: readonly AclRole[] = ['OWNER', 'READER', 'WRITER'];

const project = (team: string, role: AclRole): AclEntry => ({ entity: `project-${team}-${PROJECT_NUMBER}`, role });

/** What GCS gives a new bucket without `predefinedAcl`, and its default object ACL. */
export const DEFAULT_BUCKET_ACL: readonly AclEntry[] = [project('owners', 'OWNER'), project('editors', 'OWNER'), project('viewers', 'READER')];
export const DEFAULT_OBJECT_ACL: readonly AclEntry[] = [project('owners', 'OWNER'), project('editors', 'OWNER'), project('viewers', 'READER')];

/** `predefinedAcl` / `predefinedDefaultObjectAcl` values and the grants each stands for. */
export function predefinedAcl(name: string, kind: 'bucket' | 'object'): AclEntry[] {
  const owners = project('owners', 'OWNER');
  const table: Record<string, AclEntry[]> = {
    private: [owners],
    projectPrivate: [...(kind === 'bucket' ? DEFAULT_BUCKET_ACL : DEFAULT_OBJECT_ACL)],
    publicRead: [owners, { entity: 'allUsers', role: 'READER' }],
    publicReadWrite: [owners, { entity: 'allUsers', role: 'WRITER' }],
    authenticatedRead: [owners, { entity: 'allAuthenticatedUsers', role: 'READER' }],
    bucketOwnerRead: [owners, project('owners', 'READER')],
    bucketOwnerFullControl: [owners],
  };
  const found = table[name];
  if (!found || (kind === 'object' && name === 'publicReadWrite')) throw new StorageError('invalid', `Invalid predefinedAcl: '${name}'.`);
  return found;
}

export function aclRole(v: unknown): AclRole {
  const role = typeof v === 'string' ? v.toUpperCase() : '';
  if (!(ROLES as string[]).includes(role)) throw new StorageError('invalid', `Invalid value for role: '${String(v)}'.`);
  return role as AclRole;
}

export const isPublicEntity = (entity: string): boolean => entity === 'allUsers' || entity === 'allAuthenticatedUsers';

/** Grants as the client wrote them (`acl` in a bucket or object body). */
export function parseAcl(value: unknown): AclEntry[] {
  if (!Array.isArray(value)) throw new StorageError('invalid', 'acl must be a list of {entity, role}.');
  return value.map((e: unknown) => {
    const r = typeof e === 'object' && e !== null ? (e as Record<string, unknown>) : {};
    if (typeof r.entity !== 'string' || !r.entity) throw new StorageError('required', 'Required entity.');
    return { entity: r.entity, role: aclRole(r.role) };
  });
}

/** The uniform bucket-level access refusal GCS gives for each kind of ACL request. */
export function uniformAccessError(target: 'bucket' | 'object'): StorageError {
  return new StorageError(
    'invalid',
    target === 'bucket'
      ? 'Cannot use legacy ACL for a bucket that has uniform bucket-level access. Read more at https://cloud.google.com/storage/docs/uniform-bucket-level-access'
      : 'Cannot insert legacy ACL for an object when uniform bucket-level access is enabled. Read more at https://cloud.google.com/storage/docs/uniform-bucket-level-access',
  );
}

export const publicAccessPreventedError = (): StorageError =>
  new StorageError(
    'conditionNotMet',
    'The member bindings allUsers and allAuthenticatedUsers are not allowed since public access prevention is enforced.',
  );
