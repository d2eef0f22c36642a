import type { TaskView } from '../../shared/services/api.ts';

/** Merges changed tasks into the list: replaced where shown, added on top when new and matching the filter. */
export function mergeTasks(shown: TaskView[], changed: TaskView[], status: string): TaskView[] {
  const byId = new Map(changed.map((t) => [t.taskId, t]));
  const next = shown.map((t) => byId.get(t.taskId) ?? t).filter((t) => !status || t.status === status || !byId.has(t.taskId));
  const known = new Set(shown.map((t) => t.taskId));
  const newest = shown[0]?.createdAt ?? '';
  const fresh = changed.filter((t) => !known.has(t.taskId) && (!status || t.status === status) && t.createdAt >= newest);
  return [...fresh.sort((a, b) => b.createdAt.localeCompare(a.createdAt)), ...next];
}
