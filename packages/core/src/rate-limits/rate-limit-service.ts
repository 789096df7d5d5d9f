import { RosterError } from '../errors.js';
import type { ServiceDeps } from '../service-deps.js';
import { takeToken } from './rate-limit-repository.js';

/** A token bucket: `burst` requests at once, refilled at `perSecond` requests per second. */
export interface RateLimitRule {
  /** Requests per second a project may keep sending (the refill rate). */
  perSecond: number;
  /** Requests a project may send at once (the bucket's size). */
  burst: number;
}

/** What one take answers: the `RateLimit-*` headers' values, and whether the request may go on. */
export interface RateLimitDecision {
  allowed: boolean;
  /** The bucket's size (`RateLimit-Limit`). */
  limit: number;
  /** Whole tokens left (`RateLimit-Remaining`). */
  remaining: number;
  /** Seconds until the bucket is full again (`RateLimit-Reset`, as Plunk counts it). */
  resetSeconds: number;
  /** When refused: seconds until a token is there (`Retry-After`, at least 1). */
  retryAfterSeconds: number;
}

/** The largest burst and rate a bucket may have (a typo such as 5000000 is refused, not obeyed). */
export const MAX_RATE_LIMIT = 1_000_000;

/** `validation_failed` naming `field` unless the rule is a positive rate and a burst of at least 1. */
export function checkRateLimitRule(field: string, rule: RateLimitRule): RateLimitRule {
  if (!(Number.isFinite(rule.perSecond) && rule.perSecond > 0 && rule.perSecond <= MAX_RATE_LIMIT)) {
    throw RosterError.validation([
      { field: `${field}.perSecond`, message: `must be a number above 0 and at most ${MAX_RATE_LIMIT}` },
    ]);
  }
  if (!(Number.isInteger(rule.burst) && rule.burst >= 1 && rule.burst <= MAX_RATE_LIMIT)) {
    throw RosterError.validation([
      { field: `${field}.burst`, message: `must be an integer from 1 to ${MAX_RATE_LIMIT}` },
    ]);
  }
  return rule;
}

/**
 * Per-project token buckets kept in the database (`roster_rate_limit_buckets`), so every process on
 * one database shares them: each `take` is one atomic statement. The caller decides what to do when
 * the store fails (roster's HTTP layer lets the request through and logs it).
 */
export function createRateLimitService(deps: ServiceDeps) {
  const { db, clock } = deps;
  return {
    /** Takes one token from `projectId`'s `bucket` (named freely, e.g. `contacts:write`). */
    async take(projectId: string, bucket: string, rule: RateLimitRule): Promise<RateLimitDecision> {
      const { perSecond, burst } = checkRateLimitRule(bucket, rule);
      const taken = await takeToken(db, projectId, bucket, burst, perSecond, clock().getTime());
      const tokens = Math.max(0, taken.tokens);
      return {
        allowed: taken.allowed,
        limit: burst,
        remaining: Math.floor(tokens),
        resetSeconds: Math.ceil((burst - tokens) / perSecond),
        retryAfterSeconds: taken.allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / perSecond)),
      };
    },
  };
}

export type RateLimitService = ReturnType<typeof createRateLimitService>;
