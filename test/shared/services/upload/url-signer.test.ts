/** The local URL signer (against the storage emulator): it signs with its own key, names its email, and prints nothing. */
import { Storage } from '@google-cloud/storage';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { UploadDeps } from '../../../../shared/services/upload/deps.ts';
import { signerFor } from '../../../../shared/services/upload/url-signer.ts';

afterEach(() => vi.restoreAllMocks());

describe('signerFor against the emulator', () => {
  it('signs a V4 URL with a local key, without the auth library\'s plain-text deprecation warning (a non-JSON log line)', async () => {
    const warn = vi.spyOn(console, 'warn');
    const config = { STORAGE_EMULATOR_HOST: 'http://127.0.0.1:9', GOOGLE_CLOUD_PROJECT: 'signer-test' } as UploadDeps['config'];
    const signer = signerFor({ config, storage: new Storage({ projectId: 'signer-test' }) });
    const [url] = await signer.bucket('uploads').file('users/x/doc.pdf').getSignedUrl({ version: 'v4', action: 'write', expires: Date.now() + 60_000 });
    const query = new URL(url).searchParams;
    expect(query.get('X-Goog-Credential')).toMatch(/^local-signer@signer-test\.iam\.gserviceaccount\.com\//);
    expect(query.get('X-Goog-Signature')).toMatch(/^[0-9a-f]{512}$/);
    expect(warn).not.toHaveBeenCalled();
    // The same signer for the process's every URL.
    expect(signerFor({ config, storage: new Storage({ projectId: 'signer-test' }) })).toBe(signer);
  });
});
