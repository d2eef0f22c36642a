import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
// the package's `functions-framework` bin (not exported, so found beside its main module)
const FF_MAIN = join(dirname(require.resolve('@google-cloud/functions-framework')), 'main.js');
const RECORDER = fileURLToPath(new URL('./fixtures/record-cloud-event.mjs', import.meta.url));

export interface RecordedEvent {
  specversion: string;
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  data: Record<string, unknown>;
  [extension: string]: unknown;
}

/**
 * Runs the real functions-framework (as `functions-framework --signature-type=cloudevent` would,
 * on this Node) serving the recorder fixture on `port`; events land in `eventsFile`.
 */
export async function startRecorderFunction(port: number, eventsFile: string): Promise<{ stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [FF_MAIN, `--port=${port}`, '--target=recordEvent', '--signature-type=cloudevent', `--source=${RECORDER}`],
    { env: { ...process.env, EVENTS_FILE: eventsFile, NODE_ENV: 'test' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`functions-framework exited: ${stderr}`);
    try {
      await fetch(`http://127.0.0.1:${port}/`, { method: 'GET' });
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`functions-framework did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export function readEvents(file: string): RecordedEvent[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RecordedEvent);
}

export async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
