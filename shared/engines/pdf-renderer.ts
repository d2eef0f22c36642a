/**
 * The main thread's side of pdf-render-thread.ts: one worker thread per open PDF, with a V8 heap
 * cap, ended (terminate) when a request's signal aborts (a page's time budget, the document's, a
 * cancel) or when it runs out of memory: its heap, or as much again outside it. The requests that were not at fault go on in a fresh
 * thread; the document is opened there again. One warm thread is kept for the next document, so a
 * normal PDF pays no thread start.
 */
import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DocVaultError } from '../core/errors.ts';
import type { Request, ThreadError } from './pdf-render-thread.ts';

// .ts from the source, .js from the build (tsc rewrites imports, not this URL).
const THREAD_URL = new URL(`./pdf-render-thread${extname(new URL(import.meta.url).pathname)}`, import.meta.url);

export interface RenderThreadLimits {
  /**
   * The thread's V8 old-generation heap (pdfjs' parsed operators and fonts live there), MB; its ArrayBuffers (decoded
   * streams, images, the canvas) may take as much again.
   */
  heapMb: number;
}

/**
 * How often a busy thread's ArrayBuffers are weighed. V8's heap cap does not count them: a 0.5 MB page whose content
 * stream inflates to 512 MB of spaces took 1.1 GB that way, in one run of pdfjs' lexer with no point at which the
 * thread itself could check. Weighed from here, the thread is ended mid-run.
 */
const WEIGH_EVERY_MS = 100;

type Call = Request extends infer R ? (R extends { op: infer O } ? { op: O } & Omit<R, 'id' | 'op'> : never) : never;

interface Pending {
  id: number;
  message: Request;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

class Thread {
  readonly worker: Worker;
  readonly heapMb: number;
  dead = false;
  private onDeath: ((err: DocVaultError) => void) | undefined;
  private weighing: NodeJS.Timeout | undefined;

  constructor(limits: RenderThreadLimits) {
    this.heapMb = limits.heapMb;
    this.worker = new Worker(THREAD_URL, { resourceLimits: { maxOldGenerationSizeMb: limits.heapMb } });
    this.worker.unref();
    this.worker.on('error', (err: Error & { code?: string }) => {
      this.dead = true;
      this.onDeath?.(
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? tooComplex(limits.heapMb)
          : new DocVaultError('INTERNAL', `The PDF reader stopped: ${err.message}`),
      );
    });
    this.worker.on('exit', () => {
      this.dead = true;
      this.idle();
      this.onDeath?.(new DocVaultError('INTERNAL', 'The PDF reader stopped.'));
    });
  }

  /** Work sent: the thread is kept alive, and its memory outside the heap weighed while it works. */
  busy(): void {
    this.worker.ref();
    this.weighing ??= setInterval(() => {
      this.worker.getHeapStatistics().then(
        ({ external_memory }) => {
          if (this.dead || external_memory <= this.heapMb * 1024 * 1024) return;
          const onDeath = this.onDeath;
          this.kill();
          onDeath?.(tooComplex(this.heapMb));
        },
        () => undefined, // ended meanwhile: its exit is reported
      );
    }, WEIGH_EVERY_MS).unref();
  }

  idle(): void {
    this.worker.unref();
    clearInterval(this.weighing);
    this.weighing = undefined;
  }

  /** Where an unexpected end of the thread is reported (one owner at a time). */
  watch(onDeath: ((err: DocVaultError) => void) | undefined): void {
    this.onDeath = onDeath;
  }

