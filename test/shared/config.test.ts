/** The environment schema: what it refuses outside the emulators. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../shared/config.ts';

describe('loadConfig', () => {
  it('outside the emulators refuses the local default project, local identity and fault injection, each named', () => {
    const required = { USER_HASH_SECRET: 'x'.repeat(32), UPLOADS_BUCKET: 'uploads', RESULTS_BUCKET: 'results' };
    const attempt = () => loadConfig({ ...required, ALLOW_LOCAL_IDENTITY: 'true', OCR_FAULT_MARKER: 'POISON-PILL-0001' });
    expect(attempt).toThrow(ConfigError);
    const message = (() => {
      try {
        attempt();
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    })();
    for (const name of ['GOOGLE_CLOUD_PROJECT', 'ALLOW_LOCAL_IDENTITY', 'OCR_FAULT_MARKER']) expect(message).toContain(name);
    expect(() => loadConfig({ ...required, GOOGLE_CLOUD_PROJECT: 'my-project' })).not.toThrow();
  });

  it('takes the X-User-Email identity only with all three emulators on loopback', () => {
    const emulators = { FIRESTORE_EMULATOR_HOST: '127.0.0.1:8086', PUBSUB_EMULATOR_HOST: 'localhost:8085', STORAGE_EMULATOR_HOST: 'http://127.0.0.1:9023' };
    const base = { USER_HASH_SECRET: 'x'.repeat(32), UPLOADS_BUCKET: 'uploads', RESULTS_BUCKET: 'results', ALLOW_LOCAL_IDENTITY: 'true' };
    expect(loadConfig({ ...base, ...emulators }).ALLOW_LOCAL_IDENTITY).toBe(true);
    for (const env of [
      { ...emulators, STORAGE_EMULATOR_HOST: undefined },
      { ...emulators, FIRESTORE_EMULATOR_HOST: '10.0.0.5:8086' },
      { ...emulators, STORAGE_EMULATOR_HOST: 'http://127.0.0.1.evil.example:9023' },
    ]) {
      expect(() => loadConfig({ ...base, ...env }), JSON.stringify(env)).toThrow(/ALLOW_LOCAL_IDENTITY/);
    }
  });

  it('takes the local defaults against the emulators', () => {
    const required = { USER_HASH_SECRET: 'x'.repeat(32), UPLOADS_BUCKET: 'uploads', RESULTS_BUCKET: 'results' };
    const emulators = { FIRESTORE_EMULATOR_HOST: '127.0.0.1:8086', PUBSUB_EMULATOR_HOST: '127.0.0.1:8085', STORAGE_EMULATOR_HOST: 'http://127.0.0.1:9023' };
    expect(loadConfig({ ...required, ...emulators })).toMatchObject({ GOOGLE_CLOUD_PROJECT: 'docvault-local', usingEmulators: true });
    // One emulator host alone (a stray variable in a deployment) is not the emulator suite.
    expect(loadConfig({ ...required, GOOGLE_CLOUD_PROJECT: 'p', FIRESTORE_EMULATOR_HOST: '127.0.0.1:8086' }).usingEmulators).toBe(false);
    expect(() => loadConfig({ ...required, FIRESTORE_EMULATOR_HOST: '127.0.0.1:8086' })).toThrow(/GOOGLE_CLOUD_PROJECT/);
  });

  it("reads each function's per-user rate limit, 0 turning one off, and lists bad values", () => {
    const required = { USER_HASH_SECRET: 'x'.repeat(32), UPLOADS_BUCKET: 'uploads', RESULTS_BUCKET: 'results', GOOGLE_CLOUD_PROJECT: 'p' };
    expect(loadConfig(required).rateLimits).toEqual({
      upload: { requests: 300, burst: 30, windowMs: 60_000 },
      api: { requests: 600, burst: 60, windowMs: 60_000 },
    });
    const tuned = loadConfig({ ...required, RATE_LIMIT_WINDOW_SECONDS: '10', UPLOAD_RATE_LIMIT: '0', API_RATE_LIMIT: '50', API_RATE_BURST: '5' });
    expect(tuned.rateLimits).toEqual({ upload: null, api: { requests: 50, burst: 5, windowMs: 10_000 } });
    expect(() => loadConfig({ ...required, API_RATE_LIMIT: '-1', UPLOAD_RATE_BURST: '0' })).toThrow(/API_RATE_LIMIT[\s\S]*UPLOAD_RATE_BURST|UPLOAD_RATE_BURST[\s\S]*API_RATE_LIMIT/);
  });
});
