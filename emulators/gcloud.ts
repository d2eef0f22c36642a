import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { z } from 'zod';

/** The gcloud emulators these helpers start, with what to install when one is missing. */
export const GcloudEmulatorKind = z.enum(['pubsub', 'firestore']);
export type GcloudEmulatorKind = z.infer<typeof GcloudEmulatorKind>;

const KINDS: Record<GcloudEmulatorKind, { args: string[]; platformDir: string; aptPackage: string; component: string; envVar: string }> = {
  pubsub: {
    args: ['beta', 'emulators', 'pubsub', 'start'],
    platformDir: 'pubsub-emulator',
    aptPackage: 'google-cloud-cli-pubsub-emulator',
    component: 'pubsub-emulator',
    envVar: 'PUBSUB_EMULATOR_HOST',
  },
  firestore: {
    args: ['emulators', 'firestore', 'start'],
    platformDir: 'cloud-firestore-emulator',
    aptPackage: 'google-cloud-cli-firestore-emulator',
    component: 'cloud-firestore-emulator',
    envVar: 'FIRESTORE_EMULATOR_HOST',
  },
};

/**
 * The emulators idle at ~110 MB and would take a quarter of the machine's memory without a cap.
 * The Firestore emulator keeps every document in its heap: at 256 MB it stalled (DEADLINE_EXCEEDED)
 * near 32,000 task documents, so its cap leaves room for a 100k-file ingest.
 */
export const DEFAULT_HEAP_MB: Readonly<Record<GcloudEmulatorKind, number>> = { pubsub: 1024, firestore: 2048 };

export interface GcloudEmulatorOptions {
  projectId?: string;
  /** 0 or unset: a free port. */
  port?: number;
  /** JVM max heap (a cap, not a reservation). Default: DEFAULT_HEAP_MB for the kind. */
  heapMb?: number;
  /** Default 60 s (a cold JVM on a busy 2-core machine can take 10 s). */
  readyTimeoutMs?: number;
  /** Extra arguments for `gcloud ... start`. */
  extraArgs?: string[];
}

export interface GcloudEmulator {
  kind: GcloudEmulatorKind;
  /** `127.0.0.1:PORT`, the value for PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST. */
  host: string;
  port: number;
  projectId: string;
  /** `{ PUBSUB_EMULATOR_HOST: host }` or `{ FIRESTORE_EMULATOR_HOST: host }`. */
  env: Record<string, string>;
  /** Process group id of the gcloud wrapper and its JVM. */
  pid: number;
  stop(): Promise<void>;
}

/** A startup problem that names what to install or fix. */
export class GcloudEmulatorError extends Error {
  override name = 'GcloudEmulatorError';
}

export function startPubsubEmulator(options: GcloudEmulatorOptions = {}): Promise<GcloudEmulator> {
  return startGcloudEmulator('pubsub', options);
}

export function startFirestoreEmulator(options: GcloudEmulatorOptions = {}): Promise<GcloudEmulator> {
  return startGcloudEmulator('firestore', options);
}

/** Where the Cloud SDK lives (`/usr/lib/google-cloud-sdk` for the Debian packages), or undefined without gcloud. */
export function findCloudSdkRoot(): string | undefined {
  const bin = onPath('gcloud');
  return bin ? dirname(dirname(realpathSync(bin))) : undefined;
}

