/**
 * The README's commands against `npm start`, as a new user runs them: the suite started as the README says
 * (its ports moved with the *_PORT variables it names, so that it runs beside anything else), then the
 * `sh` blocks that need it, line by line from a folder holding the files they name: the upload and task
 * list with curl, user-prefix, the gcloud and gsutil drops, the operators' queue commands, the models and data
 * commands and ingest.
 * Each must exit 0, and what it did must be seen through the api. The suite is stopped as a process
 * manager stops it (SIGTERM to npm).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_BUCKETS, LOCAL_PORTS, LOCAL_SECRETS } from '../shared/names.ts';
import { readmeBlock, withoutOptionalParts } from './support/readme.ts';
import { waitFor } from './support/wait.ts';

const ROOT = resolve(import.meta.dirname, '..');
const NODE_BIN = join(ROOT, 'node_modules/.bin');
const USER = 'you@example.com';
const hasJq = spawnSync('jq', ['--version']).status === 0;

type PortName = keyof typeof LOCAL_PORTS;

async function freePorts(): Promise<Record<PortName, number>> {
  const names = Object.keys(LOCAL_PORTS) as PortName[];
  const servers = await Promise.all(
    names.map(
      () =>
        new Promise<ReturnType<typeof createServer>>((done) => {
          const server = createServer();
          server.listen(0, '127.0.0.1', () => done(server));
        }),
    ),
  );
  const ports = Object.fromEntries(names.map((n, i) => [n, (servers[i]!.address() as { port: number }).port])) as Record<PortName, number>;
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  return ports;
}

/** A README line with the suite's default ports replaced by this run's. */
function onPorts(line: string, ports: Record<PortName, number>): string {
  return (Object.keys(LOCAL_PORTS) as PortName[]).reduce((text, name) => text.replaceAll(`127.0.0.1:${LOCAL_PORTS[name]}`, `127.0.0.1:${ports[name]}`), line);
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sh(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((done) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

let ports: Record<PortName, number>;
let dataRoot: string;
let dir: string;
let suite: ChildProcess | undefined;
let suiteOutput = '';
let env: NodeJS.ProcessEnv;

async function tasks(): Promise<Array<{ taskId: string; fileName: string; status: string; error: { code: string } | null }>> {
  const res = await fetch(`http://127.0.0.1:${ports.API_PORT}/tasks?limit=100`, { headers: { 'X-User-Email': USER } });
  return ((await res.json()) as { tasks: Awaited<ReturnType<typeof tasks>> }).tasks;
}

beforeAll(async () => {
  ports = await freePorts();
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  // Under the project (ignored by git), so that npx finds the project's own bin; `test` so that test/fixtures/… resolves.
  dir = mkdtempSync(join(ROOT, '.tmp', 'readme-suite-'));
  dataRoot = join(dir, 'data');
  symlinkSync(join(ROOT, 'test'), join(dir, 'test'));
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage([300, 200]).drawText('A scan dropped into the bucket', { x: 20, y: 100, size: 14, font });
  // A real scan, as a user drops one: its last byte is a CR (`%%EOF\r`), which the storage emulator's multipart
  // parsing once cut off (gcloud storage cp then failed its hash check, and the drop never became a task).
  copyFileSync(join(ROOT, 'test/fixtures/ocrmypdf_skew.pdf'), join(dir, 'scan.pdf'));
  mkdirSync(join(dir, 'scans'));
  writeFileSync(join(dir, 'scans', 'ingested.pdf'), await doc.save());

  const portEnv = Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)]));
  // Nothing of the developer's own environment points the commands elsewhere: they find the suite by themselves.
  const { GOOGLE_CLOUD_PROJECT: _p, FIRESTORE_EMULATOR_HOST: _f, PUBSUB_EMULATOR_HOST: _s, STORAGE_EMULATOR_HOST: _g, WEBHOOK_SECRET: _w, ...own } = process.env;
  env = { ...own, ...portEnv, DOCVAULT_DATA_ROOT: dataRoot, PATH: `${NODE_BIN}:${process.env.PATH}` };
  suite = spawn('npm', ['start', '--', '--data-root', dataRoot], { cwd: ROOT, env });
  suite.stdout!.on('data', (c: Buffer) => (suiteOutput += c.toString()));
  suite.stderr!.on('data', (c: Buffer) => (suiteOutput += c.toString()));
  // Ready, or a start that failed: said at once, with what npm start printed.
  const exited = new Promise<never>((_, fail) => suite!.on('close', (code) => fail(new Error(`npm start exited ${code}:\n${suiteOutput}`))));
  exited.catch(() => undefined); // its stop in afterAll is no failure
  await Promise.race([waitFor('npm start to say Ready.', async () => (suiteOutput.includes('Ready.') ? true : undefined), 240_000, 300), exited]);
}, 300_000);

