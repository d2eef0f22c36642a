/**
 * Names of the cloud resources, declared once. The local launcher, the functions and the infra
 * test all read these, so local and cloud cannot drift apart.
 */
import type { Priority } from './core/task.ts';

export const PRIORITY_TOPICS: Readonly<Record<Priority, string>> = {
  high: 'ocr-high',
  normal: 'ocr-normal',
  low: 'ocr-low',
};
export const DEAD_LETTER_TOPIC = 'ocr-dead-letter';
export const EVENTS_TOPIC = 'ocr-events';
/** Push subscription on ocr-events feeding the callbacks function, and where its undeliverable callbacks go. */
export const CALLBACK_SUBSCRIPTION = 'ocr-events-callbacks';
export const CALLBACK_DEAD_LETTER_TOPIC = 'ocr-callbacks-dead-letter';
/** Pull subscription keeping the given-up callbacks for an operator. */
export const CALLBACK_DEAD_LETTER_SUBSCRIPTION = 'ocr-callbacks-dead-letter-sink';

/** Push subscriptions that feed the OCR worker deployments, one per priority topic. */
export const WORKER_SUBSCRIPTIONS: Readonly<Record<Priority, string>> = {
  high: 'ocr-high-worker',
  normal: 'ocr-normal-worker',
  low: 'ocr-low-worker',
};
/** Pull subscription on the dead-letter topic; its messages mark their tasks FAILED. */
export const DEAD_LETTER_SUBSCRIPTION = 'ocr-dead-letter-sink';

/** `shards`: the page-range parts of a large document, internal to the workers (never listed as tasks); `contentIndex`: results by content key, for reuse; `admission`: one per user, serialising the admission of their held tasks. */
export const COLLECTIONS = { tasks: 'tasks', batches: 'batches', shards: 'shards', contentIndex: 'contentIndex', admission: 'admission' } as const;

/** Function deploy names; each equals its folder under functions/. */
export const FUNCTION_NAMES = ['upload', 'dispatch', 'ocr-worker', 'api', 'callbacks'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** Object metadata keys the upload function sets and dispatch reads. */
export const OBJECT_METADATA = {
  taskId: 'docvault-task-id',
  batchId: 'docvault-batch-id',
  priority: 'docvault-priority',
  languages: 'docvault-languages',
  callbackUrl: 'docvault-callback-url',
  originalName: 'docvault-original-name',
  source: 'docvault-source',
  /** An encrypted PDF's password sealed under PASSWORD_KEY (core/sealed-password.ts; docvault ingest --password): ciphertext only. */
  sealedPassword: 'docvault-sealed-password',
} as const;

/** What a caller chose for a document, as the object metadata dispatch reads back: upload's objects and `docvault ingest`'s alike. */
export function choiceMetadata(
  choices: { priority?: Priority | undefined; languages?: readonly string[] | undefined; callbackUrl?: string | undefined; sealedPassword?: string | null | undefined },
  batchId?: string,
): Record<string, string> {
  const m: Record<string, string> = {};
  if (batchId) m[OBJECT_METADATA.batchId] = batchId;
  if (choices.priority) m[OBJECT_METADATA.priority] = choices.priority;
  if (choices.languages?.length) m[OBJECT_METADATA.languages] = choices.languages.join('+');
  if (choices.callbackUrl) m[OBJECT_METADATA.callbackUrl] = choices.callbackUrl;
  if (choices.sealedPassword) m[OBJECT_METADATA.sealedPassword] = choices.sealedPassword;
  return m;
}

/**
 * Longest original file name kept in metadata, as stored (header-safe, see core/header-text.ts):
 * Cloud Storage allows 8 KiB of custom metadata per object in all.
 */
export const MAX_ORIGINAL_NAME_METADATA = 2048;

/** Bucket names used by the local suite (the cloud ones come from the environment). */
export const LOCAL_BUCKETS = { uploads: 'docvault-uploads', results: 'docvault-results', models: 'docvault-models' } as const;

/**
 * The local suite's stand-ins for the cloud's secrets: fine on a laptop, refused nowhere else
 * because the cloud reads its own from Secret Manager.
 */
export const LOCAL_SECRETS = {
  userHash: 'docvault-local-user-hash-secret',
  webhook: 'docvault-local-webhook-secret',
} as const;

/** Default ports of `npm start`; each can be moved with an environment variable of the same name. */
export const LOCAL_PORTS = {
  STORAGE_PORT: 9023,
  PUBSUB_PORT: 8085,
  FIRESTORE_PORT: 8086,
  UPLOAD_PORT: 8081,
  API_PORT: 8082,
  DISPATCH_PORT: 8083,
  WORKER_PORT: 8084,
  CALLBACKS_PORT: 8087,
} as const;
