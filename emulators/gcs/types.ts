import type { Readable, Writable } from 'node:stream';
import type { AclEntry } from './acl.ts';

/** A bucket as the emulator keeps it (rendered to the JSON API resource by `resources.ts`). */
export interface BucketRecord {
  name: string;
  projectId: string;
  timeCreated: string;
  updated: string;
  metageneration: number;
  /** Writable bucket metadata as written (location, storageClass, versioning, labels, cors, lifecycle, ...); see `bucket-metadata.ts`. */
  metadata: Record<string, unknown>;
  notifications: NotificationRecord[];
  nextNotificationId: number;
  /** Legacy ACLs, kept while uniform bucket-level access is on (GCS restores them when it is turned off). */
  acl?: AclEntry[];
  defaultObjectAcl?: AclEntry[];
  /** As last set by setIamPolicy (never enforced). */
  iamPolicy?: Record<string, unknown>;
}

/** What an object written with a customer-supplied key records of it. */
export interface CustomerEncryption {
  encryptionAlgorithm: 'AES256';
  keySha256: string;
}

/** One entry of a bucket's `cors` configuration. */
export interface CorsRule {
  origin?: string[];
  method?: string[];
  responseHeader?: string[];
  maxAgeSeconds?: number;
}

export interface NotificationRecord {
  id: string;
  /** `projects/P/topics/T` */
  topic: string;
  payloadFormat: 'JSON_API_V1' | 'NONE';
  eventTypes?: string[];
  objectNamePrefix?: string;
  customAttributes?: Record<string, string>;
}

/** One generation of an object. `blobKey` names its content in the backend. */
export interface ObjectRecord {
  bucket: string;
  name: string;
  generation: number;
  metageneration: number;
  size: number;
  contentType: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  customTime?: string;
  metadata?: Record<string, string>;
  md5Hash: string;
  crc32c: string;
  componentCount?: number;
  storageClass: string;
  timeCreated: string;
  updated: string;
  acl?: AclEntry[];
  customerEncryption?: CustomerEncryption;
  temporaryHold?: boolean;
  eventBasedHold?: boolean;
  /** Object retention: kept (not deleted or replaced) until `retainUntilTime`. */
  retention?: { mode: 'Unlocked' | 'Locked'; retainUntilTime: string };
  /** Set on noncurrent versions (versioned buckets). */
  timeDeleted?: string;
  /** Set on soft-deleted generations: when they were deleted, and when they will be removed for good. */
  softDeleteTime?: string;
  hardDeleteTime?: string;
  blobKey: string;
}

export interface Preconditions {
  ifGenerationMatch?: number;
  ifGenerationNotMatch?: number;
  ifMetagenerationMatch?: number;
  ifMetagenerationNotMatch?: number;
}

/** Fields a writer may set on a new object (null: a PATCH that removes the field). */
export interface ObjectInit {
  contentType?: string | null;
  contentEncoding?: string | null;
  contentDisposition?: string | null;
  contentLanguage?: string | null;
  cacheControl?: string | null;
  customTime?: string | null;
  storageClass?: string | null;
  metadata?: Record<string, string | null> | null;
  /** Grants for the new object (from `predefinedAcl` or `acl`); the bucket's default object ACL otherwise. */
  acl?: AclEntry[];
  customerEncryption?: CustomerEncryption;
  temporaryHold?: boolean | null;
  eventBasedHold?: boolean | null;
  retention?: { mode: 'Unlocked' | 'Locked'; retainUntilTime: string } | null;
  /** Hashes the client declared (JSON body or `X-Goog-Hash`); a mismatch rejects the write. */
  expectedCrc32c?: string;
  expectedMd5?: string;
}

/** A resumable upload session as persisted: what it will create, and where its bytes go. */
export interface UploadRecord {
  id: string;
  bucket: string;
  name: string;
  init: ObjectInit;
  preconditions: Preconditions;
  blobKey: string;
  totalSize?: number;
  /** `x-goog-content-length-range` of the signed URL that started the session. */
  lengthRange?: { min: number; max: number };
}

export interface ByteRange {
  start: number;
  /** inclusive */
  end: number;
}

/**
 * Where buckets, object metadata and object content live. Two implementations: memory and
 * filesystem. The storage core (`storage.ts`) holds the logic and an index; a backend only persists.
 */
export interface Backend {
  readonly kind: 'memory' | 'filesystem';
  /** Everything persisted by an earlier run (empty for memory). */
  load(): Promise<{ buckets: BucketRecord[]; objects: ObjectRecord[]; uploads: UploadRecord[] }>;
  saveBucket(bucket: BucketRecord): Promise<void>;
  deleteBucket(name: string): Promise<void>;
  saveObject(object: ObjectRecord): Promise<void>;
  deleteObject(object: ObjectRecord): Promise<void>;
  saveUpload(upload: UploadRecord): Promise<void>;
  deleteUpload(id: string): Promise<void>;
  /** A sink for content; `append` continues an existing blob (resumable sessions). */
  createBlobWriter(key: string, options?: { append?: boolean }): Writable;
  createBlobReader(key: string, range?: ByteRange): Readable;
  copyBlob(from: string, to: string): Promise<void>;
  deleteBlob(key: string): Promise<void>;
  /** Remove content no record refers to (left by a crash or by unfinished upload sessions). */
  sweepBlobs(keep: Set<string>): Promise<number>;
  close(): Promise<void>;
}
