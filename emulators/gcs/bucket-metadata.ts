import { z } from 'zod';
import { StorageError } from './errors.ts';
import type { BucketRecord } from './types.ts';

/**
 * A bucket's writable metadata, stored as the client wrote it (after GCS's validation) and read
 * back the same: nothing kept by an allow-list, nothing hard-coded. PATCH is a JSON merge (a key set
 * to null is removed), PUT replaces. What the emulator cannot honour (KMS keys, HNS,
 * default holds) is refused with a 400 that names it.
 */
export type BucketMetadata = Record<string, unknown>;

/** Fields the server owns: ignored when a client sends them back (as `gcloud` and PUT do). */
const OUTPUT_ONLY = new Set([
  'kind', 'id', 'selfLink', 'projectNumber', 'name', 'timeCreated', 'updated', 'metageneration', 'etag', 'locationType',
  'owner', 'satisfiesPZS', 'satisfiesPZI', 'generation', 'softDeleteTime', 'hardDeleteTime',
]);

export const StorageClass = z.enum(['STANDARD', 'NEARLINE', 'COLDLINE', 'ARCHIVE', 'MULTI_REGIONAL', 'REGIONAL', 'DURABLE_REDUCED_AVAILABILITY']);

const invalid = (message: string): StorageError => new StorageError('invalid', message);
const unsupported = (what: string): StorageError => new StorageError('invalid', `${what} is not supported by the emulator.`);

const CorsRule = z.object({
  origin: z.array(z.string()).optional(),
  method: z.array(z.string()).optional(),
  responseHeader: z.array(z.string()).optional(),
  maxAgeSeconds: z.coerce.number().int().nonnegative().optional(),
});

const LifecycleRule = z.object({
  action: z.object({
    type: z.enum(['Delete', 'SetStorageClass', 'AbortIncompleteMultipartUpload']),
    // the client passes what the caller wrote ('coldline'); GCS takes any case
    storageClass: z.string().refine((c) => StorageClass.safeParse(c.toUpperCase()).success, 'unknown storage class').optional(),
  }),
  condition: z.record(z.string(), z.unknown()).refine((c) => Object.keys(c).length > 0, 'A lifecycle rule needs at least one condition.'),
});

const LABEL_KEY = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;
const LABEL_VALUE = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;

/** JSON merge patch (RFC 7396): objects merge, null removes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** The writable part of a request body, validated as GCS validates it; `now` stamps effective times. */
export function normalizeBucketMetadata(input: BucketMetadata, previous: BucketMetadata | undefined, now: string): BucketMetadata {
  const md: BucketMetadata = {};
  for (const [k, v] of Object.entries(input)) if (!OUTPUT_ONLY.has(k) && v !== null && v !== undefined) md[k] = v;

  md.location = typeof md.location === 'string' ? md.location.toUpperCase() : (previous?.location ?? 'US');
  if (previous?.location !== undefined && md.location !== previous.location) throw invalid('A bucket\'s location cannot be changed.');
  const sc = md.storageClass ?? previous?.storageClass ?? 'STANDARD';
  if (!StorageClass.safeParse(sc).success) throw invalid(`Invalid argument: storageClass '${String(sc)}'.`);
  md.storageClass = sc;
  md.rpo ??= 'DEFAULT';
  if (md.rpo !== 'DEFAULT' && md.rpo !== 'ASYNC_TURBO') throw invalid(`Invalid value for rpo: '${String(md.rpo)}'.`);

  if (md.labels !== undefined) {
    const labels = normalizeLabels(md.labels);
    if (labels === undefined) delete md.labels;
    else md.labels = labels;
  }

  if (md.versioning !== undefined) {
    if (!isObject(md.versioning)) throw invalid('versioning must be an object.');
    md.versioning = { enabled: md.versioning.enabled === true };
  }
  if (md.cors !== undefined) md.cors = parse(z.array(CorsRule), md.cors, 'cors');
  if (Array.isArray(md.cors) && md.cors.length === 0) delete md.cors;
  if (md.lifecycle !== undefined) {
    const lc = parse(z.object({ rule: z.array(LifecycleRule).optional() }), md.lifecycle, 'lifecycle');
    for (const r of lc.rule ?? []) {
      if (r.action.type === 'SetStorageClass' && !r.action.storageClass) throw invalid('A SetStorageClass lifecycle action needs a storageClass.');
    }
    md.lifecycle = md.lifecycle as BucketMetadata;
  }

  md.iamConfiguration = iamConfiguration(md.iamConfiguration, previous?.iamConfiguration, now);

  if (md.retentionPolicy !== undefined) md.retentionPolicy = retentionPolicy(md.retentionPolicy, previous?.retentionPolicy, now);

  if (md.autoclass !== undefined) md.autoclass = autoclass(md.autoclass, previous?.autoclass, now);

  md.softDeletePolicy = softDeletePolicy(md.softDeletePolicy, previous?.softDeletePolicy, now);

  if (md.defaultEventBasedHold === true) throw unsupported('Event-based holds (defaultEventBasedHold)');
  if (md.defaultEventBasedHold === false) delete md.defaultEventBasedHold;
  if (isObject(md.encryption) && md.encryption.defaultKmsKeyName) throw unsupported('Cloud KMS keys (encryption.defaultKmsKeyName)');
  if (isObject(md.hierarchicalNamespace) && md.hierarchicalNamespace.enabled === true) throw unsupported('Hierarchical namespace');
  if (isObject(md.hierarchicalNamespace)) delete md.hierarchicalNamespace;
  // object retention is switched on when the bucket is created (enableObjectRetention=true), never later
  if (md.objectRetention !== undefined && previous !== undefined && !isObject(previous.objectRetention)) {
    throw invalid('Object retention can only be enabled when the bucket is created (enableObjectRetention=true).');
  }
  if (md.objectRetention !== undefined) md.objectRetention = { mode: 'Enabled' };
  if (md.ipFilter !== undefined) throw unsupported('IP filtering (ipFilter)');
  // legacy ACLs travel beside the metadata (see acl.ts), never inside it
  delete md.acl;
  delete md.defaultObjectAcl;
  return md;
}

