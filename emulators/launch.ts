/**
 * `npm start`: the whole system on this machine — Firestore and Pub/Sub emulators (gcloud), our
 * Cloud Storage emulator delivering finalize events to dispatch, and the four functions under the
 * functions framework — running the same code as the cloud. Only *_EMULATOR_HOST differs.
 *
 *   npm start                   a new data folder data/YYYYMMDD_HHMMSS/
 *   npm start -- --data default reuse data/default/
 *   npm start -- --workers 4    four OCR worker processes behind one push endpoint (or DOCVAULT_WORKERS=4)
 *
 * The worker subscriptions' pushes are made by a relay (push-relay.ts) with each slot's next push ready, as the
 * cloud's push subscriptions deliver to as many instances as the worker service runs: the emulator's own push
 * delivers 2 at a time per subscription.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureConsoleBuilt } from './console-build.ts';
import { startFunction, type FunctionProcess } from './functions.ts';
import { startWorkerPool, workerInstance, type WorkerPool } from './worker-pool.ts';
import { startFirestoreEmulator, startPubsubEmulator, type GcloudEmulator } from './gcloud.ts';
import { startStorageEmulator, type StorageEmulator } from './gcs/index.ts';
import { provision } from './provision.ts';
import { pushConcurrency, startPushRelay } from './push-relay.ts';
import { loadConfig } from '../shared/config.ts';
import { LOCAL_BUCKETS, LOCAL_PORTS, LOCAL_SECRETS } from '../shared/names.ts';
import { launchTimestamp, localOffsetIso } from '../shared/ops/launch-data.ts';
import { findRunningSuite, PASSWORD_KEY_FILE } from '../shared/ops/local-suite.ts';
import { syncModels } from '../shared/ops/model-sync.ts';
import { stagePackagedModels } from '../shared/ops/packaged-models.ts';
import { allStarted, type Stoppable } from './all-started.ts';
import { takenPorts, takenPortsMessage, type PortName } from './port-check.ts';

const PROJECT = process.env.GOOGLE_CLOUD_PROJECT ?? 'docvault-local';
// No metadata server here: stop the Google clients from probing for one.
process.env.METADATA_SERVER_DETECTION ??= 'none';
const ROOT = resolve(import.meta.dirname, '..');

const { values: args } = parseArgs({ options: { data: { type: 'string' }, 'data-root': { type: 'string', default: join(ROOT, 'data') }, workers: { type: 'string' } } });
/** OCR worker processes: like instances of the worker service, each push goes to a free one. */
const WORKERS = Number(args.workers ?? process.env.DOCVAULT_WORKERS ?? 1);
if (!Number.isInteger(WORKERS) || WORKERS < 1 || WORKERS > 16) {
  process.stderr.write('--workers (DOCVAULT_WORKERS) must be a whole number from 1 to 16\n');
  process.exit(2);
}

function port(name: keyof typeof LOCAL_PORTS): number {
  const value = process.env[name];
  return value ? Number(value) : LOCAL_PORTS[name];
}

const say = (line: string) => process.stdout.write(line + '\n');

/** The launch's data folder: data/<name>/ with its storage, logs and tmp folders. */
interface LaunchData {
  name: string;
  dataDir: string;
  dirs: { storage: string; logs: string; tmp: string };
  /** Whether this launch created the folder (then a failed start removes it again). */
  created: boolean;
}

type Emulators = { firestore: GcloudEmulator; pubsub: GcloudEmulator; storage: StorageEmulator };
type Functions = { upload: FunctionProcess; api: FunctionProcess; dispatch: FunctionProcess; worker: FunctionProcess | WorkerPool; callbacks: FunctionProcess };

