/**
 * Each HTTP function's per-user limits in this instance (requests at once, and a rate), held in
 * one place for the two moments a request meets them:
 *
 * - before a request's body is read or parsed (request-limits.ts, ahead of the framework's body
 *   parsers): a caller whose credentials this instance has identified before, and who is over
 *   their limits now, is refused at once, so a flood costs the server no body, no JSON, no routing
 *   and no identification per request (what is let through is counted next; a refusal counts
 *   against the caller's rate, see rate-limit.ts);
 * - when a handler first asks for the caller (http-function.ts): every request it serves is
 *   counted, and refused when over; a known caller over their limits is refused there before their
 *   credentials are verified again. A request without a body (a GET) to a path the function counts
 *   (its `counts` rule: /health does not) is refused at the first moment too, before the framework
 *   hands it to the handler: a flood of GETs costs no routing, no handler and no signature check.
 *
 * A refusal is answered 429 RATE_LIMITED with Retry-After and counted, not logged one line each:
 * one line per user and period says how many were refused. Before reading, it is answered from a
 * body serialized once per reason and Retry-After (no error object, no stack, no JSON per request):
 * a flood is thousands of them a second, and the server's CPU is what the other users share.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { LOCAL_IDENTITY_HEADER } from '../shared/adapters/auth.ts';
import type { Config, RateLimitedFunction } from '../shared/config.ts';
import { DocVaultError } from '../shared/core/errors.ts';
import { IN_FLIGHT_RETRY_AFTER_MS, InFlightLimiter, MAX_TRACKED_KEYS, RateLimiter, retryAfterSeconds } from '../shared/core/rate-limit.ts';
import { toHttpError } from '../shared/http-errors.ts';
import type { Logger } from '../shared/log.ts';

/** Refusals are logged as a count per user at most this often. */
export const REFUSAL_LOG_EVERY_MS = 10_000;

export interface CallerGate {
  /** The caller's place among their requests being answered and one token of their rate, or RATE_LIMITED (thrown, Retry-After set). */
  admit(userHash: string, res: ServerResponse): void;
  /** Remembers whose credentials these are, so that their next requests over the limits are refused before they are read. */
  identified(headers: IncomingHttpHeaders, userHash: string): void;
  /** Answers a refusal (RATE_LIMITED) and counts it for the next summary line. */
  refuse(res: ServerResponse, err: DocVaultError, userHash: string | undefined): void;
  /** The user hash these credentials identified before (least recently used forgotten first). */
  knownCaller(headers: IncomingHttpHeaders): string | undefined;
  /** RATE_LIMITED (thrown, Retry-After set, the refusal counted) when admit() would refuse now; takes nothing otherwise. */
  checkOver(userHash: string, res: ServerResponse): void;
  /** Answers 429 at once, counted, when admit() would refuse now (true); takes nothing otherwise. */
  refuseIfOver(userHash: string, res: ServerResponse): boolean;
}

/** Why admit() would refuse a request now, and in how many seconds to try again. */
interface Over {
  reason: 'at-once' | 'rate';
  seconds: number;
}

const gates = new Map<RateLimitedFunction, { gate: CallerGate; counts: CountedPaths }>();

/**
 * A function's gate, from its config (the limits are per instance: instances share nothing). The
 * newest one of each function is the one met before reading (one per process where deployed).
 */
export function createGate(name: RateLimitedFunction, config: Pick<Config, 'rateLimits' | 'inFlightLimits'>, log: Logger, counts: CountedPaths = () => true): CallerGate {
  const gate = makeGate(config.rateLimits[name], config.inFlightLimits[name], log);
  gates.set(name, { gate, counts });
  return gate;
}

/** Whether a request to this path (no query) is counted against its caller's limits: the function's own rule. */
export type CountedPaths = (path: string) => boolean;

/**
 * Before the body (and, for a request without one to a path that counts, before the handler): a
 * known caller's request is refused and answered here when they are over their limits (true:
 * nothing more is to be done with it). Anyone else goes on to be identified and counted as usual.
 */
export function refuseBeforeReading(name: string, req: IncomingMessage, res: ServerResponse, withBody: boolean): boolean {
  const found = gates.get(name as RateLimitedFunction);
  if (!found || (!withBody && !found.counts((req.url ?? '/').split('?')[0]!))) return false;
  const { gate } = found;
  const userHash = gate.knownCaller(req.headers);
  return userHash !== undefined && gate.refuseIfOver(userHash, res);
}

/** The headers identify reads, as one key; none when the request carries no credentials. */
function credentialsOf(headers: IncomingHttpHeaders): string | undefined {
  const local = headers[LOCAL_IDENTITY_HEADER];
  if (!headers.authorization && !local) return undefined;
  return `${headers.authorization ?? ''}\n${Array.isArray(local) ? local.join(',') : (local ?? '')}`;
}

