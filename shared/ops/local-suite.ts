/**
 * The local suite `npm start` is running, found by its launch_info.json: the newest data/{folder}/
 * whose launcher process is still alive. Operators' commands use it when nothing points them at
 * the cloud, so that `docvault queue stats` works as printed while `npm start` runs.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The launch's PASSWORD_KEY, beside its launch_info.json (mode 600): a fresh key each launch, never in the repository. */
export const PASSWORD_KEY_FILE = 'password_key';

export interface RunningSuite {
  dataDir: string;
  /** Seals a PDF's password for the suite's functions; null for a launch from before the file was written. */
  passwordKey: string | null;
  pid: number;
  projectId: string;
  ports: { storage: number; pubsub: number; firestore: number };
  buckets: { uploads: string; results: string; models: string };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, run by another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseInfo(text: string, dataDir: string): (Omit<RunningSuite, 'passwordKey'> & { startedAt: string }) | null {
  try {
    const info = JSON.parse(text) as Partial<RunningSuite> & { startedAt?: string };
    if (typeof info.pid !== 'number' || !info.ports || !info.buckets || typeof info.projectId !== 'string') return null;
    return { dataDir, pid: info.pid, projectId: info.projectId, ports: info.ports, buckets: info.buckets, startedAt: info.startedAt ?? '' };
  } catch {
    return null;
  }
}

/** The newest launch with a live launcher, or null. Launches written before the pid was recorded never count. */
export async function findRunningSuite(dataRoot: string): Promise<RunningSuite | null> {
  const names = await readdir(dataRoot).catch(() => [] as string[]);
  const found: Array<Omit<RunningSuite, 'passwordKey'> & { startedAt: string }> = [];
  for (const name of names) {
    const dataDir = join(dataRoot, name);
    const text = await readFile(join(dataDir, 'launch_info.json'), 'utf8').catch(() => null);
    const info = text === null ? null : parseInfo(text, dataDir);
    if (info && alive(info.pid)) found.push(info);
  }
  found.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  const newest = found[0];
  if (!newest) return null;
  const { startedAt: _startedAt, ...suite } = newest;
  // The newest launch's key only: read once, for the suite returned.
  const passwordKey = (await readFile(join(suite.dataDir, PASSWORD_KEY_FILE), 'utf8').catch(() => '')).trim() || null;
  return { ...suite, passwordKey };
}

/** The environment the suite gives its functions, for the variables the caller has not set. */
export function suiteEnv(suite: Pick<RunningSuite, 'projectId' | 'ports' | 'buckets'> & Partial<Pick<RunningSuite, 'passwordKey'>>): NodeJS.ProcessEnv {
  return {
    GOOGLE_CLOUD_PROJECT: suite.projectId,
    FIRESTORE_EMULATOR_HOST: `127.0.0.1:${suite.ports.firestore}`,
    PUBSUB_EMULATOR_HOST: `127.0.0.1:${suite.ports.pubsub}`,
    STORAGE_EMULATOR_HOST: `http://127.0.0.1:${suite.ports.storage}`,
    UPLOADS_BUCKET: suite.buckets.uploads,
    RESULTS_BUCKET: suite.buckets.results,
    MODELS_BUCKET: suite.buckets.models,
    ...(suite.passwordKey ? { PASSWORD_KEY: suite.passwordKey } : {}),
  };
}

/** Set by the caller: the cloud project or an emulator. Then no local suite is looked for. */
export function configuredTarget(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.GOOGLE_CLOUD_PROJECT || env.FIRESTORE_EMULATOR_HOST || env.STORAGE_EMULATOR_HOST || env.PUBSUB_EMULATOR_HOST);
}
