import { locationType, retentionSeconds } from './bucket-metadata.ts';
import type { BucketRecord, NotificationRecord, ObjectRecord } from './types.ts';

/** The emulator pretends every bucket's project has this number. */
export const PROJECT_NUMBER = '123456789012';

export const enc = (name: string): string => encodeURIComponent(name);

/** The JSON API object resource; numbers the API sends as strings are strings. */
export function objectResource(o: ObjectRecord, base: string, bucket?: BucketRecord): Record<string, unknown> {
  const res: Record<string, unknown> = {
    kind: 'storage#object',
    id: `${o.bucket}/${o.name}/${o.generation}`,
    selfLink: `${base}/storage/v1/b/${o.bucket}/o/${enc(o.name)}`,
    mediaLink: `${base}/download/storage/v1/b/${o.bucket}/o/${enc(o.name)}?generation=${o.generation}&alt=media`,
    name: o.name,
    bucket: o.bucket,
    generation: String(o.generation),
    metageneration: String(o.metageneration),
    contentType: o.contentType,
    storageClass: o.storageClass,
    size: String(o.size),
    md5Hash: o.md5Hash,
    crc32c: o.crc32c,
    etag: etag(o),
    timeCreated: o.timeCreated,
    updated: o.updated,
    timeStorageClassUpdated: o.timeCreated,
    timeFinalized: o.timeCreated,
  };
  for (const k of ['contentEncoding', 'contentDisposition', 'contentLanguage', 'cacheControl', 'customTime', 'metadata', 'timeDeleted', 'softDeleteTime', 'hardDeleteTime'] as const) {
    if (o[k] !== undefined) res[k] = o[k];
  }
  if (o.componentCount !== undefined) res.componentCount = o.componentCount;
  for (const k of ['temporaryHold', 'eventBasedHold', 'retention', 'customerEncryption'] as const) if (o[k] !== undefined) res[k] = o[k];
  const retention = bucket ? retentionSeconds(bucket.metadata) : 0;
  if (retention > 0) res.retentionExpirationTime = new Date(Date.parse(o.timeCreated) + retention * 1000).toISOString();
  return res;
}

/** Stable per generation + metageneration, as GCS's etags are. */
export function etag(o: ObjectRecord): string {
  return Buffer.from(`${o.generation}/${o.metageneration}`).toString('base64').replace(/=+$/, '');
}

/** The stored metadata as written, plus what the server owns. */
export function bucketResource(b: BucketRecord, base: string): Record<string, unknown> {
  return {
    kind: 'storage#bucket',
    id: b.name,
    selfLink: `${base}/storage/v1/b/${b.name}`,
    projectNumber: PROJECT_NUMBER,
    name: b.name,
    timeCreated: b.timeCreated,
    updated: b.updated,
    metageneration: String(b.metageneration),
    locationType: locationType(b.metadata),
    etag: Buffer.from(`${b.name}/${b.metageneration}`).toString('base64').replace(/=+$/, ''),
    ...b.metadata,
  };
}

export function notificationResource(bucket: string, n: NotificationRecord, base: string): Record<string, unknown> {
  const res: Record<string, unknown> = {
    kind: 'storage#notification',
    id: n.id,
    selfLink: `${base}/storage/v1/b/${bucket}/notificationConfigs/${n.id}`,
    topic: `//pubsub.googleapis.com/${n.topic}`,
    payload_format: n.payloadFormat,
    etag: n.id,
  };
  if (n.eventTypes) res.event_types = n.eventTypes;
  if (n.objectNamePrefix) res.object_name_prefix = n.objectNamePrefix;
  if (n.customAttributes) res.custom_attributes = n.customAttributes;
  return res;
}
