/** Retries of storage and Firestore calls: which errors are transient, and backoff with jitter. */
import { httpStatusOf } from '../../adapters/storage.ts';
import { DEFAULT_RETRY, type IngestOptions } from './options.ts';

/** "Should we retry?" over the error alone: throttling, server errors, dropped connections. */
export function isTransient(err: unknown): boolean {
  const status = httpStatusOf(err);
  // Below 100 it is a gRPC code (Firestore, for --monitor): DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, UNAVAILABLE.
  if (status !== undefined) return status < 100 ? [4, 8, 10, 14].includes(status) : status === 408 || status === 429 || status >= 500;
  const code = (err as { code?: unknown }).code;
  return ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET'].includes(String(code));
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((done) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), done()), { once: true });
  });

/** Exponential backoff with full jitter; only transient errors are tried again. */
export async function withRetry<T>(body: () => Promise<T>, retry: IngestOptions['retry'] = DEFAULT_RETRY, signal?: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await body();
    } catch (err) {
      if (attempt >= retry.attempts || !isTransient(err) || signal?.aborted) throw err;
      await sleep(Math.random() * Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** (attempt - 1)), signal);
    }
  }
}

