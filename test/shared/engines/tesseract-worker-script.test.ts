/** Our tesseract.js worker script: what it loads only when it is needed still works when it is. */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Tesseract from 'tesseract.js';
import { describe, expect, it } from 'vitest';
import { getEnvironmentData, setEnvironmentData } from 'node:worker_threads';
import { ModelStore, packagedModelDirs, TesseractEngine } from '../../../shared/engines/index.ts';
import { compileCore, CORE_MODULE_KEY, startingWorker, tesseractWorkerUrl, V8_DEFAULT_TIERING_BUDGET } from '../../../shared/engines/tesseract-worker-script.ts';
import { firstPage } from './first-page.ts';
import { fixture } from '../../support/fixtures.ts';

describe('the worker script', () => {
  // The models the engine hands over are unpacked (ModelStore), so the worker requires its gunzip only at a first use.
  it('reads with a gzipped traineddata file: its gunzip, required at first use, unpacks it', async () => {
    const langPath = mkdtempSync(join(tmpdir(), 'worker-script-gz-'));
    const packed = createRequire(import.meta.url).resolve('@tesseract.js-data/eng/4.0.0_best_int/eng.traineddata.gz');
    // The gzipped bytes under the plain name: tesseract.js tells them by their magic number.
    copyFileSync(packed, join(langPath, 'eng.traineddata'));
    const worker = await startingWorker({ langs: 'eng', langPath, oem: Tesseract.OEM.LSTM_ONLY }, () =>
      Tesseract.createWorker('eng', Tesseract.OEM.LSTM_ONLY, { langPath, gzip: false, cacheMethod: 'none', workerPath: tesseractWorkerUrl() as unknown as string }),
    );
    try {
      const { data } = await worker.recognize(Buffer.from(fixture('tessjs_testocr.png')));
      expect(data.text).toMatch(/quick brown dog/);
    } finally {
      await worker.terminate();
    }
  });
});

describe('compileCore and V8\'s flags', () => {
  const run = promisify(execFile);
  const node = resolve(import.meta.dirname, '../../../node_modules/.bin/node');
  const script = resolve(import.meta.dirname, '../../../shared/engines/tesseract-worker-script.ts');

  it('sets the tier-up budget back to V8\'s own default', async () => {
    const { stdout } = await run(node, ['--v8-options']);
    expect(/--wasm-tiering-budget \(.*\)\s+type: int\s+default: --wasm-tiering-budget=(\d+)/.exec(stdout)?.[1]).toBe(String(V8_DEFAULT_TIERING_BUDGET));
  });

  // V8 refuses code cached under other flags: with a flag left changed, every module (Node's own too) compiled after
  // the core would be compiled from source. Main's compileCore left two flags set, and this test failed there.
  it('leaves the flags as they were: a module loaded after the core compiles uses the code Node cached for it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'compile-core-flags-'));
    writeFileSync(join(dir, 'probe.mjs'), 'export const probe = () => 1;\n');
    writeFileSync(
      join(dir, 'run.mjs'),
      "import { enableCompileCache } from 'node:module';\n" +
        `enableCompileCache(${JSON.stringify(join(dir, 'cache'))});\n` +
        `if (process.argv[2] === 'core') await (await import(${JSON.stringify(script)})).compileCore();\n` +
        "await import('./probe.mjs');\n",
    );
    // The cache is written by a process that compiles no core.
    await run(node, [join(dir, 'run.mjs')]);
    const { stderr } = await run(node, [join(dir, 'run.mjs'), 'core'], { env: { ...process.env, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' } });
    expect(stderr).toMatch(/cache for \S*probe\.mjs was accepted/);
  });
});

describe('the core compiled once, without validation', () => {
  it('a worker validates its bytes first: the shared module is used when they are valid, the worker\'s own compile when not', async () => {
    const core = await compileCore();
    const compiled = getEnvironmentData(CORE_MODULE_KEY) as { core: string; module: object; bytes: Uint8Array };
    const read = async () => {
      const engine = new TesseractEngine({ models: new ModelStore(packagedModelDirs()), workers: 1 });
      try {
        const page = await engine.recognize(await firstPage('tessjs_testocr.png'), { languages: ['eng'] });
        return { text: page.text, shared: engine.stats().coreShared };
      } finally {
        await engine.close();
      }
    };
    expect(await read()).toEqual({ text: expect.stringMatching(/quick brown dog/), shared: true });
    // The same module, but bytes that do not validate (a function body cut short): never run.
    const invalid = Uint8Array.from(compiled.bytes.subarray(0, compiled.bytes.length - 1));
    setEnvironmentData(CORE_MODULE_KEY, { ...compiled, bytes: invalid });
    try {
      expect(await read()).toEqual({ text: expect.stringMatching(/quick brown dog/), shared: false });
    } finally {
      setEnvironmentData(CORE_MODULE_KEY, compiled);
    }
    expect(core).toMatch(/^tesseract-core/);
  });
});
