/** The error codes' one list of retryable ones, and a failure's message as a task shows it. */
import { describe, expect, it } from 'vitest';
import { DocVaultError, ErrorCode, isRetryableCode, plainMessage, RETRYABLE_CODES, toDocVaultError } from '../../../shared/core/errors.ts';

describe('retryable codes', () => {
  it('only engine and internal failures are retried; a refusal of storage and a bad document are permanent', () => {
    expect([...RETRYABLE_CODES].sort()).toEqual(['ENGINE_FAILURE', 'INTERNAL']);
    for (const code of ['STORAGE_REFUSED', 'CORRUPT_DOCUMENT', 'DOCUMENT_TOO_COMPLEX', 'PAGE_TIMEOUT', 'IMAGE_TOO_LARGE'] as const) {
      expect(isRetryableCode(code)).toBe(false);
      expect(new DocVaultError(code, 'x').retryable).toBe(false);
    }
    expect(ErrorCode.options.filter(isRetryableCode)).toEqual(RETRYABLE_CODES);
  });
});

describe('plainMessage', () => {
  it.each([
    ['a service\'s JSON body becomes its message', '{"error":{"code":400,"message":"The target object is encrypted by a customer-supplied encryption key.","errors":[]}}', 'The target object is encrypted by a customer-supplied encryption key.'],
    ['a JSON body with a string error', '{"error":"invalid_grant"}', 'invalid_grant'],
    ['a JSON body with no message', '{"error":{"code":400}}', 'An error with no message.'],
    ['text that only starts like JSON stays, first line', '{not json\nsecond line', '{not json'],
    ['only the first line of a stack-like message', 'socket hang up\n    at Socket.emit', 'socket hang up'],
  ])('%s', (_, message, expected) => {
    expect(plainMessage(message)).toBe(expected);
  });

  it('caps a long line', () => {
    const text = plainMessage('x'.repeat(1000));
    expect(text).toHaveLength(300);
    expect(text.endsWith('…')).toBe(true);
  });

  it('an unknown failure becomes INTERNAL with a plain message, and keeps its cause', () => {
    const cause = new Error('{"error":{"code":503,"message":"Backend unavailable"}}');
    const err = toDocVaultError(cause);
    expect(err).toMatchObject({ code: 'INTERNAL', message: 'Backend unavailable', retryable: true });
    expect(err.cause).toBe(cause);
  });
});
