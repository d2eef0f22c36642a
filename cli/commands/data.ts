/** `docvault data …`: the options; the work is in ../data-command.ts, loaded when a sub-command runs. */
import type { Command } from 'commander';
import { positiveInt, stdio } from './parse.ts';

export function registerDataCommand(program: Command): void {
  const data = program.command('data').description('the local launch data folders npm start writes (data/YYYYMMDD_HHMMSS/: storage, logs, tmp, launch_info.json)');
  const rootOption = ['--root <dir>', 'data folder (default: data/ of this checkout)'] as const;
  const run = () => import('../data-command.ts');

  data
    .command('list')
    .description('launch folders, newest first, with size and file count')
    .option(...rootOption)
    .option('--verbose', 'also the start time and ports from launch_info.json and the size of storage/, logs/, tmp/')
    .option('--json', 'machine-readable, sizes in bytes')
    .action(async (opts) => {
      process.exitCode = await (await run()).runDataList(opts, stdio());
    });

  data
    .command('usage')
    .description('total size of the data folder, how much of it is launches, and its five largest entries')
    .option(...rootOption)
    .option('--json', 'machine-readable, sizes in bytes')
    .action(async (opts) => {
      process.exitCode = await (await run()).runDataUsage(opts, stdio());
    });

  data
    .command('cleanup')
    .description('delete launch folders started more than N days ago (default/, archives/, models-shipped/ and other folders are never touched)')
    .requiredOption('--days <n>', 'age in days, by the timestamp in the folder name', positiveInt)
    .option('--dry-run', 'print what would go, change nothing')
    .option(...rootOption)
    .action(async (opts) => {
      process.exitCode = await (await run()).runDataCleanup(opts, stdio());
    });

  data
    .command('archive')
    .description('pack a launch folder into archives/{project}-{TS}.tar.gz')
    .argument('<timestamp>', 'the launch folder name, YYYYMMDD_HHMMSS')
    .option('--remove', 'delete the folder once the archive is written and checked')
    .option(...rootOption)
    .action(async (name: string, opts) => {
      process.exitCode = await (await run()).runDataArchive(name, opts, stdio());
    });
}
