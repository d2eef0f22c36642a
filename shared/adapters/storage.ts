/** Cloud Storage reads and writes the services need; STORAGE_EMULATOR_HOST selects the emulator. */
import { Storage } from '@google-cloud/storage';
import { DocVaultError } from '../core/errors.ts';

export function createStorage(projectId: string): Storage {
  return new Storage({ projectId });
}

function status(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

export async function readObject(storage: Storage, bucket: string, name: string, generation?: string): Promise<Uint8Array> {
  try {
    const file = storage.bucket(bucket).file(name, generation ? { generation: Number(generation) } : {});
    const [data] = await file.download();
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
