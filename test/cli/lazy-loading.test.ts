/** `docvault --help` and `--version` answer at once: they load commander, not the engines, the cloud clients or zod. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ROOT } from './cli-support.ts';

const run = promisify(execFile);

/** Prints every package the process resolved (bare specifiers) when it exits. */
const RECORD_IMPORTS =
  'data:text/javascript,import{registerHooks}from"node:module";const seen=new Set();' +
  'registerHooks({resolve(s,c,n){if(!/^[.\\/]|^node:|^file:|^data:/.test(s))seen.add(s);return n(s,c)}});' +
  'process.on("exit",()=>process.stderr.write("IMPORTS "+JSON.stringify([...seen])+"\\n"))';

async function packagesLoadedBy(args: string[]): Promise<string[]> {
  const { stderr } = await run(resolve(ROOT, 'node_modules/.bin/node'), ['--import', RECORD_IMPORTS, 'cli/docvault.ts', ...args], { cwd: ROOT });
  return JSON.parse(/IMPORTS (.*)/.exec(stderr)![1]!) as string[];
}

const HEAVY = /^(tesseract\.js|pdfjs-dist|sharp|@napi-rs\/canvas|@google-cloud\/|google-auth-library|zod|file-type|pdf-lib|onnxruntime-node)/;

describe('docvault start-up', () => {
  it.each([[['--help']], [['--version']], [['queue', '--help']], [['models', '--help']]])('%j loads no heavy package', async (args) => {
    const loaded = await packagesLoadedBy(args);
    expect(loaded).toContain('commander');
    expect(loaded.filter((p) => HEAVY.test(p))).toEqual([]);
  });

  it('`ocr IMAGE -f txt` of a clean page loads the engine but not pdf-lib (only a searchable PDF needs it) nor onnxruntime (only PP-OCR does)', async () => {
    const loaded = await packagesLoadedBy(['ocr', 'test/fixtures/tessjs_testocr.png', '--workers', '1']);
    expect(loaded).toContain('tesseract.js');
    expect(loaded).not.toContain('pdf-lib');
    expect(loaded).not.toContain('onnxruntime-node');
  });

  it('onnxruntime loads when a page goes to PP-OCR (a till slip with ink: the check can fail)', async () => {
    const slip = join(mkdtempSync(join(tmpdir(), 'lazy-ort-')), 'slip.png');
    const [width, height] = [120, 480];
    const ink = Buffer.alloc(width * height, 255);
    for (let y = 40; y < height - 40; y += 24) for (let x = 20; x < width - 20; x++) if ((x >> 2) % 3 !== 0) ink[y * width + x] = 0;
    await sharp(ink, { raw: { width, height, channels: 1 } }).png().toFile(slip);
    expect(await packagesLoadedBy(['ocr', slip, '--workers', '1'])).toContain('onnxruntime-node');
  });

  it('`ocr IMAGE` starts its OCR worker before sharp, the second engine\'s runtime and the pipeline load', async () => {
    // The main thread's packages in the order they resolve, with WORKER where a worker thread is started.
    const ORDER =
      'data:text/javascript,import{registerHooks}from"node:module";import wt from"node:worker_threads";' +
      'if(wt.isMainThread){const order=[];const W=wt.Worker;wt.Worker=class extends W{constructor(...a){order.push("WORKER");super(...a)}};' +
      'registerHooks({resolve(s,c,n){if(!/^[.\\/]|^node:|^file:|^data:/.test(s)&&!order.includes(s))order.push(s);return n(s,c)}});' +
      'process.on("exit",()=>process.stderr.write("ORDER "+JSON.stringify(order)+"\\n"))}';
    const { stderr } = await run(resolve(ROOT, 'node_modules/.bin/node'), ['--import', ORDER, 'cli/docvault.ts', 'ocr', 'test/fixtures/tessjs_testocr.png', '--workers', '1'], { cwd: ROOT });
    const order = JSON.parse(/ORDER (.*)/.exec(stderr)![1]!) as string[];
    expect(order).toContain('WORKER');
    // sharp and file-type read the image, so they load (after the worker); onnxruntime may not load at all (a clean page).
    expect(order).toContain('sharp');
    for (const later of ['sharp', 'onnxruntime-node', 'file-type']) {
      if (order.includes(later)) expect(order.indexOf(later)).toBeGreaterThan(order.indexOf('WORKER'));
    }
  });

  it('the record sees heavy packages when they are loaded (the check can fail)', async () => {
    const loaded = await packagesLoadedBy(['user-prefix', 'alice@example.com']);
    expect(loaded).toContain('zod');
  });
});