  kill(): void {
    this.dead = true;
    this.onDeath = undefined;
    this.idle();
    void this.worker.terminate();
  }
}

function tooComplex(heapMb: number): DocVaultError {
  return new DocVaultError('DOCUMENT_TOO_COMPLEX', `The PDF needs more than ${heapMb} MB to read; it is too complex.`, { heapMb });
}

let spare: Thread | undefined;

function takeThread(limits: RenderThreadLimits): Thread {
  // A spare started under other limits is no good for this document: its heap cap is fixed at start.
  const thread = spare && !spare.dead && spare.heapMb === limits.heapMb ? spare : new Thread(limits);
  if (spare && spare !== thread) spare.kill();
  spare = undefined;
  return thread;
}

function giveBack(thread: Thread): void {
  thread.watch(undefined);
  if (thread.dead || spare) thread.kill();
  else spare = thread;
}

/** Starts the spare thread ahead of the first PDF (a worker's cold start). */
export function warmRenderThread(limits: RenderThreadLimits): void {
  if (!spare || spare.dead) spare = new Thread(limits);
}

let nextId = 1;

/** One open PDF in a render thread; every call can be ended by its signal. */
export class PdfRenderer {
  private thread: Thread;
  private readonly pending = new Map<number, Pending>();
  private readonly limits: RenderThreadLimits;
  private readonly open: Extract<Request, { op: 'open' }>;
  private closed = false;
  /** A request failed: pdfjs may still be busy with it (a cancelled render parses on), so the thread is not reused. */
  private spoilt = false;

  private constructor(limits: RenderThreadLimits, open: Extract<Request, { op: 'open' }>) {
    this.limits = limits;
    this.open = open;
    this.thread = this.attach(takeThread(limits));
  }

  static async open(
    bytes: Uint8Array,
    options: { password?: string | undefined; maxImagePixels: number; signal?: AbortSignal | undefined },
    limits: RenderThreadLimits,
  ): Promise<{ renderer: PdfRenderer; pageCount: number }> {
    // postMessage copies the bytes (pdfjs detaches its copy): ours stay here to reopen from.
    const renderer = new PdfRenderer(limits, { id: 0, op: 'open', bytes, password: options.password, maxImagePixels: options.maxImagePixels });
    try {
      const { pageCount } = (await renderer.call({ op: 'open', bytes, password: options.password, maxImagePixels: options.maxImagePixels }, options.signal)) as { pageCount: number };
      return { renderer, pageCount };
    } catch (err) {
      renderer.close();
      throw err;
    }
  }

  /**
   * Sends one request. When `signal` aborts, the thread is ended at once and the request fails with
   * the signal's reason; the other requests in flight go on in a fresh thread.
   */
  call(request: Call, signal?: AbortSignal): Promise<unknown> {
    if (this.closed) return Promise.reject(new DocVaultError('INTERNAL', 'The PDF is closed.'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = nextId++;
    const message = { ...request, id } as Request;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (!this.pending.has(id)) return;
        this.pending.delete(id);
        reject(signal!.reason);
        this.restart();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        id,
        message,
        resolve: (v) => (done(), resolve(v)),
        reject: (e) => (done(), reject(e)),
      });
      this.thread.busy();
      this.thread.worker.postMessage(message);
    });
  }

  /** Ends the thread (the document with it); a warm one is kept for the next document if none is. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new DocVaultError('INTERNAL', 'The PDF was closed.'));
    this.pending.clear();
    if (this.thread.dead) return;
    if (this.spoilt) {
      this.thread.kill();
      return;
    }
    // A thread whose document read cleanly is clean again once it is closed: it becomes the spare.
    this.thread.worker.postMessage({ id: nextId++, op: 'close' });
    this.thread.idle();
    giveBack(this.thread);
  }

  private attach(thread: Thread): Thread {
    thread.worker.removeAllListeners('message');
    thread.worker.on('message', (reply: { id: number; ok: boolean; value?: unknown; error?: ThreadError }) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) thread.idle();
      if (reply.ok) p.resolve(reply.value);
      else {
        this.spoilt = true;
        p.reject(reply.error);
      }
    });
    thread.watch((err) => {
      // The oldest request is the one the thread was working on: it takes the blame.
      const [first] = this.pending.values();
      if (first) {
        this.pending.delete(first.id);
        first.reject(err);
      }
      this.restart();
    });
    return thread;
  }

  /** A fresh thread with the document open again, and every request still waiting sent to it. */
  private restart(): void {
    this.thread.kill();
    if (this.closed) return;
    this.thread = this.attach(new Thread(this.limits));
    // The thread answers in order: the document is open again before any request that needs it.
    this.thread.worker.postMessage({ ...this.open, id: nextId++ });
    const waiting = [...this.pending.values()].filter((p) => p.message.op !== 'open');
    if (waiting.length > 0) this.thread.busy();
    for (const p of waiting) this.thread.worker.postMessage(p.message);
  }
}
