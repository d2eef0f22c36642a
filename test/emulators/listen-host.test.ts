/** The local functions listen on 127.0.0.1 unless told otherwise (emulators/listen-host.ts, preloaded by startFunction). */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const NODE = resolve(ROOT, 'node_modules/.bin/node');
const PRELOAD = resolve(ROOT, 'emulators/listen-host.ts');
const run = promisify(execFile);

/** The address a server gets from `listen(0, callback)`, as the functions framework calls it. */
async function addressOf(preload: boolean, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const script = 'const s=require("node:http").createServer();s.listen(0,()=>{process.stdout.write(s.address().address);s.close()})';
  const { stdout } = await run(NODE, [...(preload ? ['--import', PRELOAD] : []), '-e', script], { env: { ...process.env, FUNCTION_HOST: '', ...env } });
  return stdout;
}

describe('listen-host', () => {
  it('a listen without a host goes to 127.0.0.1', async () => {
    expect(await addressOf(true)).toBe('127.0.0.1');
  });
  it('FUNCTION_HOST tells it otherwise', async () => {
    expect(await addressOf(true, { FUNCTION_HOST: '0.0.0.0' })).toBe('0.0.0.0');
  });
  it('without it Node listens on every interface (the check can fail)', async () => {
    expect(['::', '0.0.0.0']).toContain(await addressOf(false));
  });
});
