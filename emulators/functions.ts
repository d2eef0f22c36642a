/**
 * Runs functions with the functions framework as separate processes, the way Cloud Run runs them:
 * one process per deployed function, same source, the environment deciding everything else.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePort } from './gcloud.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE = `${ROOT}node_modules/.bin/node`;
const FRAMEWORK = `${ROOT}node_modules/@google-cloud/functions-framework/build/src/main.js`;
/** Makes the framework listen on FUNCTION_HOST (default 127.0.0.1), not every interface. */
const LISTEN_HOST = `${ROOT}emulators/listen-host.ts`;

export interface FunctionProcess {
  target: string;
  port: number;
  url: string;
  child: ChildProcess;
  /** SIGKILL, as a crash would: no clean-up runs. */
  kill(): void;
  stop(): Promise<void>;
}

export interface StartFunctionOptions {
  target: string;
  env: Record<string, string>;
  port?: number;
  /** Appends the process's output here; inherits the parent's stdout/stderr when unset. */
  logFile?: string;
  readyTimeoutMs?: number;
}

export async function startFunction(options: StartFunctionOptions): Promise<FunctionProcess> {
  const port = options.port || (await freePort());
  const child = spawn(NODE, ['--import', LISTEN_HOST, FRAMEWORK, `--target=${options.target}`, `--port=${port}`, `--source=${ROOT}functions/index.ts`], {
    cwd: ROOT,
    // NODE_ENV as Cloud Run functions set it: the framework then prints no plain-text banner, so
    // every line of a function's log is a JSON entry, as in the cloud.
    env: { ...process.env, NODE_ENV: 'production', ...options.env, FUNCTION_TARGET: options.target, PORT: String(port), METADATA_SERVER_DETECTION: 'none' },
    stdio: ['ignore', options.logFile ? 'pipe' : 'inherit', options.logFile ? 'pipe' : 'inherit'],
  });
  if (options.logFile) {
    const log = createWriteStream(options.logFile, { flags: 'a' });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  // Readiness by TCP connect: an empty GET makes the framework answer 500 (and log an error).
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`function ${options.target} exited with ${child.exitCode} before it listened`);
    if (await canConnect(port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`function ${options.target} did not listen on ${port} within ${options.readyTimeoutMs ?? 30_000} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    target: options.target,
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    kill: () => child.kill('SIGKILL'),
    async stop() {
      process.removeListener('exit', onExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
