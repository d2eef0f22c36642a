/** The per-user token bucket, on a clock the test moves. */
import { describe, expect, it } from 'vitest';
import { InFlightLimiter, KeyedQueue, RateLimiter, retryAfterSeconds, type Admission } from '../../../shared/core/rate-limit.ts';

function limiterAt(limit = { requests: 60, windowMs: 60_000, burst: 5 }, maxKeys?: number) {
  const clock = { now: 0 };
  return { clock, limiter: new RateLimiter(limit, () => clock.now, maxKeys) };
}

const allowed = (admissions: Admission[]) => admissions.filter((a) => a.allowed).length;

describe('RateLimiter', () => {
  it('takes a burst at once, then refuses with the time until the next token', () => {
    const { limiter } = limiterAt();
    const first = Array.from({ length: 5 }, () => limiter.take('alice'));
    expect(first.map((a) => a.allowed && a.remaining)).toEqual([4, 3, 2, 1, 0]);
    // 60 per minute: one token a second.
    expect(limiter.take('alice')).toEqual({ allowed: false, retryAfterMs: 1000 });
  });

  it('refills at the sustained rate, never above the burst', () => {
    const { clock, limiter } = limiterAt();
    for (let i = 0; i < 5; i++) limiter.take('alice');
    clock.now = 2500; // 2.5 tokens back
    expect(allowed([limiter.take('alice'), limiter.take('alice')])).toBe(2);
    // Half a token left: the next is half a second away, until a refusal spends the half.
    expect(limiter.peek('alice')).toEqual({ allowed: false, retryAfterMs: 500 });
    expect(limiter.take('alice')).toEqual({ allowed: false, retryAfterMs: 1000 });
    clock.now = 3_600_000; // an hour idle: a full bucket, not 3,600 tokens
    expect(allowed(Array.from({ length: 10 }, () => limiter.take('alice')))).toBe(5);
  });

  it('a refused request counts: a flood that does not wait is refused as long as it goes on, and served a refill after it stops', () => {
    const { clock, limiter } = limiterAt();
    for (let i = 0; i < 5; i++) limiter.take('flood');
    // Ten requests a second against one a second, for a minute: nothing more served.
    for (let t = 0; t < 60_000; t += 100) {
      clock.now = t;
      expect(limiter.take('flood')).toEqual({ allowed: false, retryAfterMs: 1000 });
    }
    clock.now = 59_900 + 999;
    expect(limiter.take('flood').allowed).toBe(false);
    clock.now += 1000;
    expect(limiter.take('flood').allowed).toBe(true);
  });

  it('a caller who waits as Retry-After says is served the burst and the sustained rate', () => {
    const { clock, limiter } = limiterAt({ requests: 10, windowMs: 1000, burst: 20 });
    let served = 0;
    let next = 0;
    for (let t = 0; t <= 10_000; t += 1) {
      clock.now = t;
      if (t < next) continue;
      const admission = limiter.take('polite');
      if (admission.allowed) served++;
      else next = t + retryAfterSeconds(admission) * 1000;
    }
    // The burst, then each wait (Retry-After 1 s, in whole seconds) refills ten tokens and all ten are served:
    // 20 + 9 × 10 in the 10 s (the refusals spend only what refilled in the few ms between them and the last served).
    expect(served).toBe(110);
  });

  it('spend() counts a request refused elsewhere (too many at once): one token, never below empty', () => {
    const { clock, limiter } = limiterAt();
    expect(limiter.spend('alice')).toEqual({ allowed: false, retryAfterMs: 0 });
    expect(limiter.peek('alice')).toEqual({ allowed: true, remaining: 3 });
    for (let i = 0; i < 10; i++) limiter.spend('alice');
    expect(limiter.peek('alice')).toEqual({ allowed: false, retryAfterMs: 1000 });
    clock.now = 1000;
    expect(limiter.take('alice').allowed).toBe(true);
  });

  it("one user's flood leaves another user's bucket whole", () => {
    const { limiter } = limiterAt();
    const flood = Array.from({ length: 2000 }, () => limiter.take('flood'));
    expect(allowed(flood)).toBe(5);
    expect(allowed(Array.from({ length: 5 }, () => limiter.take('bob')))).toBe(5);
  });

  it('over a long run a steady caller below the rate is always served', () => {
    const { clock, limiter } = limiterAt({ requests: 10, windowMs: 1000, burst: 20 });
    let count = 0;
    for (let t = 0; t <= 10_000; t += 125) {
      clock.now = t;
      if (limiter.take('steady').allowed) count++;
    }
    expect(count).toBe(81);
  });

  it('a clock that steps back neither refills nor fails', () => {
    const { clock, limiter } = limiterAt();
    clock.now = 10_000;
    for (let i = 0; i < 5; i++) limiter.take('alice');
    clock.now = 0;
    expect(limiter.take('alice')).toEqual({ allowed: false, retryAfterMs: 1000 });
  });

  it('forgets the least recently seen users beyond its bound, never the one just seen', () => {
    const { limiter } = limiterAt(undefined, 3);
    for (const user of ['a', 'b', 'c']) limiter.take(user);
    for (let i = 0; i < 4; i++) limiter.take('a'); // a: empty, and now the most recent
    limiter.take('d');
    expect(limiter.size).toBe(3);
    expect(limiter.take('a').allowed).toBe(false); // a was kept: still empty
  });

  it.each([
    { requests: 0, windowMs: 1000, burst: 1 },
    { requests: 1, windowMs: 0, burst: 1 },
    { requests: 1, windowMs: 1000, burst: 0 },
  ])('refuses a limit that admits nothing: %o', (limit) => {
    expect(() => new RateLimiter(limit, () => 0)).toThrow(RangeError);
  });
});

