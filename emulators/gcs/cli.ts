import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ObjectEventType, startStorageEmulator } from './index.ts';

const USAGE = `Usage: npm run emulator:gcs -- [--port 9023] [--host 127.0.0.1] [--data DIR]
         [--event-target URL]... [--event-types finalized,deleted,...] [--event-buckets B1,B2,...]
         [--pubsub-emulator-host HOST:PORT] [--project ID] [--trace]

  --data DIR            keep buckets and objects on disk under DIR (default: in memory)
  --event-target URL    POST a binary-mode CloudEvent for each object event to URL (repeatable)
  --event-types LIST    only these types to the event targets (${ObjectEventType.options.join(', ')})
  --event-buckets LIST  only events of objects in these buckets to the event targets (default: all buckets)
  --pubsub-emulator-host  where notification configs publish (default: $PUBSUB_EMULATOR_HOST)
  --trace               log every request (method, URL, Content-Range, status) to stderr`;

const Args = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(9023),
  host: z.string().default('127.0.0.1'),
  data: z.string().optional(),
  'event-target': z.array(z.string().url()).default([]),
  'event-types': z
    .string()
    .transform((s) => s.split(',').map((t) => t.trim()).filter(Boolean))
    .pipe(z.array(ObjectEventType))
    .optional(),
  'event-buckets': z
    .string()
    .transform((s) => s.split(',').map((b) => b.trim()).filter(Boolean))
    .pipe(z.array(z.string()).min(1, 'name at least one bucket'))
    .optional(),
  'pubsub-emulator-host': z.string().optional(),
  project: z.string().optional(),
  trace: z.boolean().default(false),
});

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    data: { type: 'string' },
    'event-target': { type: 'string', multiple: true },
    'event-types': { type: 'string' },
    'event-buckets': { type: 'string' },
    'pubsub-emulator-host': { type: 'string' },
    project: { type: 'string' },
    trace: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const parsed = Args.safeParse(values);
if (!parsed.success) {
  console.error(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'));
  console.error(USAGE);
  process.exit(2);
}
const args = parsed.data;
const types = args['event-types'];
const buckets = args['event-buckets'];
const emulator = await startStorageEmulator({
  port: args.port,
  host: args.host,
  ...(args.data ? { dataDir: args.data } : {}),
  eventTargets: args['event-target'].map((url) => ({ url, ...(types ? { eventTypes: types } : {}), ...(buckets ? { buckets } : {}) })),
  ...(args['pubsub-emulator-host'] ? { pubsubEmulatorHost: args['pubsub-emulator-host'] } : {}),
  ...(args.project ? { projectId: args.project } : {}),
  trace: args.trace,
});
console.log(
  JSON.stringify({
    severity: 'INFO',
    message: `Cloud Storage emulator listening on ${emulator.url}`,
    url: emulator.url,
    backend: emulator.backend,
    eventTargets: args['event-target'],
    ...(buckets ? { eventBuckets: buckets } : {}),
  }),
);
const shutdown = (): void => {
  void emulator.stop().then(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
