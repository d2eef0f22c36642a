/**
 * bench:coldstart — a worker's cold start to its first page, with the models bucket mounted
 * (MODEL_CACHE_DIR) against downloading from the bucket (our storage emulator, the real client),
 * each in a fresh process; the native tesseract CLI on the same page as the reference.
 *
 *   npm run bench:coldstart -- --runs 5
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Storage } from '@google-cloud/storage';
import { startStorageEmulator } from '../emulators/gcs/index.ts';
import { syncModels } from '../shared/ops/model-sync.ts';
import { stagePackagedModels } from '../shared/ops/packaged-models.ts';

const execFileAsync = promisify(execFile);
const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const RUNS = Number(args.runs);
const ROOT = new URL('..', import.meta.url).pathname;
const PAGE = `${ROOT}test/fixtures/tess_phototest.tif`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const emulator = await startStorageEmulator({ log: () => undefined });
const storage = new Storage({ apiEndpoint: emulator.url, projectId: 'bench' });
await storage.createBucket('bench-models');
const staged = mkdtempSync(join(tmpdir(), 'bench-models-'));
await stagePackagedModels(staged);
await syncModels({ source: staged, destination: 'gs://bench-models/', storage, log: () => undefined });

const base = {
  ...process.env,
  GOOGLE_CLOUD_PROJECT: 'bench',
  UPLOADS_BUCKET: 'bench-uploads',
  RESULTS_BUCKET: 'bench-results',
  USER_HASH_SECRET: 'bench-secret-0123456789',
  STORAGE_EMULATOR_HOST: emulator.url,
  METADATA_SERVER_DETECTION: 'none',
  BENCH_PAGE: PAGE,
};
/** Asynchronously: the storage emulator lives in this process and must keep answering. */
async function run(env: Record<string, string | undefined>): Promise<{ importMs: number; firstResultMs: number; firstResultCpuMs: number; origin: string }> {
  const { stdout } = await execFileAsync(`${ROOT}node_modules/.bin/node`, [`${ROOT}bench/coldstart-child.ts`], { env: { ...base, ...env }, encoding: 'utf8', timeout: 120_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

const mount: number[] = [];
const mountCpu: number[] = [];
const download: number[] = [];
const imports: number[] = [];
const loadBefore = loadavg()[0]!;
await run({ MODEL_CACHE_DIR: staged }); // page cache and module cache warm, as on a warm instance's disk
for (let i = 0; i < RUNS; i++) {
  const m = await run({ MODEL_CACHE_DIR: staged });
  mount.push(m.firstResultMs);
  mountCpu.push(m.firstResultCpuMs);
  imports.push(m.importMs);
  const d = await run({ MODELS_BUCKET: 'bench-models', BENCH_DOWNLOAD_DIR: mkdtempSync(join(tmpdir(), 'bench-dl-')) });
  download.push(d.firstResultMs);
}
// Reference: the native CLI, a fresh process reading the same page with the same traineddata.
const nativeDir = join(staged, 'tessdata');
const native: number[] = [];
const nativeCpu: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  const cpu = childrenCpuMs();
  execFileSync('tesseract', [PAGE, 'stdout', '--tessdata-dir', nativeDir, '-l', 'eng', '--psm', '3'], { env: { ...process.env, OMP_THREAD_LIMIT: '1' }, stdio: 'pipe' });
  native.push(performance.now() - t);
  nativeCpu.push(childrenCpuMs() - cpu);
}

/** CPU of this process's waited-for children (Linux: /proc/self/stat's cutime + cstime, in 1/100 s). */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}
await emulator.stop();

const report = `### bench:coldstart — ${new Date().toISOString().slice(0, 10)}, ${process.version}

Command: \`npm run bench:coldstart -- --runs ${RUNS}\` (load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after). A fresh process each run: import the worker's modules, resolve the
models, start one tesseract.js worker, read one upright page (tess_phototest.tif: no OSD needed, so only eng is fetched). Median of ${RUNS}.

| cold start to first page | ms |
|---|---|
| models mounted (MODEL_CACHE_DIR, warm page cache) | ${Math.round(median(mount))} |
| the same, CPU of the process and its threads | ${Math.round(median(mountCpu))} |
| models downloaded from the bucket (eng 5.2 MB, sha256-checked) | ${Math.round(median(download))} |
| of which: importing the modules | ${Math.round(median(imports))} |
| reference: native tesseract CLI process, same page | ${Math.round(median(native))} |
| the same, CPU | ${Math.round(median(nativeCpu))} |

- Download / mount: **${(median(download) / median(mount)).toFixed(2)}×**; mount / native CLI: ${(median(mount) / median(native)).toFixed(2)}× wall, ${(median(mountCpu) / median(nativeCpu)).toFixed(2)}× CPU.
`;
process.stdout.write(report);
writeFileSync(join(tmpdir(), 'bench-coldstart.md'), report);
