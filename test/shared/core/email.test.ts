/** One email rule for every entry point: the API's identity check and the CLI's user-prefix, ingest and queue --user. */
import { describe, expect, it } from 'vitest';
import { identify, type IdentityConfig } from '../../../shared/adapters/auth.ts';
import { Email } from '../../../shared/core/task.ts';

const config = { ALLOW_LOCAL_IDENTITY: true, USER_HASH_SECRET: 's'.repeat(32), GOOGLE_CLOUD_PROJECT: 'p', usingEmulators: true } as IdentityConfig;

describe('Email', () => {
  it.each([
    ['\u0430lice@example.com', 'a Cyrillic а'],
    ['\uff41lice@example.com', 'a fullwidth ａ (NFKC would fold it into alice)'],
  ])('refuses %s (%s), and so does the API', async (email) => {
    expect(Email.safeParse(email).success).toBe(false);
    await expect(identify({ 'x-user-email': email }, config)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('accepts a plain address in the schema and the API alike', async () => {
    expect(Email.parse(' Alice@Example.com ')).toBe('Alice@Example.com');
    await expect(identify({ 'x-user-email': 'alice@example.com' }, config)).resolves.toMatchObject({ via: 'local' });
  });
});
