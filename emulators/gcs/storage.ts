import { randomUUID } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { type BucketMetadata, mergePatch, normalizeBucketMetadata, softDeleteSeconds, versioningEnabled, withMetadata } from './bucket-metadata.ts';
import { globToRegExp } from './glob.ts';
import { changeRetention, checkAclsAllowed, checkMetadataSize, checkRetention, CLEARABLE, validateObjectName } from './object-rules.ts';
import { DEFAULT_BUCKET_ACL, DEFAULT_OBJECT_ACL } from './acl.ts';
import { badRequest, notFound, StorageError } from './errors.ts';
import { ContentHasher } from './hashing.ts';
import type { Backend, BucketRecord, ByteRange, NotificationRecord, ObjectInit, ObjectRecord, Preconditions, UploadRecord } from './types.ts';

export type { ObjectInit, Preconditions } from './types.ts';

/** The CloudEvent types Cloud Storage emits (`google.cloud.storage.object.v1.<type>`). */
export const ObjectEventType = z.enum(['finalized', 'deleted', 'archived', 'metadataUpdated']);
export type ObjectEventType = z.infer<typeof ObjectEventType>;

export interface ObjectEvent {
  type: ObjectEventType;
  object: ObjectRecord;
  /** For a finalize that replaced a live generation, or a delete caused by an overwrite. */
  overwroteGeneration?: number;
  overwrittenByGeneration?: number;
  notifications: NotificationRecord[];
}

export interface ListOptions {
  prefix?: string;
  delimiter?: string;
  versions?: boolean;
  maxResults?: number;
  pageToken?: string;
  startOffset?: string;
  endOffset?: string;
  includeTrailingDelimiter?: boolean;
  matchGlob?: string;
  /** Only soft-deleted generations (and only those). */
  softDeleted?: boolean;
}

/** What a bucket keeps beside its metadata (legacy ACLs, IAM policy), when a request sets it. */
export type BucketAcls = Partial<Pick<BucketRecord, 'acl' | 'defaultObjectAcl' | 'iamPolicy'>>;

export interface UploadSession extends UploadRecord {
  hasher: ContentHasher;
  result?: ObjectRecord;
  /** Serialises chunk writes. */
  busy: boolean;
}

interface BucketState {
  record: BucketRecord;
  live: Map<string, ObjectRecord>;
  noncurrent: Map<string, ObjectRecord[]>;
  /** Deleted or replaced generations kept under the bucket's soft delete policy, until `hardDeleteTime`. */
  softDeleted: ObjectRecord[];
}

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
const DEFAULT_PAGE_SIZE = 1000;

/** Bucket names as the JSON API accepts them (dots allowed, 3-222 chars). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

/**
 * The emulator's core: buckets, object generations, preconditions, listing, uploads, compose.
 * Knows nothing of HTTP; persists through a `Backend`; reports changes to event listeners.
 */
export class StorageCore {
  readonly backend: Backend;
  readonly #buckets = new Map<string, BucketState>();
  readonly #sessions = new Map<string, UploadSession>();
  readonly #listeners: ((event: ObjectEvent) => void)[] = [];
  #lastGeneration = 0;

  constructor(backend: Backend) {
    this.backend = backend;
  }

  async init(): Promise<void> {
    const { buckets, objects, uploads } = await this.backend.load();
    for (const record of buckets) this.#buckets.set(record.name, { record: withMetadata(record), live: new Map(), noncurrent: new Map(), softDeleted: [] });
    for (const o of objects) {
      const state = this.#buckets.get(o.bucket);
      if (!state) continue;
      this.#lastGeneration = Math.max(this.#lastGeneration, o.generation);
      if (o.softDeleteTime) {
        state.softDeleted.push(o);
      } else if (o.timeDeleted) {
        const list = state.noncurrent.get(o.name) ?? [];
        list.push(o);
        list.sort((a, b) => a.generation - b.generation);
        state.noncurrent.set(o.name, list);
      } else {
        state.live.set(o.name, o);
      }
    }
    for (const u of uploads) {
      const session: UploadSession = { ...u, hasher: new ContentHasher(), busy: false };
      await this.#rehash(session);
      this.#sessions.set(u.id, session);
    }
    await this.backend.sweepBlobs(new Set([...objects.map((o) => o.blobKey), ...uploads.map((u) => u.blobKey)]));
  }

