/**
 * The script of our tesseract.js worker threads (its `workerPath` option): tesseract.js's own node worker script with
 * three differences. The first is the choice of the WASM core: tesseract.js 7 hands its node `getCore` a boolean ("LSTM only?") where
 * that function expects an OEM number, so in Node every worker loads the core with the legacy engine (3.5 MB of WASM
 * instead of 2.9) even for LSTM-only reading (tesseract.js issue 1034). Here the boolean is turned back into the OEM
 * it stands for: an LSTM-only worker loads the LSTM-only core, a legacy one (OSD) still the legacy core.
 * Measured (bench/RESULTS.md): a worker starts on ~40% less CPU (0.23 against 0.39 s) and bench:pdf's peak is 11–25 MB
 * lower with the same text and CPU; the first page of a new worker takes ~0.2 CPU-s more (the compile work moves
 * from the start to the first read), so a one-image `docvault ocr` costs the same CPU.
 *
 * The second: the worker starts itself. tesseract.js's createWorker asks for the start in three round trips (load the core,
 * load the traineddata, initialize), each sent only when the main thread has handled the previous answer; in a new
 * process (docvault ocr) the main thread is then busy loading modules and preparing the page, and each step waited for
 * it (~0.25 s a step at load 20). Given the languages, the folder and the engine mode (`startingWorker`), the worker
 * runs the three steps at once, reading the traineddata while the core compiles, and answers each request with the
 * outcome of the step already run (the same messages, under the request's job id). A request asking for anything else
 * is run as asked, after the step run ahead has ended. The start reaches the worker in its copy of the environment,
 * not in its URL: the script stays the same text, which Node's compile cache (docvault ocr) then keeps once.
 *
 * The third: the core is compiled once a process (compileCore) and each worker is instantiated from that module, through
 * emscripten's `instantiateWasm` hook, so a worker started after the first runs the code V8 made for the first.
 *
 * A data: URL rather than a file: a worker thread that loads a .ts file first loads Node's type stripper
 * (~40 ms CPU and ~0.1 s of a cold start), and tsc copies no .js file into the build.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { setEnvironmentData } from 'node:worker_threads';
import Tesseract from 'tesseract.js';

/**
 * The progress status our worker reports once its core is loaded; `core` is the core's file name, `shared` whether it was
 * instantiated from the module compiled once in the process (compileCore).
 */
export const CORE_LOADED_STATUS = 'docvault: tesseract core loaded';

const { OEM } = Tesseract;

/** What the worker starts itself with: tesseract.js's createWorker arguments. */
export interface WorkerStart {
  /** `eng`, `eng+deu` */
  langs: string;
  /** The folder holding `{lang}.traineddata` (ModelStore.langPath). */
  langPath: string;
  oem: Tesseract.OEM;
  /** Parameters tesseract reads only when it starts (its config file; createWorker's `config`). */
  config?: Record<string, string>;
}

/** The environment variable that hands the start to the worker (a worker thread gets a copy of process.env). */
const START_ENV = 'DOCVAULT_TESSERACT_WORKER_START';

/** The key of the compiled core in worker_threads' environment data, which every thread spawned after it is set copies. */
export const CORE_MODULE_KEY = 'docvault:tesseract-core';

/** The compiled core a worker thread finds in its environment data: the core's file name, its module and its bytes. */
interface CompiledCore {
  core: string;
  /** A `WebAssembly.Module` (the project's TypeScript libraries do not declare the WebAssembly API), not yet validated. */
  module: object;
  /** The file it was compiled from: a worker validates them before it runs the module (compileCore). */
  bytes: Uint8Array;
}

const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object } };

/**
 * V8's budget before a WebAssembly function is compiled again by its optimising compiler (TurboFan): roughly the bytes of
 * code it has run (V8's default 13,000,000). With the default, a first read set V8's threads compiling ~0.6 CPU-s of
 * functions whose faster code came too late to repay it; at this budget only the functions that run longest are
 * compiled, and the reads were no slower (bench/RESULTS.md, "WebAssembly compile": a one-image docvault ocr ~25% less
 * CPU; a 10-page PDF ~0.5 CPU-s less on V8's threads, the same in all). V8 gives a module's functions the budget in force
 * when the module is compiled (withTieringBudget).
 */
export const WASM_TIERING_BUDGET = 300_000_000;

/** V8's own default of `--wasm-tiering-budget` (Node 22's V8), which the flag is set back to (checked against `node --v8-options` by a test). */
export const V8_DEFAULT_TIERING_BUDGET = 13_000_000;

let budgetHolders = 0;

