/**
 * tesseract.js behind the OcrEngine port: a pool of workers created once and reused across
 * documents, recycled after a number of pages (the WASM heap only grows), and one legacy-core
 * worker for orientation detection. Traineddata comes from the ModelStore only.
 */
import { realpath } from 'node:fs/promises';
import { createRequire } from 'node:module';
import Tesseract from 'tesseract.js';
import { DocVaultError } from '../core/errors.ts';
import { cropGrey, isFlat } from '../core/grey-image.ts';
import type { GreyImage, OcrEngine, OrientationGuess, RecognizedPage, RecognizedWord, RecognizeOptions } from '../core/ports.ts';
import type { Orientation } from '../core/result.ts';
import { availableCores } from './available-cores.ts';
import type { ModelStore } from './model-store.ts';
import { DEFAULT_UNSURE_BELOW, fastModelName, isFastModelName, lineBox, ownModelName, linesOf, mergeLines, paragraphsOfLines, placeLineWords, textOfLines, unsureLines, withUnsureLinesSure } from './tesseract-cascade.ts';
import { deskew, engineInput, hasDarkArea, meanConfidence, measureSkew, toRecognizedPage, wordsFromTsv } from './tesseract-page.ts';
import { compileCore, CORE_LOADED_STATUS, startingWorker, tesseractWorkerUrl, withTieringBudget } from './tesseract-worker-script.ts';

const { createWorker, OEM, PSM } = Tesseract;
type Worker = Tesseract.Worker;

const require = createRequire(import.meta.url);
const TESSERACT_JS_VERSION: string = (require('tesseract.js/package.json') as { version: string }).version;

export interface TesseractEngineOptions {
  models: ModelStore;
  /** Workers in the pool; defaults to the cores the process may use (its cgroup's CPU quota, not the host's count). */
  workers?: number;
  /** Pages a worker reads before it is replaced, to keep memory flat. */
  recycleAfterPages?: number;
  /** Page segmentation mode; 3 (automatic) is what the tesseract CLI uses and reads columns right. */
  pageSegMode?: Tesseract.PSM;
  /**
   * The line cascade (tesseract-cascade.ts): where every language of a page has a fast model (`{lang}_fast`) in the store,
   * the page is read with those and its unsure lines (a word under `unsureBelow`) again with the languages' own models.
   * A page with no fast model is read as before.
   * `false` turns it off.
   */
  cascade?: { unsureBelow?: number } | false;
  /**
   * Tesseract's parameters over the engine's own (none at start; `tessedit_do_invert` a read, see pageParameters).
   * For benchmarks (bench/engine-params.ts) and tests; the defaults are what the figures justify.
   */
  parameters?: TesseractParameters;
  /** Told of each step a worker takes (bench/pdf-pages.ts draws the workers' timeline from these). */
  onStep?: (step: EngineStepEvent) => void;
}

/**
 * The steps of a page's read, each timed on the main thread from the request to the worker's answer (the worker thread
 * does nothing else meanwhile: on an idle core, its CPU): a worker's start (its model loads), a switch between the
 * fast and the own models, the skew pass, the first read with the fast models, a read with the own models (a page
 * expected unsure, or no cascade), the cascade's line reads, its whole-page re-read, and orientation detection.
 */
export const ENGINE_STEPS = ['workerStart', 'modelSwitch', 'skewPass', 'fastRead', 'ownRead', 'lineReads', 'wholeReread', 'osd'] as const;
export type EngineStep = (typeof ENGINE_STEPS)[number];

export interface EngineStepEvent {
  step: EngineStep;
  /** The pool's slot that took it (-1: the OSD worker). */
  slot: number;
  /** performance.now() at its start and its length, ms. */
  startedMs: number;
  ms: number;
}

/** Tesseract parameters by when they are read: `init` only when a worker starts (its config file), `page` on every read. */
export interface TesseractParameters {
  init: Record<string, string>;
  page: Record<string, string>;
}

export const TESSERACT_PARAMETERS: TesseractParameters = { init: {}, page: {} };

interface Slot {
  worker?: Worker;
  /** The languages the worker was started with (with fast models: the cascade's, holding the own models too). */
  languages?: string;
  /** The languages it reads with now: a cascade's worker switches between the fast and the own models (reinitialize). */
  reading?: string;
  /** A worker being started for the slot (by warmUp, ahead of its first page). */
  starting?: Promise<unknown>;
  pages: number;
  busy: boolean;
}

