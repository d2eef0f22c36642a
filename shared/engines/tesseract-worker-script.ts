/**
 * The script of our tesseract.js worker threads (its `workerPath` option): tesseract.js's own node worker script with
 * one difference, the choice of the WASM core. tesseract.js 7 hands its node `getCore` a boolean ("LSTM only?") where
 * that function expects an OEM number, so in Node every worker loads the core with the legacy engine (3.5 MB of WASM
 * instead of 2.9) even for LSTM-only reading (tesseract.js issue 1034). Here the boolean is turned back into the OEM
 * it stands for: an LSTM-only worker loads the LSTM-only core, a legacy one (OSD) still the legacy core.
 * Measured (bench/RESULTS.md): a worker starts on ~40% less CPU (0.23 against 0.39 s) and bench:pdf's peak is 11–25 MB
 * lower with the same text and CPU; the first page of a new worker takes ~0.2 CPU-s more (the compile work moves
 * from the start to the first read), so a one-image `docvault ocr` costs the same CPU.
 *
 * A data: URL rather than a file: a worker thread that loads a .ts file first loads Node's type stripper
 * (~40 ms CPU and ~0.1 s of a cold start), and tsc copies no .js file into the build.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import Tesseract from 'tesseract.js';

/** The progress status our worker reports once its core is loaded; `core` is the core's file name. */
export const CORE_LOADED_STATUS = 'docvault: tesseract core loaded';

const { OEM } = Tesseract;

let url: URL | undefined;

/** The worker script, as a URL for tesseract.js's `workerPath` (it passes it to `new Worker` unchanged). */
export function tesseractWorkerUrl(): URL {
  url ??= new URL(`data:text/javascript,${encodeURIComponent(workerSource())}`);
  return url;
}

function workerSource(): string {
  // tesseract.js's node worker script: node_modules/tesseract.js/src/worker-script/node/index.js.
  const scripts = dirname(createRequire(import.meta.url).resolve('tesseract.js/src/worker-script/index.js'));
  return `
import { parentPort } from 'node:worker_threads';
import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(`${scripts}/index.js`)});
const worker = require('./index.js');
const getCore = require('./node/getCore.js');
const coreFile = () => Object.keys(require.cache).map((f) => /(tesseract-core[\\w-]*)\\.js$/.exec(f)?.[1]).find(Boolean) ?? 'unknown';
parentPort.on('message', (packet) => worker.dispatchHandlers(packet, (obj) => parentPort.postMessage(obj)));
worker.setAdapter({
  getCore: async (lstmOnly, corePath, res) => {
    const core = await getCore(lstmOnly ? ${OEM.LSTM_ONLY} : ${OEM.TESSERACT_ONLY}, corePath, res);
    res.progress({ status: ${JSON.stringify(CORE_LOADED_STATUS)}, core: coreFile() });
    return core;
  },
  gunzip: require('./node/gunzip.js'),
  fetch: globalThis.fetch,
  ...require('./node/cache.js'),
});
`;
}
