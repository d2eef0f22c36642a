/**
 * The one wrapper of the HTTP functions: the request's trace on every log line, one request log
 * line per request (Cloud Logging's httpRequest, successes too), and any error answered in the
 * service's error shape (shared/http-errors.ts). A handler only parses, calls and writes its answer.
 */
import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import type { Config } from '../shared/config.ts';
import { respondWithError } from '../shared/http-errors.ts';
import { traceFields, traceFrom, type HttpRequestEntry, type Logger } from '../shared/log.ts';

/**
 * Headers of every response that carries a user's content (a result, a page preview): never
 * sniffed into another type, and a document that is opened is sandboxed (no script, no requests).
 */
export const USER_CONTENT_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:",
};

export function httpFunction<C extends { config: Pick<Config, 'GOOGLE_CLOUD_PROJECT'>; log: Logger }>(
  context: () => C,
  handle: (ctx: C, req: Request, res: Response) => Promise<void>,
): HttpFunction {
  return async (req, res) => {
    const started = process.hrtime.bigint();
    const ctx = context();
    const log = ctx.log.child(traceFields(traceFrom(req.headers, ctx.config.GOOGLE_CLOUD_PROJECT)));
    // Nothing we answer is meant to be sniffed into another type (JSON included).
    res.setHeader('x-content-type-options', 'nosniff');
    res.once('finish', () => logRequest(log, req, res, started));
    res.once('close', () => {
      if (!res.writableFinished) logRequest(log, req, res, started);
    });
    try {
      await handle({ ...ctx, log }, req, res);
    } catch (err) {
      respondWithError(res, err, log, { method: req.method, path: req.path });
    }
  };
}

function logRequest(log: Logger, req: Request, res: Response, started: bigint): void {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const responseSize = res.getHeader('content-length');
  const requestSize = req.headers['content-length'];
  const httpRequest: HttpRequestEntry = {
    requestMethod: req.method,
    // The path only: a query may carry a cursor or a file name, which have no place in a log.
    requestUrl: req.path,
    status: res.writableFinished ? res.statusCode : 499,
    latency: `${seconds.toFixed(3)}s`,
    ...(responseSize !== undefined ? { responseSize: String(responseSize) } : {}),
    ...(requestSize ? { requestSize } : {}),
    ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
  };
  const line = `${req.method} ${req.path} ${httpRequest.status}`;
  if (httpRequest.status >= 500) log.error(line, { httpRequest });
  else log.info(line, { httpRequest });
}
