/**
 * The environment, read once at cold start through one zod schema; a bad environment fails with
 * every problem listed. The same code runs locally and in the cloud: only the *_EMULATOR_HOST
 * variables (and the local identity header they permit) differ.
 */
import { z } from 'zod';
import { Limits } from './core/options.ts';
import type { RateLimit } from './core/rate-limit.ts';
import { DEFAULT_PRIORITY_RULES, PriorityRule } from './core/task.ts';
import { DEFAULT_SHARD_PAGES } from './core/shards.ts';
import { INSTANCE_NAME } from './core/lease-holder.ts';
import type { FairnessSettings } from './core/fairness.ts';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (fallback: number) => z.coerce.number().int().positive().default(fallback);
/** 0 turns the setting's limit off. */
const count = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);

/**
 * The emulator suite: all three hosts set. What only the emulators may do (private callbacks,
 * Google tokens with no audience, fault injection) needs all three, so one stray variable in a
 * deployment turns none of it on.
 */
function allEmulators(env: { FIRESTORE_EMULATOR_HOST?: string | undefined; PUBSUB_EMULATOR_HOST?: string | undefined; STORAGE_EMULATOR_HOST?: string | undefined }): boolean {
  return Boolean(env.FIRESTORE_EMULATOR_HOST && env.PUBSUB_EMULATOR_HOST && env.STORAGE_EMULATOR_HOST);
}

/** host:port or a URL on 127.0.0.1, localhost or [::1]. */
function onLoopback(host: string | undefined): boolean {
  return host !== undefined && /^(https?:\/\/)?(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/.*)?$/.test(host);
}

/** Request bodies the HTTP functions take at all (functions/request-limits.ts): just above Cloud Run's 32 MiB. */
export const MAX_HTTP_BODY_BYTES = 33 * 1024 * 1024;

/** The project of the local emulator suite; anywhere else GOOGLE_CLOUD_PROJECT must be set. */
const LOCAL_PROJECT = 'docvault-local';