describe('retryAfterSeconds', () => {
  it.each([
    [1, 1],
    [999, 1],
    [1000, 1],
    [1001, 2],
    [59_500, 60],
  ])('%i ms → %i s', (ms, seconds) => {
    expect(retryAfterSeconds({ retryAfterMs: ms })).toBe(seconds);
  });
});

describe('InFlightLimiter', () => {
  it("refuses a user's request beyond the cap while the others run, whatever their rate, and not another user's", () => {
    const limiter = new InFlightLimiter(2);
    const first = limiter.enter('flood');
    const second = limiter.enter('flood');
    expect(first).toBeTypeOf('function');
    expect(second).toBeTypeOf('function');
    expect(limiter.enter('flood')).toBeNull();
    expect(limiter.enter('other')).toBeTypeOf('function');
    expect(limiter.running('flood')).toBe(2);
    first!();
    expect(limiter.running('flood')).toBe(1);
    expect(limiter.enter('flood')).toBeTypeOf('function');
  });

  it('gives a place back once, however often its answer ends (finish and close both fire)', () => {
    const limiter = new InFlightLimiter(1);
    const leave = limiter.enter('alice')!;
    const other = limiter.enter('bob')!;
    leave();
    leave();
    expect(limiter.running('alice')).toBe(0);
    const again = limiter.enter('alice');
    expect(again).toBeTypeOf('function');
    leave(); // a late second call must not free the new request's place
    expect(limiter.enter('alice')).toBeNull();
    again!();
    other();
    // Only users with a request running are kept.
    expect(limiter.size).toBe(0);
  });

  it('refuses a cap below one', () => {
    expect(() => new InFlightLimiter(0)).toThrow(RangeError);
    expect(() => new InFlightLimiter(1.5)).toThrow(RangeError);
  });
});

describe('KeyedQueue', () => {
  /** A job that runs until the test ends it, recording when it started. */
  function jobs(queue: KeyedQueue, key: string, n: number, started: string[]) {
    const ends: Array<() => void> = [];
    const done = Array.from({ length: n }, (_, i) =>
      queue.run(key, () => {
        started.push(`${key}${i}`);
        return new Promise<string>((resolve) => ends.push(() => resolve(`${key}${i}`)));
      }),
    );
    return { done, end: (i: number) => ends[i]!() };
  }
  const settle = () => new Promise((r) => setImmediate(r));

  it("runs at most `max` of a key's jobs at once, the rest in arrival order, while another key's job runs at once", async () => {
    const queue = new KeyedQueue(2);
    const started: string[] = [];
    const alice = jobs(queue, 'a', 5, started);
    await settle();
    expect(started).toEqual(['a0', 'a1']);
    const bob = jobs(queue, 'b', 1, started);
    await settle();
    expect(started).toEqual(['a0', 'a1', 'b0']);
    alice.end(1);
    await settle();
    expect(started).toEqual(['a0', 'a1', 'b0', 'a2']);
    alice.end(0);
    alice.end(2);
    await settle();
    expect(started.slice(4)).toEqual(['a3', 'a4']);
    alice.end(3);
    alice.end(4);
    bob.end(0);
    expect(await Promise.all([...alice.done, ...bob.done])).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'b0']);
    expect(queue.size).toBe(0);
  });

  it('passes a failed job on: its place goes to the next, the error to its caller', async () => {
    const queue = new KeyedQueue(1);
    const failed = queue.run('a', () => Promise.reject(new Error('read failed')));
    const next = queue.run('a', () => Promise.resolve('next'));
    await expect(failed).rejects.toThrow('read failed');
    expect(await next).toBe('next');
    expect(queue.size).toBe(0);
    expect(() => new KeyedQueue(0)).toThrow(RangeError);
  });
});
