import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFilesystemBackend } from './backends/filesystem.ts';
import { createMemoryBackend } from './backends/memory.ts';
import { EventDispatcher, type EventTarget } from './events.ts';
import { createRequestHandler } from './http/routes.ts';
import { StorageCore } from './storage.ts';

export type { EventTarget } from './events.ts';
export { ObjectEventType } from './storage.ts';

export interface StorageEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Filesystem backend rooted here when set; memory otherwise. */
  dataDir?: string;
  /** CloudEvent receivers (functions-framework URLs), all event types unless narrowed. */
  eventTargets?: (string | EventTarget)[];
  /** `host:port` of the Pub/Sub emulator for notification configs; default `PUBSUB_EMULATOR_HOST`. */
  pubsubEmulatorHost?: string;
  /** Project given to buckets created without `?project=`. */
  projectId?: string;
  /** Event delivery backoff, for tests that want it quicker. */
  delivery?: { initialBackoffMs?: number; maxBackoffMs?: number; retryDeadlineMs?: number; maxInFlightPerTarget?: number };
  /** Receives JSON log entries (delivery retries and failures). Default: warnings and errors to stderr. */
  log?: (entry: Record<string, unknown>) => void;
  /** Log every request (method, URL, Content-Range, status) as a JSON line to stderr. */
  trace?: boolean;
}

export interface StorageEmulator {
  /** `http://127.0.0.1:PORT`: for `STORAGE_EMULATOR_HOST`, `apiEndpoint`, `CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE` (+ `/`). */
  url: string;
  port: number;
  backend: 'memory' | 'filesystem';
  /**
   * Environment that points unmodified clients here: `STORAGE_EMULATOR_HOST` (Node client) and the
   * `CLOUDSDK_*` settings for `gcloud storage` / gsutil's shim (add a private `CLOUDSDK_CONFIG`).
   */
  env: Record<string, string>;
  addEventTarget(target: string | EventTarget): void;
  /** Resolves once every event so far was delivered or given up on. */
  eventsIdle(): Promise<void>;
  eventStats(): { pending: number; delivered: number; failed: number };
  /** The storage core, for tests that want to seed or inspect without HTTP. */
  core: StorageCore;
  stop(): Promise<void>;
}

const defaultLog = (entry: Record<string, unknown>): void => {
  if (entry.severity === 'DEBUG') return;
  process.stderr.write(`${JSON.stringify({ component: 'gcs-emulator', ...entry })}\n`);
};

export async function startStorageEmulator(options: StorageEmulatorOptions = {}): Promise<StorageEmulator> {
  const host = options.host ?? '127.0.0.1';
  const projectId = options.projectId ?? process.env.GOOGLE_CLOUD_PROJECT ?? 'local-project';
  const backend = options.dataDir ? await createFilesystemBackend(options.dataDir) : createMemoryBackend();
  const core = new StorageCore(backend);
  await core.init();

  let url = '';
  const pubsubEmulatorHost = options.pubsubEmulatorHost ?? process.env.PUBSUB_EMULATOR_HOST;
  const events = new EventDispatcher(options.eventTargets ?? [], {
    ...options.delivery,
    ...(pubsubEmulatorHost ? { pubsubEmulatorHost } : {}),
    baseUrl: () => url,
    log: options.log ?? defaultLog,
  });
  core.onEvent((e) => events.dispatch(e));

  const server: Server = createServer(
    createRequestHandler(core, projectId, options.trace ? (e) => process.stderr.write(`${JSON.stringify({ component: 'gcs-emulator', ...e })}\n`) : undefined),
  );
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://${host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;

  return {
    url,
    port,
    backend: backend.kind,
    env: {
      STORAGE_EMULATOR_HOST: url,
      CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE: `${url}/`,
      CLOUDSDK_AUTH_DISABLE_CREDENTIALS: 'True',
      CLOUDSDK_CORE_PROJECT: projectId,
    },
    core,
    addEventTarget: (t) => events.addTarget(t),
    eventsIdle: () => events.idle(),
    eventStats: () => events.stats,
    async stop() {
      events.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await core.close();
    },
  };
}
