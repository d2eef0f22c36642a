/**
 * The task: one document's way through the system, as stored in Firestore and carried between the
 * stages. Pure: identifiers, naming, priority and the status machine, with no cloud I/O.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { CallbackDelivery } from './callback-delivery.ts';
import { ErrorCode } from './errors.ts';

/**
 * PENDING: upload has answered and the task is visible, but its document is not in the bucket yet
 * (a signed upload awaiting its bytes) or dispatch has not taken it up; dispatch moves it to QUEUED.
 */
export const TaskStatus = z.enum(['PENDING', 'QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED']);
export type TaskStatus = z.infer<typeof TaskStatus>;

export const Priority = z.enum(['high', 'normal', 'low']);
export type Priority = z.infer<typeof Priority>;

/** How the object reached the uploads bucket. */
export const TaskSource = z.enum(['upload', 'signed-url', 'drop']);
export type TaskSource = z.infer<typeof TaskSource>;

export const TERMINAL_STATUSES: readonly TaskStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

/**
 * Allowed moves. Work only moves forward, with two deliberate ways back to QUEUED: a lease that
 * expired or a retryable failure (PROCESSING → QUEUED), and an operator's requeue (FAILED → QUEUED).
 */
const TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  PENDING: ['QUEUED', 'CANCELLED', 'FAILED'],
  QUEUED: ['PROCESSING', 'CANCELLED', 'FAILED'],
  PROCESSING: ['COMPLETED', 'FAILED', 'QUEUED', 'CANCELLED'],
  COMPLETED: [],
  FAILED: ['QUEUED'],
  CANCELLED: [],
};

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export const TaskError = z.object({ code: ErrorCode, message: z.string() });
export type TaskError = z.infer<typeof TaskError>;

export const TaskLease = z.object({ workerId: z.string(), expiresAt: z.date() });
export type TaskLease = z.infer<typeof TaskLease>;

export const ResultObjects = z.object({ json: z.string(), txt: z.string(), hocr: z.string(), pdf: z.string() });
export type ResultObjects = z.infer<typeof ResultObjects>;

export const TaskSummary = z.object({
  pages: z.number().int().nonnegative(),
  failedPages: z.number().int().nonnegative(),
  confidence: z.number(),
  languages: z.array(z.string()),
  category: z.string(),
  processingMs: z.number(),
  resultBucket: z.string(),
  objects: ResultObjects,
  /** Set when the result was copied from an earlier task of the same user with the same content (see core/result-reuse.ts). */
  dedupedFrom: z.string().optional(),
  dedupeReason: z.string().optional(),
});
export type TaskSummary = z.infer<typeof TaskSummary>;

/**
 * Where a task's events are POSTed: http or https, with no user name or password (they would sit in
 * object metadata and Firestore in plain text, and go out as Basic auth), kept as the URL's ASCII
 * serialisation (punycode host, percent-encoded path) so it fits in a header.
 */
export const CallbackUrl = z
  .string()
  .max(2048)
  .url()
  .refine((u) => /^https?:$/.test(new URL(u).protocol), 'callbackUrl must be an http or https URL')
  .refine((u) => {
    const url = new URL(u);
    return url.username === '' && url.password === '';
  }, 'callbackUrl must not carry a user name or password: sign the callbacks with the webhook secret instead')
  .transform((u) => new URL(u).href);

