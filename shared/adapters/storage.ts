/** Cloud Storage reads and writes the services need; STORAGE_EMULATOR_HOST selects the emulator. */
import { Storage } from '@google-cloud/storage';
import { DocVaultError } from '../core/errors.ts';

export function createStorage(projectId: string): Storage {
  return new Storage({ projectId });
}

function status(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

/** The object's bytes; past maxBytes the read stops with FILE_TOO_LARGE (never more in memory than that). */
export async function readObject(storage: Storage, bucket: string, name: string, generation?: string, maxBytes = Infinity): Promise<Uint8Array> {
  try {
    const file = storage.bucket(bucket).file(name, generation ? { generation: Number(generation) } : {});
    const chunks: Buffer[] = [];
    let size = 0;
    const stream = file.createReadStream();
    for await (const chunk of stream) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        stream.destroy();
        throw new DocVaultError('FILE_TOO_LARGE', `The file is larger than the limit of ${maxBytes} bytes.`, { limit: maxBytes });
      }
      chunks.push(chunk as Buffer);
    }
    const data = Buffer.concat(chunks, size);
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  } catch (err) {
    if (status(err) === 404) {
      throw new DocVaultError('SOURCE_MISSING', `The uploaded document gs://${bucket}/${name} (generation ${generation ?? 'latest'}) no longer exists.`);
    }
    throw err;
  }
}

/**
 * Writes an object only if it does not exist yet (ifGenerationMatch: 0), which makes the write
 * safe to retry and safe against a duplicate delivery: "exists" means an earlier attempt wrote it.
 */
export async function writeObjectOnce(
  storage: Storage,
  bucket: string,
  name: string,
  data: Uint8Array | string,
  contentType: string,
  metadata: Record<string, string> = {},
): Promise<'written' | 'exists'> {
  try {
    await storage
      .bucket(bucket)
      .file(name)
      .save(typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.length), {
        resumable: false,
        contentType,
        metadata: { metadata },
        preconditionOpts: { ifGenerationMatch: 0 },
      });
    return 'written';
  } catch (err) {
    if (status(err) === 412) return 'exists';
    throw err;
  }
}

export async function deleteObject(storage: Storage, bucket: string, name: string, generation?: string): Promise<void> {
  try {
    await storage
      .bucket(bucket)
      .file(name, generation ? { generation: Number(generation) } : {})
      .delete();
  } catch (err) {
    if (status(err) !== 404) throw err;
  }
}
