/**
 * The one wrapper of the HTTP functions: the request's trace on every log line, and any error
 * answered in the service's error shape (shared/http-errors.ts). A handler only parses, calls and
 * writes its answer.
 */
import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import type { Config } from '../shared/config.ts';
import { respondWithError } from '../shared/http-errors.ts';
import { traceFrom, type Logger } from '../shared/log.ts';

export function httpFunction<C extends { config: Pick<Config, 'GOOGLE_CLOUD_PROJECT'>; log: Logger }>(
  context: () => C,
  handle: (ctx: C, req: Request, res: Response) => Promise<void>,
): HttpFunction {
  return async (req, res) => {
    const ctx = context();
    const trace = traceFrom(req.headers, ctx.config.GOOGLE_CLOUD_PROJECT);
    const log = trace ? ctx.log.child({ trace }) : ctx.log;
    try {
      await handle({ ...ctx, log }, req, res);
    } catch (err) {
      respondWithError(res, err, log, { method: req.method, path: req.path });
    }
  };
}
