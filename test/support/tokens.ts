/** ID tokens signed by one local key, and a client that takes that key for Google's: real verification, offline. */
import { createSign, generateKeyPairSync } from 'node:crypto';
import { OAuth2Client } from 'google-auth-library';

export interface LocalTokens {
  verifier: OAuth2Client;
  certs: Record<string, string>;
  /** A Google ID token for `audience` with these claims (email, say) over the defaults. */
  sign: (claims: Record<string, unknown>) => string;
  /** Look-ups of the verifier's certificates: they grow with every token it checks. */
  readonly verifications: number;
}

/** `onSign` sees each token made (to check later that none reached a log, say). */
export function localTokenVerifier(audience: string, onSign: (token: string) => void = () => undefined): LocalTokens {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'test-key';
  const certs = { [kid]: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
  let verifications = 0;
  class LocalCerts extends OAuth2Client {
    override async getFederatedSignonCertsAsync(): ReturnType<OAuth2Client['getFederatedSignonCertsAsync']> {
      verifications++;
      type Format = Awaited<ReturnType<OAuth2Client['getFederatedSignonCertsAsync']>>['format'];
      return { certs, format: 'PEM' as Format };
    }
  }
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const sign = (claims: Record<string, unknown>) => {
    const now = Math.floor(Date.now() / 1000);
    const payload = { iss: 'https://accounts.google.com', aud: audience, sub: '1234', iat: now, exp: now + 600, ...claims };
    const signed = `${b64({ alg: 'RS256', kid, typ: 'JWT' })}.${b64(payload)}`;
    const token = `${signed}.${createSign('RSA-SHA256').update(signed).sign(privateKey).toString('base64url')}`;
    onSign(token);
    return token;
  };
  return {
    verifier: new LocalCerts(),
    certs,
    sign,
    get verifications() {
      return verifications;
    },
  };
}
