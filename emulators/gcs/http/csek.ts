import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { StorageError } from '../errors.ts';
import type { CustomerEncryption, ObjectRecord } from '../types.ts';
import { header } from './context.ts';

/**
 * Customer-supplied encryption keys (`x-goog-encryption-*`, and `x-goog-copy-source-encryption-*`
 * for a rewrite's source), with GCS's rules: an object written with a key keeps the key's SHA-256,
 * its content is served only to a request carrying that key, and its hashes are shown only then.
 * The emulator stores the bytes unencrypted: the key gates access, it does not protect the disk.
 */
export function customerKey(req: IncomingMessage, prefix: 'x-goog-' | 'x-goog-copy-source-' = 'x-goog-'): CustomerEncryption | undefined {
  const key = header(req, `${prefix}encryption-key`);
  if (!key) return undefined;
  const algorithm = header(req, `${prefix}encryption-algorithm`) ?? 'AES256';
  if (algorithm !== 'AES256') throw new StorageError('invalid', `Unsupported encryption algorithm '${algorithm}': only AES256.`);
  const raw = Buffer.from(key, 'base64');
  if (raw.length !== 32) throw new StorageError('invalid', 'Invalid encryption key: it must be 256 bits, base64-encoded.');
  const keySha256 = createHash('sha256').update(raw).digest('base64');
  const declared = header(req, `${prefix}encryption-key-sha256`);
  if (declared && declared !== keySha256) {
    throw new StorageError('invalid', 'The provided encryption key does not match the provided SHA256 hash.');
  }
  return { encryptionAlgorithm: 'AES256', keySha256 };
}

/** Reading the content (or copying from it) needs the object's own key. */
export function checkContentKey(o: ObjectRecord, key: CustomerEncryption | undefined): void {
  if (!o.customerEncryption) return;
  if (!key) {
    throw new StorageError('badRequest', 'The target object is encrypted by a customer-supplied encryption key.');
  }
  if (key.keySha256 !== o.customerEncryption.keySha256) {
    throw new StorageError('badRequest', 'The provided encryption key is incorrect.');
  }
}

/** The hashes of an object under a customer key are part of what the key protects. */
export function showsHashes(o: ObjectRecord, req: IncomingMessage): boolean {
  return !o.customerEncryption || customerKey(req)?.keySha256 === o.customerEncryption.keySha256;
}
