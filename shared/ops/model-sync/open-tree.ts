/** Opens a location as a tree; the Storage client is made only when a gs:// location needs it. */
import { Storage } from '@google-cloud/storage';
import { BucketTree } from './bucket-tree.ts';
import { LocalTree } from './local-tree.ts';
import type { Location } from './locations.ts';
import type { Tree } from './tree.ts';

export function openTree(location: Location, storage: () => Storage): Tree {
  return location.kind === 'local' ? new LocalTree(location) : new BucketTree(location, storage());
}

export function lazyStorage(given: Storage | undefined): () => Storage {
  let storage = given;
  // No options: STORAGE_EMULATOR_HOST, when set, points the client at the emulator.
  return () => (storage ??= new Storage());
}
