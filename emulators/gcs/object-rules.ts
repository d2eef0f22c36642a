import { type AclEntry, isPublicEntity, publicAccessPreventedError, uniformAccessError } from './acl.ts';
import { type BucketMetadata, publicAccessPrevented, retentionSeconds, uniformAccessEnabled } from './bucket-metadata.ts';
import { StorageError } from './errors.ts';
import type { BucketRecord, ObjectRecord } from './types.ts';

// The rules GCS applies to an object write, update or delete: names, metadata size, holds, retention, ACLs.

/** Fields a PATCH may remove by sending null. */
export const CLEARABLE = ['contentEncoding', 'contentDisposition', 'contentLanguage', 'cacheControl', 'customTime'] as const;

/** GCS refuses custom metadata over 8 KiB (keys and values, in UTF-8 bytes). */
const MAX_CUSTOM_METADATA_BYTES = 8 * 1024;

export function checkMetadataSize(metadata: Record<string, string | null> | null | undefined): void {
  let size = 0;
  for (const [k, v] of Object.entries(metadata ?? {})) size += Buffer.byteLength(k) + Buffer.byteLength(v ?? '');
  if (size > MAX_CUSTOM_METADATA_BYTES) {
    throw new StorageError('invalid', `The total size of custom metadata (${size} bytes) exceeds the maximum of ${MAX_CUSTOM_METADATA_BYTES} bytes.`);
  }
}

/**
 * A held object cannot be deleted, replaced or archived; one under a retention period (the bucket's
 * policy or its own retention) cannot be deleted or replaced until the period has passed.
 */
export function checkRetention(bucket: BucketRecord, o: ObjectRecord, change: 'remove' | 'archive'): void {
  for (const [k, label] of [['temporaryHold', 'Temporary'], ['eventBasedHold', 'Event-Based']] as const) {
    if (o[k] === true) {
      throw new StorageError('forbidden', `Object '${o.bucket}/${o.name}' is under active ${label} hold and cannot be deleted, overwritten or archived until hold is removed.`);
    }
  }
  if (change === 'archive') return;
  const seconds = retentionSeconds(bucket.metadata);
  const until = Math.max(seconds > 0 ? Date.parse(o.timeCreated) + seconds * 1000 : 0, o.retention ? Date.parse(o.retention.retainUntilTime) : 0);
  if (Date.now() < until) {
    throw new StorageError(
      'forbidden',
      `Object '${o.bucket}/${o.name}' is subject to bucket's retention policy or object retention and cannot be deleted or overwritten until ${new Date(until).toISOString()}`,
    );
  }
}

/** Legacy ACLs are refused under uniform bucket-level access; public grants under enforced public access prevention. */
export function checkAclsAllowed(md: BucketMetadata, acl: AclEntry[] | undefined, target: 'bucket' | 'object'): void {
  if (!acl) return;
  if (uniformAccessEnabled(md)) throw uniformAccessError(target);
  if (publicAccessPrevented(md) && acl.some((e) => isPublicEntity(e.entity))) throw publicAccessPreventedError();
}

/** A new retention for an object: shortening or removing an Unlocked one needs the override; a Locked one only grows. */
export function changeRetention(
  o: ObjectRecord,
  next: ObjectRecord['retention'] | null,
  override: boolean,
): ObjectRecord['retention'] | undefined {
  const current = o.retention;
  if (next && (next.mode !== 'Unlocked' && next.mode !== 'Locked' || !Number.isFinite(Date.parse(next.retainUntilTime)))) {
    throw new StorageError('invalid', "Invalid retention: mode must be 'Unlocked' or 'Locked' and retainUntilTime a timestamp.");
  }
  const weakens =
    current && (!next || Date.parse(next.retainUntilTime) < Date.parse(current.retainUntilTime) || (current.mode === 'Locked' && next.mode !== 'Locked'));
  if (weakens) {
    if (current.mode === 'Locked') throw new StorageError('forbidden', 'A Locked object retention cannot be removed or shortened.');
    if (!override) {
      throw new StorageError('forbidden', 'Removing or shortening an Unlocked object retention requires overrideUnlockedRetention=true.');
    }
  }
  return next ?? undefined;
}

export function validateObjectName(name: string): void {
  if (!name) throw new StorageError('required', 'Required object name.');
  // GCS: "Object names cannot contain Carriage Return or Line Feed characters."
  if (/[\r\n]/.test(name)) throw new StorageError('invalid', 'The specified object name is not valid: object names cannot contain Carriage Return or Line Feed characters.');
  if (Buffer.byteLength(name) > 1024) throw new StorageError('invalid', 'The object name is too long.');
  if (name === '.' || name === '..') throw new StorageError('invalid', `Invalid object name: ${name}`);
}
