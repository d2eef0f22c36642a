/** `docvault user-prefix EMAIL`: where an operator drops a user's files. */
import type { Command } from 'commander';

export function registerUserPrefixCommand(program: Command): void {
  program
    .command('user-prefix')
    .description('print the gs:// prefix an operator drops a user\'s files into (each file there becomes a task)')
    .argument('<email>', 'the user\'s email')
    .option('--bucket <name>', 'uploads bucket (default: UPLOADS_BUCKET, or the local suite\'s)')
    .action(async (email: string, opts: { bucket?: string }) => {
      const [{ Email, userHashOf, userPrefix }, { LOCAL_BUCKETS, LOCAL_SECRETS }, { DocVaultError }] = await Promise.all([
        import('../../shared/core/task.ts'),
        import('../../shared/names.ts'),
        import('../../shared/core/errors.ts'),
      ]);
      // The API's own rule: an address it would refuse has no prefix anyone could reach.
      const parsed = Email.safeParse(email);
      if (!parsed.success) throw new DocVaultError('INVALID_ARGUMENT', `"${email}" is not an email address the service accepts (ASCII only, as the API checks it).`);
      const secret = process.env.USER_HASH_SECRET;
      if (!secret) process.stderr.write('USER_HASH_SECRET is not set: using the local suite\'s secret (npm start).\n');
      const bucket = opts.bucket ?? process.env.UPLOADS_BUCKET ?? LOCAL_BUCKETS.uploads;
      process.stdout.write(`gs://${bucket}/${userPrefix(userHashOf(parsed.data, secret ?? LOCAL_SECRETS.userHash))}\n`);
    });
}
