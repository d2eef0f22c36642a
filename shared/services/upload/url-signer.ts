/** Who signs upload URLs: the storage client in the cloud, a per-process local key against the emulator. */
import { generateKeyPairSync } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import type { UploadDeps } from './deps.ts';

let localSigner: Storage | undefined;

/**
 * V4 signing needs a service-account key. In the cloud the function's own account signs through
 * the IAM signBlob API (the client does that when it has no key). The emulator checks no
 * signature, so locally any RSA key will do: one is made per process.
 */
export function signerFor(deps: Pick<UploadDeps, 'config' | 'storage' | 'signer'>): Storage {
  if (deps.signer) return deps.signer;
  if (!deps.config.STORAGE_EMULATOR_HOST) return deps.storage;
  if (!localSigner) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    // `credentials` (deprecated in favour of an auth client, and it says so once) is the one
    // way the client's URL signer learns both the key and its email without asking a server.
    localSigner = new Storage({
      projectId: deps.config.GOOGLE_CLOUD_PROJECT,
      credentials: {
        client_email: `local-signer@${deps.config.GOOGLE_CLOUD_PROJECT}.iam.gserviceaccount.com`,
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
    });
  }
  return localSigner;
}
