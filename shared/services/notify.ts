/**
 * Telling the world a task finished: an event on the ocr-events topic, and a signed POST to the
 * caller's callbackUrl (HMAC-SHA256 over timestamp + body, retried a few times). The payload has
 * the status and summary, never the document's text.
 */
import { createHmac } from 'node:crypto';
import type { Task } from '../core/task.ts';
import type { Queue, TaskEvent } from '../adapters/pubsub.ts';
import type { Logger } from '../log.ts';

export interface NotifyDeps {
  queue: Pick<Queue, 'publishEvent'>;
  log: Logger;
  webhookSecret?: string | undefined;
  fetch?: typeof fetch;
  /** Waits between webhook attempts, in ms. */
  retryDelaysMs?: readonly number[];
  /** Only with the emulators: callbacks to loopback and private addresses (a local receiver). */
  allowPrivateCallbacks?: boolean;
}

/**
 * Callback hosts we never call in the cloud: loopback, private and link-local addresses and the
 * metadata server, so a callbackUrl cannot aim the worker at the project's own insides.
 */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host === 'metadata.google.internal' || host.endsWith('.internal')) return true;
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  return host === '::1' || host === '::' || host.startsWith('fc') || host.startsWith('fd') || host.startsWith('fe80') || host.startsWith('::ffff:');
}

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export async function notifyFinished(task: Task, deps: NotifyDeps): Promise<void> {
  const event: TaskEvent = {
    v: 1,
    type: task.status === 'COMPLETED' ? 'task.completed' : 'task.failed',
    taskId: task.taskId,
    userHash: task.userHash,
    status: task.status,
    error: task.error,
    at: new Date().toISOString(),
  };
  const log = deps.log.child({ taskId: task.taskId, userHash: task.userHash });
  try {
    await deps.queue.publishEvent(event);
  } catch (err) {
    log.warn('publishing the task event failed', { error: err });
  }
  if (task.callbackUrl) await postCallback(task, event, deps, log);
}

async function postCallback(task: Task, event: TaskEvent, deps: NotifyDeps, log: Logger): Promise<void> {
  if (!deps.allowPrivateCallbacks && isPrivateHost(new URL(task.callbackUrl!).hostname)) {
    log.warn('callback to a private or internal address refused');
    return;
  }
  const body = JSON.stringify({ ...event, batchId: task.batchId, summary: task.summary });
  const delays = deps.retryDelaysMs ?? [1000, 4000];
  const doFetch = deps.fetch ?? fetch;
  for (let attempt = 0; attempt <= delays.length; attempt++) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-docvault-timestamp': timestamp, 'x-docvault-event': event.type };
    if (deps.webhookSecret) headers['x-docvault-signature'] = signWebhook(deps.webhookSecret, timestamp, body);
    try {
      const res = await doFetch(task.callbackUrl!, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
      if (res.ok) {
        log.info('callback delivered', { status: res.status, attempt: attempt + 1 });
        return;
      }
      if (res.status < 500 && res.status !== 429) {
        log.warn('callback refused; not retried', { status: res.status });
        return;
      }
      log.warn('callback failed', { status: res.status, attempt: attempt + 1 });
    } catch (err) {
      log.warn('callback failed', { error: err, attempt: attempt + 1 });
    }
    const delay = delays[attempt];
    if (delay !== undefined) await new Promise((r) => setTimeout(r, delay));
  }
}