export interface EngineStats {
  workers: number;
  live: number;
  busy: number;
  loadedLanguages: string[];
  pagesRead: number;
  workersStarted: number;
  /** Pages read with tesseract's inverted re-read of unsure lines on: those with a dark area. */
  invertingReads: number;
  /** The WASM core the page workers loaded (its file name), once one has started. */
  core?: string;
  /** Whether the last page worker started instantiated the core compiled once in the process (compileCore). */
  coreShared?: boolean;
  /**
   * The line cascade: pages read with fast models, their lines, the lines read again and those of them whose text the
   * own models read otherwise, the unsure pages read again whole (unsure of over half their lines, or, of those, whose
   * merged read was not clean), and the pages expected to read unsurely, read with the own models at once (no fast read).
   */
  cascade: { pages: number; lines: number; linesReread: number; linesChanged: number; pagesReread: number; pagesRereadNotClean: number; direct: number };
  /** How often each step was taken and its time in all, ms (ENGINE_STEPS). */
  steps: Record<EngineStep, { count: number; ms: number }>;
}

export class TesseractEngine implements OcrEngine {
  readonly name = 'tesseract.js';
  readonly version = TESSERACT_JS_VERSION;
  private readonly models: ModelStore;
  private readonly slots: Slot[];
  private readonly waiting: Array<() => void> = [];
  private readonly recycleAfterPages: number;
  private readonly pageSegMode: Tesseract.PSM;
  private readonly parameters: TesseractParameters;
  private osdWorker: Promise<Worker | null> | undefined;
  private osdQueue: Promise<unknown> = Promise.resolve();
  private pagesRead = 0;
  /** Pages read with tesseract's inverted re-read of unsure lines on (the page had a dark area). */
  private invertingReads = 0;
  private workersStarted = 0;
  private core: string | undefined;
  private coreShared: boolean | undefined;
  private closed = false;
  private readonly unsureBelow: number | undefined;
  /** Per language set: whether it has fast models distinct from its own (asked of the store once). */
  private readonly fastModels = new Map<string, Promise<boolean>>();
  private readonly cascadeCounts = { pages: 0, lines: 0, linesReread: 0, linesChanged: 0, pagesReread: 0, pagesRereadNotClean: 0, direct: 0 };
  private readonly steps = Object.fromEntries(ENGINE_STEPS.map((s) => [s, { count: 0, ms: 0 }])) as Record<EngineStep, { count: number; ms: number }>;
  private readonly onStep: ((step: EngineStepEvent) => void) | undefined;

  constructor(options: TesseractEngineOptions) {
    this.models = options.models;
    const size = Math.max(1, options.workers ?? availableCores());
    this.slots = Array.from({ length: size }, () => ({ pages: 0, busy: false }));
    this.recycleAfterPages = options.recycleAfterPages ?? 100;
    this.pageSegMode = options.pageSegMode ?? PSM.AUTO;
    this.parameters = options.parameters ?? TESSERACT_PARAMETERS;
    this.unsureBelow = options.cascade === false ? undefined : (options.cascade?.unsureBelow ?? DEFAULT_UNSURE_BELOW);
    this.onStep = options.onStep;
  }

  get size(): number {
    return this.slots.length;
  }

  stats(): EngineStats {
    return {
      workers: this.slots.length,
      live: this.slots.filter((s) => s.worker).length,
      busy: this.slots.filter((s) => s.busy).length,
      loadedLanguages: [...new Set(this.slots.flatMap((s) => (s.languages ? s.languages.split('+') : [])))].sort(),
      pagesRead: this.pagesRead,
      workersStarted: this.workersStarted,
      invertingReads: this.invertingReads,
      ...(this.core ? { core: this.core } : {}),
      ...(this.coreShared === undefined ? {} : { coreShared: this.coreShared }),
      cascade: { ...this.cascadeCounts },
      steps: Object.fromEntries(ENGINE_STEPS.map((s) => [s, { ...this.steps[s] }])) as Record<EngineStep, { count: number; ms: number }>,
    };
  }