function makeGate(rate: RateLimiter['limit'] | null, atOnce: number | null, log: Logger): CallerGate {
  const limiter = rate ? new RateLimiter(rate, () => performance.now()) : null;
  const inFlight = atOnce ? new InFlightLimiter(atOnce) : null;
  const known = new Map<string, string>();
  const tally = refusalTally(log);
  const limits = { limiter, inFlight };
  /** Whether `userHash` has no place left among their requests at once; a refusal for it counts against their rate too. */
  const fullAtOnce = (userHash: string): boolean => {
    if (!inFlight?.isFull(userHash)) return false;
    limiter?.spend(userHash);
    return true;
  };
  /** Why admit() would refuse `userHash` now, the refusal counted against their rate (none: it would not, and nothing is taken). */
  const over = (userHash: string): Over | undefined => {
    if (fullAtOnce(userHash)) return AT_ONCE;
    if (limiter && !limiter.peek(userHash).allowed) return { reason: 'rate', seconds: retryAfterSeconds(limiter.spend(userHash)) };
    return undefined;
  };
  /** The whole answer to a refusal, serialized once per reason and Retry-After (a handful of values). */
  const answers = new Map<string, { status: number; headers: string[]; body: Buffer }>();
  const answerFor = (why: Over) => {
    const key = `${why.reason} ${why.seconds}`;
    let answer = answers.get(key);
    if (!answer) {
      const { status, body } = toHttpError(refusalError(why, limits));
      const bytes = Buffer.from(JSON.stringify(body));
      answer = { status, body: bytes, headers: [...REFUSAL_HEADERS, 'retry-after', String(why.seconds), 'content-length', String(bytes.length)] };
      answers.set(key, answer);
    }
    return answer;
  };
  const refused = (why: Over, res: ServerResponse) => {
    res.setHeader('retry-after', String(why.seconds));
    return refusalError(why, limits);
  };
  return {
    admit(userHash, res) {
      if (fullAtOnce(userHash)) throw refused(AT_ONCE, res);
      const leave = enter(inFlight, userHash, res);
      const admission = limiter?.take(userHash);
      if (admission && !admission.allowed) {
        // Refused for the rate (the refusal counted by take()): its place given back at once.
        leave();
        throw refused({ reason: 'rate', seconds: retryAfterSeconds(admission) }, res);
      }
    },
    checkOver(userHash, res) {
      const why = over(userHash);
      if (why) throw refused(why, res);
    },
    refuseIfOver(userHash, res) {
      const why = over(userHash);
      if (!why) return false;
      tally(userHash);
      const { status, headers, body } = answerFor(why);
      res.writeHead(status, headers).end(body);
      return true;
    },
    identified(headers, userHash) {
      const key = credentialsOf(headers);
      if (!key) return;
      known.delete(key);
      known.set(key, userHash);
      if (known.size > MAX_TRACKED_KEYS) known.delete(known.keys().next().value!);
    },
    knownCaller(headers) {
      const key = credentialsOf(headers);
      return key === undefined ? undefined : known.get(key);
    },
    refuse(res, err, userHash) {
      tally(userHash);
      const { status, body } = toHttpError(err);
      res.writeHead(status, [...REFUSAL_HEADERS]).end(JSON.stringify(body));
    },
  };
}

/** Headers of every refusal (besides Retry-After). */
const REFUSAL_HEADERS: readonly string[] = ['content-type', 'application/json; charset=utf-8', 'x-content-type-options', 'nosniff'];

/** One request too many at once: the user's others are short, so soon. */
const AT_ONCE: Over = { reason: 'at-once', seconds: retryAfterSeconds({ retryAfterMs: IN_FLIGHT_RETRY_AFTER_MS }) };

/**
 * A place among the caller's requests being answered, given back when the answer is sent or the
 * connection closes (the caller checked that one is free).
 */
function enter(limiter: InFlightLimiter | null, userHash: string, res: ServerResponse): () => void {
  const leave = limiter?.enter(userHash);
  if (!leave) return () => undefined;
  res.once('finish', leave);
  res.once('close', leave);
  return leave;
}

/** RATE_LIMITED, saying which limit and when to try again. */
function refusalError(why: Over, { limiter, inFlight }: { limiter: RateLimiter | null; inFlight: InFlightLimiter | null }): DocVaultError {
  const { seconds } = why;
  if (why.reason === 'at-once') {
    return new DocVaultError('RATE_LIMITED', `Too many requests at once: at most ${inFlight!.max} per user are answered at a time. Try again in ${seconds} s.`, { retryAfterSeconds: seconds });
  }
  const { requests, windowMs, burst } = limiter!.limit;
  return new DocVaultError('RATE_LIMITED', `Too many requests: at most ${requests} per ${windowMs / 1000} s (${burst} at once) per user. Try again in ${seconds} s.`, {
    retryAfterSeconds: seconds,
  });
}

/** Counts refusals by user and logs the counts, one line per user, REFUSAL_LOG_EVERY_MS after the first refusal of a period. */
function refusalTally(log: Logger): (userHash: string | undefined) => void {
  const counts = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    for (const [userHash, refused] of counts) log.warn('requests refused by the per-user limits', { userHash, refused, periodMs: REFUSAL_LOG_EVERY_MS });
    counts.clear();
  };
  return (userHash = 'unidentified') => {
    counts.set(userHash, (counts.get(userHash) ?? 0) + 1);
    timer ??= setTimeout(flush, REFUSAL_LOG_EVERY_MS).unref();
  };
}
