import { describe, expect, it } from 'vitest';
import { createTokenBuckets, retryAfterSeconds } from './rate-limit.js';

describe('createTokenBuckets', () => {
  it('allows a burst, then one request per refill, per key', () => {
    let now = 0;
    const buckets = createTokenBuckets({ capacity: 2, refillPerSecond: 1, now: () => now });
    expect(buckets.take('a')).toEqual({ allowed: true, remaining: 1 });
    expect(buckets.take('a')).toEqual({ allowed: true, remaining: 0 });
    expect(buckets.take('a')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 1000 });
    expect(buckets.take('b').allowed).toBe(true);
    now = 500;
    expect(buckets.check('a')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 500 });
    now = 1000;
    expect(buckets.take('a')).toEqual({ allowed: true, remaining: 0 });
    expect(buckets.secondsUntilFull('a')).toBe(2);
    now = 60_000;
    expect(buckets.check('a')).toEqual({ allowed: true, remaining: 2 });
  });

  it('keeps at most maxKeys buckets, dropping the least recently used', () => {
    const buckets = createTokenBuckets({ capacity: 1, refillPerSecond: 0.001, maxKeys: 2, now: () => 0 });
    buckets.take('a');
    buckets.take('b');
    buckets.check('a');
    buckets.take('c'); // drops b, the least recently used
    expect(buckets.check('a').allowed).toBe(false);
    expect(buckets.check('b').allowed).toBe(true);
  });

  it('rounds Retry-After up to whole seconds, at least 1', () => {
    expect(retryAfterSeconds(1)).toBe(1);
    expect(retryAfterSeconds(1001)).toBe(2);
    expect(retryAfterSeconds(0)).toBe(1);
  });

  it('refuses a bucket that could never allow a request', () => {
    expect(() => createTokenBuckets({ capacity: 0, refillPerSecond: 1 })).toThrow(RangeError);
    expect(() => createTokenBuckets({ capacity: 1, refillPerSecond: 0 })).toThrow(RangeError);
  });
});