/** The first executable named `name` on $PATH. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export async function startGcloudEmulator(kind: GcloudEmulatorKind, options: GcloudEmulatorOptions = {}): Promise<GcloudEmulator> {
  // a free port can be taken between our probe and the JVM's bind: try another one then
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(kind, options);
    } catch (err) {
      const portRace = err instanceof GcloudEmulatorError && /BindException|already in use/i.test(err.message);
      if (!portRace || options.port || attempt >= 3) throw err;
    }
  }
}

async function startOnce(kind: GcloudEmulatorKind, options: GcloudEmulatorOptions): Promise<GcloudEmulator> {
  const spec = KINDS[kind];
  checkInstalled(kind);

  const projectId = options.projectId ?? 'local-project';
  const port = options.port || (await freePort());
  const host = `127.0.0.1:${port}`;
  // a private config dir: the emulators write env.yaml and data there, and must not touch the user's
  const configDir = mkdtempSync(join(tmpdir(), `gcloud-${kind}-emulator-`));
  const args = [...spec.args, `--host-port=${host}`, '--quiet', ...(kind === 'pubsub' ? [`--project=${projectId}`] : []), ...(options.extraArgs ?? [])];
  const child = spawn('gcloud', args, {
    detached: true, // its own process group, so stop() ends the JVM as well as the Python wrapper
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      CLOUDSDK_CONFIG: configDir,
      CLOUDSDK_CORE_PROJECT: projectId,
      JAVA_TOOL_OPTIONS: `-Xmx${options.heapMb ?? DEFAULT_HEAP_MB[kind]}m`,
    },
  });
  const output = collectOutput(child);
  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const onExit = (): void => killGroup('SIGKILL');
  process.once('exit', onExit);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const cleanup = async (): Promise<void> => {
    process.removeListener('exit', onExit);
    if (child.exitCode === null && child.signalCode === null) {
      killGroup('SIGTERM');
      const done = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
      if (!done) killGroup('SIGKILL');
    }
    killGroup('SIGKILL'); // the JVM may outlive the wrapper
    // wait until no process of the group is left, so the port and memory are free on return
    const gone = Date.now() + 5000;
    while (child.pid && groupAlive(child.pid) && Date.now() < gone) await sleep(50);
    rmSync(configDir, { recursive: true, force: true });
  };

  await waitUntilReady(kind, host, child, output, cleanup, options.readyTimeoutMs ?? 60_000);

  let stopping: Promise<void> | undefined;
  return {
    kind,
    host,
    port,
    projectId,
    env: { [spec.envVar]: host },
    pid: child.pid ?? 0,
    stop: () => (stopping ??= cleanup()),
  };
}

/** The last 8000 characters the emulator wrote, for the error when it fails to start. */
function collectOutput(child: ChildProcess): () => string {
  let output = '';
  const collect = (b: Buffer): void => {
    output = (output + b.toString()).slice(-8000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return () => output;
}

/** The SDK, the emulator component and Java must be there; each missing piece is named with how to install it. */
function checkInstalled(kind: GcloudEmulatorKind): void {
  const spec = KINDS[kind];
  const sdk = findCloudSdkRoot();
  if (!sdk) {
    throw new GcloudEmulatorError(
      'gcloud is not on PATH: install the Google Cloud CLI (Debian: apt-get install google-cloud-cli ' +
        `${spec.aptPackage}) to run the ${kind} emulator.`,
    );
  }
  if (!existsSync(join(sdk, 'platform', spec.platformDir))) {
    throw new GcloudEmulatorError(
      `The ${kind} emulator is not installed in ${sdk}: apt-get install ${spec.aptPackage} ` +
        `(or, for a non-Debian SDK, gcloud components install ${spec.component}).`,
    );
  }
  if (!onPath('java')) throw new GcloudEmulatorError(`The ${kind} emulator needs Java (17 or newer): apt-get install openjdk-17-jre-headless.`);
}

/** Polls until the emulator answers; on an early exit, a taken port or the timeout it is stopped and the error carries its output. */
async function waitUntilReady(kind: GcloudEmulatorKind, host: string, child: ChildProcess, output: () => string, cleanup: () => Promise<void>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await cleanup();
      throw new GcloudEmulatorError(`The ${kind} emulator exited during start-up (code ${child.exitCode}):\n${output().trim()}`);
    }
    if (/BindException|Address already in use/.test(output())) {
      // the JVM reports the taken port but keeps running: end it now rather than at the timeout
      await cleanup();
      throw new GcloudEmulatorError(`The ${kind} emulator could not bind ${host} (port in use):\n${output().trim().slice(-2000)}`);
    }
    if (await isReady(host)) return;
    if (Date.now() > deadline) {
      await cleanup();
      throw new GcloudEmulatorError(`The ${kind} emulator did not answer on ${host} within ${timeoutMs} ms:\n${output().trim()}`);
    }
    await sleep(100);
  }
}

/** Both emulators answer `GET /` with "Ok" once they serve. */
async function isReady(host: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