/**
 * Runs `work` (a compile of a WebAssembly core) with V8's tier-up budget at WASM_TIERING_BUDGET, and sets the flag back to
 * V8's default as soon as no such work runs. Not left set for the process: while any V8 flag differs from its default, V8
 * refuses the code Node ships compiled for its own modules (the flags are part of that cache's key), so a thread started
 * meanwhile compiles Node's internals from source: an OCR worker's thread spent ~105–115 ms of CPU before its script's
 * first line instead of ~40–55 (bench/RESULTS.md, "bench:cli — coldstart"). Flags are the process's; the count is this
 * thread's, where the engine runs. `lazyValidation`: V8 checks each function when it first compiles it, not the whole
 * module here (a synchronous work only: the flag is set back when it returns).
 */
export function withTieringBudget<T>(work: () => T, lazyValidation = false): T {
  if (budgetHolders++ === 0) setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`);
  if (lazyValidation) setFlagsFromString('--wasm-lazy-validation');
  const done = () => {
    if (lazyValidation) setFlagsFromString('--no-wasm-lazy-validation');
    if (--budgetHolders === 0) setFlagsFromString(`--wasm-tiering-budget=${V8_DEFAULT_TIERING_BUDGET}`);
  };
  let result: T;
  try {
    result = work();
  } catch (err) {
    done();
    throw err;
  }
  if (result instanceof Promise) return result.finally(done) as T;
  done();
  return result;
}

let compiling: Promise<string | null> | undefined;

/**
 * Compiles the LSTM-only WASM core once in this process and leaves it where the worker threads spawned after it find it;
 * resolves with the core's file name, or null if it could not be compiled (each worker then compiles its own, as before).
 * Every worker instantiates the same `WebAssembly.Module`, so V8 keeps one copy of the machine code: the functions one
 * worker has compiled, and the faster code of those it has run hot (TurboFan's tier-up), serve every other worker.
 * The compile is synchronous, so that V8's flags are set for it alone (withTieringBudget), and does not validate the
 * module: ~5 ms of this thread's CPU, where checking the whole 2.9 MB took ~20 on the start's busiest thread. With V8's
 * lazy validation set back, a function of it that did not validate would stop the process at its first call (V8 checks
 * that lazy validation is on when a lazy compile fails): so each worker validates the bytes before it runs the module
 * (WebAssembly.validate, ~20 ms of its own CPU while it starts), and compiles its own when they do not validate, as
 * without a shared module.
 */
export function compileCore(): Promise<string | null> {
  compiling ??= (async () => {
    const require = createRequire(createRequire(import.meta.url).resolve('tesseract.js/src/worker-script/node/getCore.js'));
    // The file tesseract.js's getCore loads for an LSTM-only worker, by the same feature checks.
    const { simd, relaxedSimd } = require('wasm-feature-detect') as { simd(): Promise<boolean>; relaxedSimd(): Promise<boolean> };
    const core = (await relaxedSimd()) ? 'tesseract-core-relaxedsimd-lstm' : (await simd()) ? 'tesseract-core-simd-lstm' : 'tesseract-core-lstm';
    const bytes = await readFile(require.resolve(`tesseract.js-core/${core}.wasm`));
    const module = withTieringBudget(() => new wasm.Module(bytes), true);
    // Shared memory: every thread spawned after this gets the environment data, the render thread too, and none a copy.
    const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
    shared.set(bytes);
    setEnvironmentData(CORE_MODULE_KEY, { core, module, bytes: shared } satisfies CompiledCore);
    return core;
  })().catch(() => null);
  return compiling;
}

let url: URL | undefined;

/** The worker script, as a URL for tesseract.js's `workerPath` (it passes it to `new Worker` unchanged). */
export function tesseractWorkerUrl(): URL {
  url ??= new URL(`data:text/javascript,${encodeURIComponent(workerSource())}`);
  return url;
}

/**
 * Runs `create` (tesseract.js's createWorker with our workerPath) with `start` in the environment the worker thread copies:
 * createWorker spawns its thread before its first await, and the variable is gone again when it returns.
 */
export function startingWorker<T>(start: WorkerStart, create: () => T): T {
  process.env[START_ENV] = JSON.stringify(start);
  try {
    return create();
  } finally {
    delete process.env[START_ENV];
  }
}

// One template of the worker thread's whole script: its length is the script's, not this function's logic.
function workerSource(): string {
  // tesseract.js's node worker script: node_modules/tesseract.js/src/worker-script/node/index.js.
  const scripts = dirname(createRequire(import.meta.url).resolve('tesseract.js/src/worker-script/index.js'));
  return `
import { parentPort, getEnvironmentData } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
const require = createRequire(${JSON.stringify(`${scripts}/index.js`)});
const worker = require('./index.js');
const getCore = require('./node/getCore.js');
const cache = require('./node/cache.js');
const coreFile = () => Object.keys(require.cache).map((f) => /(tesseract-core[\\w-]*)\\.js$/.exec(f)?.[1]).find(Boolean) ?? 'unknown';
// Without a start (a worker spawned outside startingWorker) every request is run as asked.
const start = process.env.${START_ENV} ? JSON.parse(process.env.${START_ENV}) : null;
const lstmOnly = start !== null && (start.oem === ${OEM.LSTM_ONLY} || start.oem === ${OEM.DEFAULT});
// The traineddata is read while the core compiles; loadLanguage takes the read begun here.
const reads = new Map(start === null ? [] : start.langs.split('+').map((lang) => [start.langPath + '/' + lang + '.traineddata', readFile(start.langPath + '/' + lang + '.traineddata')]));
for (const read of reads.values()) read.catch(() => undefined);
// The core compiled once in the process (compileCore), when it is the one getCore chose: instantiated from that module.
const compiled = getEnvironmentData(${JSON.stringify(CORE_MODULE_KEY)});
worker.setAdapter({
  getCore: async (lstmOnly, corePath, res) => {
    const factory = await getCore(lstmOnly ? ${OEM.LSTM_ONLY} : ${OEM.TESSERACT_ONLY}, corePath, res);
    const core = coreFile();
    // Compiled unvalidated (compileCore): run only once its bytes validate.
    const module = compiled?.core === core && compiled.bytes && WebAssembly.validate(compiled.bytes) ? compiled.module : null;
    // Should the shared module not instantiate, the worker compiles the core's file itself, as without it.
    const own = (imports) => readFile(require.resolve('tesseract.js-core/' + core + '.wasm')).then((bytes) => WebAssembly.instantiate(bytes, imports));
    return async (options) => {
      let shared = false;
      // emscripten's hook: it hands over the imports and takes the instance; the return value is not used.
      const instantiateWasm = (imports, done) => {
        WebAssembly.instantiate(module, imports).then((instance) => {
          shared = true;
          done(instance, module);
        }, () => own(imports).then((r) => done(r.instance, r.module)));
        return {};
      };
      const loaded = await factory(module === null ? options : { ...options, instantiateWasm });
      res.progress({ status: ${JSON.stringify(CORE_LOADED_STATUS)}, core, shared });
      return loaded;
    };
  },
  // Required at its first use: node:zlib costs the thread ~3 ms to load, and our models are read unpacked (gzip: false).
  gunzip: (data) => require('./node/gunzip.js')(data),
  fetch: globalThis.fetch,
  ...cache,
  readCache: (path) => {
    const read = reads.get(path);
    reads.delete(path);
    return read ?? cache.readCache(path);
  },
});
const post = (obj) => parentPort.postMessage(obj);
/** Runs one step as tesseract.js would ask for it; resolves with every message it sent, the outcome last. */
const run = (action, payload) => new Promise((resolve) => {
  const sent = [];
  worker.dispatchHandlers({ workerId: 'start', jobId: 'start', action, payload }, (obj) => {
    sent.push(obj);
    if (obj.status !== 'progress') resolve(sent);
  });
});
const resolved = (sent) => sent !== null && sent.at(-1).status === 'resolve';
/** Each step run ahead, and whether a request asks for exactly that step. */
const ahead = new Map();
if (start !== null) {
  const load = run('load', { options: { lstmOnly, logging: false } });
  const loadLanguage = load.then((sent) => resolved(sent) ? run('loadLanguage', { langs: start.langs, options: { langPath: start.langPath, cacheMethod: 'none', gzip: false, lstmOnly } }) : null);
  const initialize = loadLanguage.then((sent) => resolved(sent) ? run('initialize', { langs: start.langs, oem: start.oem, config: start.config ?? {} }) : null);
  ahead.set('load', { sent: load, asks: (p) => p.options.lstmOnly === lstmOnly && !p.options.corePath });
  ahead.set('loadLanguage', { sent: loadLanguage, asks: (p) => p.langs === start.langs && p.options.langPath === start.langPath && p.options.gzip === false && !p.options.dataPath });
  ahead.set('initialize', { sent: initialize, asks: (p) => p.langs === start.langs && p.oem === start.oem && JSON.stringify(p.config ?? {}) === JSON.stringify(start.config ?? {}) });
}
parentPort.on('message', (packet) => {
  const step = ahead.get(packet.action);
  if (!step) return worker.dispatchHandlers(packet, post);
  ahead.delete(packet.action);
  void step.sent.then((sent) => {
    if (sent === null || !step.asks(packet.payload)) return worker.dispatchHandlers(packet, post);
    for (const obj of sent) post({ ...obj, jobId: packet.jobId, workerId: packet.workerId });
  });
});
`;
}
