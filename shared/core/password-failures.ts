/**
 * The failures a password can cure: an encrypted PDF sent without one, with one that did not open it, or with
 * one sealed under a former PASSWORD_KEY. Imports nothing, so that the web console shares the rule.
 */
export const PASSWORD_FAILURES: readonly string[] = ['ENCRYPTED_PDF', 'WRONG_PASSWORD', 'PASSWORD_UNREADABLE'];

export function awaitsPassword(task: { status: string; error: { code: string; message?: string } | null }): boolean {
  return task.status === 'FAILED' && PASSWORD_FAILURES.includes(task.error?.code ?? '');
}
