/** `docvault ocr FILE...`: the whole core on local files, with no cloud and no emulator. */
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { DocVaultError } from '../shared/core/errors.ts';
import { AUTO_LANGUAGE, DEFAULT_LANGUAGES, Languages, Limits } from '../shared/core/options.ts';
import type { PageProgress } from '../shared/core/pipeline.ts';
import type { Ocr } from '../shared/engines/index.ts';
import { OUTPUTS, renderOutputs, OutputFormat } from '../shared/outputs/index.ts';
import { errorLine, reportCliError, cliError } from './cli-errors.ts';
import { cutToPages, describeSelection, parsePageSelection, renumberPages, type PageSelection } from './page-selection.ts';

export { OutputFormat } from '../shared/outputs/index.ts';

export interface OcrCommandOptions {
  lang: string;
  format: OutputFormat[];
  out?: string | undefined;
  pages?: PageSelection | undefined;
  password?: string | undefined;
  dpi: number;
  workers?: number | undefined;
  modelDir: string[];
  /** false: no line cascade (the fast models are not used), as `--no-cascade`. */
  cascade?: boolean | undefined;
}

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** The options as commander hands them over, checked by the same schemas as the service's. */
export function checkedOcrOptions(raw: { lang: string; format?: string[]; out?: string; pages?: string; password?: string; dpi: number; workers?: number; modelDir: string | string[]; cascade?: boolean }): OcrCommandOptions {
  const formats = (raw.format ?? ['txt']).map((f) => {
    const parsed = OutputFormat.safeParse(f);
    if (!parsed.success) throw new DocVaultError('INVALID_ARGUMENT', `-f ${f}: formats are ${OutputFormat.options.join(', ')}.`);
    return parsed.data;
  });
  const langs = Languages.safeParse(raw.lang);
  if (!langs.success) throw new DocVaultError('INVALID_ARGUMENT', `-l ${raw.lang}: a language is a tesseract code such as eng, deu or chi_sim (eng+deu for several), or auto alone.`);
  if (formats.includes('pdf') && !raw.out) throw new DocVaultError('INVALID_ARGUMENT', 'The pdf format writes files: give --out DIR.');
  return {
    lang: langs.data.join('+'),
    format: [...new Set(formats)],
    out: raw.out,
    pages: raw.pages === undefined ? undefined : parsePageSelection(raw.pages),
    password: raw.password,
    dpi: raw.dpi,
    workers: raw.workers,
    modelDir: typeof raw.modelDir === 'string' ? [raw.modelDir] : raw.modelDir,
    cascade: raw.cascade,
  };
}

/** The entry of `docvault ocr`: a usage error is reported before any engine starts. */
export async function runOcrCli(files: string[], raw: Parameters<typeof checkedOcrOptions>[0], io: Io): Promise<number> {
  let options: OcrCommandOptions;
  try {
    options = checkedOcrOptions(raw);
  } catch (err) {
    return reportCliError(err, io.stderr);
  }
  return runOcrCommand(files, options, io);
}

/**
 * The file name stem of each input's outputs in --out: its own name, unless another input has the same
 * one (a/scan.png and b/scan.png): then its folder's name is put in front, and a number if still needed.
 */
export function outputStems(files: readonly string[]): string[] {
  const stem = (file: string) => basename(file, extname(file));
  const count = new Map<string, number>();
  for (const f of files) count.set(stem(f), (count.get(stem(f)) ?? 0) + 1);
  const taken = new Set<string>();
  return files.map((file) => {
    const own = stem(file);
    let name = count.get(own)! > 1 ? `${basename(dirname(resolve(file))) || 'root'}-${own}` : own;
    for (let n = 2; taken.has(name); n++) name = `${own}-${n}`;
    taken.add(name);
    return name;
  });
}

/** Returns the process exit code: 0 when every file was read, 1 when any failed. */
export async function runOcrCommand(files: string[], options: OcrCommandOptions, io: Io): Promise<number> {
  const stems = outputStems(files);
  let ocr: Ocr | undefined;
  let failures = 0;
  try {
    void warmPdfReader(files[0]).catch(() => undefined);
    ocr = await startOcr(options);
    for (const [i, file] of files.entries()) {
      try {
        await readOne(ocr, file, stems[i]!, options, io, files.length > 1);
      } catch (err) {
        failures += 1;
        if (io.stderr.isTTY) io.stderr.write('\r\x1b[K');
        io.stderr.write(errorLine(cliError(err, file), file));
      }
    }
  } catch (err) {
    return reportCliError(err, io.stderr);
  } finally {
    await ocr?.close();
  }
  return failures === 0 ? 0 : 1;
}

/**
 * The engines, with one OCR worker starting first: in a short run the worker's start (its WASM and model) is the
 * longest step, so it begins before the modules the rest of the read needs (sharp, the second engine's runtime, the
 * pipeline) load; a second worker joins when a second page needs it. A language that is not installed is the
 * command's fault, not a document's: it is refused before any worker starts (exit 2). auto: the languages are
 * chosen per document from what is installed; the worker starts with the default ones.
 */
