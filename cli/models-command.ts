/** `docvault models sync SRC DEST` and `docvault models manifest DIR|gs://…`: model folders and the models bucket. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DocVaultError } from '../shared/core/errors.ts';
import { stagePackagedModels } from '../shared/ops/packaged-models.ts';
import { exitCodeOf, reportCliError } from './cli-errors.ts';
import { operatorEnv } from './target.ts';
import { configuredTarget } from '../shared/ops/local-suite.ts';
import { syncModels, syncProblemOf, writeManifest } from '../shared/ops/model-sync.ts';

export interface ModelsIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface ModelsSyncFlags {
  dryRun?: boolean;
  force?: boolean;
  delete?: boolean;
}

function reportError(err: unknown, io: ModelsIo): number {
  if (err instanceof DocVaultError) {
    io.stderr.write(`error ${syncProblemOf(err) ?? err.code}: ${err.message}\n`);
    return exitCodeOf(err);
  }
  return reportCliError(err, io.stderr);
}

/**
 * A gs:// location goes to the running local suite's storage emulator unless the cloud (or an emulator) is
 * configured; with neither, nowhere: Cloud Storage only when configuration says so.
 */
async function bucketTarget(locations: string[], io: ModelsIo): Promise<void> {
  const bucket = locations.find((l) => l.startsWith('gs://'));
  if (!bucket) return;
  if (!configuredTarget(await operatorEnv({}, io.stderr))) {
    throw new DocVaultError(
      'INVALID_ARGUMENT',
      `${bucket}: no local suite is running (npm start) and no cloud is configured: start the suite, or set GOOGLE_CLOUD_PROJECT for Cloud Storage (STORAGE_EMULATOR_HOST for an emulator).`,
    );
  }
}

/** Returns the exit code: 0 on success, 1 on a sync error (missing source, permission, full disk, …). */
export async function runModelsSync(source: string, destination: string, flags: ModelsSyncFlags, io: ModelsIo): Promise<number> {
  try {
    await bucketTarget([source, destination], io);
    await syncModels({
      source,
      destination,
      dryRun: flags.dryRun ?? false,
      force: flags.force ?? false,
      delete: flags.delete ?? false,
      log: (line) => io.stdout.write(`${line}\n`),
    });
    return 0;
  } catch (err) {
    return reportError(err, io);
  }
}

export async function runModelsManifest(location: string, io: ModelsIo): Promise<number> {
  try {
    await bucketTarget([location], io);
    const { manifest, written, url } = await writeManifest(location);
    io.stdout.write(`${written ? 'written' : 'unchanged'}  ${url} (${manifest.files.length} files)\n`);
    return 0;
  } catch (err) {
    return reportError(err, io);
  }
}

/** `docvault models list`: every language `docvault ocr` finds, and where from. */
export async function runModelsList(flags: { modelDir?: string[]; json?: boolean }, io: ModelsIo): Promise<number> {
  try {
    const { ModelStore, modelDirs } = await import('../shared/engines/index.ts');
    const files = await new ModelStore(modelDirs(flags.modelDir ?? [])).list();
    if (flags.json) io.stdout.write(JSON.stringify(files, null, 2) + '\n');
    else for (const f of files) io.stdout.write(`${f.lang.padEnd(10)}${(f.size / 1e6).toFixed(1).padStart(6)} MB  ${f.source.padEnd(28)}${f.path}\n`);
    return 0;
  } catch (err) {
    return reportError(err, io);
  }
}

/** `docvault models add LANG... --to DEST`: the installed traineddata of LANG... into a model folder or the models bucket. */
export async function runModelsAdd(langs: string[], destination: string, io: ModelsIo): Promise<number> {
  const staged = await mkdtemp(join(tmpdir(), 'docvault-models-add-'));
  try {
    await bucketTarget([destination], io);
    await stagePackagedModels(staged, langs);
    await syncModels({ source: staged, destination, dryRun: false, force: false, delete: false, log: (line) => io.stdout.write(`${line}\n`) });
    return 0;
  } catch (err) {
    return reportError(err, io);
  } finally {
    await rm(staged, { recursive: true, force: true });
  }
}