  onEvent(listener: (event: ObjectEvent) => void): void {
    this.#listeners.push(listener);
  }

  #emit(event: Omit<ObjectEvent, 'notifications'>): void {
    const notifications = this.#buckets.get(event.object.bucket)?.record.notifications ?? [];
    for (const l of this.#listeners) l({ ...event, notifications });
  }

  /** Generations are microsecond timestamps, strictly increasing across the emulator. */
  #nextGeneration(): number {
    this.#lastGeneration = Math.max(Date.now() * 1000, this.#lastGeneration + 1);
    return this.#lastGeneration;
  }

  // ---- buckets ----

  async createBucket(name: string, projectId: string, metadata: BucketMetadata = {}, acls: BucketAcls = {}): Promise<BucketRecord> {
    if (!BUCKET_NAME.test(name)) throw new StorageError('invalid', `Invalid bucket name: '${name}'`);
    if (this.#buckets.has(name)) {
      throw new StorageError('conflict', 'Your previous request to create the named bucket succeeded and you already own it.');
    }
    const now = new Date().toISOString();
    const normalized = normalizeBucketMetadata(metadata, undefined, now);
    checkAclsAllowed(normalized, acls.acl ?? acls.defaultObjectAcl, 'bucket');
    const record: BucketRecord = {
      metadata: normalized,
      acl: acls.acl ?? [...DEFAULT_BUCKET_ACL],
      defaultObjectAcl: acls.defaultObjectAcl ?? [...DEFAULT_OBJECT_ACL],
      name,
      projectId,
      timeCreated: now,
      updated: now,
      metageneration: 1,
      notifications: [],
      nextNotificationId: 1,
    };
    this.#buckets.set(name, { record, live: new Map(), noncurrent: new Map(), softDeleted: [] });
    await this.backend.saveBucket(record);
    return record;
  }

  #bucket(name: string): BucketState {
    const state = this.#buckets.get(name);
    if (!state) throw new StorageError('notFound', 'The specified bucket does not exist.');
    return state;
  }

  getBucket(name: string): BucketRecord {
    return this.#bucket(name).record;
  }

  listBuckets(prefix = ''): BucketRecord[] {
    return [...this.#buckets.values()]
      .map((s) => s.record)
      .filter((b) => b.name.startsWith(prefix))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** PATCH merges `body` into the metadata (null removes a key); PUT replaces it. */
  async updateBucket(
    name: string,
    body: BucketMetadata,
    mode: 'patch' | 'replace',
    pre: Pick<Preconditions, 'ifMetagenerationMatch' | 'ifMetagenerationNotMatch'> = {},
    acls: BucketAcls = {},
  ): Promise<BucketRecord> {
    const state = this.#bucket(name);
    checkMetageneration(state.record.metageneration, pre);
    const previous = state.record.metadata;
    const now = new Date().toISOString();
    const written = mode === 'patch' ? (mergePatch(previous, body) as BucketMetadata) : { location: previous.location, ...body };
    const metadata = normalizeBucketMetadata(written, previous, now);
    checkAclsAllowed(metadata, acls.acl ?? acls.defaultObjectAcl, 'bucket');
    const record = { ...state.record, ...acls, metadata, metageneration: state.record.metageneration + 1, updated: now };
    await this.backend.saveBucket(record);
    state.record = record;
    return record;
  }

  /** Locks the retention policy (it can then only grow); `metageneration` must match, as GCS requires. */
  async lockRetentionPolicy(name: string, metageneration: number | undefined): Promise<BucketRecord> {
    const state = this.#bucket(name);
    if (metageneration === undefined) throw new StorageError('required', 'Required ifMetagenerationMatch.');
    checkMetageneration(state.record.metageneration, { ifMetagenerationMatch: metageneration });
    const policy = state.record.metadata.retentionPolicy;
    if (typeof policy !== 'object' || policy === null) throw new StorageError('invalid', 'The bucket has no retention policy to lock.');
    const metadata = { ...state.record.metadata, retentionPolicy: { ...policy, isLocked: true } };
    const record = { ...state.record, metadata, metageneration: state.record.metageneration + 1, updated: new Date().toISOString() };
    await this.backend.saveBucket(record);
    state.record = record;
    return record;
  }

  async deleteBucket(name: string, pre: Pick<Preconditions, 'ifMetagenerationMatch' | 'ifMetagenerationNotMatch'> = {}): Promise<void> {
    const state = this.#bucket(name);
    checkMetageneration(state.record.metageneration, pre);
    if (state.live.size > 0 || state.noncurrent.size > 0) {
      throw new StorageError('conflict', 'The bucket you tried to delete is not empty.');
    }
    // soft-deleted objects do not keep a bucket from being deleted; they go with it
    for (const o of state.softDeleted.splice(0)) await this.#hardDelete(o);
    await this.backend.deleteBucket(name);
    this.#buckets.delete(name);
  }

  async addNotification(bucket: string, n: Omit<NotificationRecord, 'id'>): Promise<NotificationRecord> {
    const state = this.#bucket(bucket);
    const record: NotificationRecord = { ...n, id: String(state.record.nextNotificationId) };
    state.record = {
      ...state.record,
      nextNotificationId: state.record.nextNotificationId + 1,
      notifications: [...state.record.notifications, record],
    };
    await this.backend.saveBucket(state.record);
    return record;
  }

  getNotification(bucket: string, id: string): NotificationRecord {
    const found = this.#bucket(bucket).record.notifications.find((n) => n.id === id);
    if (!found) throw notFound('notification configuration');
    return found;
  }

  async deleteNotification(bucket: string, id: string): Promise<void> {
    const state = this.#bucket(bucket);
    this.getNotification(bucket, id);
    state.record = { ...state.record, notifications: state.record.notifications.filter((n) => n.id !== id) };
    await this.backend.saveBucket(state.record);
  }

  // ---- objects: read ----

  getObject(bucket: string, name: string, generation?: number): ObjectRecord {
    const state = this.#bucket(bucket);
    const live = state.live.get(name);
    if (generation === undefined || live?.generation === generation) {
      if (!live) throw new StorageError('notFound', `No such object: ${bucket}/${name}`);
      return live;
    }
    const old = state.noncurrent.get(name)?.find((o) => o.generation === generation);
    if (!old) throw new StorageError('notFound', `No such object: ${bucket}/${name}#${generation}`);
    return old;
  }

  /** A soft-deleted generation (`softDeleted=true`: GCS requires the generation). */
  getSoftDeletedObject(bucket: string, name: string, generation: number): ObjectRecord {
    const found = this.#softDeleted(this.#bucket(bucket)).find((o) => o.name === name && o.generation === generation);
    if (!found) throw new StorageError('notFound', `No such object: ${bucket}/${name}#${generation}`);
    return found;
  }

  /**
   * Restore a soft-deleted generation as a new live generation (metageneration 1, the bucket's
   * default object ACL unless `copySourceAcl`); a live object of that name is retired as by an
   * overwrite. Preconditions apply to the live object.
   */
  async restoreObject(bucket: string, name: string, generation: number, pre: Preconditions, copySourceAcl: boolean): Promise<ObjectRecord> {
    const state = this.#bucket(bucket);
    const source = this.getSoftDeletedObject(bucket, name, generation);
    const previous = state.live.get(name);
    checkPreconditions(previous, pre);
    if (previous) checkRetention(state.record, previous, versioningEnabled(state.record.metadata) ? 'archive' : 'remove');
    const now = new Date().toISOString();
    const { softDeleteTime: _s, hardDeleteTime: _h, timeDeleted: _t, ...kept } = source;
    const record: ObjectRecord = {
      ...kept,
      acl: copySourceAcl && source.acl ? source.acl : (state.record.defaultObjectAcl ?? [...DEFAULT_OBJECT_ACL]),
      generation: this.#nextGeneration(),
      metageneration: 1,
      timeCreated: now,
      updated: now,
    };
    // the restored generation takes over the soft-deleted one's content
    state.softDeleted = state.softDeleted.filter((o) => o !== source);
    state.live.set(name, record);
    const retired = previous ? this.#retire(state, previous, now, record.generation) : undefined;
    await this.backend.deleteObject(source);
    await this.backend.saveObject(record);
    await retired;
    this.#emit({ type: 'finalized', object: record, ...(previous ? { overwroteGeneration: previous.generation } : {}) });
    return record;
  }

  /** The bucket's soft-deleted generations, after removing those past their hard delete time. */
  #softDeleted(state: BucketState): ObjectRecord[] {
    const now = new Date().toISOString();
    const expired = state.softDeleted.filter((o) => (o.hardDeleteTime ?? '') <= now);
    if (expired.length > 0) {
      state.softDeleted = state.softDeleted.filter((o) => !expired.includes(o));
      for (const o of expired) void this.#hardDelete(o).catch(() => undefined);
    }
    return state.softDeleted;
  }

  async #hardDelete(object: ObjectRecord): Promise<void> {
    await this.backend.deleteObject(object);
    await this.backend.deleteBlob(object.blobKey);
  }

  readObject(object: ObjectRecord, range?: ByteRange): Readable {
    if (object.size === 0) return new PassThrough().end() as PassThrough;
    return this.backend.createBlobReader(object.blobKey, range);
  }

  listObjects(bucket: string, options: ListOptions = {}): { items: ObjectRecord[]; prefixes: string[]; nextPageToken?: string } {
    const state = this.#bucket(bucket);
    const prefix = options.prefix ?? '';
    const delimiter = options.delimiter || undefined;
    const pageSize = Math.max(1, Math.min(options.maxResults ?? DEFAULT_PAGE_SIZE, DEFAULT_PAGE_SIZE));
    const after = options.pageToken ? Buffer.from(options.pageToken, 'base64url').toString('utf8') : undefined;
    const glob = options.matchGlob ? globToRegExp(options.matchGlob) : undefined;

    let all: ObjectRecord[];
    if (options.softDeleted) all = this.#softDeleted(state);
    else {
      all = [...state.live.values()];
      if (options.versions) for (const list of state.noncurrent.values()) all.push(...list);
    }
    all = all.filter(
      (o) =>
        o.name.startsWith(prefix) &&
        (options.startOffset === undefined || o.name >= options.startOffset) &&
        (options.endOffset === undefined || o.name < options.endOffset) &&
        (!glob || glob.test(o.name)),
    );
    all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.generation - b.generation));

    const items: ObjectRecord[] = [];
    const prefixes: string[] = [];
    // Entries are keyed (name or prefix + generation) so a page token can resume after one.
    let count = 0;
    let lastKey: string | undefined;
    for (const o of all) {
      let key = `${o.name}\u0000${String(o.generation).padStart(20, '0')}`;
      let prefixHit: string | undefined;
      if (delimiter) {
        const i = o.name.indexOf(delimiter, prefix.length);
        if (i >= 0) {
          prefixHit = o.name.slice(0, i + delimiter.length);
          key = `${prefixHit}\u0000`;
        }
      }
      if (after !== undefined && key <= after) continue;
      if (prefixHit !== undefined) {
        if (prefixes[prefixes.length - 1] === prefixHit) continue;
        if (count === pageSize) return { items, prefixes, nextPageToken: Buffer.from(lastKey ?? '').toString('base64url') };
        prefixes.push(prefixHit);
        if (options.includeTrailingDelimiter && o.name === prefixHit) items.push(o);
      } else {
        if (count === pageSize) return { items, prefixes, nextPageToken: Buffer.from(lastKey ?? '').toString('base64url') };
        items.push(o);
      }
      count++;
      lastKey = prefixHit !== undefined ? `${prefixHit}\u0000\uffff` : key;
    }
    return { items, prefixes };
  }

  // ---- objects: write ----

  /** Stream `source` into a new generation of `bucket/name`. */
  async writeObject(bucket: string, name: string, source: Readable, init: ObjectInit, pre: Preconditions = {}): Promise<ObjectRecord> {
    validateObjectName(name);
    checkMetadataSize(init.metadata);
    const state = this.#bucket(bucket);
    checkPreconditions(state.live.get(name), pre);
    const hasher = new ContentHasher();
    const blobKey = randomUUID();
    try {
      await pipeline(source, hasher.stream(), this.backend.createBlobWriter(blobKey));
      return await this.#commit(bucket, name, init, pre, hasher, blobKey);
    } catch (err) {
      await this.backend.deleteBlob(blobKey);
      throw err;
    }
  }

  async startUpload(
    bucket: string,
    name: string,
    init: ObjectInit,
    pre: Preconditions,
    totalSize?: number,
    lengthRange?: { min: number; max: number },
  ): Promise<UploadSession> {
    validateObjectName(name);
    checkMetadataSize(init.metadata);
    this.#bucket(bucket);
    const record: UploadRecord = {
      id: randomUUID().replaceAll('-', ''),
      bucket,
      name,
      init,
      preconditions: pre,
      blobKey: randomUUID(),
    };
    if (totalSize !== undefined) record.totalSize = totalSize;
    if (lengthRange) record.lengthRange = lengthRange;
    await this.backend.saveUpload(record);
    const session: UploadSession = { ...record, hasher: new ContentHasher(), busy: false };
    this.#sessions.set(session.id, session);
    return session;
  }

  getUpload(id: string): UploadSession {
    const s = this.#sessions.get(id);
    if (!s) throw new StorageError('notFound', `No such upload session: ${id}`);
    return s;
  }

  async cancelUpload(id: string): Promise<void> {
    const s = this.getUpload(id);
    this.#sessions.delete(id);
    await this.backend.deleteUpload(id);
    if (!s.result) await this.backend.deleteBlob(s.blobKey);
  }

  /**
   * Append the bytes of one chunk that starts at `start`. Bytes the session already has are skipped
   * (a client resending after a lost answer); a gap is an error.
   */
  async appendUpload(session: UploadSession, source: Readable, start: number): Promise<void> {
    if (session.busy) throw new StorageError('conflict', 'Another request is writing to this upload session.');
    const have = session.hasher.size;
    if (start > have) {
      source.resume();
      throw badRequest(`Chunk starts at ${start} but the session has only ${have} bytes.`);
    }
    session.busy = true;
    try {
      await pipeline(source, session.hasher.stream(have - start), this.backend.createBlobWriter(session.blobKey, { append: have > 0 }));
    } catch (err) {
      // a chunk cut off mid-way: the hash may be ahead of what reached the blob, so start it again
      // from the blob's content; the next status query reports what was really kept
      await this.#rehash(session);
      throw err;
    } finally {
      session.busy = false;
    }
  }

  async #rehash(session: UploadSession): Promise<void> {
    const hasher = new ContentHasher();
    try {
      for await (const chunk of this.backend.createBlobReader(session.blobKey)) hasher.update(chunk as Buffer);
    } catch {
      // no blob yet: nothing was kept
    }
    session.hasher = hasher;
  }

  async finishUpload(session: UploadSession): Promise<ObjectRecord> {
    if (session.result) return session.result;
    if (session.hasher.size === 0) {
      // an empty upload never opened the blob
      await pipeline(new PassThrough().end(), this.backend.createBlobWriter(session.blobKey));
    }
    try {
      session.result = await this.#commit(session.bucket, session.name, session.init, session.preconditions, session.hasher, session.blobKey);
    } catch (err) {
      this.#sessions.delete(session.id);
      await this.backend.deleteUpload(session.id);
      await this.backend.deleteBlob(session.blobKey);
      throw err;
    }
    await this.backend.deleteUpload(session.id);
    // keep the finished session a while (in memory): clients query it after a lost final answer
    setTimeout(() => this.#sessions.delete(session.id), 10 * 60_000).unref();
    return session.result;
  }

  async #commit(
    bucket: string,
    name: string,
    init: ObjectInit,
    pre: Preconditions,
    hasher: ContentHasher,
    blobKey: string,
    extra: Partial<ObjectRecord> = {},
  ): Promise<ObjectRecord> {
    const state = this.#bucket(bucket);
    const previous = state.live.get(name);
    checkPreconditions(previous, pre);
    checkAclsAllowed(state.record.metadata, init.acl, 'object');
    if (previous) checkRetention(state.record, previous, versioningEnabled(state.record.metadata) ? 'archive' : 'remove');
    if (init.expectedCrc32c && init.expectedCrc32c !== hasher.crc32c()) {
      throw new StorageError('invalid', `Provided CRC32C "${init.expectedCrc32c}" doesn't match calculated CRC32C "${hasher.crc32c()}".`);
    }
    if (init.expectedMd5 && init.expectedMd5 !== hasher.md5()) {
      throw new StorageError('invalid', `Provided MD5 hash "${init.expectedMd5}" doesn't match calculated MD5 hash "${hasher.md5()}".`);
    }
    const now = new Date().toISOString();
    const record: ObjectRecord = {
      ...initFields(init),
      acl: init.acl ?? state.record.defaultObjectAcl ?? [...DEFAULT_OBJECT_ACL],
      contentType: init.contentType || DEFAULT_CONTENT_TYPE,
      storageClass: init.storageClass ?? String(state.record.metadata.storageClass),
      ...extra,
      bucket,
      name,
      generation: this.#nextGeneration(),
      metageneration: 1,
      size: hasher.size,
      md5Hash: hasher.md5(),
      crc32c: hasher.crc32c(),
      timeCreated: now,
      updated: now,
      blobKey,
    };
    // the index changes before any await, so a concurrent writer's precondition sees this generation
    state.live.set(name, record);
    const retired = previous ? this.#retire(state, previous, now, record.generation) : undefined;
    await this.backend.saveObject(record);
    await retired;
    this.#emit({ type: 'finalized', object: record, ...(previous ? { overwroteGeneration: previous.generation } : {}) });
    return record;
  }

  /** A live generation stops being live: kept as noncurrent in a versioned bucket, else removed. */
  async #retire(state: BucketState, object: ObjectRecord, now: string, overwrittenBy?: number): Promise<void> {
    const by = overwrittenBy !== undefined ? { overwrittenByGeneration: overwrittenBy } : {};
    if (versioningEnabled(state.record.metadata)) {
      const archived = { ...object, timeDeleted: now };
      const list = state.noncurrent.get(object.name) ?? [];
      list.push(archived);
      state.noncurrent.set(object.name, list);
      await this.backend.saveObject(archived);
      this.#emit({ type: 'archived', object: archived, ...by });
    } else {
      await this.#discard(state, object, now, by);
    }
  }

  /** A generation leaves the bucket: soft-deleted (kept until its hard delete time) or removed for good. */
  async #discard(state: BucketState, object: ObjectRecord, now: string, by: { overwrittenByGeneration?: number } = {}): Promise<void> {
    const keepSeconds = softDeleteSeconds(state.record.metadata);
    if (keepSeconds > 0) {
      const kept: ObjectRecord = { ...object, softDeleteTime: now, hardDeleteTime: new Date(Date.parse(now) + keepSeconds * 1000).toISOString() };
      state.softDeleted.push(kept);
      await this.backend.saveObject(kept);
      this.#emit({ type: 'deleted', object: kept, ...by });
      return;
    }
    await this.#hardDelete(object);
    this.#emit({ type: 'deleted', object, ...by });
  }

  async deleteObject(bucket: string, name: string, generation: number | undefined, pre: Preconditions = {}): Promise<void> {
    const state = this.#bucket(bucket);
    const object = this.getObject(bucket, name, generation);
    checkPreconditions(object, pre);
    const live = state.live.get(name);
    // without a generation a live object is retired (kept as noncurrent in a versioned bucket);
    // naming its generation deletes that generation for good, as GCS does
    const removesContent = generation !== undefined || !versioningEnabled(state.record.metadata);
    checkRetention(state.record, object, removesContent ? 'remove' : 'archive');
    if (live && live.generation === object.generation && generation === undefined) {
      state.live.delete(name);
      await this.#retire(state, object, new Date().toISOString());
      return;
    }
    if (live && live.generation === object.generation) state.live.delete(name);
    // a named generation: removed for good (or soft-deleted, under a soft delete policy)
    const list = (state.noncurrent.get(name) ?? []).filter((o) => o.generation !== object.generation);
    if (list.length > 0) state.noncurrent.set(name, list);
    else state.noncurrent.delete(name);
    await this.#discard(state, object, new Date().toISOString());
  }

  /** PATCH (merge) or PUT (replace) an object's metadata; bumps metageneration. */
  async updateObject(
    bucket: string,
    name: string,
    generation: number | undefined,
    fields: ObjectInit,
    mode: 'patch' | 'replace',
    pre: Preconditions = {},
    options: { overrideUnlockedRetention?: boolean } = {},
  ): Promise<ObjectRecord> {
    const state = this.#bucket(bucket);
    const object = this.getObject(bucket, name, generation);
    checkPreconditions(object, pre);
    let metadata: Record<string, string> | undefined;
    if (mode === 'patch') {
      // `metadata: {}` or null clears the custom metadata; otherwise keys merge and null removes one
      const given = fields.metadata;
      metadata = given === null || (given !== undefined && Object.keys(given).length === 0) ? {} : { ...object.metadata };
      for (const [k, v] of Object.entries(given ?? {})) {
        if (v === null) delete metadata[k];
        else metadata[k] = String(v);
      }
    } else {
      metadata = initFields({ metadata: fields.metadata ?? {} }).metadata;
    }
    checkMetadataSize(metadata);
    const base: ObjectRecord = mode === 'patch' ? { ...object } : stripInit(object);
    for (const k of CLEARABLE) if (fields[k] === null) delete base[k];
    if (fields.storageClass !== undefined && fields.storageClass !== object.storageClass) {
      throw new StorageError('invalid', 'An object\'s storage class changes only by a rewrite (rewriteTo), not by a metadata update.');
    }
    const updated: ObjectRecord = {
      ...base,
      ...initFields({ ...fields, metadata: undefined }),
      metageneration: object.metageneration + 1,
      updated: new Date().toISOString(),
    };
    checkAclsAllowed(state.record.metadata, fields.acl, 'object');
    if (fields.acl) updated.acl = fields.acl;
    for (const k of ['temporaryHold', 'eventBasedHold'] as const) {
      if (fields[k] === null) delete updated[k];
      else if (fields[k] !== undefined) updated[k] = fields[k];
    }
    if (fields.retention !== undefined) {
      updated.retention = changeRetention(object, fields.retention, options.overrideUnlockedRetention === true);
      if (!updated.retention) delete updated.retention;
    }
    if (metadata && Object.keys(metadata).length > 0) updated.metadata = metadata;
    else delete updated.metadata;
    if (!updated.contentType) updated.contentType = DEFAULT_CONTENT_TYPE;
    if (state.live.get(name)?.generation === updated.generation) state.live.set(name, updated);
    else {
      const list = state.noncurrent.get(name) ?? [];
      state.noncurrent.set(name, list.map((o) => (o.generation === updated.generation ? updated : o)));
    }
    await this.backend.saveObject(updated);
    this.#emit({ type: 'metadataUpdated', object: updated });
    return updated;
  }

  /** copyTo / rewriteTo: a new generation at the destination with the source's content. */
  async copyObject(
    src: { bucket: string; name: string; generation?: number; preconditions?: Preconditions },
    dst: { bucket: string; name: string; preconditions?: Preconditions; customerEncryption?: ObjectInit['customerEncryption'] },
    override: ObjectInit | undefined,
  ): Promise<ObjectRecord> {
    validateObjectName(dst.name);
    const source = this.getObject(src.bucket, src.name, src.generation);
    checkPreconditions(source, src.preconditions ?? {});
    const dstState = this.#bucket(dst.bucket);
    checkPreconditions(dstState.live.get(dst.name), dst.preconditions ?? {});
    const blobKey = randomUUID();
    if (source.size > 0) await this.backend.copyBlob(source.blobKey, blobKey);
    else await pipeline(new PassThrough().end(), this.backend.createBlobWriter(blobKey));
    const init: ObjectInit = override && Object.keys(override).length > 0 ? override : recordInit(source);
    if (override && !override.contentType) init.contentType = source.contentType;
    // the copy is under the destination's key, or none (GCS does not carry the source's key over)
    if (dst.customerEncryption) init.customerEncryption = dst.customerEncryption;
    const hasher = HashedCopy.of(source);
    return this.#commit(dst.bucket, dst.name, init, dst.preconditions ?? {}, hasher, blobKey,
      source.componentCount ? { componentCount: source.componentCount } : {});
  }

  async moveObject(bucket: string, from: string, to: string, srcPre: Preconditions, dstPre: Preconditions): Promise<ObjectRecord> {
    const source = this.getObject(bucket, from);
    const moved = await this.copyObject({ bucket, name: from, preconditions: srcPre }, { bucket, name: to, preconditions: dstPre }, undefined);
    await this.deleteObject(bucket, from, source.generation);
    return moved;
  }

  /** Concatenate up to 32 objects of one bucket into `dst`, streaming through a new hash. */
  async composeObject(
    bucket: string,
    dst: string,
    sources: { name: string; generation?: number; ifGenerationMatch?: number }[],
    init: ObjectInit,
    pre: Preconditions,
  ): Promise<ObjectRecord> {
    validateObjectName(dst);
    if (sources.length === 0) throw new StorageError('required', 'You must provide at least one source component.');
    if (sources.length > 32) throw new StorageError('invalid', 'The number of source components provided (>32) exceeds the maximum (32).');
    const state = this.#bucket(bucket);
    checkPreconditions(state.live.get(dst), pre);
    const parts = sources.map((s) => {
      const o = this.getObject(bucket, s.name, s.generation);
      if (s.ifGenerationMatch !== undefined && o.generation !== s.ifGenerationMatch) {
        throw new StorageError('conditionNotMet', 'At least one of the pre-conditions you specified did not hold.');
      }
      return o;
    });
    const hasher = new ContentHasher();
    const blobKey = randomUUID();
    const backend = this.backend;
    const readAll = async function* (): AsyncGenerator<Buffer> {
      for (const p of parts) {
        if (p.size === 0) continue;
        for await (const chunk of backend.createBlobReader(p.blobKey)) yield chunk as Buffer;
      }
    };
    try {
      await pipeline(readAll(), hasher.stream(), this.backend.createBlobWriter(blobKey));
      const componentCount = parts.reduce((n, p) => n + (p.componentCount ?? 1), 0);
      const first = parts[0];
      const merged: ObjectInit = { ...init };
      if (!merged.contentType && first) merged.contentType = first.contentType;
      return await this.#commit(bucket, dst, merged, pre, hasher, blobKey, { componentCount });
    } catch (err) {
      await this.backend.deleteBlob(blobKey);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.backend.close();
  }
}

