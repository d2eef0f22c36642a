/** `docvault --help` and `--version` answer at once: they load commander, not the engines, the cloud clients or zod. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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

  it('anything else runs the TypeScript CLI (the check can fail)', async () => {
    await expect(withoutTypeScript(['user-prefix', 'alice@example.com'])).rejects.toThrow(/ERR_UNKNOWN_FILE_EXTENSION/);
  });
});
