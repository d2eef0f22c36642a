/**
 * A per-user request limit: one token bucket per key (a user's hash). A bucket holds at most
 * `burst` tokens and refills at `requests` per `windowMs`; each request takes one token, and a
 * request that finds less than one is refused with the time until one is there (Retry-After).
 *
 * A refused request counts too: it spends what has refilled (never below empty), so the next
 * token is a full refill after the last refusal. A caller who waits as Retry-After says loses
 * nothing (the wait refills at least one token); a flood that does not wait is refused for as
 * long as it goes on faster than the sustained rate, instead of being served at that rate —
 * each served request costs the instance and its database far more than a refusal, and that is
 * what slowed the other users. Pure: the clock is given, nothing is shared between instances
 * (each instance counts its own).
 */

export interface RateLimit {
  /** Requests a user may make per window, sustained. */
  requests: number;
  windowMs: number;
  /** Requests a user may make at once after being idle: the bucket's size. */
  burst: number;
}

export type Admission = { allowed: true; remaining: number } | { allowed: false; retryAfterMs: number };

interface Bucket {
  tokens: number;
  at: number;
}

/** Keys kept per instance; beyond it the least recently seen are forgotten (a forgotten user starts with a full bucket again). */
export const MAX_TRACKED_KEYS = 10_000;

export class RateLimiter {
  readonly limit: RateLimit;
  readonly #now: () => number;
  readonly #maxKeys: number;
  readonly #perMs: number;
  /** In least-recently-seen order: a Map keeps insertion order, and a key seen again is re-inserted. */
  readonly #buckets = new Map<string, Bucket>();

  constructor(limit: RateLimit, now: () => number, maxKeys = MAX_TRACKED_KEYS) {
    if (!(limit.requests > 0 && limit.windowMs > 0 && limit.burst >= 1)) throw new RangeError(`invalid rate limit ${JSON.stringify(limit)}`);
    this.limit = limit;
    this.#now = now;
    this.#maxKeys = maxKeys;
    this.#perMs = limit.requests / limit.windowMs;
  }

  /** Takes one token of `key`'s bucket, or says how long until one is there (and counts the refusal: spend()). */
  take(key: string): Admission {
    return this.#spend(key, true);
  }

  /**
   * Counts a request refused without take() (refused for another limit, or before it was counted):
   * one token spent, never below empty. Answers when the next token is there.
   */
  spend(key: string): Admission & { allowed: false } {
    return this.#spend(key, false) as Admission & { allowed: false };
  }

  #spend(key: string, mayServe: boolean): Admission {
    const now = this.#now();
    const tokens = this.#tokens(key, now);
    const left = Math.max(0, tokens - 1);
    this.#buckets.delete(key);
    this.#buckets.set(key, { tokens: left, at: now });
    this.#forgetOldest();
    return mayServe && tokens >= 1 ? { allowed: true, remaining: Math.floor(left) } : { allowed: false, retryAfterMs: this.#untilToken(left) };
  }

  /** What take() would answer now, taking nothing. */
  peek(key: string): Admission {
    return this.#admission(this.#tokens(key, this.#now()));
  }

  #admission(tokens: number): Admission {
    return tokens >= 1 ? { allowed: true, remaining: Math.floor(tokens - 1) } : { allowed: false, retryAfterMs: this.#untilToken(tokens) };
  }

  /** Ms until a bucket holding `tokens` holds one (0: it does). */
  #untilToken(tokens: number): number {
    return Math.max(0, Math.ceil((1 - tokens) / this.#perMs));
  }

  /** The tokens in `key`'s bucket at `now`. A clock that steps back refills nothing (and takes nothing away). */
  #tokens(key: string, now: number): number {
    const bucket = this.#buckets.get(key);
    if (!bucket) return this.limit.burst;
    return Math.min(this.limit.burst, bucket.tokens + Math.max(0, now - bucket.at) * this.#perMs);
  }

  /** Keys tracked now (for tests and the bound on memory). */
  get size(): number {
    return this.#buckets.size;
  }

  #forgetOldest(): void {
    while (this.#buckets.size > this.#maxKeys) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest === undefined) return;
      this.#buckets.delete(oldest);
    }
  }
}

/** Retry-After is in whole seconds: never 0, or a client would come straight back. */
export function retryAfterSeconds(admission: { retryAfterMs: number }): number {
  return Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
}

/** What a request refused for being one too many at once is told: its user's others are short, so soon. */
export const IN_FLIGHT_RETRY_AFTER_MS = 1000;

/**
 * A per-user cap on requests being answered at once. The rate limit alone lets a flood through
 * at its sustained rate however slow the server gets; this bounds what one user holds of an
 * instance (its store round trips, its sockets) whatever the speed, so another user's request
 * never queues behind more than `max` of theirs. Each place taken is given back exactly once.
 */
export class InFlightLimiter {
  readonly max: number;
  readonly #running = new Map<string, number>();

  constructor(max: number) {
    if (!(Number.isInteger(max) && max >= 1)) throw new RangeError(`invalid in-flight limit ${max}`);
    this.max = max;
  }

  /** A place for one of `key`'s requests, as the function that gives it back; null when `key` holds `max` already. */
  enter(key: string): (() => void) | null {
    const running = this.#running.get(key) ?? 0;
    if (running >= this.max) return null;
    this.#running.set(key, running + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const left = (this.#running.get(key) ?? 1) - 1;
      if (left > 0) this.#running.set(key, left);
      else this.#running.delete(key);
    };
  }

  /** Whether `key` holds `max` places already (enter() would refuse), taking nothing. */
  isFull(key: string): boolean {
    return (this.#running.get(key) ?? 0) >= this.max;
  }

  /** Requests of `key` being answered now. */
  running(key: string): number {
    return this.#running.get(key) ?? 0;
  }

  /** Keys with a request being answered (only those are kept: memory bounded by the requests in flight). */
  get size(): number {
    return this.#running.size;
  }
}

/**
 * At most `max` of one key's jobs run at once; the rest wait their turn in arrival order (queued,
 * not refused). The api runs each user's Firestore reads through one: a user within their limits
 * (16 requests at once) holds at most `max` of the reads the database is serving, so another user's
 * read waits behind a few of theirs, not behind all of them. Memory: the waiting jobs are requests
 * in flight, which the in-flight limit bounds.
 */
export class KeyedQueue {
  readonly max: number;
  readonly #running = new Map<string, { running: number; waiting: Array<() => void> }>();

  constructor(max: number) {
    if (!(Number.isInteger(max) && max >= 1)) throw new RangeError(`invalid queue width ${max}`);
    this.max = max;
  }

  async run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const slot = this.#running.get(key) ?? { running: 0, waiting: [] };
    this.#running.set(key, slot);
    if (slot.running >= this.max) await new Promise<void>((go) => slot.waiting.push(go));
    else slot.running++;
    try {
      return await job();
    } finally {
      // The place passes straight to the next in line (running stays the same), or is given back.
      const next = slot.waiting.shift();
      if (next) next();
      else if (--slot.running === 0) this.#running.delete(key);
    }
  }

  /** Keys with a job running (only those are kept). */
  get size(): number {
    return this.#running.size;
  }
}
