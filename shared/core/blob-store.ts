/**
 * The object store as the services see it: a port beside ports.ts, implemented once for Cloud
 * Storage in shared/adapters/storage.ts, and by an in-memory fake in unit tests. Errors are the
 * core's: a missing source is SOURCE_MISSING, an over-size read FILE_TOO_LARGE.
 */
import type { Readable } from 'node:stream';

/** One object; `generation` pins a version (a string of digits, as the events carry it). */
export interface BlobRef {
  bucket: string;
  name: string;
  generation?: string | undefined;
}

export interface BlobInfo {
  name: string;
  size: number;
  /** When this generation was written, when the store says. */
  createdAt: Date | null;
  /** The object's custom metadata. */
  metadata: Record<string, string>;
}

/** What writeOnce did: wrote the object (the generation it got), or found one there already. */
export type WriteOnceOutcome = { kind: 'written'; generation: string } | { kind: 'exists' };

export interface BlobStore {
  /** The bytes; past maxBytes the read stops with FILE_TOO_LARGE; a missing object is SOURCE_MISSING. */
  read(ref: BlobRef, maxBytes?: number): Promise<Uint8Array>;
  /** A stream of the object (for answering a download without holding it in memory). */
  openRead(ref: BlobRef): Readable;
  /** Size and metadata, or null when there is no such object. */
  stat(ref: BlobRef): Promise<BlobInfo | null>;
  /** Writes only if the object does not exist yet: safe to retry, "exists" means an earlier attempt wrote it. */
  writeOnce(ref: BlobRef, data: Uint8Array | string, contentType: string, metadata?: Record<string, string>): Promise<WriteOnceOutcome>;
  /** Deletes; an object already gone is fine. */
  delete(ref: BlobRef): Promise<void>;
  /** Objects under a prefix, at most `max` of them when given. */
  list(bucket: string, prefix: string, max?: number): Promise<BlobInfo[]>;
}
