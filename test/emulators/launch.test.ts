/**
 * `npm start` as a process manager drives it: SIGTERM to the npm process stops the whole suite, and a
 * start that fails (a port taken) leaves no launch folder behind.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer as createHttpServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { LOCAL_PORTS } from '../../shared/names.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const NODE_BIN = resolve(ROOT, 'node_modules/.bin');

/** Free ports, as the launcher's *_PORT variables (every one of them: a default left in would clash with a suite running beside). */
async function freePorts(): Promise<Record<string, string>> {
  const names = Object.keys(LOCAL_PORTS);
  const servers = await Promise.all(names.map(() => listen(0)));
  const ports = Object.fromEntries(names.map((n, i) => [n, String((servers[i]!.address() as { port: number }).port)]));
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  return ports;
}

function listen(port: number): Promise<Server> {
  return new Promise((done) => {
    const server = createServer();
    server.listen(port, '127.0.0.1', () => done(server));
  });
}

function start(dataRoot: string, env: Record<string, string>) {
  const child = spawn('npm', ['start', '--', '--data-root', dataRoot], { cwd: ROOT, env: { ...process.env, ...env, PATH: `${NODE_BIN}:${process.env.PATH}` } });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((done) => child.on('close', done));
  return { child, exited, output: () => output };
}

describe('npm start', () => {
  it('a start that fails on a taken port exits 1 and leaves no launch folder', async () => {
    const ports = await freePorts();
    const blocker = await listen(Number(ports.PUBSUB_PORT));
    try {
      const root = await mkdtemp(join(tmpdir(), 'docvault-launch-'));
      const run = start(root, ports);
      expect(await run.exited).toBe(1);
      expect(run.output()).toMatch(/start failed/);
      expect(await readdir(root)).toEqual([]);
    } finally {
      blocker.close();
    }
  }, 240_000);

  it('a port held by a server that answers (another suite\'s function) stops the start before anything starts, naming its variable', async () => {
    const ports = await freePorts();
    // Answers every request, as a running suite's upload function would: waiting for the port to answer is no check.
    const other = createHttpServer((_req, res) => res.end('{}'));
    await new Promise<void>((done) => other.listen(Number(ports.UPLOAD_PORT), '127.0.0.1', done));
    try {
      const root = await mkdtemp(join(tmpdir(), 'docvault-launch-'));
      const run = start(root, ports);
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`start failed: port ${ports.UPLOAD_PORT} (UPLOAD_PORT) already in use`);
      expect(run.output()).not.toMatch(/Ready\.|models:/);
      expect(await readdir(root)).toEqual([]);
    } finally {
      other.close();
    }
  }, 240_000);

  // SIGTERM is what a process manager sends; SIGINT what Ctrl-C (or `kill -INT`) sends to npm alone.
  it.each(['SIGTERM', 'SIGINT'] as const)('%s to the npm process stops the suite', async (signal) => {
    const ports = await freePorts();
    const root = await mkdtemp(join(tmpdir(), 'docvault-launch-'));
    const run = start(root, ports);
    await new Promise<void>((done, fail) => {
      const timer = setInterval(() => {
        if (run.output().includes('Ready.')) done(clearInterval(timer));
        if (run.child.exitCode !== null) fail(new Error(run.output()));
      }, 200);
    });
    run.child.kill(signal); // npm, not its process group
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/stopped\./);
    // Everything it started has let go of its port.
    for (const port of Object.values(ports)) (await listen(Number(port))).close();
  }, 300_000);
});
