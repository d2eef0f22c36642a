/**
 * The clients a function instance uses, created once per instance (cold start) from the config.
 * Emulator or cloud is decided by the *_EMULATOR_HOST variables inside the clients, not here.
 */
import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import type { Storage } from '@google-cloud/storage';
import { createFirestore, TaskStore } from '../adapters/firestore-tasks.ts';
import { AdmissionStore } from '../adapters/firestore-admission.ts';
import { createPubSub, Queue } from '../adapters/pubsub.ts';
import { createStorage, GcsBlobStore } from '../adapters/storage.ts';
import type { BlobStore } from '../core/blob-store.ts';
import { config as loadConfig, type Config } from '../config.ts';
import { createLogger, type Logger } from '../log.ts';

export interface AppContext {
  config: Config;
  firestore: Firestore;
  tasks: TaskStore;
  /** Per-user admission to the lanes (core/fairness.ts). */
  admission: AdmissionStore;
  pubsub: PubSub;
  queue: Queue;
  storage: Storage;
  /** The same Cloud Storage client behind the BlobStore port, for the services. */
  blobs: BlobStore;
  log: Logger;
}

let context: AppContext | undefined;

export function appContext(component: string): AppContext {
  if (!context) {
    const config = loadConfig();
    const firestore = createFirestore(config.GOOGLE_CLOUD_PROJECT);
    const pubsub = createPubSub(config.GOOGLE_CLOUD_PROJECT);
    const storage = createStorage(config.GOOGLE_CLOUD_PROJECT);
    context = {
      config,
      firestore,
      tasks: new TaskStore(firestore),
      admission: new AdmissionStore(firestore),
      pubsub,
      queue: new Queue(pubsub),
      storage,
      blobs: new GcsBlobStore(storage),
      log: createLogger(component),
    };
  }
  return context;
}