export const Task = z.object({
  v: z.literal(1),
  taskId: z.string(),
  userHash: z.string(),
  batchId: z.string().nullable(),
  source: TaskSource,
  bucket: z.string(),
  object: z.string(),
  generation: z.string(),
  size: z.number().int().nonnegative(),
  contentType: z.string().nullable(),
  fileName: z.string(),
  languages: z.array(z.string()).min(1),
  /** Its lane (the topic it goes to): the system's choice, by source and size (core/fairness.ts laneFor). */
  priority: Priority,
  /** The priority its caller asked for: it orders only the caller's own held tasks. */
  requestedPriority: Priority.nullable().default(null),
  status: TaskStatus,
  progress: z.number().min(0).max(100),
  message: z.string(),
  attempts: z.number().int().nonnegative(),
  maxAttempts: z.number().int().positive(),
  /** Times a FAILED task was put back in the queue (each with a fresh set of attempts); at most MAX_REQUEUES. */
  requeues: z.number().int().nonnegative().default(0),
  lease: TaskLease.nullable(),
  error: TaskError.nullable(),
  summary: TaskSummary.nullable(),
  callbackUrl: z.string().url().nullable(),
  /** The PDF's password sealed under PASSWORD_KEY (core/sealed-password.ts), only while the task needs it; never shown. */
  sealedPassword: z.string().nullable().default(null),
  /** How delivering the callback of the task's last finish went (null: no callback, or none tried yet). */
  callback: CallbackDelivery.nullable().default(null),
  createdAt: z.date(),
  updatedAt: z.date(),
  /** Set once the task was published to its priority topic (a retried event publishes it again if not). */
  dispatchedAt: z.date().nullable(),
  /** When per-user admission let it go to its lane (core/fairness.ts); null while it is held back. */
  admittedAt: z.date().nullable().default(null),
  startedAt: z.date().nullable(),
  completedAt: z.date().nullable(),
  /**
   * When its finish was announced (the event, and the dead letter of a task given up on); null until
   * then. A finisher killed before announcing leaves it null, and a later delivery announces it.
   */
  announcedAt: z.date().nullable().default(null),
  processingMs: z.number().nullable(),
  /** Time from creation to the first lease: how long the task waited in the queue. */
  waitMs: z.number().nullable(),
  /** When the task document may be deleted (a Firestore TTL policy acts on it). */
  expireAt: z.date().nullable(),
});
export type Task = z.infer<typeof Task>;

/** A task is requeued this many times at most: a document that keeps crashing the engine gets no endless supply of attempts. */
export const MAX_REQUEUES = 3;

/** What identifies a new task and how it is to be read; the rest starts the same for every task. */
export type NewTask = Pick<
  Task,
  'taskId' | 'userHash' | 'batchId' | 'source' | 'bucket' | 'object' | 'generation' | 'size' | 'contentType' | 'fileName' | 'languages' | 'priority' | 'maxAttempts' | 'callbackUrl'
> & { requestedPriority?: Priority | null; sealedPassword?: string | null };

export function queuedTask(fields: NewTask, now: Date): Task {
  return {
    v: 1,
    ...fields,
    requestedPriority: fields.requestedPriority ?? null,
    sealedPassword: fields.sealedPassword ?? null,
    status: 'QUEUED',
    progress: 0,
    message: 'queued',
    attempts: 0,
    requeues: 0,
    lease: null,
    error: null,
    summary: null,
    callback: null,
    createdAt: now,
    updatedAt: now,
    dispatchedAt: null,
    admittedAt: null,
    startedAt: null,
    completedAt: null,
    announcedAt: null,
    processingMs: null,
    waitMs: null,
    expireAt: null,
  };
}

/**
 * The task upload writes as it answers, before dispatch has seen the object: PENDING, and deleted
 * by the TTL policy at `expireAt` if its bytes never come (dispatch clears it when they do).
 */
export function pendingTask(fields: NewTask, now: Date, expireAt: Date): Task {
  return { ...queuedTask(fields, now), status: 'PENDING', message: 'awaiting the document', expireAt };
}

/** The message on the priority topics. Versioned: a worker refuses what it cannot read. */
export const OcrMessage = z.object({
  v: z.literal(1),
  taskId: z.string().min(1),
  bucket: z.string().min(1),
  name: z.string().min(1),
  generation: z.string().regex(/^\d+$/),
  priority: Priority,
  /** Set on a large document's shard: read only that shard's pages (see shards.ts). */
  shard: z.number().int().nonnegative().optional(),
  /** Whose task: the worker's fair share of its slots, and the admission of the user's next task. */
  userHash: z.string().optional(),
});
export type OcrMessage = z.infer<typeof OcrMessage>;

/** The message that puts a task on its priority topic (a shard's adds its index: shards.ts). */
export function messageFor(task: Task): OcrMessage {
  return { v: 1, taskId: task.taskId, bucket: task.bucket, name: task.object, generation: task.generation, priority: task.priority, userHash: task.userHash };
}

// ---------------------------------------------------------------------------------------------
// Identity and names

/**
 * An email as every entry point accepts it (the API's identity check, the CLI's --user and
 * user-prefix): ASCII only, so a look-alike such as a Cyrillic "а" or a fullwidth "ａ" is refused
 * rather than mapped to another prefix (NFKC would fold "ａlice" into "alice").
 */
export const Email = z.string().trim().max(320).email();

