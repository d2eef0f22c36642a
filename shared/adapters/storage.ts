/** Cloud Storage behind the core's BlobStore port; STORAGE_EMULATOR_HOST selects the emulator. */
import { ApiError, Storage, type File } from '@google-cloud/storage';
import type { Readable } from 'node:stream';
import type { BlobInfo, BlobRef, BlobStore, WriteOnceOutcome } from '../core/blob-store.ts';
import { DocVaultError, fileTooLarge, plainMessage } from '../core/errors.ts';
import { objectReadStream } from './object-read.ts';

export function createStorage(projectId: string): Storage {
  return new Storage({ projectId });
}

/**
 * The HTTP status of a failed Cloud Storage call: the client's ApiError carries it as `code`, and
 * older paths put it on `status` or the response. The one place that reads it.
 */
export function httpStatusOf(err: unknown): number | undefined {
  if (err instanceof ApiError && typeof err.code === 'number') return err.code;
  const e = (err ?? {}) as { code?: unknown; status?: unknown; response?: { status?: unknown } };
  return [e.code, e.status, e.response?.status].find((v): v is number => typeof v === 'number');
}

/**
 * Refusals the same request meets again: the request or the object is at fault (a bad request, an
 * object encrypted with a customer-supplied key, a range or a size refused). 404 has its own code
 * (SOURCE_MISSING), 412 its own meaning (writeOnce); 401/403 (credentials, roles), 408, 409 and
 * 429 may pass, and stay retryable.
 */
const REFUSED_FOR_GOOD: ReadonlySet<number> = new Set([400, 405, 411, 413, 414, 416, 422]);
/** Node's own refusals to send a request it cannot put on the wire (a header value it cannot encode, say). */
const UNSENDABLE: ReadonlySet<string> = new Set(['ERR_INVALID_CHAR', 'ERR_INVALID_HTTP_TOKEN', 'ERR_HTTP_INVALID_HEADER_VALUE', 'ERR_UNESCAPED_CHARACTERS']);

/**
 * STORAGE_REFUSED for a failed Cloud Storage call that cannot change on retry, with one plain line
 * of the service's reason (never its JSON body); null for any other failure. `what` says what was
 * asked, as in "read the uploaded document".
 */
export function storageRefusal(err: unknown, what: string, advice = ''): DocVaultError | null {
  if (err instanceof DocVaultError) return null;
  const status = httpStatusOf(err);
  const nodeCode = (err as { code?: unknown } | null)?.code;
  const refused = (status !== undefined && REFUSED_FOR_GOOD.has(status)) || (typeof nodeCode === 'string' && UNSENDABLE.has(nodeCode));
  if (!refused) return null;
  const reason = plainMessage(err instanceof Error ? err.message : String(err));
  const said = status !== undefined ? `HTTP ${status}: ${reason}` : reason;
  const message = `Cloud Storage refused to ${what} (${said}); the same request would be refused again, so it was not retried.${advice ? ` ${advice}` : ''}`;
  return new DocVaultError('STORAGE_REFUSED', message, status !== undefined ? { status } : {}, { cause: err });
}

/** The error a failed call throws: a refusal for good as STORAGE_REFUSED, anything else as it came. */
function refusedOr(err: unknown, what: string, advice?: string): unknown {
  return storageRefusal(err, what, advice) ?? err;
}

function infoOf(file: File): BlobInfo {
  const m = file.metadata;
  const custom = Object.fromEntries(Object.entries(m.metadata ?? {}).flatMap(([k, v]) => (v === null || v === undefined ? [] : [[k, String(v)]])));
  return { name: file.name, size: Number(m.size ?? 0), createdAt: m.timeCreated ? new Date(m.timeCreated) : null, metadata: custom };
}

export class GcsBlobStore implements BlobStore {
  readonly storage: Storage;

  constructor(storage: Storage) {
    this.storage = storage;
  }

  private file(ref: BlobRef): File {
    return this.storage.bucket(ref.bucket).file(ref.name, ref.generation ? { generation: Number(ref.generation) } : {});
  }

  async read(ref: BlobRef, maxBytes = Infinity): Promise<Uint8Array> {
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      const stream = objectReadStream(this.file(ref));
      for await (const chunk of stream) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) {
          stream.destroy();
          throw fileTooLarge(undefined, maxBytes);
        }
        chunks.push(chunk as Buffer);
      }
      const data = Buffer.concat(chunks, size);
      return new Uint8Array(data.buffer, data.byteOffset, data.length);
    } catch (err) {
      if (httpStatusOf(err) === 404) {
        throw new DocVaultError('SOURCE_MISSING', `The uploaded document gs://${ref.bucket}/${ref.name} (generation ${ref.generation ?? 'latest'}) no longer exists.`);
      }
      throw refusedOr(err, 'read the uploaded document', 'Upload it again as a plain file.');
    }
  }

  openRead(ref: BlobRef): Readable {
    return objectReadStream(this.file(ref));
  }

  async stat(ref: BlobRef): Promise<BlobInfo | null> {
    const file = this.file(ref);
    try {
      await file.getMetadata();
    } catch (err) {
      if (httpStatusOf(err) === 404) return null;
      throw refusedOr(err, 'read the object\'s metadata');
    }
    return infoOf(file);
  }

  async writeOnce(ref: BlobRef, data: Uint8Array | string, contentType: string, metadata: Record<string, string> = {}): Promise<WriteOnceOutcome> {
    try {
      const file = this.file(ref);
      await file.save(typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.length), {
        resumable: false,
        contentType,
        metadata: { metadata },
        preconditionOpts: { ifGenerationMatch: 0 },
      });
      // The upload's answer is the object resource: the client keeps it as the file's metadata.
      return { kind: 'written', generation: String(file.metadata.generation) };
    } catch (err) {
      if (httpStatusOf(err) === 412) return { kind: 'exists' };
      throw refusedOr(err, 'write an object');
    }
  }

  async delete(ref: BlobRef): Promise<void> {
    try {
      await this.file(ref).delete();
    } catch (err) {
      if (httpStatusOf(err) !== 404) throw refusedOr(err, 'delete an object');
    }
  }

  async list(bucket: string, prefix: string, max?: number): Promise<BlobInfo[]> {
    const [files] = await this.storage.bucket(bucket).getFiles({ prefix, ...(max !== undefined ? { maxResults: max, autoPaginate: false } : {}) });
    return files.map(infoOf);
  }
}

/** The object's bytes; past maxBytes the read stops with FILE_TOO_LARGE (never more in memory than that). */
export function readObject(storage: Storage, bucket: string, name: string, generation?: string, maxBytes = Infinity): Promise<Uint8Array> {
  return new GcsBlobStore(storage).read({ bucket, name, generation }, maxBytes);
}
