/** `docvault models …`: the options; the work is in ../models-command.ts, loaded when a sub-command runs. */
import type { Command } from 'commander';
import { stdio } from './parse.ts';

export function registerModelsCommand(program: Command): void {
  const models = program.command('models').description('traineddata folders and the models bucket (tessdata/{lang}.traineddata + manifest.json)');
  const run = () => import('../models-command.ts');

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
    .action(async (src: string, dest: string, opts) => {
      process.exitCode = await (await run()).runModelsSync(src, dest, opts, stdio());
    });

  models
    .command('manifest')
    .description('(re)build manifest.json (path, lang, size, sha256, source of each file) at the root of a model folder or gs:// prefix')
    .argument('<location>', 'local folder or gs://bucket/prefix')
    .action(async (location: string) => {
      process.exitCode = await (await run()).runModelsManifest(location, stdio());
    });

  models
    .command('list')
    .description('every language the OCR finds without --model-dir: installed @tesseract.js-data/* packages and Debian tesseract-ocr-* packages')
    .option('--model-dir <dir...>', 'folders with {lang}.traineddata, searched first')
    .option('--json', 'machine-readable')
    .action(async (opts) => {
      process.exitCode = await (await run()).runModelsList(opts, stdio());
    });

  models
    .command('add')
    .description('copy the traineddata of LANG... from the installed packages into DEST (a folder or gs://bucket/prefix) and refresh its manifest.json')
    .argument('<langs...>', 'tesseract language codes, e.g. deu fra')
    .requiredOption('--to <dest>', 'folder or gs://bucket/prefix (the models bucket holds tessdata/{lang}.traineddata)')
    .action(async (langs: string[], opts: { to: string }) => {
      process.exitCode = await (await run()).runModelsAdd(langs, opts.to, stdio());
    });
}