/** Checks the labels; undefined when none are left after removing the null ones (a patch that deletes them all). */
function normalizeLabels(value: unknown): Record<string, string> | undefined {
  if (!isObject(value)) throw invalid('labels must be an object.');
  const entries = Object.entries(value).filter(([, v]) => v !== null);
  if (entries.length > 64) throw invalid('A bucket can have at most 64 labels.');
  for (const [k, v] of entries) {
    if (!LABEL_KEY.test(k)) throw invalid(`Invalid label key '${k}': lowercase letters, digits, '_' and '-', starting with a letter, at most 63 characters.`);
    if (typeof v !== 'string' || !LABEL_VALUE.test(v)) throw invalid(`Invalid label value for '${k}'.`);
  }
  return entries.length === 0 ? undefined : (Object.fromEntries(entries) as Record<string, string>);
}

/** A locked policy's period may only grow; the effective time moves only when the period changes. */
function retentionPolicy(value: unknown, previous: unknown, now: string): BucketMetadata {
  if (!isObject(value)) throw invalid('retentionPolicy must be an object.');
  const period = Number(value.retentionPeriod);
  if (!Number.isInteger(period) || period <= 0 || period > 3_155_760_000) {
    throw invalid('Invalid argument: retentionPeriod must be a number of seconds between 1 and 3,155,760,000.');
  }
  if (isObject(previous) && previous.isLocked === true && period < Number(previous.retentionPeriod)) {
    throw new StorageError('forbidden', 'Cannot reduce the retention period of a locked retention policy.');
  }
  const same = isObject(previous) && Number(previous.retentionPeriod) === period;
  return {
    retentionPeriod: String(period),
    effectiveTime: same && isObject(previous) ? previous.effectiveTime : now,
    isLocked: isObject(previous) && previous.isLocked === true,
  };
}

/** The toggle time moves only when autoclass is switched on or off. */
function autoclass(value: unknown, previous: unknown, now: string): BucketMetadata {
  if (!isObject(value)) throw invalid('autoclass must be an object.');
  const enabled = value.enabled === true;
  const terminal = value.terminalStorageClass ?? (enabled ? 'NEARLINE' : undefined);
  if (terminal !== undefined && terminal !== 'NEARLINE' && terminal !== 'ARCHIVE') {
    throw invalid(`Invalid argument: autoclass terminalStorageClass must be NEARLINE or ARCHIVE, not '${String(terminal)}'.`);
  }
  const prev = isObject(previous) ? previous : undefined;
  return {
    enabled,
    toggleTime: prev && prev.enabled === enabled ? prev.toggleTime : now,
    ...(terminal !== undefined ? { terminalStorageClass: terminal, terminalStorageClassUpdateTime: now } : {}),
  };
}

