import { randomUUID } from 'node:crypto';
import { objectResource } from './resources.ts';
import type { ObjectEvent, ObjectEventType } from './storage.ts';
import type { NotificationRecord } from './types.ts';
import pLimit, { type LimitFunction } from 'p-limit';

/**
 * A place CloudEvents go: every bucket's events of every type unless `buckets` and `eventTypes`
 * narrow them (an Eventarc trigger is for one bucket and one type).
 */
export interface EventTarget {
  url: string;
  eventTypes?: ObjectEventType[];
  /** Only events of objects in these buckets; all buckets when absent. */
  buckets?: string[];
}

export interface DeliveryOptions {
  /** First retry after this, doubling up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * Requests in flight at once per receiver (default 16). Unbounded, a burst of thousands of
   * objects overwhelms one function process and turns into time-outs and retries.
   */
  maxInFlightPerTarget?: number;
  /** Give up on one delivery after this long (Eventarc keeps trying for 24 h; locally less is plenty). */
  retryDeadlineMs?: number;
  /** `host:port` of the Pub/Sub emulator, for notification configs. */
  pubsubEmulatorHost?: string;
  /** The emulator's own base URL, used in selfLink/mediaLink of event payloads. */
  baseUrl: () => string;
  log?: (entry: Record<string, unknown>) => void;
}

const DEFAULTS = { initialBackoffMs: 200, maxBackoffMs: 5_000, retryDeadlineMs: 10 * 60_000, maxInFlightPerTarget: 16 };

/** Pub/Sub notification event names for each CloudEvent type. */
const NOTIFICATION_EVENT: Record<ObjectEventType, string> = {
  finalized: 'OBJECT_FINALIZE',
  deleted: 'OBJECT_DELETE',
  archived: 'OBJECT_ARCHIVE',
  metadataUpdated: 'OBJECT_METADATA_UPDATE',
};

/**
 * Delivers object events: CloudEvents (binary mode, as Eventarc does) to HTTP targets and
 * GCS-style notifications to the Pub/Sub emulator. Each delivery retries with exponential backoff
 * while the receiver is down or answers 5xx/429, so a trigger that starts late misses nothing.
 */
export class EventDispatcher {
  readonly #targets: EventTarget[] = [];
  readonly #options: Required<Omit<DeliveryOptions, 'pubsubEmulatorHost' | 'log'>> & Pick<DeliveryOptions, 'pubsubEmulatorHost' | 'log'>;
  readonly #pending = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  /** Requests in flight per receiver, capped as a real trigger is paced by its receiver's instances. */
  readonly #inFlight = new Map<string, LimitFunction>();
  #delivered = 0;
  #failed = 0;

  constructor(targets: (string | EventTarget)[], options: DeliveryOptions) {
    this.#options = { ...DEFAULTS, ...options };
    for (const t of targets) this.addTarget(t);
  }

  addTarget(target: string | EventTarget): void {
    this.#targets.push(typeof target === 'string' ? { url: target } : target);
  }

