/** What the caller may choose for a document (languages, priority, a callback) and how it is carried in object metadata. */
import { z } from 'zod';
import type { Config } from '../../config.ts';
import { DocVaultError } from '../../core/errors.ts';
import { boundedHeaderText } from '../../core/header-text.ts';
import { Languages } from '../../core/options.ts';
import { sealedPasswordOrNull } from '../../core/sealed-password.ts';
import { CallbackUrl, Priority, type TaskSource } from '../../core/task.ts';
import { invalidRequest } from '../../http-errors.ts';
import { isPrivateHost } from '../../lifecycle/notify.ts';
import { choiceMetadata, MAX_ORIGINAL_NAME_METADATA, OBJECT_METADATA } from '../../names.ts';

export const Choices = z.object({
  languages: Languages.optional(),
  priority: Priority.optional(),
  callbackUrl: CallbackUrl.optional(),
});
export type Choices = z.infer<typeof Choices>;

/** Form fields → the caller's choices; empty fields count as absent, `language` and `languages` combine. */
export function choicesFromForm(fields: Map<string, string[]>): Choices {
  const last = (name: string) => {
    const v = fields.get(name)?.at(-1)?.trim();
    return v ? v : undefined;
  };
  const languages = [...(fields.get('language') ?? []), ...(fields.get('languages') ?? [])].map((s) => s.trim()).filter(Boolean);
  const parsed = Choices.safeParse({
    languages: languages.length > 0 ? languages.join('+') : undefined,
    priority: last('priority'),
    callbackUrl: last('callbackUrl'),
  });
  if (!parsed.success) throw invalidRequest(parsed.error, 'form fields');
  return parsed.data;
}

/** The caller's choices with the PDF password sealed (core/sealed-password.ts): the plain password goes no further than the request. */
export type SealedChoices = Choices & { sealedPassword: string | null };

/** The `password` field, sealed at once; null when none was sent. */
export function sealedPasswordFromForm(fields: Map<string, string[]>, config: Pick<Config, 'PASSWORD_KEY'>): string | null {
  return sealedPasswordOrNull(fields.get('password')?.at(-1), config.PASSWORD_KEY);
}

/** A callback the worker would refuse to call is refused here, where the caller can still fix it. */
export function checkCallback(callbackUrl: string | undefined, config: Pick<Config, 'usingEmulators'>): void {
  if (callbackUrl && !config.usingEmulators && isPrivateHost(new URL(callbackUrl).hostname)) {
    throw new DocVaultError('INVALID_REQUEST', 'callbackUrl: the host is a private, internal or reserved address; callbacks go to public hosts only.', {
      problems: ['callbackUrl: private host'],
    });
  }
}

/**
 * The object's custom metadata that dispatch reads: every value header-safe (it travels in headers).
 * The sealed password travels with the object, so that the task dispatch may create from it (when
 * the object's event comes before upload's own write of the task) has its password from its first write.
 */
export function objectMetadata(taskId: string, choices: SealedChoices, originalName: string, source: TaskSource, batchId?: string): Record<string, string> {
  return {
    [OBJECT_METADATA.taskId]: taskId,
    // A name in any script is stored header-safe; dispatch decodes it for the task.
    [OBJECT_METADATA.originalName]: boundedHeaderText(originalName, MAX_ORIGINAL_NAME_METADATA),
    [OBJECT_METADATA.source]: source,
    ...choiceMetadata(choices, batchId),
  };
}
