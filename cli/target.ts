/**
 * Which system an operator's command talks to. Configured (GOOGLE_CLOUD_PROJECT or an *_EMULATOR_HOST
 * set): that one. Otherwise the local suite `npm start` is running, found by itself and named on stderr;
 * `--local` with no suite found falls back to the suite's default ports.
 */
import { connect } from 'node:net';
import { relative, resolve } from 'node:path';
import { configuredTarget, findRunningSuite, suiteEnv } from '../shared/ops/local-suite.ts';
import { LOCAL_BUCKETS, LOCAL_PORTS, LOCAL_SECRETS } from '../shared/names.ts';

/** The launch data folders of this checkout (npm start's data/); here, not in data-command.ts, whose archive code an operator's command need not load. */
export const DEFAULT_DATA_ROOT = resolve(import.meta.dirname, '..', 'data');

/** Fills process.env (the clients read the *_EMULATOR_HOST variables from it) and answers it. */
export async function operatorEnv(flags: { local?: boolean }, stderr: NodeJS.WritableStream, dataRoot = process.env.DOCVAULT_DATA_ROOT ?? DEFAULT_DATA_ROOT): Promise<NodeJS.ProcessEnv> {
  if (!flags.local && configuredTarget(process.env)) return process.env;
  const suite = await findRunningSuite(dataRoot);
  if (suite) {
    stderr.write(`using the local suite of npm start in ${relative(process.cwd(), suite.dataDir) || suite.dataDir} (pid ${suite.pid}); set GOOGLE_CLOUD_PROJECT for the cloud\n`);
    const own = Object.fromEntries(Object.entries(process.env).filter(([, value]) => value)); // an empty variable sets nothing
    return Object.assign(process.env, localSuiteEnv({ ...suiteEnv(suite), ...(flags.local ? {} : own) }));
  }
  return flags.local ? Object.assign(process.env, localSuiteEnv()) : process.env;
}

/** What `npm start` gives its functions, for the variables the caller has not set. */
export function localSuiteEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const port = (name: keyof typeof LOCAL_PORTS) => Number(env[name] ?? LOCAL_PORTS[name]);
  const ports = { storage: port('STORAGE_PORT'), pubsub: port('PUBSUB_PORT'), firestore: port('FIRESTORE_PORT') };
  return {
    ...suiteEnv({ projectId: 'docvault-local', ports, buckets: LOCAL_BUCKETS }),
    USER_HASH_SECRET: LOCAL_SECRETS.userHash,
    WEBHOOK_SECRET: LOCAL_SECRETS.webhook,
    METADATA_SERVER_DETECTION: 'none',
    ...env,
  };
}

/** Whether something listens at host:port, so a stopped local suite is said at once rather than after the clients' retries. */
export function reachable(hostPort: string, timeoutMs = 2000): Promise<boolean> {
  const at = hostPort.lastIndexOf(':');
  return new Promise((done) => {
    const socket = connect({ host: hostPort.slice(0, at), port: Number(hostPort.slice(at + 1)), timeout: timeoutMs });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.once('connect', () => finish(true));
    socket.once('timeout', () => finish(false));
    socket.once('error', () => finish(false));
  });
}
