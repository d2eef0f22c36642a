/**
 * A PDF's password while its task needs it: sealed with AES-256-GCM under PASSWORD_KEY, so the task
 * document only ever holds ciphertext. The key is the SHA-256 of the configured secret (any 16+
 * characters, like the other secrets); a fresh 12-byte nonce per seal. Sealed form:
 * `v1.{nonce}.{tag}.{ciphertext}`, each base64url.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { DocVaultError } from './errors.ts';

/** Longest password taken: PDF passwords are short (127 bytes in the newest revision). */
export const MAX_PASSWORD_LENGTH = 256;

/**
 * A sealed password as it may travel (object metadata, the task): `v1.{nonce}.{tag}.{ciphertext}`. Long enough for
 * the longest password taken in any script (MAX_PASSWORD_LENGTH UTF-16 units are at most 3 UTF-8 bytes each).
 */
export const SEALED_PASSWORD = /^v1\.[\w-]+\.[\w-]+\.[\w-]+$/;
export const MAX_SEALED_PASSWORD_LENGTH = 64 + Math.ceil((MAX_PASSWORD_LENGTH * 3 * 4) / 3);

const GIVE_AGAIN = 'give the password again (POST /tasks/{id}/password).';

function keyOf(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export function sealPassword(secret: string, password: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(secret), nonce);
  const body = Buffer.concat([cipher.update(password, 'utf8'), cipher.final()]);
  return ['v1', nonce, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

/** A password as a caller sends it (upload's field, POST /tasks/{id}/password), sealed: the one check of its length and of the key. */
export function sealedPasswordFor(password: string, passwordKey: string | undefined): string {
  if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH) {
    throw new DocVaultError('INVALID_REQUEST', `password: 1 to ${MAX_PASSWORD_LENGTH} characters.`, { problems: ['password: length'] });
  }
  if (!passwordKey) throw new DocVaultError('INVALID_REQUEST', 'This service takes no PDF passwords (PASSWORD_KEY is not configured): send an unencrypted copy.');
  return sealPassword(passwordKey, password);
}

/** A password a caller may have sent with an upload (the form's field, the signed-URL request's), sealed; null when none was sent. */
export function sealedPasswordOrNull(password: string | undefined, passwordKey: string | undefined): string | null {
  return password === undefined || password === '' ? null : sealedPasswordFor(password, passwordKey);
}

/**
 * The password back. A sealed value that does not open (PASSWORD_KEY changed since it was given, or altered) is
 * PASSWORD_UNREADABLE: permanent, since no retry can open it, and never a wrong password, since the PDF was not tried.
 */
export function openPassword(secret: string, sealed: string): string {
  const [version, nonce, tag, body] = sealed.split('.');
  if (version !== 'v1' || nonce === undefined || tag === undefined || body === undefined) throw new DocVaultError('PASSWORD_UNREADABLE', `The stored password is not in a known sealed form: ${GIVE_AGAIN}`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(secret), Buffer.from(nonce, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new DocVaultError('PASSWORD_UNREADABLE', `The stored password could not be opened with PASSWORD_KEY (changed since it was given): ${GIVE_AGAIN}`);
  }
}
