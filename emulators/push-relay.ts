/**
 * Pub/Sub push for the local suite's workers, with the push concurrency of a deployment rather than the emulator's.
 *
 * The gcloud Pub/Sub emulator keeps at most 2 pushes outstanding per push subscription (bench/push-concurrency.ts
 * measures it), fewer than one local worker process has slots: each slot then waited for its next push through the
 * end of the last one (its writes, the next admission). In the cloud a push subscription delivers as many at once as
 * the worker service's instances take. So locally the worker subscriptions are pull subscriptions with the same ack
 * deadline, retry and dead-letter policies, and this relay pulls each with the real client and POSTs every message to
 * the endpoint the push subscription would have, as Pub/Sub push does:
 * - the push body of the emulator and the service (message with data, attributes, ids and publish time; the
 *   subscription; the delivery attempt when a dead-letter policy counts them);
 * - acknowledged on 102, 200, 201, 202 or 204; any other answer, an endpoint that cannot be reached, or no answer
 *   within the subscription's ack deadline is a negative acknowledgement: the emulator delivers the message again
 *   after the subscription's retry policy's back-off and dead-letters it after its maximum delivery attempts;
 * - at most `concurrency` pushes outstanding per subscription.
 * The functions it pushes to run the same code as in the cloud.
 */
import { request } from 'node:http';
import { Duration, PubSub, type Message, type Subscription } from '@google-cloud/pubsub';

/** One subscription to relay and the URL its pushes go to (the push endpoint the cloud's subscription has). */
export interface PushRoute {
  subscription: string;
  endpoint: string;
}

export interface PushRelayOptions {
  projectId: string;
  routes: PushRoute[];
  /** Pushes outstanding at once, per subscription. */
  concurrency: number;
}

export interface PushRelayStats {
  pushed: number;
  acked: number;
  nacked: number;
  /** Most pushes outstanding at once on one subscription. */
  peakOutstanding: number;
}

export interface PushRelay {
  stats: PushRelayStats;
  stop(): Promise<void>;
}

/**
 * Pushes outstanding per subscription for `workers` processes of `slotsPerWorker` slots (WORKER_SLOTS) each: every slot
 * busy and one more push waiting at its gate, so a slot freed while the last push finishes (its writes, the user's next
 * admission) takes the next document at once. In the cloud the worker service's instances set it (one document each).
 */
export function pushConcurrency(slotsPerWorker: number, workers: number): number {
  return 2 * slotsPerWorker * workers;
}

/** The answers Pub/Sub push takes as an acknowledgement; any other is a negative one. */
export const PUSH_SUCCESS_CODES: ReadonlySet<number> = new Set([102, 200, 201, 202, 204]);

/** The JSON body Pub/Sub pushes for a message (both spellings of the ids and time, as the emulator sends them). */
export function pushBody(message: Message, subscription: string): Record<string, unknown> {
  const publishTime = message.publishTime.toISOString();
  return {
    message: { data: message.data.toString('base64'), attributes: message.attributes, messageId: message.id, message_id: message.id, publishTime, publish_time: publishTime },
    subscription,
    ...(message.deliveryAttempt > 0 ? { deliveryAttempt: message.deliveryAttempt } : {}),
  };
}

/**
 * Starts relaying every route. stop() ends the pushes under way (their messages are delivered again, as a push to an
 * endpoint that went away is) and closes the subscribers, giving back what they hold.
 */
export async function startPushRelay(options: PushRelayOptions): Promise<PushRelay> {
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new RangeError(`push concurrency must be a whole number ≥ 1, not ${options.concurrency}`);
  const pubsub = new PubSub({ projectId: options.projectId });
  const stats: PushRelayStats = { pushed: 0, acked: 0, nacked: 0, peakOutstanding: 0 };
  const stopping = new AbortController();
  const subscribers: Subscription[] = [];
  const stop = async () => {
    stopping.abort();
    await Promise.allSettled(subscribers.map((s) => s.close()));
    await pubsub.close();
  };
  try {
    for (const route of options.routes) subscribers.push(await relay(pubsub, route, { concurrency: options.concurrency, stats, signal: stopping.signal }));
  } catch (err) {
    await stop();
    throw err;
  }
  return { stats, stop };
}

async function relay(pubsub: PubSub, route: PushRoute, { concurrency, stats, signal }: { concurrency: number; stats: PushRelayStats; signal: AbortSignal }): Promise<Subscription> {
  const [metadata] = await pubsub.subscription(route.subscription).getMetadata();
  const ackDeadlineSeconds = Number(metadata.ackDeadlineSeconds ?? 10);
  const name = `projects/${pubsub.projectId}/subscriptions/${route.subscription}`;
  const ackDeadline = Duration.from({ seconds: ackDeadlineSeconds });
  const subscriber = pubsub.subscription(route.subscription, {
    flowControl: { maxMessages: concurrency, allowExcessMessages: false },
    // Each message leased for the subscription's ack deadline from the start, as a push is given it to answer, and no
    // longer. With the client's own deadline (10 s, then extended) the emulator delivered again messages that were
    // waiting for a free push or being pushed, and each was pushed once more after its acknowledgement.
    minAckDeadline: ackDeadline,
    maxAckDeadline: ackDeadline,
    maxExtensionTime: ackDeadline,
    closeOptions: { behavior: 'NACK' },
    // One stream, as one push subscription sends: the client's default five split the messages between them, and
    // a lane's messages were pushed out of their publish order (a user's task published after another's went first).
    streamingOptions: { maxStreams: 1 },
  });
  let outstanding = 0;
  subscriber.on('message', (message: Message) => {
    outstanding += 1;
    stats.peakOutstanding = Math.max(stats.peakOutstanding, outstanding);
    void push(route.endpoint, pushBody(message, name), AbortSignal.any([signal, AbortSignal.timeout(ackDeadlineSeconds * 1000)])).then((acked) => {
      outstanding -= 1;
      stats.pushed += 1;
      if (acked) {
        stats.acked += 1;
        message.ack();
      } else {
        stats.nacked += 1;
        message.nack();
      }
    });
  });
  // A stream error (the emulator restarting) is retried by the client; nothing here to add.
  subscriber.on('error', () => undefined);
  return subscriber;
}

/**
 * One push: true when the endpoint acknowledged it before `signal` (the ack deadline, or the relay's stop). node:http
 * rather than fetch: fetch gives up on an answer after 300 s (its headers timeout), and a long document's push may
 * take the whole ack deadline.
 */
function push(endpoint: string, body: Record<string, unknown>, signal: AbortSignal): Promise<boolean> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve) => {
    const req = request(endpoint, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': payload.length }, signal }, (res) => {
      res.resume();
      res.on('end', () => resolve(PUSH_SUCCESS_CODES.has(res.statusCode ?? 0)));
      res.on('error', () => resolve(false));
    });
    req.on('error', () => resolve(false));
    req.end(payload);
  });
}
