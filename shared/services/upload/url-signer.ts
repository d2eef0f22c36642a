/** Who signs upload URLs: the storage client in the cloud, a per-process local key against the emulator. */
import { generateKeyPairSync } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import { GoogleAuth, JWT, type CredentialBody } from 'google-auth-library';
import type { UploadDeps } from './deps.ts';

let localSigner: Storage | undefined;

/**
 * The local key as the client's auth: it signs with the key (a JWT client with a key signs locally) and names its
 * email. Not the `credentials` option, which the auth library answers with a plain-text deprecation warning on
 * stderr, a non-JSON line in upload's log; without either, the client asks a metadata server for the email.
 */
class LocalKeyAuth extends GoogleAuth {
  private readonly body: CredentialBody;

  constructor(projectId: string, body: Required<Pick<CredentialBody, 'client_email' | 'private_key'>>) {
    super({ projectId, authClient: new JWT({ email: body.client_email, key: body.private_key }) });
    this.body = body;
  }

  override getCredentials(): Promise<CredentialBody>;
  override getCredentials(callback: (err: Error | null, credentials?: CredentialBody) => void): void;
  override getCredentials(callback?: (err: Error | null, credentials?: CredentialBody) => void): Promise<CredentialBody> | void {
    if (!callback) return Promise.resolve(this.body);
    callback(null, this.body);
  }
}

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
    const projectId = deps.config.GOOGLE_CLOUD_PROJECT;
    localSigner = new Storage({
      projectId,
      authClient: new LocalKeyAuth(projectId, {
        client_email: `local-signer@${projectId}.iam.gserviceaccount.com`,
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      }),
    });
  }
  return localSigner;
}
