/**
 * Who is calling. In the cloud: a Google ID token or a Firebase Authentication ID token
 * (`Authorization: Bearer …`) verified with google-auth-library, with a verified email. With the
 * local emulators, and only there (the config refuses ALLOW_LOCAL_IDENTITY unless all three run on loopback), an
 * `X-User-Email` header is accepted too. Anything else is 401. Neither the email nor the token is
 * ever logged or put in an error.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { OAuth2Client } from 'google-auth-library';
import { z } from 'zod';
import { DocVaultError } from '../core/errors.ts';
import { Email, userHashOf } from '../core/task.ts';
import type { Config } from '../config.ts';

export interface Caller {
  email: string;
  userHash: string;
  /** How the caller was identified: a Google ID token, a Firebase one, or the local header. */
  via: 'google' | 'firebase' | 'local';
}

export type IdentityConfig = Pick<Config, 'AUTH_AUDIENCE' | 'ALLOW_LOCAL_IDENTITY' | 'USER_HASH_SECRET' | 'GOOGLE_CLOUD_PROJECT' | 'usingEmulators'>;

/** AUTH_AUDIENCE: the audiences a Google ID token may be issued for, comma-separated. */
export function audiences(config: Pick<Config, 'AUTH_AUDIENCE'>): string[] {
  return (config.AUTH_AUDIENCE ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
}

export const LOCAL_IDENTITY_HEADER = 'x-user-email';

/** Whether a request carries any credentials at all (checked before its body is read; identify verifies them). */
export function carriesCredentials(headers: IncomingHttpHeaders): boolean {
  return Boolean(headers.authorization || headers[LOCAL_IDENTITY_HEADER]);
}

/** Firebase Authentication signs ID tokens with these keys (X.509 PEM by key id). */
const FIREBASE_CERTS_URL = 'https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com';
const FIREBASE_ISSUER_PREFIX = 'https://securetoken.google.com/';

const BEARER = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)\s*$/i;

export type Certificates = Record<string, string>;

export interface IdentifyOptions {
  /** Verifies Google ID tokens (and checks any token's signature); tests hand in one with local keys. */
  verifier?: OAuth2Client;
  /** Firebase's signing certificates; tests hand in local ones. */
  firebaseCerts?: () => Promise<Certificates>;
}

function unauthenticated(message: string): DocVaultError {
  return new DocVaultError('UNAUTHENTICATED', message);
}

function unavailable(err: unknown): DocVaultError {
  return new DocVaultError('UNAVAILABLE', 'The identity service is unreachable; try again shortly.', {}, { cause: err });
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

let sharedClient: OAuth2Client | undefined;

/** One client per instance: it caches Google's signing certificates between requests. */
function defaultVerifier(): OAuth2Client {
  sharedClient ??= new OAuth2Client();
  return sharedClient;
}

let firebaseCache: { certs: Certificates; until: number } | undefined;

/** Firebase's certificates, kept as long as their Cache-Control max-age says. */
async function fetchFirebaseCerts(): Promise<Certificates> {
  if (firebaseCache && firebaseCache.until > Date.now()) return firebaseCache.certs;
  const res = await fetch(FIREBASE_CERTS_URL, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`Firebase certificates: HTTP ${res.status}`);
  const certs = z.record(z.string(), z.string()).parse(await res.json());
  const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get('cache-control') ?? '')?.[1] ?? 3600);
  firebaseCache = { certs, until: Date.now() + maxAge * 1000 };
  return certs;
}

/** The caller of an HTTP request, or a DocVaultError (UNAUTHENTICATED, or UNAVAILABLE when the signing keys cannot be fetched). */
export async function identify(headers: IncomingHttpHeaders, config: IdentityConfig, options: IdentifyOptions = {}): Promise<Caller> {
  const authorization = single(headers.authorization);
  if (authorization) {
    const { email, via } = await verifiedEmail(authorization, config, options);
    return { email, userHash: userHashOf(email, config.USER_HASH_SECRET), via };
  }
  const local = single(headers[LOCAL_IDENTITY_HEADER]);
  if (local !== undefined && config.ALLOW_LOCAL_IDENTITY) {
    const email = Email.safeParse(local);
    if (!email.success) throw unauthenticated('The X-User-Email header is not an email address.');
    return { email: email.data, userHash: userHashOf(email.data, config.USER_HASH_SECRET), via: 'local' };
  }
  throw unauthenticated(
    config.ALLOW_LOCAL_IDENTITY
      ? 'Sign in: send "Authorization: Bearer <Google or Firebase ID token>" (or, locally, an X-User-Email header).'
      : 'Sign in: send "Authorization: Bearer <Google or Firebase ID token>".',
  );
}

/** The unverified claims, only to choose how to verify; null when the token is not a JWT at all. */
function peekClaims(token: string): Record<string, unknown> | null {
  const [header, payload] = token.split('.');
  try {
    const h = JSON.parse(Buffer.from(header ?? '', 'base64url').toString('utf8')) as unknown;
    const p = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as unknown;
    if (typeof h !== 'object' || h === null || !('alg' in h) || typeof p !== 'object' || p === null) return null;
    return p as Record<string, unknown>;
  } catch {
    return null;
  }
}

async function verifiedEmail(authorization: string, config: IdentityConfig, options: IdentifyOptions): Promise<{ email: string; via: 'google' | 'firebase' }> {
  const token = BEARER.exec(authorization)?.[1];
  if (!token) throw unauthenticated('The Authorization header must be "Bearer <ID token>".');
  const claims = peekClaims(token);
  // Garbage is refused here, without fetching any keys.
  if (!claims) throw unauthenticated('The ID token is invalid or expired.');
  const verifier = options.verifier ?? defaultVerifier();
  const firebaseIssuer = `${FIREBASE_ISSUER_PREFIX}${config.GOOGLE_CLOUD_PROJECT}`;
  const isFirebase = typeof claims.iss === 'string' && claims.iss.startsWith(FIREBASE_ISSUER_PREFIX);
  // Google signs ID tokens for every app and account: without an audience to check, a token any
  // other site obtained for its own sign-in would open this one. Only the emulators go without.
  const audience = audiences(config);
  if (!isFirebase && audience.length === 0 && !config.usingEmulators) {
    throw unauthenticated('This service accepts no Google ID tokens: its AUTH_AUDIENCE is not configured.');
  }

  let certs: Certificates | undefined;
  try {
    // Fetched (and cached) before verifying, so an outage is not mistaken for a bad token.
    if (isFirebase) certs = await (options.firebaseCerts ?? fetchFirebaseCerts)();
    else await verifier.getFederatedSignonCertsAsync();
  } catch (err) {
    throw unavailable(err);
  }
  let payload;
  try {
    const ticket = certs
      ? // A Firebase project's tokens: audience is the project id, issuer securetoken.google.com/PROJECT.
        await verifier.verifySignedJwtWithCertsAsync(token, certs, config.GOOGLE_CLOUD_PROJECT, [firebaseIssuer])
      : await verifier.verifyIdToken({ idToken: token, ...(audience.length ? { audience } : {}) });
    payload = ticket.getPayload();
  } catch {
    // The library's messages quote the token: keep them out of answers and logs.
    throw unauthenticated('The ID token is invalid or expired.');
  }
  if (!payload?.email || payload.email_verified !== true) {
    throw unauthenticated('The ID token carries no verified email address.');
  }
  const email = Email.safeParse(payload.email);
  if (!email.success) throw unauthenticated('The ID token carries no verified email address.');
  return { email: email.data, via: certs ? 'firebase' : 'google' };
}