/** Stops before anything starts (and before a data folder is made) when a port of this launch is taken. */
async function checkPortsFree(): Promise<void> {
  const ports = Object.fromEntries((Object.keys(LOCAL_PORTS) as PortName[]).map((name) => [name, port(name)])) as Record<PortName, number>;
  const taken = await takenPorts(ports, '127.0.0.1');
  if (taken.length === 0) return;
  const suite = await findRunningSuite(args['data-root']!);
  const held = suite && taken.some(({ port: p }) => Object.values(suite.ports).includes(p)) ? suite : null;
  process.stderr.write(`start failed: ${takenPortsMessage(taken, held)}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  await checkPortsFree();
  const started = new Date();
  const data = prepareDataDir(started);
  say(`DocVault OCR local suite — data in ${data.dataDir}`);

  const running: Stoppable[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('\nstopping…');
    for (const r of running.reverse()) await r.stop().catch(() => undefined);
    say('stopped.');
    if (code !== 0 && data.created && !existsSync(join(data.dataDir, 'launch_info.json'))) rmSync(data.dataDir, { recursive: true, force: true });
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    const emulators = await startEmulators(running, data);
    const env = functionEnv(emulators, data);
    const functions = await startFunctions(running, env, data);
    emulators.storage.addEventTarget({ url: functions.dispatch.url, eventTypes: ['finalized'], buckets: [env.UPLOADS_BUCKET!] });
    await provisionLocalProject(running, env, functions);
    await syncShippedModels(env);
    writeLaunchInfo(data, started, env, emulators, functions);
    sayReady(data, emulators, functions, env);
  } catch (err) {
    process.stderr.write(`\nstart failed: ${(err as Error).message}\n`);
    await stopAll(1);
  }
}

function prepareDataDir(started: Date): LaunchData {
  const name = args.data ?? launchTimestamp(started);
  const dataDir = join(args['data-root']!, name);
  const dirs = { storage: join(dataDir, 'storage'), logs: join(dataDir, 'logs'), tmp: join(dataDir, 'tmp') };
  // A folder this launch creates is removed again if the start fails: no empty launch left for `data list`.
  const created = !existsSync(dataDir);
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  return { name, dataDir, dirs, created };
}

async function startEmulators(running: Stoppable[], { dirs }: LaunchData): Promise<Emulators> {
  // The console builds while the emulators start (it is no process: nothing to stop).
  const consoleBuilt = ensureConsoleBuilt();
  consoleBuilt.catch(() => undefined);
  const [firestore, pubsub] = await allStarted(running, [
    startFirestoreEmulator({ projectId: PROJECT, port: port('FIRESTORE_PORT') }),
    startPubsubEmulator({ projectId: PROJECT, port: port('PUBSUB_PORT') }),
  ]);
  if (await consoleBuilt) say('console: built into dist/console');
  const storage: StorageEmulator = await startStorageEmulator({
    projectId: PROJECT,
    port: port('STORAGE_PORT'),
    dataDir: dirs.storage,
    pubsubEmulatorHost: pubsub.host,
  });
  running.push(storage);
  return { firestore, pubsub, storage };
}

/** The functions' environment: the emulators' hosts, the local buckets and secrets, and their URLs for each other. */
function functionEnv({ firestore, pubsub, storage }: Emulators, { dirs }: LaunchData): Record<string, string> {
  return {
    GOOGLE_CLOUD_PROJECT: PROJECT,
    FIRESTORE_EMULATOR_HOST: firestore.host,
    PUBSUB_EMULATOR_HOST: pubsub.host,
    STORAGE_EMULATOR_HOST: storage.url,
    UPLOADS_BUCKET: process.env.UPLOADS_BUCKET ?? LOCAL_BUCKETS.uploads,
    RESULTS_BUCKET: process.env.RESULTS_BUCKET ?? LOCAL_BUCKETS.results,
    MODELS_BUCKET: process.env.MODELS_BUCKET ?? LOCAL_BUCKETS.models,
    USER_HASH_SECRET: process.env.USER_HASH_SECRET ?? LOCAL_SECRETS.userHash,
    WEBHOOK_SECRET: process.env.WEBHOOK_SECRET ?? LOCAL_SECRETS.webhook,
    // Seals PDF passwords in tasks: a fresh key each launch, so no key for them sits in the repository.
    PASSWORD_KEY: process.env.PASSWORD_KEY ?? randomBytes(32).toString('base64url'),
    ALLOW_LOCAL_IDENTITY: 'true',
    // The console (served by the api) sends files to upload from the browser.
    UPLOAD_URL: `http://127.0.0.1:${port('UPLOAD_PORT')}`,
    CONSOLE_ORIGINS: `http://127.0.0.1:${port('API_PORT')},http://localhost:${port('API_PORT')}`,
    // upload's statusUrl: the api, on its own port.
    API_URL: `http://127.0.0.1:${port('API_PORT')}`,
    TMPDIR: dirs.tmp,
  };
}

async function startFunctions(running: Stoppable[], env: Record<string, string>, { dirs }: LaunchData): Promise<Functions> {
  const fn = (target: string, key: keyof typeof LOCAL_PORTS, extra: Record<string, string> = {}): Promise<FunctionProcess> =>
    startFunction({ target, env: { ...env, ...extra }, port: port(key), logFile: join(dirs.logs, `${target}.log`) });
  const [upload, api, dispatch, worker, callbacks] = await allStarted(running, [
    fn('upload', 'UPLOAD_PORT'),
    fn('api', 'API_PORT'),
    fn('dispatch', 'DISPATCH_PORT'),
    // Each worker under a stable name: started again on the same data (--data), it frees what its last run left leased.
    WORKERS === 1
      ? fn('ocr-worker', 'WORKER_PORT', { WORKER_INSTANCE: workerInstance(0) })
      : startWorkerPool(WORKERS, port('WORKER_PORT'), (i) => startFunction({ target: 'ocr-worker', env: { ...env, WORKER_INSTANCE: workerInstance(i) }, logFile: join(dirs.logs, `ocr-worker-${i + 1}.log`) })),
    fn('callbacks', 'CALLBACKS_PORT'),
  ]);
  return { upload, api, dispatch, worker, callbacks };
}

