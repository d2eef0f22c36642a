/**
 * The emulator suite for integration tests: gcloud's Firestore and Pub/Sub emulators and our
 * Cloud Storage emulator, on free ports, with the environment pointed at them. Real clients, real
 * emulators; nothing here is a double.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stagePackagedModels } from '../../shared/ops/packaged-models.ts';
import { syncModels } from '../../shared/ops/model-sync.ts';
import { startFirestoreEmulator, startPubsubEmulator, type GcloudEmulator } from '../../emulators/gcloud.ts';
import { startStorageEmulator, type StorageEmulator } from '../../emulators/gcs/index.ts';
import { provision, type ProvisionOptions } from '../../emulators/provision.ts';
import { pushConcurrency, startPushRelay, type PushRelay } from '../../emulators/push-relay.ts';

export const TEST_PROJECT = 'docvault-test';
export const TEST_BUCKETS = { uploads: 'test-uploads', results: 'test-results', models: 'test-models' } as const;
export const TEST_SECRET = 'test-user-hash-secret-0123456789';

export interface Suite {
  projectId: string;
  firestore: GcloudEmulator;
  pubsub: GcloudEmulator;
  storage: StorageEmulator;
  /** The environment a function process of this suite needs. */
  env: Record<string, string>;
  /**
   * Provisions again; the worker subscriptions' pushes are made by a push relay as `npm start` makes them (unless
   * `relayPushes: false`: the emulator's own push), `pushConcurrency` at once per subscription (default: one worker slot's).
   */
  provision(extra?: Partial<ProvisionOptions> & { pushConcurrency?: number }): Promise<void>;
  /** The push relay of the last provision, when its worker subscriptions are relayed. */
  relay?: PushRelay;
  clearFirestore(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSuite(options: { storageEventTargets?: string[] } = {}): Promise<Suite> {
  const [firestore, pubsub] = await Promise.all([startFirestoreEmulator({ projectId: TEST_PROJECT }), startPubsubEmulator({ projectId: TEST_PROJECT })]);
  const storage = await startStorageEmulator({
    projectId: TEST_PROJECT,
    pubsubEmulatorHost: pubsub.host,
    eventTargets: options.storageEventTargets ?? [],
    delivery: { initialBackoffMs: 200, maxBackoffMs: 2000 },
  });
  const env: Record<string, string> = {
    GOOGLE_CLOUD_PROJECT: TEST_PROJECT,
    FIRESTORE_EMULATOR_HOST: firestore.host,
    PUBSUB_EMULATOR_HOST: pubsub.host,
    STORAGE_EMULATOR_HOST: storage.url,
    UPLOADS_BUCKET: TEST_BUCKETS.uploads,
    RESULTS_BUCKET: TEST_BUCKETS.results,
    MODELS_BUCKET: TEST_BUCKETS.models,
    USER_HASH_SECRET: TEST_SECRET,
    WEBHOOK_SECRET: 'test-webhook-secret-0123456789',
    PASSWORD_KEY: randomBytes(32).toString('base64url'),
    ALLOW_LOCAL_IDENTITY: 'true',
    METADATA_SERVER_DETECTION: 'none',
  };
  Object.assign(process.env, env);
  const suite: Suite = {
    projectId: TEST_PROJECT,
    firestore,
    pubsub,
    storage,
    env,
    async provision({ pushConcurrency: concurrency = pushConcurrency(1, 1), ...extra } = {}) {
      await suite.relay?.stop();
      delete suite.relay;
      const { pushRoutes } = await provision({ projectId: TEST_PROJECT, buckets: Object.values(TEST_BUCKETS), relayPushes: true, ...extra });
      if (pushRoutes.length) suite.relay = await startPushRelay({ projectId: TEST_PROJECT, routes: pushRoutes, concurrency });
    },
    async clearFirestore() {
      // The emulator answers 500 now and then while a listener of the previous test is still closing;
      // the same call a moment later succeeds.
      const url = `http://${firestore.host}/emulator/v1/projects/${TEST_PROJECT}/databases/(default)/documents`;
      for (let attempt = 1; ; attempt++) {
        const res = await fetch(url, { method: 'DELETE' });
        if (res.ok) return;
        const detail = (await res.text()).slice(0, 200);
        if (attempt >= 5 || res.status < 500) throw new Error(`clearing Firestore failed: ${res.status} ${detail}`);
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    },
    async stop() {
      await suite.relay?.stop().catch(() => undefined);
      await Promise.allSettled([storage.stop(), firestore.stop(), pubsub.stop()]);
    },
  };
  await suite.provision();
  await publishModels(`gs://${TEST_BUCKETS.models}/`);
  return suite;
}

let staged: Promise<string> | undefined;

/**
 * The shipped traineddata, synced into the models bucket as `npm start` and a deployment do.
 * Staged once per test process into a folder of its own: vitest runs two files at once, and a
 * folder shared between them (it was one fixed name under the temp dir) had one process rewriting
 * a traineddata file while the other uploaded it.
 */
export async function publishModels(destination: string): Promise<void> {
  staged ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'docvault-test-packaged-models-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    await stagePackagedModels(dir);
    return dir;
  })();
  await syncModels({ source: await staged, destination, log: () => undefined });
}
