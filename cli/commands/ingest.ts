/** `docvault ingest DIR`: the options; the work (and the cloud clients) in ../ingest-command.ts, loaded when it runs. */
import type { Command } from 'commander';
import { collect, positiveInt, stdio } from './parse.ts';

export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description('upload every supported file under DIR into a user\'s prefix of the uploads bucket (each becomes a task, as a gsutil drop does); resumable')
    .argument('<dir>', 'folder to ingest, recursively')
    .requiredOption('--user <email>', 'the user the documents belong to')
    .option('--concurrency <n>', 'uploads at once (default: 16)', positiveInt)
    .option('--priority <p>', 'high, normal or low: the order of this user\'s own held-back tasks (ingested files go to the bulk lane whatever it says)')
    .option('--language <lang>', 'document language(s), e.g. eng or eng+deu; repeatable (default: eng)', collect)
    .option('--include <glob>', 'only matching files (a glob without / matches the file name); repeatable', collect)
    .option('--exclude <glob>', 'leave matching files out; repeatable', collect)
    .option('--password <password>', 'password of encrypted PDFs: sealed with the service\'s PASSWORD_KEY into each object\'s metadata, read by the task')
    .option('--monitor', 'follow the submitted tasks until each is COMPLETED or FAILED; exit code 1 if any failed')
    .option('--dry-run', 'say what would be uploaded, send nothing')
    .option('--json', 'machine-readable result on stdout')
    .option('--state <file>', 'the resumable state file (default: DIR/.docvault-ingest.jsonl)')
    .option('--local', 'against the local suite of npm start: its emulator ports, buckets and secret for whatever is not set')
    .action(async (dir: string, flags) => {
      const abort = new AbortController();
      // Ctrl-C stops taking new files; what is in flight finishes and is recorded, so a rerun resumes.
      process.once('SIGINT', () => abort.abort());
      const { runIngestCommand } = await import('../ingest-command.ts');
      process.exitCode = await runIngestCommand(dir, flags, stdio(), abort.signal);
    });
}
