/**
 * Telling the world a task finished: an event on the ocr-events topic, and a signed POST to the
 * caller's callbackUrl (HMAC-SHA256 over timestamp + body, retried a few times). The payload has
 * the status and summary, never the document's text.
 */
import { createHmac } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import ipaddr from 'ipaddr.js';
import type { Task } from '../core/task.ts';
import type { Queue, TaskEvent } from '../adapters/pubsub.ts';
import type { Logger } from '../log.ts';

export interface NotifyDeps {
  queue: Pick<Queue, 'publishEvent'>;
  log: Logger;
  webhookSecret?: string | undefined;
  /** Waits between webhook attempts, in ms. */
  retryDelaysMs?: readonly number[];
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
 * Per attempt. The worker awaits its callback before taking the next document, so a receiver that
 * never answers costs at most three of these plus the waits between them (~20 s), not more.
 */
const CALLBACK_TIMEOUT_MS = 5_000;

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
  const url = new URL(task.callbackUrl!);
  const allowPrivate = Boolean(deps.allowPrivateCallbacks);
  if (!allowPrivate && isPrivateHost(url.hostname)) {
    log.warn('callback to a private or internal address refused');
    return;
  }
  const body = JSON.stringify({ ...event, batchId: task.batchId, summary: task.summary });
  const delays = deps.retryDelaysMs ?? [1000, 4000];
  for (let attempt = 0; attempt <= delays.length; attempt++) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-docvault-timestamp': timestamp, 'x-docvault-event': event.type };
    if (deps.webhookSecret) headers['x-docvault-signature'] = signWebhook(deps.webhookSecret, timestamp, body);
    try {
      const status = await post(url, headers, body, CALLBACK_TIMEOUT_MS, allowPrivate);
      if (status >= 200 && status < 300) {
        log.info('callback delivered', { status, attempt: attempt + 1 });
        return;
      }
      if (status < 500 && status !== 429) {
        log.warn('callback refused; not retried', { status });
        return;
      }
      log.warn('callback failed', { status, attempt: attempt + 1 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EPRIVATEADDRESS') {
        log.warn('callback to a private or internal address refused');
        return;
      }
      log.warn('callback failed', { error: err, attempt: attempt + 1 });
    }
    const delay = delays[attempt];
    if (delay !== undefined) await new Promise((r) => setTimeout(r, delay));
  }
}

/** The webhook settings from the config, the same for every function and the CLI. */
export function notifySettings(config: { WEBHOOK_SECRET?: string | undefined; usingEmulators: boolean }): Pick<NotifyDeps, 'webhookSecret' | 'allowPrivateCallbacks'> {
  return { webhookSecret: config.WEBHOOK_SECRET, allowPrivateCallbacks: config.usingEmulators };
}