async function startOcr(options: OcrCommandOptions): Promise<Ocr> {
  const [{ ModelStore, modelDirs }, { TesseractEngine }, { compileCore }] = await Promise.all([
    import('../shared/engines/model-store.ts'),
    import('../shared/engines/tesseract-engine.ts'),
    import('../shared/engines/tesseract-worker-script.ts'),
  ]);
  const models = new ModelStore(modelDirs(options.modelDir));
  const chosen = options.lang === AUTO_LANGUAGE ? [] : options.lang.split('+');
  await Promise.all(chosen.map((l) => models.file(l)));
  const engine = new TesseractEngine({ models, workers: options.workers, ...(options.cascade === false ? { cascade: false as const } : {}) });
  const languages = chosen.length > 0 ? chosen : DEFAULT_LANGUAGES;
  // A failure here is met again, and reported, by the first page's read.
  const firstWorker = engine.warmUp(languages, 1);
  // The worker's thread is spawned once its model folder (the cascade's models where a fast one is installed) and the
  // compiled core (begun by the command's action) are ready: after that the next modules load.
  await Promise.all([engine.workerModels(languages).then((names) => models.langPath(names)).catch(() => undefined), compileCore()]);
  await new Promise((resolve) => setImmediate(resolve));
  const { createOcr } = await import('../shared/engines/index.ts');
  const ocr = createOcr({ started: { engine, models } });
  // The classifier is not warmed up ahead: its patterns now compile in ~35 ms at their first use (classify-patterns.ts),
  // and compiling them while the page was being prepared delayed the page more than it saved (bench/RESULTS.md).
  void Promise.all([firstWorker, ocr.warmUp(languages, 1)]).catch(() => undefined);
  return ocr;
}

/** A PDF's header may come anywhere in its first 1,024 bytes (PDF 1.7, annex H.3). */
const PDF_HEADER_WITHIN = 1024;

/**
 * When the first file is a PDF, its reader thread starts beside the OCR worker: the thread's cold start (pdfjs' modules
 * and the open, ~0.8 s on 2 loaded cores) otherwise came after the worker's, while the worker waited for the first page.
 * Returns whether it started one; a file that cannot be read is left to the read to report.
 */
export async function warmPdfReader(file: string | undefined): Promise<boolean> {
  if (file === undefined) return false;
  const handle = await open(file, 'r');
  const head = Buffer.alloc(PDF_HEADER_WITHIN);
  let length: number;
  try {
    ({ bytesRead: length } = await handle.read(head, 0, PDF_HEADER_WITHIN, 0));
  } finally {
    await handle.close();
  }
  // Its header, not file-type (core/document-type.ts): that would load before the OCR worker starts, for an image too.
  // A PDF missed here is only not warmed; the read tells the type as always.
  if (!head.subarray(0, length).includes('%PDF-')) return false;
  const { warmRenderThread } = await import('../shared/engines/pdf-renderer.ts');
  // The heap the PDF's open asks for (Limits' default), else the warm thread is not the one it takes.
  warmRenderThread({ heapMb: Limits.parse({}).renderHeapMb });
  return true;
}

async function readOne(ocr: Ocr, file: string, stem: string, options: OcrCommandOptions, io: Io, several: boolean): Promise<void> {
  const started = performance.now();
  const original = new Uint8Array(await readFile(file));
  const { bytes, pages, pageCount } = options.pages ? await cutToPages(original, options.pages) : { bytes: original, pages: null, pageCount: 0 };
  // Per-page progress on a terminal, for documents of more than one page.
  const onProgress = (p: PageProgress) => {
    if (io.stderr.isTTY && p.total > 1) io.stderr.write(`\r${file}: page ${p.done}/${p.total}`);
  };
  const output = await ocr.process(bytes, { languages: options.lang, password: options.password, dpi: options.dpi, searchablePdf: options.format.includes('pdf') }, onProgress);
  if (io.stderr.isTTY) io.stderr.write('\r\x1b[K');
  if (pages) renumberPages(output.result, pages);
  const rendered = await renderOutputs(bytes, output, options.format);
  if (options.out) {
    await mkdir(options.out, { recursive: true });
    for (const [format, content] of rendered) await writeFile(join(options.out, stem + OUTPUTS[format].fileSuffix), content);
  } else {
    // Several files on stdout: a header line before each, as head(1) does.
    if (several) io.stdout.write(`==> ${file} <==\n`);
    for (const content of rendered.values()) io.stdout.write(content);
  }
  const { result } = output;
  const failed = result.pages.filter((p) => p.status === 'failed').length;
  const skipped = result.pages.filter((p) => p.source === 'text-layer').length;
  io.stderr.write(
    `${file}: ${result.pages.length} page${result.pages.length === 1 ? '' : 's'}` +
      (options.pages ? ` (${describeSelection(options.pages, pages ?? [1], pageCount)})` : '') +
      (options.lang === AUTO_LANGUAGE ? ` (auto: ${result.languages.join('+')})` : '') +
      (skipped ? ` (${skipped} from text layer)` : '') +
      (failed ? ` (${failed} failed)` : '') +
      (options.out ? ` → ${join(options.out, stem)}.*` : '') +
      `, mean confidence ${result.confidence.toFixed(1)}, ${((performance.now() - started) / 1000).toFixed(2)} s\n`,
  );
}
