/**
 * Telling the world a task finished: an event on the ocr-events topic, and (from there, by the
 * callbacks function) a signed POST to the caller's callbackUrl (HMAC-SHA256 over timestamp +
 * body). The payload has the status and summary, never the document's text.
 */
import { createHmac } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import ipaddr from 'ipaddr.js';
import { judgeStatus, type CallbackAttempt } from '../core/callback-delivery.ts';
import type { Task } from '../core/task.ts';
import type { Queue, TaskEvent } from '../adapters/pubsub.ts';
import type { Logger } from '../log.ts';

export interface NotifyDeps {
  queue: Pick<Queue, 'publishEvent'>;
  log: Logger;
  webhookSecret?: string | undefined;
  /** Only with the emulators: callbacks to loopback and private addresses (a local receiver). */
  allowPrivateCallbacks?: boolean;
}

/** An ordinary public unicast address: loopback, private, link-local, CGNAT, NAT64, multicast, reserved… are not. */
export function isPublicAddress(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return false;
  const address = ipaddr.process(ip); // an IPv4-mapped IPv6 address is judged as IPv4
  // ::/96 (the old IPv4-compatible form, ::7f00:1 = 127.0.0.1) is not in ipaddr.js's special ranges.
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).parts.slice(0, 6).every((p) => p === 0)) return false;
  return address.range() === 'unicast';
}

/**
 * Callback hosts refused by name, before any lookup: an IP literal that is not public, single-label
 * and trailing-dot names (metadata, localhost.), *.localhost and *.internal (the metadata server).
 * A name that passes is still resolved through publicLookup, which refuses private addresses.
 */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (ipaddr.isValid(host)) return !isPublicAddress(host);
  if (host.endsWith('.') || !host.includes('.')) return true;
  return host.endsWith('.localhost') || host.endsWith('.internal');
}

type LookupAll = (hostname: string) => Promise<Array<{ address: string; family: number }>>;
type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A dns.lookup for http.request that answers only when every address of the name is public, so the
 * address checked is the address connected to (a name cannot resolve public for the check and
 * private for the connection).
 */
export function publicLookup(resolveAll: LookupAll = (host) => lookup(host, { all: true })) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    resolveAll(hostname).then(
      (addresses) => {
        const first = addresses[0];
        if (!first || addresses.some((a) => !isPublicAddress(a.address))) {
          const err: NodeJS.ErrnoException = new Error(`${hostname} resolves to a private or reserved address`);
          err.code = 'EPRIVATEADDRESS';
          callback(err, '');
        } else if (options.all) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}

/** One POST, no redirects followed (a 3xx is an answer, not a new destination); resolves with the status. */
function post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number, allowPrivate: boolean): Promise<number> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, timeout: timeoutMs, ...(allowPrivate ? {} : { lookup: publicLookup() }) },
      (res) => {
        clearTimeout(deadline);
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    // `timeout` above is an idle limit (a receiver trickling its headers a byte at a time resets
    // it); this is the whole attempt's.
    const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => {
      clearTimeout(deadline);
      reject(err);
    });
    req.end(body);
  });
}

/**
 * One attempt's limit. Callbacks are posted by the callbacks function from the ocr-events topic,
 * never by the worker, so a receiver that never answers holds no OCR slot: only this delivery,
 * which Pub/Sub retries with backoff (CALLBACK_MAX_ATTEMPTS in all).
 */
const CALLBACK_TIMEOUT_MS = 5_000;

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The event of a finished task, as published on ocr-events and posted to its callback. */
export function finishedEvent(task: Task, at = new Date()): TaskEvent {
  return {
    v: 1,
    type: task.status === 'COMPLETED' ? 'task.completed' : 'task.failed',
    taskId: task.taskId,
    userHash: task.userHash,
    status: task.status,
    error: task.error,
    at: at.toISOString(),
  };
}

/**
 * Announces a finished task on the ocr-events topic. Its callback, if any, is delivered from there
 * by the callbacks function (services/callbacks.ts): a slow receiver costs the worker nothing.
 */
export async function notifyFinished(task: Task, deps: NotifyDeps): Promise<void> {
  try {
    await deps.queue.publishEvent(finishedEvent(task));
  } catch (err) {
    deps.log.warn('publishing the task event failed', { taskId: task.taskId, userHash: task.userHash, error: err });
  }
}

export type CallbackDeps = Pick<NotifyDeps, 'webhookSecret' | 'allowPrivateCallbacks'> & { timeoutMs?: number };

/** One signed POST of the event to the task's callbackUrl, judged (retrying is the caller's business). */
export async function postCallback(task: Task, event: TaskEvent, deps: CallbackDeps): Promise<CallbackAttempt> {
  const url = new URL(task.callbackUrl!);
  const allowPrivate = Boolean(deps.allowPrivateCallbacks);
  const privateRefusal: CallbackAttempt = { kind: 'refused', status: null, error: 'the callback address is private or internal' };
  if (!allowPrivate && isPrivateHost(url.hostname)) return privateRefusal;
  const body = JSON.stringify({ ...event, batchId: task.batchId, summary: task.summary });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-docvault-timestamp': timestamp, 'x-docvault-event': event.type };
  if (deps.webhookSecret) headers['x-docvault-signature'] = signWebhook(deps.webhookSecret, timestamp, body);
  try {
    return judgeStatus(await post(url, headers, body, deps.timeoutMs ?? CALLBACK_TIMEOUT_MS, allowPrivate));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPRIVATEADDRESS') return privateRefusal;
    return { kind: 'failed', status: null, error: (err as Error).message || String(err) };
  }
}

/** The webhook settings from the config, the same for every function and the CLI. */
export function notifySettings(config: { WEBHOOK_SECRET?: string | undefined; usingEmulators: boolean }): Pick<NotifyDeps, 'webhookSecret' | 'allowPrivateCallbacks'> {
  return { webhookSecret: config.WEBHOOK_SECRET, allowPrivateCallbacks: config.usingEmulators };
}
