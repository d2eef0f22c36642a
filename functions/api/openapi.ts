/**
 * The api's HTTP interface as OpenAPI 3.1, served at GET /openapi.json. The closed sets (statuses,
 * error codes, formats) come from their zod declarations; test/functions/openapi.test.ts holds the
 * paths to the route table and calls each operation on the running function.
 */
import { z } from 'zod';
import { CallbackStatus } from '../../shared/core/callback-delivery.ts';
import { ErrorCode } from '../../shared/core/errors.ts';
import { TaskStatus } from '../../shared/core/task.ts';
import { OutputFormat } from '../../shared/outputs/index.ts';
import { VERSION } from '../../shared/version.ts';

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json, description: string): Json => ({ description, content: { 'application/json': { schema } } });
const error = (description: string): Json => json(ref('Error'), description);
const idParam = (name: string, what: string): Json => ({ name, in: 'path', required: true, description: `The ${what}'s id (32 hex digits).`, schema: { type: 'string', pattern: '^[0-9a-f]{32}$' } });
const query = (name: string, schema: Json, description: string): Json => ({ name, in: 'query', required: false, description, schema });
const paging = (max: number, byDefault: number): Json[] => [
  query('limit', { type: 'integer', minimum: 1, maximum: max, default: byDefault }, 'Items per page.'),
  query('cursor', { type: 'string' }, 'The nextCursor of the page before.'),
];
const statusFilter = query('status', { type: 'string', enum: TaskStatus.options }, 'Only tasks in this status (any case).');
const rateLimited: Json = {
  ...error("Over the caller's per-user request limit (RATE_LIMITED); details.retryAfterSeconds says when to try again."),
  headers: { 'Retry-After': { description: 'Seconds until the next request is taken.', schema: { type: 'integer', minimum: 1 } } },
};
const common = { '401': error('No or an invalid identity.'), '400': error('A parameter failed its schema (INVALID_REQUEST).'), '429': rateLimited };

const nullable = (schema: Json): Json => ({ anyOf: [schema, { type: 'null' }] });
const enumOf = (schema: z.ZodType): Json => z.toJSONSchema(schema) as Json;

const TaskView: Json = {
  type: 'object',
  required: ['taskId', 'status', 'progress', 'fileName', 'attempts', 'createdAt', 'updatedAt'],
  properties: {
    taskId: { type: 'string' },
    status: enumOf(TaskStatus),
    progress: { type: 'number', minimum: 0, maximum: 100 },
    message: { type: 'string' },
    fileName: { type: 'string' },
    priority: nullable({ type: 'string', enum: ['high', 'normal', 'low'] }),
    source: { type: 'string', enum: ['upload', 'signed-url', 'drop'] },
    batchId: nullable({ type: 'string' }),
    attempts: { type: 'integer' },
    maxAttempts: nullable({ type: 'integer' }),
    error: nullable({ type: 'object', properties: { code: enumOf(ErrorCode), message: { type: 'string' } } }),
    summary: nullable({ type: 'object', description: 'Pages, failed pages, confidence, languages, category, processing time.' }),
    resultUrl: nullable({ type: 'string' }),
    callback: nullable({
      type: 'object',
      description: 'Delivery of the callback to callbackUrl; null without one.',
      properties: {
        status: enumOf(CallbackStatus),
        attempts: { type: 'integer' },
        lastStatus: nullable({ type: 'integer' }),
        lastError: nullable({ type: 'string' }),
        updatedAt: nullable({ type: 'string', format: 'date-time' }),
      },
    }),
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    startedAt: nullable({ type: 'string', format: 'date-time' }),
    completedAt: nullable({ type: 'string', format: 'date-time' }),
    waitMs: nullable({ type: 'number' }),
    processingMs: nullable({ type: 'number' }),
  },
};

