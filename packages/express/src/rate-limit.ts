import type { RateLimitRule, Roster } from '@roster/core';
import type { Request, RequestHandler, Router } from 'express';
import { RateLimitedError } from './errors.js';

/**
 * In-process token buckets keyed by a string (a client address): HTTP plumbing for the per-client
 * limits of the public routes (`/v1/track`, dashboard sign-in). State lives in this process only;
 * each process of a deployment limits on its own. The per-project limits (`projectRateLimit`
 * below) keep their buckets in the database instead, shared by every process.
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

/** The per-project buckets roster knows (Plunk's names; Plunk's `send` has no route in roster). */
export const PROJECT_RATE_LIMIT_BUCKETS = ['contacts:write', 'track'] as const;
export type ProjectRateLimitBucket = (typeof PROJECT_RATE_LIMIT_BUCKETS)[number];

/**
 * Opt-in per-project rate limits, as Plunk's token buckets: each bucket named here refuses a
 * project's requests past its burst until it refills. Kept in the roster database (`roster.rateLimits`),
 * so every process on one database shares them.
 */
export interface ProjectRateLimits {
  /** The limited buckets: `contacts:write` (a contact's create, update, delete) and `track` (`POST /v1/track`). */
  buckets: Partial<Record<ProjectRateLimitBucket, RateLimitRule>>;
  /**
   * Told when the bucket store failed; the request is let through (fail open, as Plunk does).
   * @default one line to stderr
   */
  onStoreError?: (error: unknown, bucket: ProjectRateLimitBucket) => void;
}

function logStoreError(error: unknown, bucket: ProjectRateLimitBucket): void {
  console.error(
    `[roster] rate limit store failed, request let through (bucket ${bucket}): ${String((error as Error)?.message ?? error)}`,
  );
}

/**
 * The `contacts:write` bucket of a request, by its path relative to the dialect router: `POST` of
 * the contacts collection, `PATCH`, `PUT` or `DELETE` of one contact (also Resend's
 * `/audiences/{id}/contacts…`). Bulk, import and lookup routes, reads and everything else: none.
 */
export function contactsWriteBucket(req: Request): ProjectRateLimitBucket | undefined {
  const method = req.method;
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return undefined;
  const parts = req.path.split('/').filter(Boolean);
  const at = parts[0] === 'audiences' && parts.length >= 3 ? 2 : 0;
  if (parts[at] !== 'contacts') return undefined;
  const rest = parts.length - at - 1;
  if (rest === 0 && method === 'POST') return 'contacts:write';
  if (rest === 1 && (method === 'PATCH' || method === 'PUT' || method === 'DELETE')) return 'contacts:write';
  return undefined;
}

/** Whether `limits` limits anything (without buckets, `projectRateLimit` lets every request through). */
export function hasProjectRateLimits(limits: ProjectRateLimits | undefined): limits is ProjectRateLimits {
  return limits !== undefined && Object.keys(limits.buckets).length > 0;
}

/**
 * Middleware taking a token of the authenticated project's bucket (`bucketOf(req)`; none: not
 * limited): sets `RateLimit-Limit` (the burst), `RateLimit-Remaining` and `RateLimit-Reset`
 * (seconds until the bucket is full again), and refuses an empty bucket with a 429 (`Retry-After`)
 * that the dialect's error handler renders in its own shape. Goes after authentication: a request
 * without a project passes. A failing store lets the request through and is reported.
 */
export function projectRateLimit(
  roster: Roster,
  limits: ProjectRateLimits | undefined,
  bucketOf: (req: Request) => ProjectRateLimitBucket | undefined,
): RequestHandler {
  if (!hasProjectRateLimits(limits)) return (_req, _res, next) => next();
  const onStoreError = limits.onStoreError ?? logStoreError;
  return (req, res, next) => {
    const bucket = bucketOf(req);
    const rule = bucket === undefined ? undefined : limits.buckets[bucket];
    const projectId = (res.locals as { rosterProjectId?: string }).rosterProjectId;
    if (!bucket || !rule || !projectId) return next();
    roster.rateLimits.take(projectId, bucket, rule).then(
      (decision) => {
        res.setHeader('ratelimit-limit', String(decision.limit));
        res.setHeader('ratelimit-remaining', String(decision.remaining));
        res.setHeader('ratelimit-reset', String(decision.resetSeconds));
        if (decision.allowed) return next();
        const wait = decision.retryAfterSeconds;
        next(
          new RateLimitedError(
            `Rate limit exceeded for ${bucket}: ${rule.burst} requests at once, ${rule.perSecond} per second; try again in ${wait} s`,
            wait,
          ),
        );
      },
      (error: unknown) => {
        onStoreError(error, bucket);
        next();
      },
    );
  };
}

/**
 * Mounts `projectRateLimit` for a router's contact writes when limits are configured; off (the
 * default) it mounts nothing, so requests do not walk a layer that would only call `next()`.
 */
export function useContactsWriteLimit(
  router: Router,
  roster: Roster,
  limits: ProjectRateLimits | undefined,
): void {
  if (hasProjectRateLimits(limits)) router.use(projectRateLimit(roster, limits, contactsWriteBucket));
}