  get stats(): { pending: number; delivered: number; failed: number } {
    return { pending: this.#pending.size, delivered: this.#delivered, failed: this.#failed };
  }

  dispatch(event: ObjectEvent): void {
    const resource = objectResource(event.object, this.#options.baseUrl());
    for (const target of this.#targets) {
      if (target.eventTypes && !target.eventTypes.includes(event.type)) continue;
      if (target.buckets && !target.buckets.includes(event.object.bucket)) continue;
      this.#track(this.#deliverCloudEvent(target.url, event, resource));
    }
    this.#notify(event, resource);
  }

  #notify(event: ObjectEvent, resource: Record<string, unknown>): void {
    const eventType = NOTIFICATION_EVENT[event.type];
    for (const n of event.notifications) {
      if (n.eventTypes && !n.eventTypes.includes(eventType)) continue;
      if (n.objectNamePrefix && !event.object.name.startsWith(n.objectNamePrefix)) continue;
      this.#track(this.#publish(n, event, eventType, resource));
    }
  }

  /** Resolves when every delivery started so far has succeeded or given up. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  stop(): void {
    this.#abort.abort();
  }

  #track(p: Promise<void>): void {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  async #deliverCloudEvent(url: string, event: ObjectEvent, resource: Record<string, unknown>): Promise<void> {
    const o = event.object;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': randomUUID(),
      'ce-source': `//storage.googleapis.com/projects/_/buckets/${o.bucket}`,
      'ce-type': `google.cloud.storage.object.v1.${event.type}`,
      'ce-subject': ceHeaderValue(`objects/${o.name}`),
      'ce-time': event.type === 'metadataUpdated' ? o.updated : (o.timeDeleted ?? o.timeCreated),
      'ce-bucket': ceHeaderValue(o.bucket),
    };
    const body = JSON.stringify(resource);
    await this.#withRetry(url, { method: 'POST', headers, body }, { ceType: headers['ce-type'], object: `${o.bucket}/${o.name}` });
  }

  async #publish(n: NotificationRecord, event: ObjectEvent, eventType: string, resource: Record<string, unknown>): Promise<void> {
    const host = this.#options.pubsubEmulatorHost;
    if (!host) {
      this.#options.log?.({ severity: 'WARNING', message: 'notification config present but no Pub/Sub emulator host set', topic: n.topic });
      return;
    }
    const o = event.object;
    const attributes: Record<string, string> = {
      ...n.customAttributes,
      notificationConfig: `projects/_/buckets/${o.bucket}/notificationConfigs/${n.id}`,
      eventType,
      payloadFormat: n.payloadFormat,
      bucketId: o.bucket,
      objectId: o.name,
      objectGeneration: String(o.generation),
      eventTime: new Date().toISOString(),
    };
    if (event.overwroteGeneration !== undefined) attributes.overwroteGeneration = String(event.overwroteGeneration);
    if (event.overwrittenByGeneration !== undefined) attributes.overwrittenByGeneration = String(event.overwrittenByGeneration);
    const message: Record<string, unknown> = { attributes };
    message.data = n.payloadFormat === 'JSON_API_V1' ? Buffer.from(JSON.stringify(resource)).toString('base64') : '';
    const url = `http://${host}/v1/${n.topic}:publish`;
    await this.#withRetry(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [message] }) },
      { topic: n.topic, eventType, object: `${o.bucket}/${o.name}` },
    );
  }

  #limit(url: string): LimitFunction {
    let limit = this.#inFlight.get(url);
    if (!limit) {
      limit = pLimit(this.#options.maxInFlightPerTarget);
      this.#inFlight.set(url, limit);
    }
    return limit;
  }

  async #withRetry(url: string, init: RequestInit, about: Record<string, unknown>): Promise<void> {
    const { initialBackoffMs, maxBackoffMs, retryDeadlineMs } = this.#options;
    try {
      // a request that cannot even be built (a header no HTTP message can carry) fails the same way
      // on every attempt: report it once, loudly, instead of retrying until the deadline
      new Request(url, init);
    } catch (err) {
      this.#failed++;
      const outcome = err instanceof Error ? err.message : String(err);
      this.#options.log?.({ severity: 'ERROR', message: 'event can never be delivered', url, outcome, ...about });
      return;
    }
    const deadline = Date.now() + retryDeadlineMs;
    let backoff = initialBackoffMs;
    for (let attempt = 1; ; attempt++) {
      if (this.#abort.signal.aborted) return;
      let outcome: string;
      try {
        const res = await this.#limit(url)(async () => {
          const r = await fetch(url, { ...init, signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(30_000)]) });
          await r.arrayBuffer().catch(() => undefined);
          return r;
        });
        if (res.ok) {
          this.#delivered++;
          return;
        }
        outcome = `HTTP ${res.status}`;
        if (res.status < 500 && res.status !== 429 && res.status !== 408) {
          // the receiver refused the event itself: retrying cannot help (Eventarc drops these too)
          this.#failed++;
          this.#options.log?.({ severity: 'ERROR', message: 'event rejected by target', url, status: res.status, ...about });
          return;
        }
      } catch (err) {
        if (this.#abort.signal.aborted) return;
        outcome = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
      }
      if (Date.now() + backoff > deadline) {
        this.#failed++;
        this.#options.log?.({ severity: 'ERROR', message: 'event delivery gave up', url, attempt, outcome, ...about });
        return;
      }
      // the first failure is worth a warning (a trigger not started yet?); the retries are not
      this.#options.log?.({
        severity: attempt === 1 ? 'WARNING' : 'DEBUG',
        message: 'event delivery will retry',
        url,
        attempt,
        outcome,
        backoffMs: backoff,
        ...about,
      });
      await sleep(backoff, this.#abort.signal);
      backoff = Math.min(backoff * 2, maxBackoffMs);
    }
  }
}

/**
 * A CloudEvents attribute as an HTTP header value: what a header cannot carry (control characters,
 * anything outside ASCII) percent-encoded as UTF-8, as the CloudEvents HTTP binding does, so an
 * object named `報告.png` still makes a valid request. Printable ASCII, spaces included, goes as is,
 * as a function behind Eventarc sees it.
 */
export function ceHeaderValue(value: string): string {
  return value.replace(/[^\x20-\x7e]+/gu, (s) => encodeURIComponent(s));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}