const Env = z
  .object({
    GOOGLE_CLOUD_PROJECT: z.string().min(1).default(LOCAL_PROJECT),
    UPLOADS_BUCKET: z.string().min(3),
    RESULTS_BUCKET: z.string().min(3),
    MODELS_BUCKET: z.string().min(3).optional(),
    /** Secret for user hashes (HMAC). From Secret Manager in the cloud. */
    USER_HASH_SECRET: z.string().min(16, 'USER_HASH_SECRET must be at least 16 characters'),
    /** Secret for signing webhook callbacks. */
    WEBHOOK_SECRET: z.string().min(16).optional(),
    /** Seals a PDF's password in its task (AES-256-GCM); without it upload refuses passwords. */
    PASSWORD_KEY: z.string().min(16, 'PASSWORD_KEY must be at least 16 characters').optional(),
    /** Audiences accepted in Google ID tokens, comma-separated (the function's URLs, OAuth client ids); unset refuses Google tokens outside the emulators. */
    AUTH_AUDIENCE: z.string().optional(),
    /** The upload function's public URL: where the web console (served by the api) sends files. */
    UPLOAD_URL: z.string().url().optional(),
    /** Origins (the api's, serving the console) allowed to call upload from a browser, comma-separated. */
    CONSOLE_ORIGINS: z
      .string()
      .default('')
      .transform((v) => v.split(',').map((o) => o.trim().replace(/\/+$/, '')).filter(Boolean)),
    /** Only with the emulators: accept an X-User-Email header as the caller. */
    ALLOW_LOCAL_IDENTITY: bool.default(false),
    FIRESTORE_EMULATOR_HOST: z.string().optional(),
    PUBSUB_EMULATOR_HOST: z.string().optional(),
    STORAGE_EMULATOR_HOST: z.string().optional(),
    MAX_ATTEMPTS: int(5),
    /** A lease is renewed while work goes on; a dead worker's task is free again after this. */
    LEASE_SECONDS: int(60),
    /** Largest request body the upload function takes (Cloud Run functions stop at 32 MB). */
    MAX_REQUEST_BYTES: int(32 * 1024 * 1024),
    MAX_DOCUMENT_BYTES: int(Limits.shape.maxBytes.parse(undefined)),
    MAX_PAGES: int(Limits.shape.maxPages.parse(undefined)),
    MAX_PIXELS_PER_PAGE: int(Limits.shape.maxPixelsPerPage.parse(undefined)),
    PAGE_TIMEOUT_MS: int(Limits.shape.pageTimeoutMs.parse(undefined)),
    DOCUMENT_TIMEOUT_MS: int(Limits.shape.documentTimeoutMs.parse(undefined)),
    MAX_PIXELS_PER_DOCUMENT: int(Limits.shape.maxPixelsPerDocument.parse(undefined)),
    MAX_OPERATORS_PER_PAGE: int(Limits.shape.maxOperatorsPerPage.parse(undefined)),
    RENDER_HEAP_MB: int(Limits.shape.renderHeapMb.parse(undefined)),
    /** JSON list of {maxBytes, priority}, smallest first wins; larger than all → low. */
    PRIORITY_RULES: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (!v) return [...DEFAULT_PRIORITY_RULES];
        try {
          return z.array(PriorityRule).parse(JSON.parse(v));
        } catch {
          ctx.addIssue({ code: 'custom', message: 'PRIORITY_RULES must be JSON like [{"maxBytes":1048576,"priority":"high"}]' });
          return z.NEVER;
        }
      }),
    DELETE_UPLOAD_ON_SUCCESS: bool.default(false),
    /** A document identical to one read before (same bytes, languages and options) gets a copy of that result (services/dedupe.ts). */
    DEDUPE_RESULTS: bool.default(true),
    /** Days a finished task (and its results) is kept; sets the TTL field. */
    TASK_RETENTION_DAYS: int(30),
    MODEL_CACHE_DIR: z.string().optional(),
    /** tesseract.js workers per instance (default: one per CPU). */
    OCR_WORKERS: z.coerce.number().int().positive().optional(),
    /** Documents one worker instance reads at once (pages of a document already share the OCR workers). */
    WORKER_SLOTS: int(1),
    /**
     * A stable name for this worker instance, where a supervisor starts it again under the same name after a crash
     * (the local suite's worker slots): its start frees the leases its dead predecessor held, at once instead of after
     * LEASE_SECONDS (core/lease-holder.ts). Unset on Cloud Run, whose instances never come back.
     */
    WORKER_INSTANCE: z.string().regex(INSTANCE_NAME, 'letters, digits and . _ : - only').optional(),
    /** A PDF of more pages is read in shards of at most this many, by any free worker, then merged; 0: never. */
    SHARD_PAGES: count(DEFAULT_SHARD_PAGES),
    /** Tasks of one user in flight (published or being read) at once; the rest wait their turn, held back (core/fairness.ts). */
    USER_IN_FLIGHT_CAP: int(4),
    /** The same while no other user has tasks held back (work-conserving: one user alone keeps the workers busy); at least the cap. */
    USER_IN_FLIGHT_IDLE_CAP: int(8),
    /** Waiting work rises one lane (and one requested priority) per this many seconds waited. */
    QUEUE_AGING_SECONDS: int(60),
    /** Queue care publishes again a QUEUED task published this many minutes ago that no worker has taken up. */
    REPUBLISH_QUEUED_MINUTES: int(10),
    /** How often, at most, a task's progress is written (Firestore: ~1 write/s per document). */
    PROGRESS_INTERVAL_MS: int(1000),
    SIGNED_URL_MINUTES: int(30),
    /**
     * Per-user request limits of the HTTP functions (shared/core/rate-limit.ts), each counted by
     * each instance on its own: a token bucket of BURST requests refilled at LIMIT per window.
     * Upload counts every request to upload; the api every request that names a caller (not
     * /health, /openapi.json or the console's page). A LIMIT of 0 turns that limit off.
     */
    RATE_LIMIT_WINDOW_SECONDS: int(60),
    UPLOAD_RATE_LIMIT: count(300),
    UPLOAD_RATE_BURST: int(30),
    API_RATE_LIMIT: count(600),
    API_RATE_BURST: int(60),
    /**
     * Requests of one user each instance answers at once (0: no cap); one more is refused at once,
     * 429 RATE_LIMITED with Retry-After, before its body is read. Below the instance's request
     * concurrency (upload 8, api 40 in infra), so one user never holds a whole instance.
     */
    UPLOAD_CONCURRENT_REQUESTS: count(4),
    API_CONCURRENT_REQUESTS: count(16),
    /** The api function's URL: upload's statusUrl points there (the api is another function, on another host or port). */
    API_URL: z.string().url().optional(),
    /** Callers (service-account emails, comma-separated) allowed on the api's /maintenance routes: the scheduler's. */
    MAINTENANCE_CALLERS: z
      .string()
      .default('')
      .transform((v) => v.split(',').map((e) => e.trim().toLowerCase()).filter(Boolean)),
    /** Days a COMPLETED or CANCELLED task and its objects are kept by the scheduled cleanup. */
    CLEANUP_COMPLETED_DAYS: int(7),
    /** Days a FAILED task is kept (it may still be requeued). */
    CLEANUP_FAILED_DAYS: int(30),
    /** Emulator suite only: documents containing this text fail like an engine crash (tests of retries and dead letters). */
    OCR_FAULT_MARKER: z.string().min(8).optional(),
  })
  .superRefine((env, ctx) => {
    const emulators = allEmulators(env);
    if (env.MAX_REQUEST_BYTES > MAX_HTTP_BODY_BYTES) {
      ctx.addIssue({ code: 'custom', path: ['MAX_REQUEST_BYTES'], message: `at most ${MAX_HTTP_BODY_BYTES} (larger bodies never reach upload: use signed URLs)` });
    }
    if (env.OCR_FAULT_MARKER && !emulators) {
      ctx.addIssue({ code: 'custom', path: ['OCR_FAULT_MARKER'], message: 'fault injection is only allowed against the emulators' });
    }
    if (env.GOOGLE_CLOUD_PROJECT === LOCAL_PROJECT && !emulators) {
      // The project names Firebase's token issuer and audience, and every client's target.
      ctx.addIssue({ code: 'custom', path: ['GOOGLE_CLOUD_PROJECT'], message: 'set it to the project this runs in (the default only serves the emulators)' });
    }
    // An unverified header names the caller: only with every emulator, each on this machine.
    const local = [env.FIRESTORE_EMULATOR_HOST, env.PUBSUB_EMULATOR_HOST, env.STORAGE_EMULATOR_HOST].every(onLoopback);
    if (env.ALLOW_LOCAL_IDENTITY && !local) {
      ctx.addIssue({
        code: 'custom',
        path: ['ALLOW_LOCAL_IDENTITY'],
        message: 'the X-User-Email identity is only allowed against the local emulators (FIRESTORE_, PUBSUB_ and STORAGE_EMULATOR_HOST, all on loopback)',
      });
    }
  });

