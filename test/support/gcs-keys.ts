import { generateKeyPairSync } from 'node:crypto';

/** A throwaway service-account key: V4 signing needs one, the emulator checks only the expiry. */
export function fakeCredentials(): { client_email: string; private_key: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    client_email: 'emulator@local-project.iam.gserviceaccount.com',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
