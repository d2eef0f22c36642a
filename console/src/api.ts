/**
 * The console's calls: settings, sign-in headers and JSON over the api (same origin). Every error
 * answer of the service has one shape, { error: { code, message } }, and becomes an ApiError.
 */
import type { ConsoleSettings } from '../../shared/services/console.ts';
import type { BatchView, TaskList, TaskView } from '../../shared/services/api.ts';
import type { QueueStatsView } from '../../shared/lifecycle/stats.ts';
import type { OcrResult } from '../../shared/core/result.ts';
import { fileNameOf } from './file-name.ts';

export type { BatchView, ConsoleSettings, OcrResult, QueueStatsView, TaskList, TaskView };

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Who the console acts as: a Google ID token in the cloud, an email on the local emulators. */
export type Identity = { kind: 'local'; email: string } | { kind: 'google'; email: string; token: string };

let identity: Identity | null = null;
export const setIdentity = (next: Identity | null): void => {
  identity = next;
};
export const currentIdentity = (): Identity | null => identity;

export function authHeaders(): Record<string, string> {
  if (!identity) return {};
  return identity.kind === 'local' ? { 'x-user-email': identity.email } : { authorization: `Bearer ${identity.token}` };
}

/** An error answer (or a network failure) as an ApiError with the service's code. */
export async function errorOf(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    return new ApiError(res.status, body.error?.code ?? 'HTTP_' + res.status, body.error?.message ?? res.statusText);
  } catch {
    return new ApiError(res.status, 'HTTP_' + res.status, res.statusText || 'The server answered with an error.');
  }
}

/** Called when the api no longer accepts the sign-in (an ID token expires after an hour). */
let onSignInExpired: () => void = () => undefined;
export const whenSignInExpires = (handler: () => void): void => {
  onSignInExpired = handler;
};

export async function getJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(path, { ...init, headers: { ...authHeaders(), ...(init.headers as Record<string, string> | undefined) } });
  if (res.status === 401 && identity?.kind === 'google') onSignInExpired();
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

export const postJson = <T>(path: string, body: unknown = {}): Promise<T> =>
  getJson<T>(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

export const loadSettings = (): Promise<ConsoleSettings> => getJson<ConsoleSettings>('config');

/** GET /tasks with the api's own paging (`cursor` from the page before). */
export function listTasks(query: { status?: string; cursor?: string | null; limit?: number }): Promise<TaskList> {
  const params = new URLSearchParams({ limit: String(query.limit ?? 50) });
  if (query.status) params.set('status', query.status);
  if (query.cursor) params.set('cursor', query.cursor);
  return getJson<TaskList>(`tasks?${params}`);
}

export function getBatch(batchId: string, query: { status?: string; cursor?: string | null } = {}): Promise<BatchView> {
  const params = new URLSearchParams({ limit: '50' });
  if (query.status) params.set('status', query.status);
  if (query.cursor) params.set('cursor', query.cursor);
  return getJson<BatchView>(`batches/${encodeURIComponent(batchId)}?${params}`);
}

export const getTask = (taskId: string): Promise<TaskView> => getJson<TaskView>(`tasks/${encodeURIComponent(taskId)}`);
export const getResult = (taskId: string): Promise<OcrResult> => getJson<OcrResult>(`tasks/${encodeURIComponent(taskId)}/result?format=json`);
export const cancelTask = (taskId: string): Promise<TaskView> => postJson<TaskView>(`tasks/${encodeURIComponent(taskId)}/cancel`);
/** POST /tasks/{id}/password: a task that failed for want of its PDF's password, read again with it. */
export const retryWithPassword = (taskId: string, password: string): Promise<TaskView> => postJson<TaskView>(`tasks/${encodeURIComponent(taskId)}/password`, { password });
export const requeueFailed = (): Promise<{ requeued: number; skipped: number }> => postJson('queue/requeue-failed');
export const queueStats = (): Promise<QueueStatsView> => getJson<QueueStatsView>('queue/stats');

/** An authorised download (the api needs the sign-in header, so a plain link cannot do): fetched, then saved from a blob URL. */
export async function download(path: string, fallbackName: string): Promise<void> {
  const res = await fetch(path, { headers: authHeaders() });
  if (!res.ok) throw await errorOf(res);
  const name = fileNameOf(res.headers.get('content-disposition') ?? '') ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** An authorised image (a page preview) as a blob URL the page can show. */
export async function imageUrl(path: string): Promise<string> {
  const res = await fetch(path, { headers: authHeaders() });
  if (!res.ok) throw await errorOf(res);
  return URL.createObjectURL(await res.blob());
}
