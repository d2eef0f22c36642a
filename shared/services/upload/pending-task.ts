/**
 * The task upload writes as it answers: PENDING until dispatch's step sees its object (upload's own
 * call, at once, for a multipart upload; the finalize event when the bytes come for a signed one),
 * so the status URL answers from the start.
 * Written with createIfAbsent: if dispatch got there first, its QUEUED task stands, made from the
 * object's metadata, the sealed password included (choices.ts objectMetadata).
 */
import type { Caller } from '../../adapters/auth.ts';
import { DEFAULT_LANGUAGES } from '../../core/options.ts';
import { queuePlacement } from '../../core/fairness.ts';
import { pendingTask, type TaskSource, type TaskStatus } from '../../core/task.ts';
import type { SealedChoices } from './choices.ts';
import type { UploadDeps } from './deps.ts';

/** A resumable session stays open a week after it starts: a task whose bytes never come goes (TTL) after that. */
const SESSION_LIFETIME_MS = 7 * 24 * 3_600_000;

export interface PendingDocument {
  taskId: string;
  object: string;
  /** The name as the caller typed it, for display. */
  fileName: string;
  /** The size sent (multipart) or declared (a signed upload; dispatch sets the real one). */
  size: number;
  contentType: string;
  source: TaskSource;
  batchId?: string | undefined;
}

export async function registerPendingTask(deps: Pick<UploadDeps, 'config' | 'tasks'>, caller: Caller, choices: SealedChoices, doc: PendingDocument, now = new Date()): Promise<TaskStatus> {
  const { config } = deps;
  const expireAt = new Date(now.getTime() + config.SIGNED_URL_MINUTES * 60_000 + SESSION_LIFETIME_MS);
  const task = pendingTask(
    {
      taskId: doc.taskId,
      userHash: caller.userHash,
      batchId: doc.batchId ?? null,
      source: doc.source,
      bucket: config.UPLOADS_BUCKET,
      object: doc.object,
      generation: '',
      size: doc.size,
      contentType: doc.contentType,
      fileName: doc.fileName,
      languages: choices.languages ?? [...DEFAULT_LANGUAGES],
      ...queuePlacement(doc, choices.priority, config.PRIORITY_RULES),
      maxAttempts: config.MAX_ATTEMPTS,
      callbackUrl: choices.callbackUrl ?? null,
      sealedPassword: choices.sealedPassword,
    },
    now,
    expireAt,
  );
  const { task: stored } = await deps.tasks.createIfAbsent(task);
  return stored.status;
}