/** A hasher that already knows a source object's hashes (a copy does not re-read content). */
class HashedCopy extends ContentHasher {
  #crc = '';
  #md5 = '';
  static of(o: ObjectRecord): HashedCopy {
    const h = new HashedCopy();
    h.size = o.size;
    h.#crc = o.crc32c;
    h.#md5 = o.md5Hash;
    return h;
  }
  override crc32c(): string {
    return this.#crc;
  }
  override md5(): string {
    return this.#md5;
  }
}

function initFields(init: ObjectInit): Partial<ObjectRecord> {
  const out: Partial<ObjectRecord> = {};
  for (const k of ['contentType', 'contentEncoding', 'contentDisposition', 'contentLanguage', 'cacheControl', 'customTime', 'storageClass'] as const) {
    const v = init[k];
    if (typeof v === 'string' && v !== '') out[k] = v;
  }
  if (init.metadata) {
    const md: Record<string, string> = {};
    for (const [k, v] of Object.entries(init.metadata)) if (v !== null && v !== undefined) md[k] = String(v);
    if (Object.keys(md).length > 0) out.metadata = md;
  }
  if (init.temporaryHold === true) out.temporaryHold = true;
  if (init.eventBasedHold === true) out.eventBasedHold = true;
  if (init.retention) out.retention = init.retention;
  if (init.customerEncryption) out.customerEncryption = init.customerEncryption;
  return out;
}