  /** `work`, counted and timed as `step` of the slot's worker (stats().steps, onStep). */
  private async timed<T>(step: EngineStep, slot: Slot | undefined, work: () => Promise<T>): Promise<T> {
    const startedMs = performance.now();
    try {
      return await work();
    } finally {
      const ms = performance.now() - startedMs;
      this.steps[step].count += 1;
      this.steps[step].ms += ms;
      this.onStep?.({ step, slot: slot ? this.slots.indexOf(slot) : -1, startedMs, ms });
    }
  }

  /** The models a worker for these languages loads: with fast models, those and the own ones (the cascade's lines). */
  async workerModels(languages: readonly string[]): Promise<string[]> {
    return (await this.hasFastModels(languages)) ? [...languages.map(fastModelName), ...languages] : [...languages];
  }

  /** Starts workers ahead of the first page (cold start), for the given languages: all of the pool's, or `workers` of them. */
  async warmUp(languages: readonly string[] = ['eng'], workers = this.slots.length): Promise<void> {
    // The worker a page will ask for: with fast models, the cascade's (which holds the own models too). Its slot counts as
    // starting at once, so that a page or close() arriving meanwhile waits for it.
    const pageLanguages = this.hasFastModels(languages).then((fast) => (fast ? languages.map(fastModelName) : languages).join('+'));
    await Promise.all(
      this.slots.slice(0, workers).map(async (slot) => {
        if (!slot.worker && !slot.starting) await this.startWorker(slot, pageLanguages);
      }),
    );
  }

  async recognize(image: GreyImage, options: RecognizeOptions): Promise<RecognizedPage> {
    const languages = options.languages.join('+');
    await Promise.all(options.languages.map((l) => this.models.file(l))); // a clear error before any worker work
    options.signal?.throwIfAborted();
    // A flat page has no text: tesseract would spend seconds on a large one to say so.
    if (isFlat(image)) return { text: '', confidence: 0, words: [], skewDegrees: 0, width: image.width, height: image.height };
    const cascade = await this.hasFastModels(options.languages);
    const pageLanguages = cascade ? options.languages.map(fastModelName).join('+') : languages;
    const slot = await this.acquire(pageLanguages);
    try {
      const worker = await this.workerFor(slot, pageLanguages);
      const job = (async () => {
        // The pipeline's own measure (page-skew.ts) found the lines level: a second skew pass would find nothing.
        const upright = await deskew(image, options.level ? 0 : await this.timed('skewPass', slot, () => measureSkew(worker, image)));
        // One decision a page: the cascade's line reads follow it (a line crop would cut a dark bar off at its sides).
        const parameters = this.pageParameters(upright.image);
        // A page expected to read unsurely (a form, a till slip) would be read again whole after the fast read: read it
        // with the own models at once.
        const direct = cascade && options.expectUnsure?.() === true;
        if (direct) this.cascadeCounts.direct += 1;
        await this.readWith(slot, worker, direct ? languages : pageLanguages);
        const { page, tsv } = await this.timed(cascade && !direct ? 'fastRead' : 'ownRead', slot, () => this.readPage(worker, upright, parameters));
        return cascade && !direct ? this.rereadUnsureLines(slot, worker, languages, upright, parameters, page, tsv, options) : page;
      })();
      // An abort (the page's budget, the document's, a cancel) ends the worker mid-page: tesseract cannot be interrupted otherwise.
      const page = await abortable(job, options.signal, () => this.discard(slot));
      slot.pages += 1;
      this.pagesRead += 1;
      return page;
    } catch (err) {
      if (err instanceof DocVaultError || options.signal?.aborted) throw err;
      // A worker that threw may be in any state: replace it.
      await this.discard(slot);
      throw new DocVaultError('ENGINE_FAILURE', `OCR engine failed: ${String((err as Error)?.message ?? err)}`, {}, { cause: err });
    } finally {
      if (slot.worker && slot.pages >= this.recycleAfterPages) await this.discard(slot);
      this.release(slot);
    }
  }

