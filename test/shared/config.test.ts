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

  it('takes the local defaults against the emulators', () => {
    const config = loadConfig({ FIRESTORE_EMULATOR_HOST: '127.0.0.1:8086', USER_HASH_SECRET: 'x'.repeat(32), UPLOADS_BUCKET: 'uploads', RESULTS_BUCKET: 'results' });
    expect(config).toMatchObject({ GOOGLE_CLOUD_PROJECT: 'docvault-local', usingEmulators: true });
  });
});
