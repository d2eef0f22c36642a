/**
 * The whole system on the emulator suite, the way `npm start` runs it: storage events to
 * dispatch, the worker subscriptions pushed to the OCR worker by the push relay, functions as functions-framework
 * processes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFunction, type FunctionProcess } from '../../emulators/functions.ts';
import { startWorkerPool, workerInstance, type WorkerPool } from '../../emulators/worker-pool.ts';
import { pushConcurrency } from '../../emulators/push-relay.ts';
import { loadConfig } from '../../shared/config.ts';
import type { FunctionName } from '../../shared/names.ts';
import { startSuite, TEST_BUCKETS, type Suite } from './suite.ts';

export interface Pipeline {
  suite: Suite;
  functions: Partial<Record<FunctionName, FunctionProcess>>;
  logDir: string;
  /** With `workers` > 1: the OCR worker processes behind one push endpoint (functions['ocr-worker'] is then unset). */
  workerPool?: WorkerPool;
  /** Restarts a function on its port (after a kill, say). */
  restart(name: FunctionName): Promise<FunctionProcess>;
  stop(): Promise<void>;
}

export interface PipelineOptions {
  functions: FunctionName[];
  env?: Partial<Record<FunctionName, Record<string, string>>>;
  workers?: number;
  /** How long a function (started or restarted) may take to listen: longer on a machine shared with other work. */
  readyTimeoutMs?: number;
}

/**
 * A function started beside four others and two emulator JVMs on a loaded 2-core machine took
 * over startFunction's own 30 s to listen (the OCR worker, at a load average of ~30); the test
 * files give their beforeAll 180 s.
 */
export const FUNCTION_READY_TIMEOUT_MS = 90_000;

export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const suite = await startSuite();
  const logDir = mkdtempSync(join(tmpdir(), 'pipeline-logs-'));
  const apiUrl: Record<string, string> = {};
  // Each worker process under a stable name, kept by a restart: the new process frees its killed predecessor's leases.
  const envFor = (name: FunctionName, worker = 0) => ({ ...suite.env, ...apiUrl, ...(name === 'ocr-worker' ? { WORKER_INSTANCE: workerInstance(worker) } : {}), ...options.env?.[name] });
  const ready = { readyTimeoutMs: options.readyTimeoutMs ?? FUNCTION_READY_TIMEOUT_MS };
  const start = (name: FunctionName) => startFunction({ target: name, env: envFor(name), logFile: join(logDir, `${name}.log`), ...ready });
  // The api first, as npm start knows its port in advance: upload's statusUrl points at it (API_URL).
  const api = options.functions.includes('api') ? await start('api') : undefined;
  if (api) apiUrl.API_URL = api.url;
  const pooled = options.functions.includes('ocr-worker') && (options.workers ?? 1) > 1;
  const workerPool = pooled
    ? await startWorkerPool(options.workers!, 0, (i) => startFunction({ target: 'ocr-worker', env: envFor('ocr-worker', i), logFile: join(logDir, `ocr-worker-${i + 1}.log`), ...ready }))
    : undefined;
  const started = [...(api ? [api] : []), ...(await Promise.all(options.functions.filter((name) => name !== 'api' && !(pooled && name === 'ocr-worker')).map(start)))];
  const functions: Pipeline['functions'] = Object.fromEntries(started.map((f) => [f.target, f]));
  if (functions.dispatch) suite.storage.addEventTarget({ url: functions.dispatch.url, eventTypes: ['finalized'], buckets: [TEST_BUCKETS.uploads] });
  const worker = workerPool?.url ?? functions['ocr-worker']?.url;
  const callbacks = functions.callbacks?.url;
  await suite.provision({
    ...(worker ? { workerUrls: { high: worker, normal: worker, low: worker } } : {}),
    ...(callbacks ? { callbacksUrl: callbacks } : {}),
    maxDeliveryAttempts: 10,
    minimumBackoffSeconds: 1,
    maximumBackoffSeconds: 3,
    pushConcurrency: pushConcurrency(loadConfig(envFor('ocr-worker')).WORKER_SLOTS, options.workers ?? 1),
  });
  return {
    suite,
    functions,
    logDir,
    ...(workerPool ? { workerPool } : {}),
    async restart(name) {
      const old = functions[name]!;
      const fresh = await startFunction({ target: name, env: envFor(name), port: old.port, logFile: join(logDir, `${name}.log`), ...ready });
      functions[name] = fresh;
      return fresh;
    },
    async stop() {
      await Promise.allSettled([...Object.values(functions).map((f) => f.stop()), workerPool?.stop()]);
      await suite.stop();
    },
  };
}

export { TEST_BUCKETS };
