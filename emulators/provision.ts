/**
 * Creates what the local suite needs in the emulators, from the same names the cloud uses
 * (shared/names.ts): buckets, topics, the workers' push subscriptions with retry and dead-letter
 * policies. Idempotent: running it again changes nothing.
 */
import { PubSub, type CreateSubscriptionOptions } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { CALLBACK_MAX_ATTEMPTS } from '../shared/core/callback-delivery.ts';
import {
  CALLBACK_DEAD_LETTER_SUBSCRIPTION,
  CALLBACK_DEAD_LETTER_TOPIC,
  CALLBACK_SUBSCRIPTION,
  DEAD_LETTER_SUBSCRIPTION,
  DEAD_LETTER_TOPIC,
  EVENTS_TOPIC,
  OBJECT_METADATA,
  PRIORITY_TOPICS,
  WORKER_SUBSCRIPTIONS,
} from '../shared/names.ts';
import type { Priority } from '../shared/core/task.ts';
import type { PushRoute } from './push-relay.ts';

export interface ProvisionOptions {
  projectId: string;
  buckets: string[];
  /** Base URL of the OCR worker for each priority (a functions-framework server); no push when absent. */
  workerUrls?: Partial<Record<Priority, string>>;
  /** Base URL of the callbacks function (ocr-events → the tasks' callbacks); no push when absent. */
  callbacksUrl?: string;
  /** Deliveries before Pub/Sub moves a message to the dead-letter topic (the worker gives up earlier itself). */
  maxDeliveryAttempts?: number;
  /** Seconds a push may run before Pub/Sub delivers it again; OCR of a long document takes minutes. */
  ackDeadlineSeconds?: number;
  minimumBackoffSeconds?: number;
  maximumBackoffSeconds?: number;
  /** Pages (the web console) that upload to this bucket with signed resumable URLs from a browser. */
  browserUploads?: { bucket: string; origins: string[] };
  /**
   * The worker subscriptions as pull subscriptions (the same deadlines and policies) whose pushes a relay makes
   * (push-relay.ts: the emulator's own push delivers 2 at a time): their routes are returned. Default: pushed by the emulator.
   */
  relayPushes?: boolean;
}

export interface Provisioned {
  /** The worker subscriptions a push relay delivers (relayPushes), with the endpoints they push to. */
  pushRoutes: PushRoute[];
}

/**
 * The bucket CORS rule browser uploads with signed resumable URLs need, as infra/storage.tf sets it
 * for upload_cors_origins: a POST opens the session (its URI in Location), PUTs carry the bytes.
 */
export function browserUploadCors(origins: string[]) {
  const headers = ['Content-Type', 'Content-Range', 'Range', 'Location', 'x-goog-resumable', 'x-goog-if-generation-match', 'x-goog-content-length-range'];
  return [
    {
      origin: origins,
      method: ['POST', 'PUT', 'OPTIONS'],
      responseHeader: [...headers, ...Object.values(OBJECT_METADATA).map((key) => `x-goog-meta-${key}`)],
      maxAgeSeconds: 3600,
    },
  ];
}

function isAlreadyExists(err: unknown): boolean {
  const e = err as { code?: number };
  return e.code === 6 || e.code === 409;
}

export async function provision(options: ProvisionOptions): Promise<Provisioned> {
  await provisionBuckets(options);
  const pubsub = new PubSub({ projectId: options.projectId });
  try {
    await provisionTopics(pubsub);
    if (options.callbacksUrl) await provisionCallbackSubscription(pubsub, options.projectId, options.callbacksUrl);
    return { pushRoutes: await provisionWorkerSubscriptions(pubsub, options) };
  } finally {
    await pubsub.close();
  }
}

async function provisionBuckets(options: ProvisionOptions): Promise<void> {
  const storage = new Storage({ projectId: options.projectId });
  for (const bucket of options.buckets) {
    await storage.createBucket(bucket).catch((err: unknown) => {
      if (!isAlreadyExists(err)) throw err;
    });
  }
  if (options.browserUploads) {
    await storage.bucket(options.browserUploads.bucket).setMetadata({ cors: browserUploadCors(options.browserUploads.origins) });
  }
}

