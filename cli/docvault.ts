#!/usr/bin/env node
/** The `docvault` command line. Each sub-command lives in its own module beside this one. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ACCEPTED_TYPES_TEXT } from '../shared/core/document-type.ts';
import { DocVaultError } from '../shared/core/errors.ts';
import { userHashOf, userPrefix } from '../shared/core/task.ts';
import { LOCAL_BUCKETS, LOCAL_SECRETS } from '../shared/names.ts';
import { registerDataCommand } from './data-command.ts';
import { registerIngestCommand } from './ingest-command.ts';
import { registerModelsCommand } from './models-command.ts';
import { OutputFormat, runOcrCommand } from './ocr-command.ts';
import { registerQueueCommand } from './queue-command.ts';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

function formats(value: string, previous: OutputFormat[] | undefined): OutputFormat[] {
  const parsed = value.split(',').map((f) => OutputFormat.safeParse(f.trim()));
  const bad = parsed.find((p) => !p.success);
  if (bad) throw new InvalidArgumentError(`formats are ${OutputFormat.options.join(', ')}`);
  return [...(previous ?? []), ...parsed.map((p) => p.data as OutputFormat)];
}

const program = new Command('docvault').description('DocVault OCR: document OCR on Google Cloud, and its local tools.').showHelpAfterError();

program
  .command('ocr')
  .description(`OCR local files (${ACCEPTED_TYPES_TEXT}) with no cloud and no emulator`)
  .argument('<files...>', 'documents to read')
  .option('-l, --lang <langs>', 'languages, e.g. eng or eng+deu', 'eng')
  .option('-f, --format <formats>', 'json, txt, hocr, pdf (repeat or comma-separate)', formats)
  .option('-o, --out <dir>', 'write FILE.{json,txt,hocr.html,searchable.pdf} here instead of printing')
  .option('--password <password>', 'password of encrypted PDFs')
  .option('--dpi <dpi>', 'resolution PDF pages are rendered at', positiveInt, 300)
  .option('--workers <n>', 'OCR workers (default: one per CPU)', positiveInt)
  .addOption(new Option('--model-dir <dir...>', 'folders with {lang}.traineddata, searched first').env('MODEL_CACHE_DIR').default([]))
  .action(async (files: string[], opts) => {
    const modelDir = typeof opts.modelDir === 'string' ? [opts.modelDir] : opts.modelDir;
    process.exitCode = await runOcrCommand(files, { ...opts, modelDir, format: opts.format ?? ['txt'] }, { stdout: process.stdout, stderr: process.stderr });
  });

program
  .command('user-prefix')
  .description('print the gs:// prefix an operator drops a user\'s files into (each file there becomes a task)')
  .argument('<email>', 'the user\'s email')
  .option('--bucket <name>', 'uploads bucket', process.env.UPLOADS_BUCKET ?? LOCAL_BUCKETS.uploads)
  .action((email: string, opts: { bucket: string }) => {
    const secret = process.env.USER_HASH_SECRET;
    if (!secret) process.stderr.write('USER_HASH_SECRET is not set: using the local suite\'s secret (npm start).\n');
    process.stdout.write(`gs://${opts.bucket}/${userPrefix(userHashOf(email, secret ?? LOCAL_SECRETS.userHash))}\n`);
  });

registerModelsCommand(program);
registerDataCommand(program);
registerQueueCommand(program);
registerIngestCommand(program);

try {
  await program.parseAsync();
} catch (err) {
  const message = err instanceof DocVaultError ? `error ${err.code}: ${err.message}` : String((err as Error)?.stack ?? err);
  process.stderr.write(message + '\n');
  process.exitCode = 2;
}
