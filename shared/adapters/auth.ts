/**
 * Who is calling. In the cloud: a Google ID token (`Authorization: Bearer …`) verified with
 * google-auth-library, with a verified email. With the emulators, and only there (the config
 * refuses ALLOW_LOCAL_IDENTITY otherwise), an `X-User-Email` header is accepted too.
 * Anything else is 401. Neither the email nor the token is ever logged or put in an error.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { OAuth2Client } from 'google-auth-library';
import { z } from 'zod';
import { DocVaultError } from '../core/errors.ts';
import { userHashOf } from '../core/task.ts';
import type { Config } from '../config.ts';

export interface Caller {
  email: string;
  userHash: string;
}

export type IdentityConfig = Pick<Config, 'AUTH_AUDIENCE' | 'ALLOW_LOCAL_IDENTITY' | 'USER_HASH_SECRET'>;

export const LOCAL_IDENTITY_HEADER = 'x-user-email';

const Email = z.string().trim().max(320).email();
const BEARER = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)\s*$/i;

function unauthenticated(message: string): DocVaultError {
  return new DocVaultError('UNAUTHENTICATED', message);
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

export interface IdentifyOptions {
  /** The token verifier; tests hand in a client whose certificates are local. */
  verifier?: OAuth2Client;
}

/** The caller of an HTTP request, or a DocVaultError (UNAUTHENTICATED, or UNAVAILABLE when Google's keys cannot be fetched). */
export async function identify(headers: IncomingHttpHeaders, config: IdentityConfig, options: IdentifyOptions = {}): Promise<Caller> {
  const authorization = single(headers.authorization);
  if (authorization) {
    const email = await verifiedEmail(authorization, config, options.verifier ?? defaultVerifier());
    return { email, userHash: userHashOf(email, config.USER_HASH_SECRET) };
  }
  const local = single(headers[LOCAL_IDENTITY_HEADER]);
  if (local !== undefined && config.ALLOW_LOCAL_IDENTITY) {
    const email = Email.safeParse(local);
    if (!email.success) throw unauthenticated('The X-User-Email header is not an email address.');
    return { email: email.data, userHash: userHashOf(email.data, config.USER_HASH_SECRET) };
  }
  throw unauthenticated(
    config.ALLOW_LOCAL_IDENTITY
      ? 'Sign in: send "Authorization: Bearer <Google ID token>" (or, locally, an X-User-Email header).'
      : 'Sign in: send "Authorization: Bearer <Google ID token>".',
  );
}

function isJwtShaped(token: string): boolean {
  const [header, payload] = token.split('.');
  try {
    const h = JSON.parse(Buffer.from(header ?? '', 'base64url').toString('utf8')) as unknown;
    const p = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as unknown;
    return typeof h === 'object' && h !== null && 'alg' in h && typeof p === 'object' && p !== null;
  } catch {
    return false;
  }
}

async function verifiedEmail(authorization: string, config: IdentityConfig, verifier: OAuth2Client): Promise<string> {
  const token = BEARER.exec(authorization)?.[1];
  if (!token) throw unauthenticated('The Authorization header must be "Bearer <Google ID token>".');
  // Garbage is refused here, without asking Google for its keys.
  if (!isJwtShaped(token)) throw unauthenticated('The ID token is invalid or expired.');
  try {
    // Fetched (and cached by the client) before verifying, so an outage is not mistaken for a bad token.
    await verifier.getFederatedSignonCertsAsync();
  } catch (err) {
    throw new DocVaultError('UNAVAILABLE', 'The identity service is unreachable; try again shortly.', {}, { cause: err });
  }
  let payload;
  try {
    const ticket = await verifier.verifyIdToken({ idToken: token, ...(config.AUTH_AUDIENCE ? { audience: config.AUTH_AUDIENCE } : {}) });
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
  return email.data;
}
