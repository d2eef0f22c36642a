/**
 * The web console: its settings (`GET /config`), its built files (`GET /`, `/assets/…`, served by the
 * api function, so every call the page makes to the api is same-origin) with a Content-Security-Policy
 * that allows only what the page needs, and the CORS answer the upload function gives the console's
 * origin (the one cross-origin call the page makes, besides a resumable upload session).
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { audiences } from '../adapters/auth.ts';
import type { Config } from '../config.ts';
import { Priority } from '../core/task.ts';

export type ConsoleConfigInput = Pick<
  Config,
  'usingEmulators' | 'ALLOW_LOCAL_IDENTITY' | 'UPLOAD_URL' | 'AUTH_AUDIENCE' | 'MAX_REQUEST_BYTES' | 'MAX_DOCUMENT_BYTES' | 'STORAGE_EMULATOR_HOST'
>;

/** What the page needs to know, and nothing secret: it is served to anyone. */
export interface ConsoleSettings {
  /** The local emulator suite: the page offers "act as user (email)" instead of Google sign-in. */
  emulators: boolean;
  localIdentityHeader: string | null;
  uploadUrl: string | null;
  /** The OAuth client id of Google sign-in (the AUTH_AUDIENCE entry that is one); null: no sign-in offered. */
  googleClientId: string | null;
  /** Larger files go through a signed URL's resumable session instead of one upload request. */
  maxRequestBytes: number;
  maxDocumentBytes: number;
  priorities: readonly Priority[];
}

const OAUTH_CLIENT_ID = /^[0-9]+-[a-z0-9]+\.apps\.googleusercontent\.com$/;

export function consoleSettings(config: ConsoleConfigInput): ConsoleSettings {
  const local = config.usingEmulators && config.ALLOW_LOCAL_IDENTITY;
  return {
    emulators: local,
    localIdentityHeader: local ? 'X-User-Email' : null,
    uploadUrl: config.UPLOAD_URL?.replace(/\/+$/, '') ?? null,
    googleClientId: audiences(config).find((a) => OAUTH_CLIENT_ID.test(a)) ?? null,
    // Multipart framing and the other form fields share the request with the file.
    maxRequestBytes: Math.max(0, config.MAX_REQUEST_BYTES - 64 * 1024),
    maxDocumentBytes: config.MAX_DOCUMENT_BYTES,
    priorities: Priority.options,
  };
}

const originOf = (url: string | null | undefined): string | null => {
  if (!url) return null;
  try {
    return new URL(/^https?:\/\//.test(url) ? url : `http://${url}`).origin;
  } catch {
    return null;
  }
};

/** Google sign-in's script and frames (only when a client id is configured). */
const GOOGLE_SIGN_IN = 'https://accounts.google.com/gsi/';
/** Where a signed URL's resumable session lives in the cloud. */
const CLOUD_STORAGE = 'https://storage.googleapis.com';

/** Only the page's own files, the upload function, the storage session and (in the cloud) Google sign-in. */
export function contentSecurityPolicy(config: ConsoleConfigInput): string {
  const settings = consoleSettings(config);
  const storage = originOf(config.STORAGE_EMULATOR_HOST) ?? CLOUD_STORAGE;
  const connect = ["'self'", originOf(settings.uploadUrl), storage].filter(Boolean);
  const google = settings.googleClientId && !settings.emulators;
  const directives: Record<string, string[]> = {
    'default-src': ["'none'"],
    'script-src': ["'self'", ...(google ? [`${GOOGLE_SIGN_IN}client`] : [])],
    'style-src': ["'self'", ...(google ? [`${GOOGLE_SIGN_IN}style`] : [])],
    'img-src': ["'self'", 'blob:', 'data:'],
    'font-src': ["'self'"],
    'connect-src': [...new Set(connect as string[]), ...(google ? [GOOGLE_SIGN_IN] : [])],
    'frame-src': google ? [GOOGLE_SIGN_IN] : ["'none'"],
    'manifest-src': ["'self'"],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
    'frame-ancestors': ["'none'"],
  };
  return Object.entries(directives)
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join('; ');
}

// ---------------------------------------------------------------------------------------------
// Static files

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
};

export interface ConsoleFile {
  body: Buffer;
  contentType: string;
  /** Hashed asset names never change: cached for a year. index.html is checked each time. */
  cacheControl: string;
}

/** dist/console, from the source tree (shared/services) or from the build (dist/shared/services). */
export function consoleDir(): string {
  const here = import.meta.dirname;
  return import.meta.url.endsWith('.js') ? resolve(here, '../../console') : resolve(here, '../../dist/console');
}

/** The built console's files by URL path, read once per instance (~100 KB). Null when it was never built. */
export function loadConsoleFiles(dir = consoleDir()): Map<string, ConsoleFile> | null {
  const index = join(dir, 'index.html');
  if (!existsSync(index)) return null;
  const files = new Map<string, ConsoleFile>();
  files.set('/', { body: readFileSync(index), contentType: CONTENT_TYPES['.html']!, cacheControl: 'no-cache' });
  const manifest = JSON.parse(readFileSync(join(dir, '.vite', 'manifest.json'), 'utf8')) as Record<string, { file: string; css?: string[]; assets?: string[] }>;
  const names = new Set(Object.values(manifest).flatMap((m) => [m.file, ...(m.css ?? []), ...(m.assets ?? [])]));
  for (const name of names) {
    const type = CONTENT_TYPES[extname(name)];
    if (!type || name.includes('..')) continue;
    files.set(`/${name}`, { body: readFileSync(join(dir, name)), contentType: type, cacheControl: 'public, max-age=31536000, immutable' });
  }
  return files;
}

/** Headers every console answer carries (the page and its assets). */
export function consoleHeaders(config: ConsoleConfigInput): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(config),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin-allow-popups',
  };
}

// ---------------------------------------------------------------------------------------------
// CORS on the upload function

/** Headers a browser may send to upload: the sign-in ones and the form's type. */
const CORS_ALLOWED_HEADERS = 'authorization, content-type, x-user-email';

export interface CorsAnswer {
  /** Headers to add to the answer (empty when the origin is not the console's). */
  headers: Record<string, string>;
  /** A preflight (OPTIONS): answer 204 with the headers and stop. */
  preflight: boolean;
}

/** The console's origins (CONSOLE_ORIGINS) may POST to upload from a browser; any other origin gets no CORS headers. */
export function corsForUpload(config: Pick<Config, 'CONSOLE_ORIGINS'>, method: string, origin: string | undefined): CorsAnswer {
  const allowed = origin !== undefined && config.CONSOLE_ORIGINS.includes(origin);
  const headers: Record<string, string> = allowed ? { 'access-control-allow-origin': origin, vary: 'Origin' } : { vary: 'Origin' };
  const preflight = method === 'OPTIONS';
  if (allowed && preflight) {
    Object.assign(headers, { 'access-control-allow-methods': 'POST', 'access-control-allow-headers': CORS_ALLOWED_HEADERS, 'access-control-max-age': '600' });
  }
  return { headers, preflight };
}
