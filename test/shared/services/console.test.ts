/** The console's settings, Content-Security-Policy, static files and the upload function's CORS answer. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config.ts';
import { consoleSettings, contentSecurityPolicy, corsForUpload, loadConsoleFiles } from '../../../shared/services/console.ts';

const LOCAL = {
  GOOGLE_CLOUD_PROJECT: 'docvault-test',
  UPLOADS_BUCKET: 'up-bucket',
  RESULTS_BUCKET: 'res-bucket',
  USER_HASH_SECRET: 'test-user-hash-secret-0123456789',
  FIRESTORE_EMULATOR_HOST: '127.0.0.1:8080',
  PUBSUB_EMULATOR_HOST: '127.0.0.1:8085',
  STORAGE_EMULATOR_HOST: 'http://127.0.0.1:9199',
  ALLOW_LOCAL_IDENTITY: 'true',
  UPLOAD_URL: 'http://127.0.0.1:8081/',
  CONSOLE_ORIGINS: 'http://127.0.0.1:8082, http://localhost:8082/',
};
const CLOUD = {
  GOOGLE_CLOUD_PROJECT: 'docvault-prod',
  UPLOADS_BUCKET: 'up-bucket',
  RESULTS_BUCKET: 'res-bucket',
  USER_HASH_SECRET: 'test-user-hash-secret-0123456789',
  UPLOAD_URL: 'https://upload-abc.a.run.app',
  AUTH_AUDIENCE: 'https://api-abc.a.run.app,123456789012-abcdefghijklmnop.apps.googleusercontent.com',
  CONSOLE_ORIGINS: 'https://api-abc.a.run.app',
};

describe('console settings', () => {
  it('on the local emulators: act-as-user sign-in, the upload URL, no Google client', () => {
    expect(consoleSettings(loadConfig(LOCAL))).toMatchObject({
      emulators: true,
      localIdentityHeader: 'X-User-Email',
      uploadUrl: 'http://127.0.0.1:8081',
      googleClientId: null,
      priorities: ['high', 'normal', 'low'],
    });
  });

  it('in the cloud: the OAuth client id from AUTH_AUDIENCE, no local identity', () => {
    expect(consoleSettings(loadConfig(CLOUD))).toMatchObject({ emulators: false, localIdentityHeader: null, googleClientId: '123456789012-abcdefghijklmnop.apps.googleusercontent.com' });
    expect(consoleSettings(loadConfig({ ...CLOUD, AUTH_AUDIENCE: 'https://api-abc.a.run.app' })).googleClientId).toBeNull();
  });

  it('leaves room for the multipart framing under the request limit', () => {
    expect(consoleSettings(loadConfig({ ...LOCAL, MAX_REQUEST_BYTES: '1048576' })).maxRequestBytes).toBe(1048576 - 65536);
  });
});

describe('Content-Security-Policy', () => {
  it('locally: only the page itself, the upload function and the storage emulator; no inline script, no frames', () => {
    const csp = contentSecurityPolicy(loadConfig(LOCAL));
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("connect-src 'self' http://127.0.0.1:8081 http://127.0.0.1:9199;");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|accounts\.google\.com/);
  });

  it('in the cloud: Google sign-in’s script and frame, Cloud Storage for resumable sessions', () => {
    const csp = contentSecurityPolicy(loadConfig(CLOUD));
    expect(csp).toContain("script-src 'self' https://accounts.google.com/gsi/client;");
    expect(csp).toContain('frame-src https://accounts.google.com/gsi/');
    expect(csp).toContain('https://upload-abc.a.run.app https://storage.googleapis.com');
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
  });
});

describe('CORS on upload', () => {
  const config = loadConfig(LOCAL);
  it('answers a preflight from the console’s origins (trailing slash or not) and no other', () => {
    const ok = corsForUpload(config, 'OPTIONS', 'http://localhost:8082');
    expect(ok.preflight).toBe(true);
    expect(ok.headers).toMatchObject({ 'access-control-allow-origin': 'http://localhost:8082', 'access-control-allow-methods': 'POST', vary: 'Origin' });
    expect(ok.headers['access-control-allow-headers']).toContain('x-user-email');
    const other = corsForUpload(config, 'OPTIONS', 'http://evil.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(corsForUpload(config, 'POST', undefined)).toEqual({ headers: { vary: 'Origin' }, preflight: false });
  });
});

describe('static files', () => {
  /** A built console as Vite lays it out: index.html, hashed assets, the manifest naming them. */
  function builtConsole(): string {
    const dir = mkdtempSync(join(tmpdir(), 'console-dist-'));
    mkdirSync(join(dir, 'assets'));
    mkdirSync(join(dir, '.vite'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="app"></div>');
    writeFileSync(join(dir, 'assets', 'index-AbC123.js'), 'console.log(1)');
    writeFileSync(join(dir, 'assets', 'index-XyZ789.css'), 'body{}');
    writeFileSync(join(dir, 'assets', 'stray.js'), 'not in the manifest');
    writeFileSync(join(dir, '.vite', 'manifest.json'), JSON.stringify({ 'index.html': { file: 'assets/index-AbC123.js', css: ['assets/index-XyZ789.css'] } }));
    return dir;
  }

  it('serves index.html and exactly the built assets the manifest names', () => {
    const files = loadConsoleFiles(builtConsole())!;
    expect(files.get('/')!.body.toString()).toMatch(/<div id="app">/);
    expect(files.get('/')!.cacheControl).toBe('no-cache');
    expect([...files.keys()].sort()).toEqual(['/', '/assets/index-AbC123.js', '/assets/index-XyZ789.css']);
    expect(files.get('/assets/index-AbC123.js')).toMatchObject({ contentType: 'text/javascript; charset=utf-8', cacheControl: 'public, max-age=31536000, immutable' });
  });

  it('is null when the console was never built', () => {
    expect(loadConsoleFiles('/nonexistent')).toBeNull();
  });
});