function iamConfiguration(value: unknown, previous: unknown, now: string): BucketMetadata {
  const iam = isObject(value) ? value : {};
  const prev = isObject(previous) ? previous : {};
  const pap = iam.publicAccessPrevention ?? prev.publicAccessPrevention ?? 'inherited';
  if (pap !== 'inherited' && pap !== 'enforced' && pap !== 'unspecified') {
    throw invalid(`Invalid argument: publicAccessPrevention must be 'inherited' or 'enforced', not '${String(pap)}'.`);
  }
  // both spellings: `bucketPolicyOnly` is the older name the client still sends
  const ubla = isObject(iam.uniformBucketLevelAccess) ? iam.uniformBucketLevelAccess : isObject(iam.bucketPolicyOnly) ? iam.bucketPolicyOnly : undefined;
  // off unless asked for, as for a bucket GCS creates without an organization policy
  const prevUbla = isObject(prev.uniformBucketLevelAccess) ? prev.uniformBucketLevelAccess : { enabled: false };
  const enabled = ubla ? ubla.enabled === true : prevUbla.enabled === true;
  const lockedTime =
    enabled && prevUbla.enabled === true && typeof prevUbla.lockedTime === 'string'
      ? prevUbla.lockedTime
      : new Date(Date.parse(now) + 90 * 24 * 3600 * 1000).toISOString();
  const access = enabled ? { enabled, lockedTime } : { enabled };
  return { uniformBucketLevelAccess: access, bucketPolicyOnly: access, publicAccessPrevention: pap === 'unspecified' ? 'inherited' : pap };
}

function parse<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw invalid(`Invalid argument: ${field}: ${r.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return r.data;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const versioningEnabled = (md: BucketMetadata): boolean => isObject(md.versioning) && md.versioning.enabled === true;

export const uniformAccessEnabled = (md: BucketMetadata): boolean =>
  isObject(md.iamConfiguration) && isObject(md.iamConfiguration.uniformBucketLevelAccess) && md.iamConfiguration.uniformBucketLevelAccess.enabled === true;

export const publicAccessPrevented = (md: BucketMetadata): boolean =>
  isObject(md.iamConfiguration) && md.iamConfiguration.publicAccessPrevention === 'enforced';

export const objectRetentionEnabled = (md: BucketMetadata): boolean => isObject(md.objectRetention);

/** `locationType` as GCS derives it from the location. */
export function locationType(md: BucketMetadata): 'multi-region' | 'dual-region' | 'region' {
  const location = String(md.location);
  if (isObject(md.customPlacementConfig) || DUAL_REGIONS.has(location)) return 'dual-region';
  return MULTI_REGIONS.has(location) ? 'multi-region' : 'region';
}
const MULTI_REGIONS = new Set(['US', 'EU', 'ASIA']);
const DUAL_REGIONS = new Set(['NAM4', 'EUR4', 'EUR5', 'EUR7', 'EUR8', 'ASIA1']);

/** GCS takes 0 (soft delete off) or 7 to 90 days. */
const SOFT_DELETE_MIN_SECONDS = 7 * 24 * 3600;
const SOFT_DELETE_MAX_SECONDS = 90 * 24 * 3600;

/**
 * The stored soft delete policy: the duration as a string, as the API sends int64s, and the time it
 * took effect (kept while the duration stays the same). A bucket created without one has 0 s here
 * (soft delete off), so objects deleted by tests and the local suite do not linger.
 */
function softDeletePolicy(given: unknown, previous: unknown, now: string): { retentionDurationSeconds: string; effectiveTime: string } {
  const raw = given === undefined ? 0 : isObject(given) ? (given.retentionDurationSeconds ?? 0) : Number.NaN;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || (seconds !== 0 && (seconds < SOFT_DELETE_MIN_SECONDS || seconds > SOFT_DELETE_MAX_SECONDS))) {
    throw invalid(
      `Invalid argument: softDeletePolicy.retentionDurationSeconds must be 0 or between ${SOFT_DELETE_MIN_SECONDS} and ${SOFT_DELETE_MAX_SECONDS} (7 to 90 days), not '${String(raw)}'.`,
    );
  }
  const same = isObject(previous) && Number(previous.retentionDurationSeconds) === seconds && typeof previous.effectiveTime === 'string';
  return { retentionDurationSeconds: String(seconds), effectiveTime: same ? String(previous.effectiveTime) : now };
}

/** How long a deleted or replaced object stays restorable; 0: it is gone at once. */
export const softDeleteSeconds = (md: BucketMetadata): number =>
  isObject(md.softDeletePolicy) ? Number(md.softDeletePolicy.retentionDurationSeconds) : 0;

/** Seconds objects must be kept under the bucket's retention policy (0: none). */
export const retentionSeconds = (md: BucketMetadata): number => (isObject(md.retentionPolicy) ? Number(md.retentionPolicy.retentionPeriod) : 0);

/** Bucket records written before metadata was kept whole had location, storageClass, versioning and labels on top. */
export function withMetadata(record: BucketRecord): BucketRecord {
  if (record.metadata) return record;
  const old = record as unknown as Record<string, unknown>;
  const metadata: BucketMetadata = { location: old.location ?? 'US', storageClass: old.storageClass ?? 'STANDARD' };
  if (old.versioning === true) metadata.versioning = { enabled: true };
  if (old.labels) metadata.labels = old.labels;
  const { location: _l, storageClass: _s, versioning: _v, labels: _b, ...rest } = old;
  return { ...(rest as unknown as BucketRecord), metadata: normalizeBucketMetadata(metadata, undefined, String(old.timeCreated)) };
}