/** Lower-cased and NFKC-normalised, so the same mailbox always maps to the same prefix. */
export function normaliseEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase();
}

/** HMAC, not a plain hash: bucket paths must neither reveal an email nor let one be guessed. */
export function userHashOf(email: string, secret: string): string {
  return createHmac('sha256', secret).update(normaliseEmail(email)).digest('hex');
}

export const USER_HASH = /^[0-9a-f]{64}$/;
export const TASK_ID = /^[0-9a-f]{32}$/;

export function newTaskId(): string {
  return randomBytes(16).toString('hex');
}

/** For objects that arrive without one: the same object generation always gives the same id. */
export function derivedTaskId(bucket: string, name: string, generation: string): string {
  return createHash('sha256').update(`${bucket}\n${name}\n${generation}`).digest('hex').slice(0, 32);
}

export function userPrefix(userHash: string): string {
  return `users/${userHash}/`;
}

/** The folder of one task's objects: its upload, its results, page previews and shards, in either bucket. */
export function taskPrefix(userHash: string, taskId: string): string {
  return `${userPrefix(userHash)}${taskId}/`;
}

export function uploadObjectName(userHash: string, taskId: string, safeName: string): string {
  return `${taskPrefix(userHash, taskId)}${safeName}`;
}

export function resultObjectNames(userHash: string, taskId: string): ResultObjects {
  const base = taskPrefix(userHash, taskId);
  return { json: base + 'result.json', txt: base + 'text.txt', hocr: base + 'hocr.html', pdf: base + 'searchable.pdf' };
}

export interface ParsedUploadName {
  userHash: string;
  /** The task id in the path, when the object sits under users/{hash}/{taskId}/… */
  taskId: string | null;
  fileName: string;
}

/**
 * Reads an uploads-bucket object name. Objects outside `users/{userHash}/…` are not ours to
 * process (null). A drop straight into the user's folder has no task id in its path.
 */
export function parseUploadName(name: string): ParsedUploadName | null {
  const parts = name.split('/');
  if (parts.length < 3 || parts[0] !== 'users' || !USER_HASH.test(parts[1]!)) return null;
  const rest = parts.slice(2);
  const fileName = rest[rest.length - 1]!;
  if (fileName === '') return null; // a "folder" placeholder object
  const taskId = rest.length >= 2 && TASK_ID.test(rest[0]!) ? rest[0]! : null;
  return { userHash: parts[1]!, taskId, fileName };
}

const MAX_FILE_NAME = 120;

/**
 * A file name safe to put in an object path: ASCII letters, digits, `.`, `_` and `-` only (object
 * names travel in headers and URLs: event subjects, signed URLs), no directories or traversal,
 * accents folded (`résumé` → `resume`), bounded length with the extension kept. A name with no
 * such characters left becomes `document` with its extension (`報告.png` → `document.png`). The
 * name as typed stays in metadata, for display.
 */
export function safeFileName(original: string): string {
  const base = (original.split(/[\\/]/).pop() ?? '').normalize('NFKD').replace(/\p{M}/gu, '');
  const dot = base.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [base.slice(0, dot), base.slice(dot + 1)] : [base, ''];
  const ascii = (s: string) =>
    s
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .replace(/_+/g, '_')
      .replace(/^[._]+|_+$/g, '');
  const cleanExt = ascii(ext).slice(0, 9);
  const cleanStem = ascii(stem).slice(0, MAX_FILE_NAME - cleanExt.length - 1) || 'document';
  return cleanExt ? `${cleanStem}.${cleanExt}` : cleanStem;
}

// ---------------------------------------------------------------------------------------------
// Priority

export const PriorityRule = z.object({ maxBytes: z.number().int().positive(), priority: Priority });
export type PriorityRule = z.infer<typeof PriorityRule>;

/** Small documents first: ≤ 1 MB high, ≤ 10 MB normal, anything larger low. */
export const DEFAULT_PRIORITY_RULES: readonly PriorityRule[] = [
  { maxBytes: 1024 * 1024, priority: 'high' },
  { maxBytes: 10 * 1024 * 1024, priority: 'normal' },
];

export function priorityFor(size: number, requested: Priority | null | undefined, rules: readonly PriorityRule[] = DEFAULT_PRIORITY_RULES): Priority {
  if (requested) return requested;
  return [...rules].sort((a, b) => a.maxBytes - b.maxBytes).find((r) => size <= r.maxBytes)?.priority ?? 'low';
}
