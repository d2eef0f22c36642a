/**
 * The one wrapper of the HTTP functions: the request's trace on every log line, one request log
 * line per request (Cloud Logging's httpRequest, successes too, with the caller's user hash once
 * known; refusals by the per-user limits are counted instead, caller-gate.ts), the caller
 * identified and held to their per-user limits (requests at once, and a rate), and any error
 * answered in the service's error shape (shared/http-errors.ts). A handler only parses, calls and
 * writes its answer.
 */
import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import { identify, type Caller, type IdentifyOptions, type IdentityConfig } from '../shared/adapters/auth.ts';
import type { Config, RateLimitedFunction } from '../shared/config.ts';
import { DocVaultError } from '../shared/core/errors.ts';
import { respondWithError } from '../shared/http-errors.ts';
import { createGate, type CallerGate, type CountedPaths } from './caller-gate.ts';
import { traceFields, traceFrom, type HttpRequestEntry, type Logger } from '../shared/log.ts';

/**
 * Headers of every response that carries a user's content (a result, a page preview): never
 * sniffed into another type, and a document that is opened is sandboxed (no script, no requests).
 */
export const USER_CONTENT_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:",
};

export interface HttpFunctionContext {
  config: IdentityConfig & Pick<Config, 'rateLimits' | 'inFlightLimits'>;
  log: Logger;
  identity?: IdentifyOptions | undefined;
}

export interface HttpCall {
  /**
   * The caller, identified on first use and held to their per-user limits at once: RATE_LIMITED
   * (429 with Retry-After) before the handler reads anything more (an upload's body included),
   * when they have too many requests being answered already or have spent their rate.
   * A request that never asks (/health, the console's page) is neither identified nor counted.
   */
  caller(): Promise<Caller>;
}

export function httpFunction<C extends HttpFunctionContext>(
  name: RateLimitedFunction,
  context: () => C,
  handle: (ctx: C & HttpCall, req: Request, res: Response) => Promise<void>,
  /** The paths whose requests ask for the caller (caller-gate.ts refuses a known caller's GET to them before the handler); all by default. */
  counts?: CountedPaths,
): HttpFunction {
  let gate: CallerGate | undefined;
  return async (req, res) => {
    const started = process.hrtime.bigint();
    const ctx = context();
    const log = ctx.log.child(traceFields(traceFrom(req.headers, ctx.config.GOOGLE_CLOUD_PROJECT)));
    const seen: { userHash?: string } = {};
    // Nothing we answer is meant to be sniffed into another type (JSON included).
    res.setHeader('x-content-type-options', 'nosniff');
    res.once('finish', () => logRequest(log, req, res, started, seen.userHash));
    res.once('close', () => {
      if (!res.writableFinished) logRequest(log, req, res, started, seen.userHash);
    });
    // Per instance, as the function's instances share nothing: a user spread over N instances gets up to N times the limit.
    gate ??= createGate(name, ctx.config, ctx.log, counts);
    let identified: Promise<Caller> | undefined;
    const limits = gate;
    const caller = () =>
      (identified ??= (async () => {
        // Credentials identified before, over their limits now: refused before they are verified again.
        const known = limits.knownCaller(req.headers);
        if (known) {
          seen.userHash = known;
          limits.checkOver(known, res);
        }
        const who = await identify(req.headers, ctx.config, ctx.identity);
        seen.userHash = who.userHash;
        limits.identified(req.headers, who.userHash);
        limits.admit(who.userHash, res);
        return who;
      })());
    try {
      await handle({ ...ctx, log, caller }, req, res);
    } catch (err) {
      if (err instanceof DocVaultError && err.code === 'RATE_LIMITED' && !res.headersSent) limits.refuse(res, err, seen.userHash);
      else respondWithError(res, err, log, { method: req.method, path: req.path });
    }
  };
}

function logRequest(log: Logger, req: Request, res: Response, started: bigint, userHash: string | undefined): void {
  // A refusal by the per-user limits is counted by the gate, not logged one line each: a flood would flood the log.
  if (res.writableFinished && res.statusCode === 429) return;
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
  // The caller by their hash, never their email: whose requests these are (a flood's, say).
  const fields = userHash ? { httpRequest, userHash } : { httpRequest };
  if (httpRequest.status >= 500) log.error(line, fields);
  else log.info(line, fields);
}
