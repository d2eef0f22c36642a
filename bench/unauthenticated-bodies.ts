/**
 * Memory an upload instance spends on request bodies of callers who did not sign in: ten
 * concurrent 31 MB POSTs without credentials, against the upload function as deployed
 * (FUNCTION_TARGET=upload: refused unread) and against the same server with the guard off (a
 * target name outside the guarded functions: the framework's parser buffers every body first).
 * Prints the answers and the process's RSS before and at its peak (VmHWM), per mode.
 *
 *   node bench/unauthenticated-bodies.ts
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REQUESTS = 10;
const BODY = Buffer.alloc(31 * 1024 * 1024, 1);

function memoryMB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(field))!;
  return Math.round(Number(/(\d+)/.exec(line)![1]) / 1024);
}

function call(port: number, method: string, body?: Buffer): Promise<number | string> {
  return new Promise((resolve) => {
    const headers = body ? { 'content-type': 'application/octet-stream', 'content-length': String(body.length) } : {};
    const req = request({ host: '127.0.0.1', port, method, path: '/', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    req.end(body);
  });
}

async function run(functionTarget: string): Promise<void> {
  const port = 18_000 + Math.floor(Math.random() * 2000);
  const framework = `${ROOT}node_modules/@google-cloud/functions-framework/build/src/main.js`;
  const child = spawn(process.execPath, [framework, '--target=upload', `--port=${port}`, `--source=${ROOT}functions/index.ts`], {
    env: { ...process.env, FUNCTION_TARGET: functionTarget, METADATA_SERVER_DETECTION: 'none' },
    stdio: 'ignore',
  });
  try {
    for (let i = 0; i < 100 && typeof (await call(port, 'GET')) !== 'number'; i++) await new Promise((r) => setTimeout(r, 300));
    const before = memoryMB(child.pid!, 'VmRSS');
    const answers = await Promise.all(Array.from({ length: REQUESTS }, () => call(port, 'POST', BODY)));
    console.log(JSON.stringify({ mode: functionTarget === 'upload' ? 'guarded (as deployed)' : 'unguarded', answers, rssBeforeMB: before, peakMB: memoryMB(child.pid!, 'VmHWM') }));
  } finally {
    child.kill();
  }
}

await run('upload');
await run('unguarded');
