/** `docvault ocr FILE...`: the options; the engines are loaded by ../ocr-command.ts only when it runs. */
import { Option, type Command } from 'commander';
import { collectList, positiveInt, stdio } from './parse.ts';

/**
 * What `docvault ocr --help` says the command reads. The list lives with the formats (core/document-type.ts),
 * which load zod and file-type: it is only asked for when that help is shown.
 */
export function registerOcrCommand(program: Command, acceptedTypesText?: string): void {
  program
    .command('ocr')
    .description(`OCR local files (${acceptedTypesText ?? 'PDFs and images'}) with no cloud and no emulator`)
    .argument('<files...>', 'documents to read')
    .option('-l, --lang <langs>', 'languages, e.g. eng or eng+deu (docvault models list shows what is installed); auto: chosen from the first page\'s script', 'eng')
    .option('-f, --format <formats>', 'json, txt, hocr, pdf (repeat or comma-separate; default txt)', collectList)
    .option('-o, --out <dir>', 'write FILE.{json,txt,hocr.html,searchable.pdf} here instead of printing; names that would collide are told apart')
    .option('--pages <ranges>', 'only these pages, e.g. 1-3,7 (numbered from 1)')
    .option('--password <password>', 'password of encrypted PDFs')
    .option('--dpi <dpi>', 'resolution PDF pages are rendered at (a 1-bit scan with large text is read at less)', positiveInt, 300)
    .option('--workers <n>', 'OCR workers (default: one per CPU)', positiveInt)
    .option('--no-cascade', 'read every page with the languages\' own models only, even where a fast model ({lang}_fast) is installed')
    .addOption(new Option('--model-dir <dir...>', 'folders with {lang}.traineddata, searched before the installed packages').env('MODEL_CACHE_DIR').default([]))
    .action(async (files: string[], opts) => {
      // The OCR core's WebAssembly compiles while the command's modules load; its workers instantiate that module
      // (compileCore in shared/engines/tesseract-worker-script.ts).
      void import('../../shared/engines/tesseract-worker-script.ts').then((m) => m.compileCore());
      const { runOcrCli } = await import('../ocr-command.ts');
      process.exitCode = await runOcrCli(files, opts, { ...stdio(), stderr: process.stderr });
    });
}
