/** `docvault ocr FILE...`: the whole core on local files, with no cloud and no emulator. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { DocVaultError, toDocVaultError } from '../shared/core/errors.ts';
import type { PageProgress } from '../shared/core/pipeline.ts';
import { createOcr, modelDirs } from '../shared/engines/index.ts';
import { OUTPUTS, renderOutputs, type OutputFormat } from '../shared/outputs/index.ts';

export { OutputFormat } from '../shared/outputs/index.ts';

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
          for (const [format, content] of rendered) await writeFile(join(options.out, stem + OUTPUTS[format].fileSuffix), content);
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
