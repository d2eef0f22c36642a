/**
 * A document's budget as abort signals: the document's own (its time, its pixels, and the caller's
 * cancel) and one per page inside it. Every engine call takes the page's signal, so whichever runs
 * out first stops the work in flight, rendering included.
 */
import { DocVaultError } from './errors.ts';
import type { Limits } from './options.ts';

export interface DocumentBudget {
  readonly signal: AbortSignal;
  /** A signal for one page: the document's, and the page's own time limit. Call `done` when the page is. */
  page(number: number): { signal: AbortSignal; done(): void };
  /** Counts a page's decoded pixels against the document's total; over it, the document is stopped. */
  spendPixels(pixels: number): void;
  /** Throws the reason the document was stopped, if it was. */
  check(): void;
  end(): void;
}

export function documentBudget(limits: Limits, caller?: AbortSignal): DocumentBudget {
  const own = new AbortController();
  const signal = caller ? AbortSignal.any([caller, own.signal]) : own.signal;
  const timer = setTimeout(() => {
    own.abort(
      new DocVaultError('DOCUMENT_TOO_COMPLEX', `Reading the document took longer than ${limits.documentTimeoutMs / 1000} s and was stopped.`, {
        timeoutMs: limits.documentTimeoutMs,
      }),
    );
  }, limits.documentTimeoutMs);
  let pixels = 0;
  return {
    signal,
    page(number) {
      const pageOwn = new AbortController();
      const pageTimer = setTimeout(() => {
        pageOwn.abort(new DocVaultError('PAGE_TIMEOUT', `Page ${number} took longer than ${limits.pageTimeoutMs} ms to read and was stopped.`, { timeoutMs: limits.pageTimeoutMs }));
      }, limits.pageTimeoutMs);
      return { signal: AbortSignal.any([signal, pageOwn.signal]), done: () => clearTimeout(pageTimer) };
    },
    spendPixels(count) {
      pixels += count;
      if (pixels > limits.maxPixelsPerDocument && !own.signal.aborted) {
        own.abort(
          new DocVaultError('DOCUMENT_TOO_COMPLEX', `The document's pages decode to more than ${limits.maxPixelsPerDocument} pixels in all; split it and upload the parts.`, {
            limit: limits.maxPixelsPerDocument,
          }),
        );
      }
      signal.throwIfAborted();
    },
    check: () => signal.throwIfAborted(),
    end: () => clearTimeout(timer),
  };
}