/** Every topic, and the pull subscriptions that keep what lands in the dead-letter topics. */
async function provisionTopics(pubsub: PubSub): Promise<void> {
  for (const topic of [...Object.values(PRIORITY_TOPICS), DEAD_LETTER_TOPIC, EVENTS_TOPIC, CALLBACK_DEAD_LETTER_TOPIC]) {
    await pubsub.createTopic(topic).catch((err: unknown) => {
      if (!isAlreadyExists(err)) throw err;
    });
  }
  for (const [topic, sink] of [
    [DEAD_LETTER_TOPIC, DEAD_LETTER_SUBSCRIPTION],
    [CALLBACK_DEAD_LETTER_TOPIC, CALLBACK_DEAD_LETTER_SUBSCRIPTION],
  ] as const) {
    await pubsub
      .topic(topic)
      .createSubscription(sink)
      .catch((err: unknown) => {
        if (!isAlreadyExists(err)) throw err;
      });
  }
}

async function provisionCallbackSubscription(pubsub: PubSub, projectId: string, callbacksUrl: string): Promise<void> {
  // One attempt per delivery (at most one callback timeout), retried with backoff; the
  // function gives up after CALLBACK_MAX_ATTEMPTS itself, the dead-letter policy is a backstop.
  await replaceSubscription(pubsub, EVENTS_TOPIC, CALLBACK_SUBSCRIPTION, {
    pushConfig: { pushEndpoint: `${callbacksUrl.replace(/\/$/, '')}/projects/${projectId}/topics/${EVENTS_TOPIC}` },
    ackDeadlineSeconds: 30,
    retryPolicy: { minimumBackoff: { seconds: 1 }, maximumBackoff: { seconds: 60 } },
    deadLetterPolicy: {
      deadLetterTopic: `projects/${projectId}/topics/${CALLBACK_DEAD_LETTER_TOPIC}`,
      maxDeliveryAttempts: CALLBACK_MAX_ATTEMPTS + 2,
    },
  });
}

/** Each priority topic pushes to the worker's URL for it (or its relay does: the routes returned). */
async function provisionWorkerSubscriptions(pubsub: PubSub, options: ProvisionOptions): Promise<PushRoute[]> {
  const routes: PushRoute[] = [];
  for (const priority of Object.keys(PRIORITY_TOPICS) as Priority[]) {
    const base = options.workerUrls?.[priority];
    if (!base) continue;
    const topic = PRIORITY_TOPICS[priority];
    // functions-framework turns a push into a Pub/Sub CloudEvent only on this path.
    const pushEndpoint = `${base.replace(/\/$/, '')}/projects/${options.projectId}/topics/${topic}`;
    const settings = {
      ...(options.relayPushes ? {} : { pushConfig: { pushEndpoint } }),
      ackDeadlineSeconds: options.ackDeadlineSeconds ?? 600,
      retryPolicy: {
        minimumBackoff: { seconds: options.minimumBackoffSeconds ?? 2 },
        maximumBackoff: { seconds: options.maximumBackoffSeconds ?? 60 },
      },
      deadLetterPolicy: {
        deadLetterTopic: `projects/${options.projectId}/topics/${DEAD_LETTER_TOPIC}`,
        maxDeliveryAttempts: options.maxDeliveryAttempts ?? 15,
      },
    };
    await replaceSubscription(pubsub, topic, WORKER_SUBSCRIPTIONS[priority], settings);
    if (options.relayPushes) routes.push({ subscription: WORKER_SUBSCRIPTIONS[priority], endpoint: pushEndpoint });
  }
  return routes;
}

/** A push subscription made anew: the function's URL changes with every launch. */
async function replaceSubscription(pubsub: PubSub, topic: string, name: string, settings: CreateSubscriptionOptions): Promise<void> {
  const subscription = pubsub.subscription(name);
  const [exists] = await subscription.exists();
  if (exists) await subscription.delete();
  await pubsub.topic(topic).createSubscription(name, settings);
}
