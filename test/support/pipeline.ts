/**
 * The whole system on the emulator suite, the way `npm start` runs it: storage events to
 * dispatch, push subscriptions to the OCR worker, functions as functions-framework processes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFunction, type FunctionProcess } from '../../emulators/functions.ts';
import type { FunctionName } from '../../shared/names.ts';
import { startSuite, TEST_BUCKETS, type Suite } from './suite.ts';

export interface Pipeline {
  suite: Suite;
  functions: Partial<Record<FunctionName, FunctionProcess>>;
  logDir: string;
  /** Restarts a function on its port (after a kill, say). */
  restart(name: FunctionName): Promise<FunctionProcess>;
  stop(): Promise<void>;
}

export async function startPipeline(options: { functions: FunctionName[]; env?: Partial<Record<FunctionName, Record<string, string>>> }): Promise<Pipeline> {
  const suite = await startSuite();
  const logDir = mkdtempSync(join(tmpdir(), 'pipeline-logs-'));
  const apiUrl: Record<string, string> = {};
  const envFor = (name: FunctionName) => ({ ...suite.env, ...apiUrl, ...options.env?.[name] });
  const start = (name: FunctionName) => startFunction({ target: name, env: envFor(name), logFile: join(logDir, `${name}.log`) });
  // The api first, as npm start knows its port in advance: upload's statusUrl points at it (API_URL).
  const api = options.functions.includes('api') ? await start('api') : undefined;
  if (api) apiUrl.API_URL = api.url;
  const started = [...(api ? [api] : []), ...(await Promise.all(options.functions.filter((name) => name !== 'api').map(start)))];
  const functions: Pipeline['functions'] = Object.fromEntries(started.map((f) => [f.target, f]));
  if (functions.dispatch) suite.storage.addEventTarget({ url: functions.dispatch.url, eventTypes: ['finalized'], buckets: [TEST_BUCKETS.uploads] });
  const worker = functions['ocr-worker']?.url;
  const callbacks = functions.callbacks?.url;
  await suite.provision({
    ...(worker ? { workerUrls: { high: worker, normal: worker, low: worker } } : {}),
    ...(callbacks ? { callbacksUrl: callbacks } : {}),
    maxDeliveryAttempts: 10,
    minimumBackoffSeconds: 1,
    maximumBackoffSeconds: 3,
  });
  return {
    suite,
    functions,
    logDir,
    async restart(name) {
      const old = functions[name]!;
      const fresh = await startFunction({ target: name, env: envFor(name), port: old.port, logFile: join(logDir, `${name}.log`) });
      functions[name] = fresh;
      return fresh;
    },
    async stop() {
      await Promise.allSettled(Object.values(functions).map((f) => f.stop()));
      await suite.stop();
    },
  };
}

export { TEST_BUCKETS };
