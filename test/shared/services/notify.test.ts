import { describe, expect, it } from 'vitest';
import { isPrivateHost, signWebhook } from '../../../shared/services/notify.ts';

describe('isPrivateHost', () => {
  it.each(['localhost', '127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', 'metadata.google.internal', '[::1]', 'fd00::1', '100.64.0.1', '0.0.0.0'])(
    '%s is private',
    (host) => expect(isPrivateHost(host)).toBe(true),
  );
  it.each(['example.com', '8.8.8.8', '172.32.0.1', 'hooks.example.org', '2001:db8::1'])('%s is public', (host) => expect(isPrivateHost(host)).toBe(false));
});

describe('signWebhook', () => {
  it('is HMAC-SHA256 over "timestamp.body", hex, prefixed', () => {
    // echo -n '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
    expect(signWebhook('secret', '1700000000', '{"a":1}')).toBe('sha256=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686');
    expect(signWebhook('secret', '1700000000', '{"a":1}')).not.toBe(signWebhook('secret', '1700000001', '{"a":1}'));
  });
});