  async detectOrientation(image: GreyImage, signal?: AbortSignal): Promise<OrientationGuess | null> {
    if (isFlat(image)) return null;
    const run = this.osdQueue.then(async () => {
      signal?.throwIfAborted();
      const worker = await this.getOsdWorker();
      if (!worker) return null;
      await worker.setParameters({ user_defined_dpi: String(Math.round(image.dpi)), debug_file: '/dev/null' });
      const { data } = await abortable(this.timed('osd', undefined, () => worker.detect(engineInput(image))), signal, async () => {
        this.osdWorker = undefined;
        await worker.terminate().catch(() => undefined);
      });
      if (data.orientation_degrees === null || data.orientation_confidence === null) return null;
      // tesseract.js already reports the clockwise turn that makes the page upright.
      const degrees = (data.orientation_degrees % 360) as Orientation;
      return { degrees, confidence: data.orientation_confidence, script: data.script ?? null, scriptConfidence: data.script_confidence ?? null };
    });
    this.osdQueue = run.catch(() => undefined);
    try {
      return await run;
    } catch (err) {
      if (signal?.aborted) throw err;
      // OSD is an aid: when it fails the page is read as it is (and the fallback may still turn it).
      this.osdWorker = undefined;
      return null;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    // A worker still starting (warmUp) is ended once it has started, not left running.
    await Promise.all(
      this.slots.map(async (s) => {
        await s.starting;
        await this.discard(s);
      }),
    );
    const osd = await this.osdWorker?.catch(() => null);
    this.osdWorker = undefined;
    await osd?.terminate().catch(() => undefined);
  }

  private async getOsdWorker(): Promise<Worker | null> {
    this.osdWorker ??= (async () => {
      if (!(await this.models.has('osd'))) return null;
      const langPath = await this.models.langPath(['osd']);
      // Its thread compiles the legacy core itself, with the page workers' tier-up budget.
      return withTieringBudget(() =>
        createWorker('osd', OEM.TESSERACT_ONLY, {
          langPath,
          gzip: false,
          cacheMethod: 'none',
          legacyCore: true,
          legacyLang: true,
          errorHandler: () => undefined,
        }),
      );
    })();
    return this.osdWorker;
  }

  private async acquire(languages: string): Promise<Slot> {
    for (;;) {
      if (this.closed) throw new DocVaultError('ENGINE_FAILURE', 'The OCR engine is shutting down.');
      // Prefer a free worker that already has these languages loaded, then an empty slot, then any.
      const free = this.slots.filter((s) => !s.busy);
      const slot = free.find((s) => s.worker && s.languages === languages) ?? free.find((s) => !s.worker) ?? free[0];
      if (slot) {
        slot.busy = true;
        return slot;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(slot: Slot): void {
    slot.busy = false;
    this.waiting.shift()?.();
  }

  private async workerFor(slot: Slot, languages: string): Promise<Worker> {
    // A page that arrives while warmUp starts this slot's worker waits for that one rather than starting another.
    await slot.starting;
    if (slot.worker && slot.languages === languages) return slot.worker;
    await this.discard(slot);
    return this.startWorker(slot, languages);
  }

  private async startWorker(slot: Slot, languages: string | Promise<string>): Promise<Worker> {
    const starting = Promise.resolve(languages).then((langs) => this.createSlotWorker(slot, langs));
    slot.starting = starting.catch(() => undefined);
    try {
      return await starting;
    } finally {
      slot.starting = undefined;
    }
  }

  private async createSlotWorker(slot: Slot, languages: string): Promise<Worker> {
    const worker = await this.timed('workerStart', slot, () => this.createWorker(languages));
    slot.worker = worker;
    slot.languages = languages;
    slot.reading = languages;
    slot.pages = 0;
    return worker;
  }

  private async createWorker(languages: string): Promise<Worker> {
    // A worker that reads pages with fast models holds the languages' own models too, for the cascade's lines.
    const langs = languages.split('+');
    // The core is compiled once a process and shared by every worker spawned after it (compileCore; should it fail, each
    // worker compiles its own).
    const [langPath] = await Promise.all([this.models.langPath([...langs, ...langs.filter(isFastModelName).map(ownModelName)]), compileCore()]);
    let failure: unknown;
    const config = this.parameters.init;
    const creating = startingWorker({ langs: languages, langPath, oem: OEM.LSTM_ONLY, config }, () => createWorker(languages, OEM.LSTM_ONLY, {
      langPath,
      gzip: false,
      cacheMethod: 'none',
      // Our worker script: the LSTM-only core, and a start that does not wait on this thread (tesseract-worker-script.ts).
      // tesseract.js hands the URL to `new Worker`.
      workerPath: tesseractWorkerUrl() as unknown as string,
      logger: (m: { status?: string; core?: string; shared?: boolean }) => {
        if (m.status !== CORE_LOADED_STATUS) return;
        this.core = m.core;
        this.coreShared = m.shared;
      },
      // Without a handler an error inside the worker thread takes the whole process down.
      errorHandler: (err: unknown) => {
        failure = err;
      },
    }, config));
    // A worker that fails to load its traineddata reports to errorHandler and never settles.
    const worker = await withTimeout(creating, WORKER_START_TIMEOUT_MS, async () => {
      void creating.then((w) => w.terminate()).catch(() => undefined);
    }).catch((err: unknown) => {
      throw new DocVaultError('ENGINE_FAILURE', `The OCR engine could not start for ${languages}: ${String(failure ?? (err as Error).message)}`);
    });
    this.workersStarted += 1;
    return worker;
  }

  /** One read of the whole page, as tesseract's CLI reads it (psm 3 unless set), with the words from its TSV. */
  private async readPage(worker: Worker, upright: { image: GreyImage; radians: number }, parameters: Record<string, string>): Promise<{ page: RecognizedPage; tsv: string }> {
    const { data } = await worker.recognize(
      engineInput(upright.image),
      // Parameters passed through to tesseract for this page only.
      { ...parameters, tessedit_pageseg_mode: this.pageSegMode, user_defined_dpi: String(Math.round(upright.image.dpi)), debug_file: '/dev/null' } as object,
      // Words from the TSV: 2–7% quicker than tesseract.js's JSON of blocks down to symbols.
      { text: true, tsv: true },
    );
    return { page: toRecognizedPage(data, upright, this.pageSegMode), tsv: data.tsv ?? '' };
  }

  /**
   * Tesseract reads a line again inverted when its read is unsure (`tessedit_do_invert`, on by default), for light text
   * on dark. Only a page with a dark area can hold such a line (a page dark as a whole is inverted before it gets here):
   * on the others the second read is wasted, and where it won it read worse (bench/engine-params.ts, bench/RESULTS.md).
   * The options' `parameters.page` go over it.
   */
  private pageParameters(image: GreyImage): Record<string, string> {
    const parameters = { tessedit_do_invert: hasDarkArea(image) ? '1' : '0', ...this.parameters.page };
    if (parameters.tessedit_do_invert !== '0') this.invertingReads += 1;
    return parameters;
  }

  private async discard(slot: Slot): Promise<void> {
    const worker = slot.worker;
    slot.worker = undefined;
    slot.languages = undefined;
    slot.reading = undefined;
    slot.pages = 0;
    await worker?.terminate().catch(() => undefined);
  }

  /**
   * Has the slot's worker read with these languages, switching its models when it reads with others (a cascade's worker
   * holds both the fast and the own ones: 13–69 ms of CPU a switch). Lazily: a run of pages the same way costs none.
   */
  private async readWith(slot: Slot, worker: Worker, languages: string): Promise<void> {
    if (slot.reading === languages) return;
    slot.reading = undefined; // unknown until the switch has finished (a failed one discards the worker)
    await this.timed('modelSwitch', slot, () => worker.reinitialize(languages, OEM.LSTM_ONLY));
    slot.reading = languages;
  }

  /** Whether the cascade reads pages in these languages: on, and every one has a fast model that is another file than its own. */
  private hasFastModels(languages: readonly string[]): Promise<boolean> {
    if (this.unsureBelow === undefined) return Promise.resolve(false);
    const key = languages.join('+');
    let known = this.fastModels.get(key);
    if (!known) {
      known = Promise.all(
        languages.map(async (lang) => {
          if (!(await this.models.has(fastModelName(lang)))) return false;
          const [own, fast] = await Promise.all([this.models.file(lang), this.models.file(fastModelName(lang))]);
          return (await realpath(own.path)) !== (await realpath(fast.path));
        }),
      ).then((each) => each.every(Boolean));
      this.fastModels.set(key, known);
    }
    return known;
  }

  /**
   * The cascade's second step: each line of the fast read with a word under the bar, cut out of the page and read as one
   * line with the languages' own models; its words replace the fast read's. The same worker reads them: it holds both
   * models and switches between them (tesseract.js's reinitialize, 15–70 ms a switch measured here), where a second
   * worker in the slot would hold a second WASM heap.
   */
  private async rereadUnsureLines(
    slot: Slot,
    worker: Worker,
    languages: string,
    upright: { image: GreyImage; radians: number },
    parameters: Record<string, string>,
    page: RecognizedPage,
    tsv: string,
    options: RecognizeOptions,
  ): Promise<RecognizedPage> {
    const image = upright.image;
    const unsure = unsureLines(page.words, this.unsureBelow!);
    const lines = linesOf(page.words);
    this.cascadeCounts.pages += 1;
    this.cascadeCounts.lines += lines.size;
    // A fast read sure of every line is kept, clean or not: on the generated tables (numbers: not clean reads, so PP-OCR's)
    // such reads gave the same text as best_int's, and reading them again whole cost the tables 1.63× (bench/RESULTS.md).
    if (unsure.length === 0) return page;
    // The worker reads with the own models from here; the next page switches back if it is read with the fast ones.
    await this.readWith(slot, worker, languages);
    const readWhole = async () => {
      this.cascadeCounts.pagesReread += 1;
      return (await this.timed('wholeReread', slot, () => this.readPage(worker, upright, parameters))).page;
    };
    // An unsure page (a form, a receipt): read whole by the own models, as without the cascade.
    if (unsure.length > lines.size * MAX_UNSURE_LINE_SHARE) return readWhole();
    // A page the pipeline would not keep as it is even with every unsure line read surely: whole at once, not line by line.
    if (options.isCleanRead && !options.isCleanRead(withUnsureLinesSure(page, unsure))) {
      this.cascadeCounts.pagesRereadNotClean += 1;
      return readWhole();
    }
    this.cascadeCounts.linesReread += unsure.length;
    const reread = new Map<number, RecognizedWord[]>();
    for (const line of unsure) {
      const box = lineBox(lines.get(line)!, image.width, image.height);
      const { data } = await this.timed('lineReads', slot, () =>
        worker.recognize(
          engineInput(cropGrey(image, box)),
          { ...parameters, tessedit_pageseg_mode: PSM.SINGLE_LINE, user_defined_dpi: String(Math.round(image.dpi)), debug_file: '/dev/null' } as object,
          { text: false, tsv: true },
        ),
      );
      const words = placeLineWords(wordsFromTsv(data.tsv ?? ''), box, line);
      if (textOf(words) !== textOf(lines.get(line)!)) this.cascadeCounts.linesChanged += 1;
      reread.set(line, words);
    }
    const words = mergeLines(page.words, reread);
    const merged = { ...page, words, text: textOfLines(words, paragraphsOfLines(tsv)), confidence: meanConfidence(words) };
    // A read the pipeline would not keep as it is goes to the second engine, which keeps the words it was sure of: on a
    // page fast was unsure of in places, those are to be the own models' (a receipt read line by line lost 0.6 points of
    // CER through fast's sure words).
    if (!options.isCleanRead || options.isCleanRead(merged)) return merged;
    this.cascadeCounts.pagesRereadNotClean += 1;
    return readWhole();
  }
}

/**
 * A page whose fast read is unsure of more than this share of its lines is read again whole by the own models rather
 * than line by line. bench:accuracy (2026-12-03, bench/RESULTS.md): the forms and receipts read line by line lost CER
 * (forms 16.2% → 17.4%) at more CPU; bench:pdf's pages re-read 10–42% of their lines.
 */
const MAX_UNSURE_LINE_SHARE = 0.5;

const WORKER_START_TIMEOUT_MS = 60_000;

const textOf = (words: readonly RecognizedWord[]) => words.map((w) => w.text).join(' ');

/** `work`, or an error once `ms` have passed (after `onTimeout` has started ending the work). */
async function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Promise<void>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void onTimeout();
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `work`, or the signal's reason as soon as it aborts (after `onAbort` has started ending the work). */
async function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined, onAbort: () => Promise<void>): Promise<T> {
  if (!signal) return work;
  signal.throwIfAborted();
  let listener: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    listener = () => {
      void onAbort();
      reject(signal.reason);
    };
    signal.addEventListener('abort', listener, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', listener!);
  }
}