function recordInit(o: ObjectRecord): ObjectInit {
  const init: ObjectInit = {};
  for (const k of ['contentType', 'contentEncoding', 'contentDisposition', 'contentLanguage', 'cacheControl', 'customTime'] as const) {
    const v = o[k];
    if (v !== undefined) init[k] = v;
  }
  if (o.metadata) init.metadata = { ...o.metadata };
  return init;
}

function stripInit(o: ObjectRecord): ObjectRecord {
  const copy = { ...o };
  for (const k of ['contentEncoding', 'contentDisposition', 'contentLanguage', 'cacheControl', 'customTime', 'metadata'] as const) delete copy[k];
  return copy;
}


const PRECONDITION_FAILED = 'At least one of the pre-conditions you specified did not hold.';

export function checkPreconditions(current: ObjectRecord | undefined, pre: Preconditions): void {
  const gen = current?.generation ?? 0;
  if (pre.ifGenerationMatch !== undefined && gen !== pre.ifGenerationMatch) throw new StorageError('conditionNotMet', PRECONDITION_FAILED);
  if (pre.ifGenerationNotMatch !== undefined && gen === pre.ifGenerationNotMatch) {
    throw new StorageError('conditionNotMet', PRECONDITION_FAILED);
  }
  if (pre.ifMetagenerationMatch !== undefined || pre.ifMetagenerationNotMatch !== undefined) {
    if (!current) throw new StorageError('conditionNotMet', PRECONDITION_FAILED);
    checkMetageneration(current.metageneration, pre);
  }
}

function checkMetageneration(metageneration: number, pre: Pick<Preconditions, 'ifMetagenerationMatch' | 'ifMetagenerationNotMatch'>): void {
  if (pre.ifMetagenerationMatch !== undefined && metageneration !== pre.ifMetagenerationMatch) {
    throw new StorageError('conditionNotMet', PRECONDITION_FAILED);
  }
  if (pre.ifMetagenerationNotMatch !== undefined && metageneration === pre.ifMetagenerationNotMatch) {
    throw new StorageError('conditionNotMet', PRECONDITION_FAILED);
  }
}
