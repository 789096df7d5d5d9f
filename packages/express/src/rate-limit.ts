/**
 * In-process token buckets keyed by a string (a client address, a project): HTTP plumbing for the
 * per-client limits of the public routes. State lives in this process only (a later change may
 * share it through the database); each process of a deployment limits on its own.
 */
export interface TokenBucketOptions {
  /** Tokens a bucket holds when full: the burst a client may send at once. */
  capacity: number;
  /** Tokens added back per second, up to `capacity`: the sustained rate. */
  refillPerSecond: number;
  /**
   * Buckets kept at once; past that the least recently used one is dropped (its key starts again
   * with a full bucket), so a flood of distinct keys cannot grow memory.
   * @default 10000
   */
  maxKeys?: number;
  /** The clock, in ms. @default Date.now */
  now?: () => number;
}

export type TakeResult =
  | { allowed: true; remaining: number }
  | { allowed: false; remaining: 0; retryAfterMs: number };

export interface TokenBuckets {
  readonly capacity: number;
  /** Takes one token from `key`'s bucket, or says how long until one is there. */
  take(key: string): TakeResult;
  /** Whether `key`'s bucket has a token now (nothing is taken); if not, how long until it has. */
  check(key: string): TakeResult;
  /** Seconds until `key`'s bucket is full again. */
  secondsUntilFull(key: string): number;
}

export function createTokenBuckets(options: TokenBucketOptions): TokenBuckets {
  const { capacity, refillPerSecond } = options;
  if (!(capacity >= 1) || !(refillPerSecond > 0)) {
    throw new RangeError('roster: a rate limit needs a capacity >= 1 and a refill rate > 0');
  }
  const maxKeys = options.maxKeys ?? 10_000;
  const now = options.now ?? Date.now;
  const buckets = new Map<string, { tokens: number; at: number }>();

  /** `key`'s bucket refilled up to now, moved to the most recently used end. */
  function bucketOf(key: string) {
    const t = now();
    let bucket = buckets.get(key);
    if (bucket) {
      buckets.delete(key);
      bucket.tokens = Math.min(capacity, bucket.tokens + ((t - bucket.at) / 1000) * refillPerSecond);
      bucket.at = t;
    } else {
      if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value!);
      bucket = { tokens: capacity, at: t };
    }
    buckets.set(key, bucket);
    return bucket;
  }

  function answer(bucket: { tokens: number }, take: boolean): TakeResult {
    if (bucket.tokens >= 1) {
      if (take) bucket.tokens -= 1;
      return { allowed: true, remaining: Math.floor(bucket.tokens) };
    }
    return { allowed: false, remaining: 0, retryAfterMs: ((1 - bucket.tokens) / refillPerSecond) * 1000 };
  }

  return {
    capacity,
    take: (key) => answer(bucketOf(key), true),
    check: (key) => answer(bucketOf(key), false),
    secondsUntilFull(key) {
      const bucket = bucketOf(key);
      return Math.ceil((capacity - bucket.tokens) / refillPerSecond);
    },
  };
}

/** `Retry-After` seconds for a wait in ms: whole seconds, at least 1 (Plunk's rule). */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
