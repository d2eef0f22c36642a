/** Operators' commands find the running local suite by its launch_info.json and a live launcher, and say which they use. */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findRunningSuite, suiteEnv } from '../../shared/ops/local-suite.ts';
import { docvault } from './cli-support.ts';

let root: string;
const info = (pid: number, startedAt: string, firestore: number) => ({
  timestamp: startedAt,
  pid,
  startedAt,
  projectId: 'docvault-local',
  ports: { storage: 1, pubsub: 2, firestore, upload: 3, api: 4, dispatch: 5, ocrWorker: 6 },
  buckets: { uploads: 'up-b', results: 'res-b', models: 'mod-b' },
});

/** The pid of a process that has ended. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((done) => child.on('close', done));
  return child.pid!;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'docvault-suite-'));
  const put = async (name: string, value: object) => {
    await mkdir(join(root, name));
    await writeFile(join(root, name, 'launch_info.json'), JSON.stringify(value));
  };
  await put('20261201_090000', info(process.pid, '2026-12-01T09:00:00+00:00', 1));
  await put('20261201_100000', info(process.pid, '2026-12-01T10:00:00+00:00', 1));
  await put('20261201_110000', info(await deadPid(), '2026-12-01T11:00:00+00:00', 1)); // newest, but stopped
  await put('default', { timestamp: 'default' }); // written before pids were recorded
});

describe('the running local suite', () => {
  it('is the newest launch whose launcher is alive', async () => {
    const suite = await findRunningSuite(root);
    expect(suite?.dataDir).toBe(join(root, '20261201_100000'));
    expect(suiteEnv(suite!)).toMatchObject({ FIRESTORE_EMULATOR_HOST: '127.0.0.1:1', STORAGE_EMULATOR_HOST: 'http://127.0.0.1:1', RESULTS_BUCKET: 'res-b' });
    expect(await findRunningSuite(join(root, 'nothing-here'))).toBeNull();
  });

  it('docvault queue stats uses it with no flag and says so', async () => {
    const env = { DOCVAULT_DATA_ROOT: root, GOOGLE_CLOUD_PROJECT: '', FIRESTORE_EMULATOR_HOST: '', STORAGE_EMULATOR_HOST: '', PUBSUB_EMULATOR_HOST: '' };
    const run = await docvault(['queue', 'stats'], env);
    expect(run.stderr).toMatch(/^using the local suite of npm start in .*20261201_100000 \(pid \d+\)/);
    // Its (made-up) Firestore port does not answer: said at once.
    expect(run.stderr).toMatch(/the Firestore emulator at 127\.0\.0\.1:1 does not answer/);
    expect(run.code).toBe(2);
  });

  it('models sync to gs:// with no suite running and nothing configured goes nowhere, and says so (exit 2)', async () => {
    const none = { DOCVAULT_DATA_ROOT: join(root, 'nothing-here'), GOOGLE_CLOUD_PROJECT: '', FIRESTORE_EMULATOR_HOST: '', STORAGE_EMULATOR_HOST: '', PUBSUB_EMULATOR_HOST: '' };
    const run = await docvault(['models', 'sync', root, 'gs://models-bucket/tessdata/'], none);
    expect(run.stderr).toMatch(/^error INVALID_ARGUMENT: gs:\/\/models-bucket\/tessdata\/: no local suite is running \(npm start\) and no cloud is configured/m);
    expect(run.stderr).not.toMatch(/googleapis|ENOTFOUND/);
    expect(run.code).toBe(2);
  });

  it('a configured project wins: no local suite is looked for', async () => {
    const run = await docvault(['queue', 'stats'], { DOCVAULT_DATA_ROOT: root, GOOGLE_CLOUD_PROJECT: 'p', FIRESTORE_EMULATOR_HOST: '127.0.0.1:1' });
    expect(run.stderr).not.toMatch(/using the local suite/);
  });
});
