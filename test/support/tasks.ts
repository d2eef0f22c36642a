import { newTaskId, type Task } from '../../shared/core/task.ts';

export function makeTask(overrides: Partial<Task> = {}): Task {
  const now = overrides.createdAt ?? new Date();
  const taskId = overrides.taskId ?? newTaskId();
  return {
    v: 1,
    taskId,
    userHash: 'a'.repeat(64),
    batchId: null,
    source: 'upload',
    bucket: 'test-uploads',
    object: `users/${'a'.repeat(64)}/${taskId}/doc.png`,
    generation: '1',
    size: 1000,
    contentType: 'image/png',
    fileName: 'doc.png',
    languages: ['eng'],
    priority: 'high',
    status: 'QUEUED',
    progress: 0,
    message: 'queued',
    attempts: 0,
    maxAttempts: 3,
    lease: null,
    error: null,
    summary: null,
    callbackUrl: null,
    createdAt: now,
    updatedAt: now,
    dispatchedAt: null,
    startedAt: null,
    completedAt: null,
    processingMs: null,
    waitMs: null,
    expireAt: null,
    ...overrides,
  };
}