const byStatus: Json = { type: 'object', properties: Object.fromEntries(TaskStatus.options.map((s) => [s, { type: 'integer' }])) };
const BatchSummary: Json = {
  type: 'object',
  required: ['batchId', 'total', 'byStatus', 'progress', 'done'],
  properties: { batchId: { type: 'string' }, total: { type: 'integer' }, byStatus, progress: { type: 'number' }, done: { type: 'boolean' } },
};

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'DocVault OCR api',
    version: VERSION,
    description: "A caller's OCR tasks, results, batches and queue. Every read is the caller's own: another user's task answers 404 like a missing one.",
  },
  components: {
    securitySchemes: {
      googleIdToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A Google or Firebase ID token (locally, against the emulators: X-User-Email).' },
    },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: enumOf(ErrorCode), message: { type: 'string' }, details: { type: 'object' } } } },
      },
      Task: TaskView,
      BatchSummary,
    },
  },
  security: [{ googleIdToken: [] }],
  paths: {
    '/health': {
      get: { summary: 'Whether this instance reaches Firestore.', security: [], responses: { '200': json({ type: 'object' }, 'Healthy.'), '503': json({ type: 'object' }, 'Firestore unreachable.') } },
    },
    '/openapi.json': {
      get: { summary: 'This description.', security: [], responses: { '200': json({ type: 'object' }, 'OpenAPI 3.1.') } },
    },
    '/tasks': {
      get: {
        summary: "The caller's tasks, newest first.",
        parameters: [statusFilter, ...paging(100, 20)],
        responses: { '200': json({ type: 'object', properties: { tasks: { type: 'array', items: ref('Task') }, nextCursor: nullable({ type: 'string' }) } }, 'A page of tasks.'), ...common },
      },
    },
    '/tasks/{taskId}': {
      get: {
        summary: 'One task; with ?wait=S answered when it finishes (or after S seconds, as it stands).',
        parameters: [idParam('taskId', 'task'), query('wait', { type: 'number', minimum: 0, maximum: 50, default: 0 }, 'Seconds to wait for a final status.')],
        responses: { '200': json(ref('Task'), 'The task.'), '404': error('No such task of the caller.'), ...common },
      },
    },
    '/tasks/{taskId}/result': {
      get: {
        summary: 'The result of a COMPLETED task, in one format.',
        parameters: [idParam('taskId', 'task'), query('format', { type: 'string', enum: OutputFormat.options, default: 'json' }, 'The result format.')],
        responses: {
          '200': { description: 'The result, served with nosniff and a sandbox CSP.', content: Object.fromEntries(['application/json', 'text/plain', 'text/html', 'application/pdf'].map((t) => [t, {}])) },
          '404': error('No such task, or no result in this format.'),
          '409': error('No result yet (NOT_READY).'),
          ...common,
        },
      },
    },
    '/tasks/{taskId}/cancel': {
      post: {
        summary: 'QUEUED or PROCESSING → CANCELLED (idempotent).',
        parameters: [idParam('taskId', 'task')],
        responses: { '200': json(ref('Task'), 'The cancelled task.'), '404': error('No such task.'), '409': error('Already finished (ALREADY_FINISHED).'), ...common },
      },
    },
    '/tasks/{taskId}/password': {
      post: {
        summary: 'A task FAILED with ENCRYPTED_PDF, WRONG_PASSWORD or PASSWORD_UNREADABLE read again with its password (sealed in the task, never shown or logged).',
        parameters: [idParam('taskId', 'task')],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['password'], properties: { password: { type: 'string', maxLength: 256 } } } } } },
        responses: { '200': json(ref('Task'), 'The requeued task.'), '404': error('No such task.'), '409': error('Not a task awaiting a password (NOT_AWAITING_PASSWORD).'), ...common },
      },
    },
    '/batches': {
      get: {
        summary: "The caller's batches in id order, each with its figures.",
        parameters: paging(50, 10),
        responses: { '200': json({ type: 'object', properties: { batches: { type: 'array', items: ref('BatchSummary') }, nextCursor: nullable({ type: 'string' }) } }, 'A page of batches.'), ...common },
      },
    },
    '/batches/{batchId}': {
      get: {
        summary: 'One batch: its figures, and a page of its tasks.',
        parameters: [idParam('batchId', 'batch'), statusFilter, ...paging(100, 20)],
        responses: { '200': json({ allOf: [ref('BatchSummary'), { type: 'object', properties: { tasks: { type: 'array' }, nextCursor: nullable({ type: 'string' }) } }] }, 'The batch.'), '404': error('No such batch.'), ...common },
      },
    },
    '/queue/stats': {
      get: { summary: "The caller's queue: pending, processing, failed, completed today, average wait.", responses: { '200': json({ type: 'object' }, 'The figures.'), ...common } },
    },
    '/queue/requeue-failed': {
      post: {
        summary: "The caller's failed tasks another attempt may cure back to QUEUED (optionally of one code).",
        parameters: [query('code', enumOf(ErrorCode), 'Only tasks failed with this code (or in the JSON body).')],
        requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { code: enumOf(ErrorCode) } } } } },
        responses: { '200': json({ type: 'object', properties: { requeued: { type: 'integer' }, taskIds: { type: 'array', items: { type: 'string' } }, skipped: { type: 'integer' } } }, 'What was requeued.'), ...common },
      },
    },
    '/maintenance/recover-stale': {
      post: { summary: 'Operators only (Cloud Scheduler): tasks whose worker died back to the queue. 404 to anyone else.', responses: { '200': json({ type: 'object' }, 'The report.'), '404': error('Not an operator.'), ...common } },
    },
    '/maintenance/cleanup': {
      post: {
        summary: 'Operators only (Cloud Scheduler): deletes long-finished tasks and their objects. 404 to anyone else.',
        requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { dryRun: { type: 'boolean' } } } } } },
        responses: { '200': json({ type: 'object' }, 'The report.'), '404': error('Not an operator.'), ...common },
      },
    },
    '/config': {
      get: { summary: "The web console's settings: the upload URL, sign-in, whether this runs on the emulators.", security: [], responses: { '200': json({ type: 'object' }, 'The settings.') } },
    },
    '/events': {
      get: {
        summary: "Server-sent events: the caller's changed tasks (one stream per browser tab, closed after 50 s; reopen it).",
        responses: { '200': { description: 'An event stream; each `tasks` event carries changed Task objects.', content: { 'text/event-stream': {} } }, '503': error('Too many open streams for this user (UNAVAILABLE).'), ...common },
      },
    },
    '/tasks/{taskId}/pages/{page}/preview': {
      get: {
        summary: 'A COMPLETED task\'s page as a small WebP image, upright as it was read (for drawing word boxes over).',
        parameters: [idParam('taskId', 'task'), { name: 'page', in: 'path', required: true, description: 'Page number, from 1.', schema: { type: 'integer', minimum: 1 } }],
        responses: { '200': { description: 'The preview.', content: { 'image/webp': {} } }, '404': error('No such task or page.'), '409': error('No result yet (NOT_READY).'), ...common },
      },
    },
    '/cache/info': {
      get: { summary: 'The OCR languages on offer (operators also see the files and the cache).', responses: { '200': json({ type: 'object' }, 'The models.'), ...common } },
    },
  },
} as const;
