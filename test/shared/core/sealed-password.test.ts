/** A PDF password in a task: sealed (AES-256-GCM), opened only with the same key, and never shown in a task's view. */
import { describe, expect, it } from 'vitest';
import { DocVaultError } from '../../../shared/core/errors.ts';
import { MAX_PASSWORD_LENGTH, MAX_SEALED_PASSWORD_LENGTH, openPassword, SEALED_PASSWORD, sealedPasswordFor, sealedPasswordOrNull, sealPassword } from '../../../shared/core/sealed-password.ts';
import { MAX_REQUEUES } from '../../../shared/core/task.ts';
import { awaitsPassword } from '../../../shared/core/password-failures.ts';
import { decideCancel, decideComplete, decideFail, decideRequeue } from '../../../shared/core/task-moves.ts';
import { taskView } from '../../../shared/services/task-view.ts';
import { makeTask } from '../../support/tasks.ts';

const KEY = 'a-password-key-for-tests-0123456789';
const PASSWORD = 'Tr0ub4dor&3-pdf';
const now = new Date('2026-12-01T12:00:00Z');

describe('sealed passwords', () => {
  it('round-trips, with a fresh nonce each time and no plain text in the sealed form', () => {
    const a = sealPassword(KEY, PASSWORD);
    const b = sealPassword(KEY, PASSWORD);
    expect(a).not.toBe(b);
    expect(a).not.toContain(PASSWORD);
    expect(a).toMatch(/^v1\./);
    expect(openPassword(KEY, a)).toBe(PASSWORD);
    expect(openPassword(KEY, b)).toBe(PASSWORD);
    expect(openPassword(KEY, sealPassword(KEY, 'pässwörd ✓'))).toBe('pässwörd ✓');
  });

  it('refuses another key and an altered value', () => {
    const sealed = sealPassword(KEY, PASSWORD);
    expect(() => openPassword('another-key-of-sixteen-plus', sealed)).toThrow(/could not be opened/);
    // A key changed since the password was given: permanent (no retry opens it), and the caller is told to give it again.
    const changed = (() => {
      try {
        openPassword('another-key-of-sixteen-plus', sealed);
      } catch (err) {
        return err as DocVaultError;
      }
    })();
    expect(changed).toMatchObject({ code: 'PASSWORD_UNREADABLE', retryable: false });
    expect(changed?.message).toMatch(/POST \/tasks\/\{id\}\/password/);
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0] = body[0]! ^ 1;
    expect(() => openPassword(KEY, [...parts.slice(0, 3), body.toString('base64url')].join('.'))).toThrow(DocVaultError);
    expect(() => openPassword(KEY, 'plain')).toThrow(/known sealed form/);
  });

  it('takes a password only with a key and within the length', () => {
    expect(() => sealedPasswordFor(PASSWORD, undefined)).toThrow(/PASSWORD_KEY/);
    expect(() => sealedPasswordFor('x'.repeat(MAX_PASSWORD_LENGTH + 1), KEY)).toThrow(/password/);
    expect(() => sealedPasswordFor('', KEY)).toThrow(/password/);
    expect(openPassword(KEY, sealedPasswordFor(PASSWORD, KEY))).toBe(PASSWORD);
    expect(sealedPasswordOrNull(undefined, KEY)).toBeNull();
    expect(sealedPasswordOrNull('', KEY)).toBeNull();
    expect(openPassword(KEY, sealedPasswordOrNull(PASSWORD, KEY)!)).toBe(PASSWORD);
  });

  it('fits the longest password taken, in any script, into the sealed form object metadata carries', () => {
    for (const char of ['a', 'é', '€', '😀']) {
      const longest = char.repeat(Math.floor(MAX_PASSWORD_LENGTH / char.length));
      const sealed = sealedPasswordFor(longest, KEY);
      expect(sealed).toMatch(SEALED_PASSWORD);
      expect(sealed.length).toBeLessThanOrEqual(MAX_SEALED_PASSWORD_LENGTH);
      expect(openPassword(KEY, sealed)).toBe(longest);
    }
  });
});

describe('a task with a password', () => {
  const sealedPassword = sealPassword(KEY, PASSWORD);

  it('never shows it, sealed or plain, in its view', () => {
    const view = JSON.stringify(taskView(makeTask({ sealedPassword })));
    expect(view).not.toContain(sealedPassword);
    expect(view).not.toContain(PASSWORD);
    expect(view).not.toMatch(/password/i);
  });

  it('drops it when the task finishes, whichever way', () => {
    const leased = makeTask({ status: 'PROCESSING', attempts: 1, sealedPassword, lease: { workerId: 'me', expiresAt: new Date(now.getTime() + 60_000) } });
    const summary = { pages: 1, failedPages: 0, confidence: 90, languages: ['eng'], category: 'text', processingMs: 5, resultBucket: 'r', objects: { json: 'a', txt: 'b', hocr: 'c', pdf: 'd' } };
    expect(decideComplete(leased, 'me', summary, 1000, now).patch).toMatchObject({ sealedPassword: null });
    expect(decideFail(leased, { code: 'WRONG_PASSWORD', message: 'no' }, { workerId: 'me', retentionMs: 1000 }, now).patch).toMatchObject({ sealedPassword: null });
    expect(decideCancel(leased, leased.userHash, now).patch).toMatchObject({ sealedPassword: null });
  });

  it('is requeued with a password only after failing for want of one', () => {
    const encrypted = makeTask({ status: 'FAILED', error: { code: 'ENCRYPTED_PDF', message: 'encrypted' } });
    const crashed = makeTask({ status: 'FAILED', error: { code: 'ENGINE_FAILURE', message: 'boom' } });
    expect(awaitsPassword(encrypted)).toBe(true);
    expect(awaitsPassword({ ...encrypted, error: { code: 'WRONG_PASSWORD', message: 'no' } })).toBe(true);
    expect(awaitsPassword({ ...encrypted, error: { code: 'PASSWORD_UNREADABLE', message: 'key changed' } })).toBe(true);
    expect(awaitsPassword(crashed)).toBe(false);
    expect(decideRequeue(encrypted, encrypted.userHash, sealedPassword).patch).toMatchObject({ status: 'QUEUED', attempts: 0, sealedPassword });
    expect(decideRequeue(crashed, crashed.userHash, sealedPassword).kind).toBe('refused');
    expect(decideRequeue(encrypted, 'someone-else', sealedPassword).kind).toBe('missing');
    expect(decideRequeue({ ...encrypted, requeues: MAX_REQUEUES }, encrypted.userHash, sealedPassword).kind).toBe('exhausted');
    // A requeue without one leaves the field as it was.
    expect(decideRequeue(crashed).patch).not.toHaveProperty('sealedPassword');
  });
});
