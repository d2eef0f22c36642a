/**
 * A task as the api shows it to its owner (GET /tasks/{id}, lists, the console): the stored task without
 * its internals, and an upload that dispatch has not yet made a task shown as the QUEUED task it will be.
 */
import type { BlobStore } from '../core/blob-store.ts';
import type { CallbackDelivery } from '../core/callback-delivery.ts';
import { fromHeaderText } from '../core/header-text.ts';
import { taskPrefix, type Task, type TaskStatus } from '../core/task.ts';
import { OBJECT_METADATA } from '../names.ts';

export interface TaskView {
  taskId: string;
  status: TaskStatus;
  progress: number;
  message: string;
  fileName: string;
  priority: Task['priority'] | null;
  source: Task['source'];
  batchId: string | null;
  attempts: number;
  maxAttempts: number | null;
  error: Task['error'];
  summary: Omit<NonNullable<Task['summary']>, 'resultBucket' | 'objects'> | null;
  resultUrl: string | null;
  /** Delivery of the callback (null without a callbackUrl); PENDING until its first attempt. */
  callback: { status: CallbackDelivery['status']; attempts: number; lastStatus: number | null; lastError: string | null; updatedAt: string | null } | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  completedAt: string | null;
  waitMs: number | null;
  processingMs: number | null;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function callbackView(task: Task): TaskView['callback'] {
  if (!task.callbackUrl) return null;
  const c = task.callback;
  if (!c) return { status: 'PENDING', attempts: 0, lastStatus: null, lastError: null, updatedAt: null };
  return { status: c.status, attempts: c.attempts, lastStatus: c.lastStatus, lastError: c.lastError, updatedAt: c.updatedAt.toISOString() };
}

export function taskView(task: Task): TaskView {
  const summary = task.summary ? (({ resultBucket: _b, objects: _o, ...rest }) => rest)(task.summary) : null;
  return {
    taskId: task.taskId,
    status: task.status,
    progress: task.progress,
    message: task.message,
    fileName: task.fileName,
    priority: task.priority,
    source: task.source,
    batchId: task.batchId,
    attempts: task.attempts,
    maxAttempts: task.maxAttempts,
    error: task.error,
    summary,
    resultUrl: task.status === 'COMPLETED' ? `/tasks/${task.taskId}/result` : null,
    callback: callbackView(task),
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
    startedAt: iso(task.startedAt),
    completedAt: iso(task.completedAt),
    waitMs: task.waitMs,
    processingMs: task.processingMs,
  };
}

/**
 * Upload answers before dispatch has created the task. For that moment, the caller's upload
 * object under users/{userHash}/{taskId}/ stands for a task that is QUEUED.
 */
export async function pendingUpload(blobs: Pick<BlobStore, 'list'>, bucket: string, userHash: string, taskId: string): Promise<TaskView | null> {
  const [file] = await blobs.list(bucket, taskPrefix(userHash, taskId), 1);
  if (!file) return null;
  const created = (file.createdAt ?? new Date()).toISOString();
  const custom = file.metadata;
  const source = custom[OBJECT_METADATA.source] === 'signed-url' ? 'signed-url' : custom[OBJECT_METADATA.source] === 'upload' ? 'upload' : 'drop';
  const batchId = custom[OBJECT_METADATA.batchId];
  return {
    taskId,
    status: 'QUEUED',
    progress: 0,
    message: 'received',
    // Stored header-safe by upload; dispatch decodes it the same way for the task.
    fileName: fromHeaderText(String(custom[OBJECT_METADATA.originalName] ?? file.name.split('/').pop() ?? '')),
    priority: null,
    source,
    batchId: typeof batchId === 'string' ? batchId : null,
    attempts: 0,
    maxAttempts: null,
    error: null,
    summary: null,
    resultUrl: null,
    callback: null,
    createdAt: created,
    updatedAt: created,
    startedAt: null,
    completedAt: null,
    waitMs: null,
    processingMs: null,
  };
}
