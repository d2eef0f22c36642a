/** `docvault models sync SRC DEST` and `docvault models manifest DIR|gs://…`: model folders and the models bucket. */
import type { Command } from 'commander';
import { DocVaultError } from '../shared/core/errors.ts';
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
    return 1;
  }
  io.stderr.write(`error: ${String((err as Error)?.stack ?? err)}\n`);
  return 2;
}

/** Returns the exit code: 0 on success, 1 on a sync error (missing source, permission, full disk, …). */
export async function runModelsSync(source: string, destination: string, flags: ModelsSyncFlags, io: ModelsIo): Promise<number> {
  try {
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
    const { manifest, written, url } = await writeManifest(location);
    io.stdout.write(`${written ? 'written' : 'unchanged'}  ${url} (${manifest.files.length} files)\n`);
    return 0;
  } catch (err) {
    return reportError(err, io);
  }
}

export function registerModelsCommand(program: Command): void {
  const models = program.command('models').description('traineddata folders and the models bucket (tessdata/{lang}.traineddata + manifest.json)');
  const io: ModelsIo = { stdout: process.stdout, stderr: process.stderr };

  models
    .command('sync')
    .description(
      'copy models from SRC to DEST (each a folder or gs://bucket/prefix) with rsync -u semantics: missing or older files at DEST are ' +
        'replaced, files newer at DEST are kept and reported, identical files are left alone; DEST\'s manifest.json is refreshed',
    )
    .argument('<src>', 'local folder or gs://bucket/prefix to copy from')
    .argument('<dest>', 'local folder or gs://bucket/prefix to copy to')
    .option('--dry-run', 'print the plan, change nothing')
    .option('--force', 'copy regardless of times (identical files are still left alone): resets DEST to SRC')
    .option('--delete', 'delete files at DEST that SRC does not have')
    .action(async (src: string, dest: string, opts: ModelsSyncFlags) => {
      process.exitCode = await runModelsSync(src, dest, opts, io);
    });

  models
    .command('manifest')
    .description('(re)build manifest.json (path, lang, size, sha256, source of each file) at the root of a model folder or gs:// prefix')
    .argument('<location>', 'local folder or gs://bucket/prefix')
    .action(async (location: string) => {
      process.exitCode = await runModelsManifest(location, io);
    });
}