/** The schema itself, for checks that hold the deployment to it (test/infra: every variable it requires is set). */
export const EnvSchema = Env;

export type Config = z.output<typeof Env> & {
  limits: Limits;
  usingEmulators: boolean;
  /** TASK_RETENTION_DAYS in ms: how long a finished task is kept (its expireAt). */
  retentionMs: number;
  fairness: FairnessSettings;
  /** Each HTTP function's per-user limit; null where it is off. */
  rateLimits: Record<RateLimitedFunction, RateLimit | null>;
  /** Each HTTP function's per-user cap on requests answered at once; null where it is off. */
  inFlightLimits: Record<RateLimitedFunction, number | null>;
};

/** The functions whose callers are limited, each by its own settings. */
export type RateLimitedFunction = 'upload' | 'api';

function rateLimit(requests: number, burst: number, windowSeconds: number): RateLimit | null {
  return requests === 0 ? null : { requests, burst, windowMs: windowSeconds * 1000 };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`).join('\n');
    throw new ConfigError(`Invalid environment:\n${problems}`);
  }
  const e = parsed.data;
  return {
    ...e,
    limits: {
      maxBytes: e.MAX_DOCUMENT_BYTES,
      maxPages: e.MAX_PAGES,
      maxPixelsPerPage: e.MAX_PIXELS_PER_PAGE,
      pageTimeoutMs: e.PAGE_TIMEOUT_MS,
      documentTimeoutMs: e.DOCUMENT_TIMEOUT_MS,
      maxPixelsPerDocument: e.MAX_PIXELS_PER_DOCUMENT,
      maxOperatorsPerPage: e.MAX_OPERATORS_PER_PAGE,
      renderHeapMb: e.RENDER_HEAP_MB,
    },
    retentionMs: e.TASK_RETENTION_DAYS * 86_400_000,
    fairness: { cap: e.USER_IN_FLIGHT_CAP, idleCap: e.USER_IN_FLIGHT_IDLE_CAP, agingMs: e.QUEUE_AGING_SECONDS * 1000, republishAfterMs: e.REPUBLISH_QUEUED_MINUTES * 60_000 },
    rateLimits: {
      upload: rateLimit(e.UPLOAD_RATE_LIMIT, e.UPLOAD_RATE_BURST, e.RATE_LIMIT_WINDOW_SECONDS),
      api: rateLimit(e.API_RATE_LIMIT, e.API_RATE_BURST, e.RATE_LIMIT_WINDOW_SECONDS),
    },
    inFlightLimits: { upload: e.UPLOAD_CONCURRENT_REQUESTS || null, api: e.API_CONCURRENT_REQUESTS || null },
    usingEmulators: allEmulators(e),
  };
}

let cached: Config | undefined;
/** The process's configuration, parsed on first use (cold start). */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}