async function provisionLocalProject(running: Stoppable[], env: Record<string, string>, { worker, callbacks }: Functions): Promise<void> {
  // This process talks to the emulators too (provisioning), through the same variables.
  Object.assign(process.env, { FIRESTORE_EMULATOR_HOST: env.FIRESTORE_EMULATOR_HOST, PUBSUB_EMULATOR_HOST: env.PUBSUB_EMULATOR_HOST, STORAGE_EMULATOR_HOST: env.STORAGE_EMULATOR_HOST });
  const { pushRoutes } = await provision({
    projectId: PROJECT,
    buckets: [env.UPLOADS_BUCKET!, env.RESULTS_BUCKET!, env.MODELS_BUCKET!],
    workerUrls: { high: worker.url, normal: worker.url, low: worker.url },
    browserUploads: { bucket: env.UPLOADS_BUCKET!, origins: env.CONSOLE_ORIGINS!.split(',') },
    callbacksUrl: callbacks.url,
    relayPushes: true,
  });
  // The workers' slots as they read them (WORKER_SLOTS from this environment, else its default).
  const concurrency = pushConcurrency(loadConfig({ ...process.env, ...env }).WORKER_SLOTS, WORKERS);
  running.push(await startPushRelay({ projectId: PROJECT, routes: pushRoutes, concurrency }));
  say(`pushes: ${concurrency} at a time per lane to the OCR worker${WORKERS > 1 ? 's' : ''}`);
}

/**
 * The shipped models into the models bucket, rsync -u style: a model changed by hand in the
 * bucket (newer) survives the launch; with --data default it survives restarts too.
 */
async function syncShippedModels(env: Record<string, string>): Promise<void> {
  say('models:');
  const shipped = join(args['data-root']!, 'models-shipped');
  await stagePackagedModels(shipped);
  await syncModels({ source: shipped, destination: `gs://${env.MODELS_BUCKET}/`, log: (line) => say(`  ${line}`) });
}

function writeLaunchInfo({ name, dataDir }: LaunchData, started: Date, env: Record<string, string>, { firestore, pubsub, storage }: Emulators, functions: Functions): void {
  const { upload, api, dispatch, worker, callbacks } = functions;
  const info = {
    timestamp: name,
    dataDir,
    // Operators' commands find the running suite by this process being alive.
    pid: process.pid,
    startedAt: localOffsetIso(started),
    projectId: PROJECT,
    ports: { storage: storage.port, pubsub: pubsub.port, firestore: firestore.port, upload: upload.port, api: api.port, dispatch: dispatch.port, ocrWorker: worker.port, callbacks: callbacks.port },
    buckets: { uploads: env.UPLOADS_BUCKET, results: env.RESULTS_BUCKET, models: env.MODELS_BUCKET },
  };
  writeFileSync(join(dataDir, 'launch_info.json'), JSON.stringify(info, null, 2) + '\n');
  // Beside it, readable by its owner only (and never in launch_info.json, which `data list --json` shows): the key
  // the operators' commands seal a PDF's password with (docvault ingest --password).
  writeFileSync(join(dataDir, PASSWORD_KEY_FILE), env.PASSWORD_KEY + '\n', { mode: 0o600 });
}

function sayReady({ dirs }: LaunchData, { firestore, pubsub, storage }: Emulators, { upload, api }: Functions, env: Record<string, string>): void {
  const rows: Array<[string, string, string]> = [
    ['console', `${api.url}/`, 'open this in a browser: upload, watch, read the results'],
    ['upload', `${upload.url}/`, 'POST multipart (file=@doc.pdf), header X-User-Email: you@example.com'],
    ['api', `${api.url}/`, 'GET /tasks, /tasks/ID, /tasks/ID/result?format=txt, /queue/stats, /health'],
    ['storage', storage.url, `STORAGE_EMULATOR_HOST=${storage.url}`],
    ['pubsub', pubsub.host, `PUBSUB_EMULATOR_HOST=${pubsub.host}`],
    ['firestore', firestore.host, `FIRESTORE_EMULATOR_HOST=${firestore.host}`],
  ];
  const width = Math.max(...rows.map(([, where]) => where.length)) + 2;
  say(`
${rows.map(([name, where, what]) => `  ${name.padEnd(12)}${where.padEnd(width)}${what}`).join('\n')}
  logs        ${dirs.logs}/
  callbacks   signed with WEBHOOK_SECRET=${env.WEBHOOK_SECRET}   (check x-docvault-signature with it)

Try:
  curl -s -H 'X-User-Email: you@example.com' -F file=@test/fixtures/tess_phototest.tif ${upload.url}/
  curl -s -H 'X-User-Email: you@example.com' ${api.url}/tasks

Ready. Ctrl-C stops everything.`);
}

await main();