describe('the docvault bin (cli/docvault.js)', () => {
  const node = resolve(ROOT, 'node_modules/.bin/node');
  /** With type stripping off, loading any TypeScript file fails: what still answers loads none. */
  const withoutTypeScript = (args: string[]) => run(node, ['--no-experimental-strip-types', 'cli/docvault.js', ...args], { cwd: ROOT });

  it('--version loads no TypeScript', async () => {
    const { version } = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect((await withoutTypeScript(['--version'])).stdout).toBe(`${version}\n`);
  });

  it.each([[['--help']], [['ocr', '--help']], [['models', 'sync', '-h']]])('%j: the page shown once is shown again, the same, without loading TypeScript', async (args) => {
    const first = await run(node, ['cli/docvault.js', ...args], { cwd: ROOT });
    const direct = await run(node, ['cli/docvault.ts', ...args], { cwd: ROOT });
    expect(first.stdout).toBe(direct.stdout);
    expect(first.stdout).toMatch(/^Usage: docvault/);
    expect((await withoutTypeScript(args)).stdout).toBe(direct.stdout);
  });

  /** A private cache folder (the user's, as the CLI finds it through XDG_CACHE_HOME). */
  const privateCache = () => {
    const home = mkdtempSync(join(tmpdir(), 'docvault-cache-'));
    return { home, env: { ...process.env, XDG_CACHE_HOME: home } };
  };

  it('runs the TypeScript CLI from the type-stripped copies it keeps of the checkout\'s files, in the user\'s cache folder', async () => {
    const cache = privateCache();
    await run(node, ['cli/docvault.js', 'user-prefix', 'alice@example.com'], { cwd: ROOT, env: cache.env });
    const kept = join(cache.home, 'docvault/cli/stripped');
    const copies = readdirSync(kept).map((f) => readFileSync(join(kept, f), 'utf8'));
    expect(copies).toContain(stripTypeScriptTypes(readFileSync(resolve(ROOT, 'cli/commands/user-prefix.ts'), 'utf8'), { mode: 'strip' }));
  });

  it('keeps the code V8 compiles in the user\'s cache folder, for its own thread and the OCR worker\'s: a second run reads both from it', async () => {
    const cache = privateCache();
    const ocr = ['cli/docvault.js', 'ocr', 'test/fixtures/tessjs_testocr.png', '--workers', '1'];
    await run(node, ocr, { cwd: ROOT, env: cache.env });
    // Node's own trace of the compile cache: each module compiled from a kept copy says "was accepted".
    const { stderr } = await run(node, ocr, { cwd: ROOT, env: { ...cache.env, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' } });
    const accepted = (file: RegExp) => new RegExp(`cache for \\S*${file.source} was accepted`).test(stderr);
    expect(accepted(/shared\/engines\/tesseract-engine\.ts/)).toBe(true);
    // Loaded by the OCR worker's thread only.
    expect(accepted(/tesseract\.js\/src\/worker-script\/index\.js/)).toBe(true);
    // Read from the user's folder, never from the install's.
    const folders = new Set([...stderr.matchAll(/reading cache from (\S+)\/[0-9a-f]+ for/g)].map((m) => dirname(m[1]!)));
    expect([...folders]).toEqual([join(cache.home, 'docvault/cli/compile')]);
    // With the cache switched off nothing is read from it (the check can fail).
    const off = await run(node, ocr, { cwd: ROOT, env: { ...cache.env, NODE_DEBUG_NATIVE: 'COMPILE_CACHE', NODE_DISABLE_COMPILE_CACHE: '1' } });
    expect(off.stdout).toMatch(/quick brown dog/);
    expect(off.stderr).not.toMatch(/was accepted/);
  });

  it('a cache folder that cannot be written is no error: the command runs as it would with nothing kept', async () => {
    // A file where the folder would be: no user (root either) can create a folder under it.
    const blocked = join(mkdtempSync(join(tmpdir(), 'docvault-cache-')), 'a-file');
    writeFileSync(blocked, '');
    const env = { ...process.env, XDG_CACHE_HOME: blocked };
    const ocr = await run(node, ['cli/docvault.js', 'ocr', 'test/fixtures/tessjs_testocr.png', '--workers', '1'], { cwd: ROOT, env });
    expect(ocr.stdout).toMatch(/quick brown dog/);
    // Only the command's own summary line on stderr: no warning, no stack.
    expect(ocr.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^test\/fixtures\/tessjs_testocr\.png: 1 page, /)]);
    const help = await run(node, ['cli/docvault.js', '--help'], { cwd: ROOT, env });
    expect(help.stdout).toMatch(/^Usage: docvault/);
    expect(help.stderr).toBe('');
  });

  it('anything else runs the TypeScript CLI (the check can fail)', async () => {
    await expect(withoutTypeScript(['user-prefix', 'alice@example.com'])).rejects.toThrow(/ERR_UNKNOWN_FILE_EXTENSION/);
  });
});

describe('docvault on a Node too old for it', () => {
  // The system's Node (20 here) runs cli/docvault.js when it is run by its path or after `npm link`;
  // a Node without module.registerHooks is made here by removing it before the CLI loads.
  const WITHOUT_HOOKS =
    'data:text/javascript,const m=process.getBuiltinModule("node:module");delete m.registerHooks;m.syncBuiltinESMExports()';

  it('says which Node it needs in one line and exits 2, not a SyntaxError', async () => {
    const failure = await run(resolve(ROOT, 'node_modules/.bin/node'), ['--import', WITHOUT_HOOKS, 'cli/docvault.js', 'ocr', 'x.png'], { cwd: ROOT }).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^UNSUPPORTED_RUNTIME: docvault needs Node\.js 22\.15 or later/)]);
  });
});