afterAll(async () => {
  if (suite && suite.exitCode === null) {
    const exited = new Promise((done) => suite!.on('close', done));
    suite.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('README against npm start', () => {
  it('prints what the README says it prints: the console URL and the WEBHOOK_SECRET callbacks are signed with', () => {
    expect(suiteOutput).toContain(`console     http://127.0.0.1:${ports.API_PORT}/`);
    expect(suiteOutput).toContain(`WEBHOOK_SECRET=${LOCAL_SECRETS.webhook}`);
  });

  it('the console block: upload with curl, the task list, user-prefix, the gcloud and gsutil drops; each becomes a task that completes', async () => {
    const block = readmeBlock('**Open the console URL it prints**').map((line) => onPorts(line, ports));
    expect(block.some((l) => l.startsWith('curl ') && l.includes(' -F file=@'))).toBe(true);
    expect(block.some((l) => l.startsWith('gcloud storage cp '))).toBe(true);
    const prefixLine = block.find((l) => l.startsWith('npx docvault user-prefix '))!;
    const prefix = await sh(prefixLine, dir, env);
    expect(prefix.code, prefix.stderr).toBe(0);
    const userFolder = prefix.stdout.trim();
    expect(userFolder).toMatch(/^gs:\/\/docvault-uploads\/users\/[0-9a-f]{64}\/$/);
    // `<hash>` is what user-prefix printed, as the README's arrow says.
    const script = block.map((l) => l.replaceAll('gs://docvault-uploads/users/<hash>/', userFolder)).join('\n');
    const run = await sh(script, dir, env);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    // curl prints no newline after a body: the upload's answer runs into the task list's.
    const [, taskId, statusUrl] = /^\{"tasks":\[\{"taskId":"(\w+)".*?"statusUrl":"([^"]+)"/.exec(run.stdout) ?? [];
    expect(statusUrl, run.stdout).toBe(`http://127.0.0.1:${ports.API_PORT}/tasks/${taskId}`);

    // One task for the upload, one for each drop (gsutil's copy is a new generation of the same object).
    const done = await waitFor(
      'the three tasks to finish',
      async () => {
        const list = await tasks();
        return list.length >= 3 && list.every((t) => t.status === 'COMPLETED' || t.status === 'FAILED') ? list : undefined;
      },
      240_000,
      1000,
    );
    expect(done.map((t) => [t.fileName, t.status]).sort()).toEqual([
      ['scan.pdf', 'COMPLETED'],
      ['scan.pdf', 'COMPLETED'],
      ['tess_phototest.tif', 'COMPLETED'],
    ]);
  }, 600_000);

  it.skipIf(!hasJq)('the signed-URL block: a file through POST /uploads and the storage session it opens becomes a task that completes', async () => {
    const script = readmeBlock('A large file goes through a signed URL').map((l) => onPorts(l, ports));
    expect(script.some((l) => l.includes('/uploads'))).toBe(true);
    const run = await sh(script.join('\n'), dir, env);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    // The last answer is the task's (after a wait of up to 30 s: it may still be running on a loaded machine).
    const [, taskId] = /\{"taskId":"(\w+)"[^]*$/.exec(run.stdout) ?? [];
    expect(taskId, run.stdout).toBeDefined();
    const task = await waitFor('the signed upload\'s task to finish', async () => (await tasks()).find((t) => t.taskId === taskId && (t.status === 'COMPLETED' || t.status === 'FAILED')), 240_000, 1000);
    expect([task.fileName, task.status, task.error]).toEqual(['scan.pdf', 'COMPLETED', null]);
  }, 300_000);

  it('the operators\' queue commands find the running suite by themselves and exit 0', async () => {
    const commands = readmeBlock('`--local` forces the local suite').map(withoutOptionalParts);
    expect(commands.length).toBeGreaterThanOrEqual(6);
    for (const command of commands) {
      const run = await sh(command, dir, env);
      expect(run.code, `${command}\n${run.stderr}`).toBe(0);
      expect(run.stderr, command).toMatch(/^using the local suite of npm start in /m);
      if (command === 'npx docvault queue stats') expect(run.stdout).toMatch(/^completed today +[1-9]/m);
      if (command === 'npx docvault queue failed') expect(run.stdout).toMatch(/^0 tasks failed/);
    }
  }, 300_000);

  it('the models commands reach the running suite\'s models bucket by themselves; npm start put every installed language there with its manifest', async () => {
    const lines = readmeBlock('also this instance\'s folders and free space').map(withoutOptionalParts);
    expect(lines.map((l) => l.split(' ').slice(0, 4).join(' '))).toEqual(['npx docvault models sync', 'npx docvault models manifest', 'npx docvault models add', 'npx docvault models list']);
    const bucket = `gs://${LOCAL_BUCKETS.models}/`;
    const added = `${bucket}readme/`;
    // SRC, DEST and DIR|gs://bucket/prefix as a user fills them in: the suite's bucket into a folder, a prefix of it.
    const places = (line: string) => line.replace('SRC DEST', `${bucket} ./models-copy`).replaceAll('DIR|gs://bucket/prefix', added);
    for (const line of lines) {
      const command = places(line);
      const run = await sh(command, dir, env);
      expect(run.code, `${command}\n${run.stderr}`).toBe(0);
      if (command.includes('gs://')) expect(run.stderr, command).toMatch(/^using the local suite of npm start in /m);
      if (command.includes(' list')) expect(run.stdout).toMatch(/^deu /m);
    }
    const copied = JSON.parse(readFileSync(join(dir, 'models-copy', 'manifest.json'), 'utf8')) as { files: Array<{ lang: string }> };
    expect(copied.files.map((f) => f.lang).sort()).toEqual(expect.arrayContaining(['deu', 'eng', 'osd']));
    const listed = await fetch(`http://127.0.0.1:${ports.STORAGE_PORT}/storage/v1/b/${LOCAL_BUCKETS.models}/o?prefix=readme/`);
    const names = ((await listed.json()) as { items?: Array<{ name: string }> }).items?.map((o) => o.name) ?? [];
    expect(names.sort()).toEqual(['readme/manifest.json', 'readme/tessdata/deu.traineddata', 'readme/tessdata/eng.traineddata']);
  }, 300_000);

  it('the data commands (with --root) show, clean and archive the launch folders', async () => {
    const lines = readmeBlock('The local launch folders under `data/`').map(withoutOptionalParts);
    expect(lines).toHaveLength(4);
    // This run's data root, with the --root the README gives for it (the project's own data/ is left alone).
    const root = ` --root ${dataRoot}`;
    const list = await sh(`npx docvault data list --json${root}`, dir, env);
    const launches = (JSON.parse(list.stdout) as { launches: Array<{ name: string }> }).launches.map((l) => l.name);
    expect(launches).toHaveLength(1);
    // The README's example name is this run's launch.
    for (const line of lines.map((l) => l.replace(/\b\d{8}_\d{6}\b/, launches[0]!) + root)) {
      const run = await sh(line, dir, env);
      expect(run.code, `${line}\n${run.stderr}`).toBe(0);
      // Named after the package.json beside the data root (docvault-ocr- in the project's data/; none beside this one).
      if (line.includes(' archive ')) expect(readdirSync(join(dataRoot, 'archives'))).toEqual([expect.stringMatching(new RegExp(`-${launches[0]}\\.tar\\.gz$`))]);
    }
  }, 300_000);

  it('ingest puts a folder\'s files into the user\'s prefix, each a task', async () => {
    // Two lines, the second indented: one command.
    const command = withoutOptionalParts(readmeBlock('Batch ingest: every supported file').join(' '));
    expect(command).toBe('npx docvault ingest ./scans --user you@example.com --local');
    const run = await sh(command, dir, env);
    expect(run.code, run.stderr).toBe(0);
    await waitFor('the ingested file\'s task to complete', async () => ((await tasks()).some((t) => t.fileName === 'ingested.pdf' && t.status === 'COMPLETED') ? true : undefined), 240_000, 1000);
  }, 300_000);

  it('ingest --password reads an encrypted PDF with the password sealed by the running suite\'s key', async () => {
    const line = readmeBlock('Batch ingest: every supported file').join(' ');
    expect(line).toContain('[--password P]');
    mkdirSync(join(dir, 'locked'));
    copyFileSync(join(ROOT, 'test/fixtures/encrypted_tagged.pdf'), join(dir, 'locked', 'locked.pdf'));
    const run = await sh(`${withoutOptionalParts(line).replace('./scans', './locked')} --password 's3cret'`, dir, env);
    expect(run.code, run.stderr).toBe(0);
    const task = await waitFor('the encrypted file\'s task to finish', async () => (await tasks()).find((t) => t.fileName === 'locked.pdf' && (t.status === 'COMPLETED' || t.status === 'FAILED')), 240_000, 1000);
    expect(task.status, JSON.stringify(task.error)).toBe('COMPLETED');
  }, 300_000);

  it('every line the functions logged meanwhile is a JSON entry (no library warning in plain text)', async () => {
    const [launch] = readdirSync(dataRoot).filter((n) => /^\d{8}_\d{6}$/.test(n));
    const logs = join(dataRoot, launch!, 'logs');
    const files = readdirSync(logs).filter((f) => f.endsWith('.log'));
    expect(files).toEqual(expect.arrayContaining(['upload.log', 'api.log', 'dispatch.log', 'ocr-worker.log']));
    const plain: string[] = [];
    for (const file of files) {
      for (const line of readFileSync(join(logs, file), 'utf8').split('\n').filter(Boolean)) {
        try {
          JSON.parse(line);
        } catch {
          plain.push(`${file}: ${line}`);
        }
      }
    }
    expect(plain).toEqual([]);
    // The worker read documents, so its log was written to (a reader of an empty log would pass).
    expect(readFileSync(join(logs, 'ocr-worker.log'), 'utf8')).toMatch(/"severity"/);
  });
});
