#!/usr/bin/env node
/**
 * The `docvault` command line. Each sub-command's options are declared in commands/ and its work lives
 * in a module beside this one, imported only when that sub-command runs: `docvault --help` loads
 * commander and nothing else (no engines, no cloud clients, no zod).
 */
import { readFileSync } from 'node:fs';
import { CommanderError, Command } from 'commander';
import { registerDataCommand } from './commands/data.ts';
import { registerIngestCommand } from './commands/ingest.ts';
import { registerModelsCommand } from './commands/models.ts';
import { registerOcrCommand } from './commands/ocr.ts';
import { registerQueueCommand } from './commands/queue.ts';
import { registerUserPrefixCommand } from './commands/user-prefix.ts';

const USAGE_EXIT = 2;
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('docvault')
  .description('DocVault OCR: document OCR on Google Cloud, and its local tools.')
  .version(version)
  // A wrong option is one line with a code, not the whole help; the usage error exits 2.
  .configureOutput({ outputError: (message, write) => write(`error INVALID_ARGUMENT: ${message.replace(/^error: /, '')}`) })
  .showHelpAfterError('(add --help for usage)')
  .exitOverride();

// The ocr help names the formats; that list loads zod, so only when this help is asked for.
const ocrHelp = process.argv[2] === 'ocr' && process.argv.some((a) => a === '--help' || a === '-h');
registerOcrCommand(program, ocrHelp ? (await import('../shared/core/document-type.ts')).ACCEPTED_TYPES_TEXT : undefined);
registerUserPrefixCommand(program);
registerModelsCommand(program);
registerDataCommand(program);
registerQueueCommand(program);
registerIngestCommand(program);

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version "fail" with exit code 0; everything else commander refuses is a usage error.
    process.exitCode = err.exitCode === 0 ? 0 : USAGE_EXIT;
  } else {
    const { reportCliError } = await import('./cli-errors.ts');
    process.exitCode = reportCliError(err, process.stderr);
  }
}
