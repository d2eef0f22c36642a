/** `docvault queue …`: the options; the work (and the cloud clients) in ../queue-command.ts, loaded when a sub-command runs. */
import type { Command } from 'commander';
import { positiveInt } from './parse.ts';

export function registerQueueCommand(program: Command): void {
  const queue = program
    .command('queue')
    .description('queue care over every user\'s tasks: the running local suite of npm start by itself, or the functions\' environment (GOOGLE_CLOUD_PROJECT, RESULTS_BUCKET, USER_HASH_SECRET, …)')
    .option('--local', 'against the local suite of npm start: its emulator ports, buckets and secret for whatever is not set');
  const run = async (name: 'stats' | 'failed' | 'requeue-failed' | 'recover-stale' | 'release-queued' | 'cleanup', opts: object) => {
    const { runQueueSubcommand } = await import('../queue-command.ts');
    process.exitCode = await runQueueSubcommand(name, opts, queue.opts<{ local?: boolean }>());
  };

  queue
    .command('stats')
    .description('queued, processing, failed, completed today, average wait and oldest queued task: GET /queue/stats over all users')
    .option('--json', 'machine-readable')
    .action((opts) => run('stats', opts));

  queue
    .command('failed')
    .description('FAILED tasks with their error codes (the code to give requeue-failed --code)')
    .option('--code <code>', 'only tasks that failed with this error code, whatever it is (default: only the codes another attempt may cure, ENGINE_FAILURE and INTERNAL)')
    .option('--limit <n>', 'at most this many tasks', positiveInt, 100)
    .option('--json', 'machine-readable')
    .action((opts) => run('failed', opts));

  queue
    .command('requeue-failed')
    .description('FAILED tasks back to QUEUED with fresh attempts, published again as their users\' caps allow')
    .option('--code <code>', 'only tasks that failed with this error code, whatever it is (default: only the codes another attempt may cure, ENGINE_FAILURE and INTERNAL)')
    .option('--user <email>', 'only this user\'s tasks')
    .option('--limit <n>', 'at most this many tasks', positiveInt, 10_000)
    .option('--json', 'machine-readable')
    .action((opts) => run('requeue-failed', opts));

  queue
    .command('recover-stale')
    .description('PROCESSING tasks whose lease expired (the worker died): back to QUEUED and published again, or FAILED when out of attempts')
    .option('--limit <n>', 'at most this many tasks', positiveInt)
    .option('--json', 'machine-readable')
    .action((opts) => run('recover-stale', opts));

  queue
    .command('release-queued')
    .description('QUEUED tasks: held-back ones admitted as their users\' caps allow; admitted ones never published (after 30 s) and published ones no worker took up for REPUBLISH_QUEUED_MINUTES published again')
    .option('--limit <n>', 'at most this many tasks published again', positiveInt)
    .option('--json', 'machine-readable')
    .action((opts) => run('release-queued', opts));

  queue
    .command('cleanup')
    .description('delete finished tasks older than N days with their result objects and uploads; FAILED tasks are kept longer')
    .option('--days <n>', 'COMPLETED and CANCELLED tasks finished more than N days ago', positiveInt, 7)
    .option('--failed-days <n>', 'FAILED tasks finished more than N days ago (they may still be requeued)', positiveInt, 30)
    .option('--dry-run', 'count what would go, change nothing')
    .option('--json', 'machine-readable')
    .action((opts) => run('cleanup', opts));
}
