import { newTaskId, queuedTask, type Task } from '../../shared/core/task.ts';

export function makeTask(overrides: Partial<Task> = {}): Task {
  const now = overrides.createdAt ?? new Date();
  const taskId = overrides.taskId ?? newTaskId();
  const userHash = overrides.userHash ?? 'a'.repeat(64);
  const base = queuedTask(
    {
      taskId,
      userHash,
      batchId: null,
      source: 'upload',
      bucket: 'test-uploads',
      object: `users/${userHash}/${taskId}/doc.png`,
      generation: '1',
      size: 1000,
      contentType: 'image/png',
      fileName: 'doc.png',
      languages: ['eng'],
      priority: 'high',
      maxAttempts: 3,
      callbackUrl: null,
    },
    now,
  );
  return { ...base, ...overrides };
}
