/** `docvault ocr FILE...`: the whole core on local files, with no cloud and no emulator. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { z } from 'zod';
import { DocVaultError, toDocVaultError } from '../core/errors.ts';
import type { PageProgress, PipelineOutput } from '../core/pipeline.ts';
import { createOcr, modelDirs } from '../engines/index.ts';
import { toHocr } from '../outputs/hocr.ts';
import { buildSearchablePdf } from '../outputs/searchable-pdf.ts';
import { toPlainText } from '../outputs/text.ts';

export const OutputFormat = z.enum(['json', 'txt', 'hocr', 'pdf']);
export type OutputFormat = z.infer<typeof OutputFormat>;

const EXTENSION: Record<OutputFormat, string> = { json: '.json', txt: '.txt', hocr: '.hocr.html', pdf: '.searchable.pdf' };

export interface OcrCommandOptions {
  lang: string;
  format: OutputFormat[];
  out?: string | undefined;
  password?: string | undefined;
  dpi: number;
  workers?: number | undefined;
  modelDir: string[];
}

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Renders each requested output of one document. */
export async function renderOutputs(bytes: Uint8Array, output: PipelineOutput, formats: readonly OutputFormat[]): Promise<Map<OutputFormat, Uint8Array | string>> {
  const rendered = new Map<OutputFormat, Uint8Array | string>();
  for (const format of formats) {
    if (format === 'json') rendered.set(format, JSON.stringify(output.result, null, 2) + '\n');
    if (format === 'txt') rendered.set(format, toPlainText(output.result));
    if (format === 'hocr') rendered.set(format, toHocr(output.result));
    if (format === 'pdf') rendered.set(format, await buildSearchablePdf(bytes, output.result, output.artifacts));
  }
  return rendered;
}

/** Returns the process exit code: 0 when every file was read, 1 when any failed. */
export async function runOcrCommand(files: string[], options: OcrCommandOptions, io: Io): Promise<number> {
  if (options.format.includes('pdf') && !options.out) {
    throw new DocVaultError('INVALID_ARGUMENT', 'The pdf format writes files: give --out DIR.');
  }
  const ocr = createOcr({ modelDirs: modelDirs(options.modelDir), workers: options.workers });
  const progressOnTty = Boolean(io.stderr.isTTY);
  let failures = 0;
  try {
    for (const file of files) {
      const started = performance.now();
      try {
        const bytes = new Uint8Array(await readFile(file));
        const onProgress = (p: PageProgress) => {
          if (progressOnTty) io.stderr.write(`\r${file}: page ${p.done}/${p.total}`);
        };
        const output = await ocr.process(bytes, { languages: options.lang, password: options.password, dpi: options.dpi, searchablePdf: options.format.includes('pdf') }, onProgress);
        if (progressOnTty) io.stderr.write('\r\x1b[K');
        const rendered = await renderOutputs(bytes, output, options.format);
        if (options.out) {
          await mkdir(options.out, { recursive: true });
          const stem = basename(file, extname(file));
          for (const [format, content] of rendered) await writeFile(join(options.out, stem + EXTENSION[format]), content);
        } else {
          for (const content of rendered.values()) io.stdout.write(content);
        }
        const { result } = output;
        const failed = result.pages.filter((p) => p.status === 'failed').length;
        const skipped = result.pages.filter((p) => p.source === 'text-layer').length;
        io.stderr.write(
          `${file}: ${result.pageCount} page${result.pageCount === 1 ? '' : 's'}` +
            (skipped ? ` (${skipped} from text layer)` : '') +
            (failed ? ` (${failed} failed)` : '') +
            `, mean confidence ${result.confidence.toFixed(1)}, ${((performance.now() - started) / 1000).toFixed(2)} s\n`,
        );
      } catch (err) {
        failures += 1;
        if (progressOnTty) io.stderr.write('\r\x1b[K');
        const error = toDocVaultError(err);
        io.stderr.write(`${file}: error ${error.code}: ${error.message}\n`);
      }
    }
  } finally {
    await ocr.close();
  }
  return failures === 0 ? 0 : 1;
}
