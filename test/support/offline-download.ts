/**
 * Run inside a network namespace with nothing but loopback (`unshare -n`): a storage emulator on
 * loopback holds the models bucket; the worker's model setup downloads from it and reads a page.
 * Prints the text. Proves the model path needs no network beyond the bucket.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { startStorageEmulator } from '../../emulators/gcs/index.ts';
import { createOcr } from '../../shared/engines/index.ts';
import { syncModels } from '../../shared/ops/model-sync.ts';
import { modelSetup } from '../../shared/services/models.ts';

const [staged, page] = process.argv.slice(2) as [string, string];
const emulator = await startStorageEmulator({ log: () => undefined });
const storage = new Storage({ apiEndpoint: emulator.url, projectId: 'offline' });
await storage.createBucket('offline-models');
await syncModels({ source: staged, destination: 'gs://offline-models/', storage, log: () => undefined });
const setup = modelSetup({ MODELS_BUCKET: 'offline-models' }, storage, mkdtempSync(join(tmpdir(), 'offline-dl-')));
const ocr = createOcr({ modelDirs: setup.dirs, workers: 1 });
const { result } = await ocr.process(new Uint8Array(readFileSync(page)));
await ocr.close();
await emulator.stop();
process.stdout.write(`${setup.origin}\n${result.text}`);
