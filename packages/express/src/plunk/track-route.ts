import type { Roster, TrackResult, TrackWithKeyResult } from '@roster/core';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { projectIdOf, type ResolveProject } from '../auth.js';
import { RateLimitedError, unauthorized } from '../errors.js';
import { requestIdOf } from '../observability/request-observer.js';
import {
  createTokenBuckets,
  type ProjectRateLimits,
  projectRateLimit,
  retryAfterSeconds,
} from '../rate-limit.js';
import { privateAnswers, requireObject } from '../router-kit.js';
import { toPlunkKeyReusedBody } from './plunk-format.js';

export const TRACK_PATH = '/v1/track';

/** Browsers call `/v1/track` with a public key from any origin (Plunk answers `*`). */
const trackCors: RequestHandler = (req, res, next) => {
  res.setHeader('access-control-allow-origin', '*');
  if (req.method === 'OPTIONS') {
    res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
    res.setHeader('access-control-allow-headers', 'Authorization, Content-Type, Idempotency-Key');
    res.setHeader('access-control-max-age', '600');
    res.status(204).end();
    return;
  }
  next();
};

/** Plunk's `requirePublicKey`: exactly `Bearer <key>`, and the key must be a project's public `pk_` key. */
function publicKeyAuth(roster: Roster, resolveProject?: ResolveProject): RequestHandler {
  return async (req, res, next) => {
    let projectId: string | null | undefined;
    if (resolveProject) projectId = await resolveProject(req);
    else {
      const header = req.headers.authorization;
      if (!header)
        throw unauthorized('Missing Authorization header: use "Authorization: Bearer pk_..."', 'missing');
      const parts = header.split(' ');
      if (parts.length !== 2 || parts[0] !== 'Bearer' || !parts[1]) {
        throw unauthorized('Authorization header must be "Bearer <key>"', 'scheme');
      }
      const key = parts[1];
      // Only public keys: a secret key here is refused like an unknown one (Plunk's spec and code).
      if (!key.startsWith('pk_'))
        throw unauthorized('This endpoint requires a public key (pk_*)', 'invalid_key');
      projectId = (await roster.keys.resolve(key))?.projectId;
      if (!projectId) throw unauthorized('Invalid API key', 'invalid_key');
    }
    if (!projectId) throw unauthorized('Unauthorized', 'rejected');
    (res.locals as { rosterProjectId?: string }).rosterProjectId = projectId;
    next();
  };
}

/** The request's Idempotency-Key (the first of several), or undefined without one. */
function idempotencyKeyOf(req: Request): string | undefined {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  return Array.isArray(raw) ? raw[0]! : raw.split(',')[0]!;
}

/**
 * Plunk's Idempotency-Key middleware, as a separate claim and settle: claims the key before the
 * handler runs; a key the project already used is answered 409 `IDEMPOTENCY_KEY_REUSED` with the
 * first request's details (never a replay). Before the answer is sent, a 4xx releases the key; 2xx
 * and 5xx keep it. Resolves true when the key was claimed (the request goes on), false when the
 * 409 was answered. The track route takes this path only for a request whose folded claim
 * (`events.trackWithKey`) threw, so the outcome of a failed request is as before.
 */
async function claimAndSettleOnEnd(
  roster: Roster,
  req: Request,
  res: Response,
  key: string,
): Promise<boolean> {
  const projectId = projectIdOf(res);
  const path = `${req.baseUrl}${req.path}`;
  const claim = await roster.idempotency.claim(projectId, key, req.method, path);
  if (!claim.claimed) {
    res.status(409).json(toPlunkKeyReusedBody(claim.holder, requestIdOf(res)));
    return false;
  }
  // Settle before the answer leaves: a client that got its answer and retries at once must see
  // the key released (after a 4xx) or holding the first request's status (otherwise).
  let settled = false;
  const settle = () => {
    settled = true;
    return roster.idempotency.settle(projectId, key, res.statusCode).catch(() => {});
  };
  const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
  res.end = ((...args: unknown[]) => {
    if (settled) return end(...args);
    void settle().finally(() => end(...args));
    return res;
  }) as typeof res.end;
  res.once('close', () => {
    if (!settled) void settle();
  });
  return true;
}

/** A per-client token bucket: `burst` requests at once, refilled at `perSecond`. */
export interface TrackRateLimit {
  /** Requests per second one client may keep sending. */
  perSecond: number;
  /** Requests one client may send at once (the bucket's size). */
  burst: number;
}

/** 64 KiB: ample for an event and its data, small enough that many open uploads pin little memory. */
export const TRACK_JSON_LIMIT_DEFAULT = 64 * 1024;
/** Plunk's own `track` bucket numbers (100/s, burst 200), applied per client address. */
export const TRACK_RATE_LIMIT_DEFAULT: TrackRateLimit = Object.freeze({ perSecond: 100, burst: 200 });

export interface TrackRouteOptions {
  /** Resolve the project of a track call yourself. @default public `pk_` keys of the roster database */
  resolvePublicProject?: ResolveProject;
  /** Largest body of `POST /v1/track`. @default 65536 (`TRACK_JSON_LIMIT_DEFAULT`) */
  jsonLimit?: number | string;
  /** Per-client rate limit, or false for none. @default 100/s, burst 200 (`TRACK_RATE_LIMIT_DEFAULT`) */
  rateLimit?: Partial<TrackRateLimit> | false;
  /** Per-project buckets; `track` applies here, after the key. @default none */
  projectRateLimits?: ProjectRateLimits | undefined;
}

/**
 * Limits the requests of one client (`req.ip`: the socket's address, or the proxy's forwarded one
 * when the app trusts its proxy) with a token bucket, as Plunk's `track` bucket does per project:
 * `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` on every checked request, and
 * 429 `RATE_LIMIT_EXCEEDED` with `Retry-After` when the bucket is empty. Runs before the key is
 * checked and before the body is read, so a limited client costs neither.
 */
function perClientRateLimit(limit: TrackRateLimit): RequestHandler {
  const buckets = createTokenBuckets({ capacity: limit.burst, refillPerSecond: limit.perSecond });
  return (req, res, next) => {
    const client = req.ip ?? req.socket.remoteAddress ?? '';
    const taken = buckets.take(client);
    res.setHeader('ratelimit-limit', String(limit.burst));
    res.setHeader('ratelimit-remaining', String(taken.remaining));
    res.setHeader('ratelimit-reset', String(buckets.secondsUntilFull(client)));
    if (taken.allowed) return next();
    const wait = retryAfterSeconds(taken.retryAfterMs);
    next(new RateLimitedError(`Too many requests from this client: try again in ${wait} s`, wait));
  };
}

/** The track call of a `POST /v1/track` body (`bad_request` unless it is a JSON object). */
function trackInput(req: Request): Parameters<Roster['events']['track']>[1] {
  const body = requireObject(req.body);
  return {
    event: body.event as string,
    email: body.email as string,
    subscribed: body.subscribed as boolean | undefined,
    preserveExistingSubscription: body.preserveExistingSubscription as boolean | undefined,
    data: body.data as Record<string, unknown> | undefined,
  };
}

/** `POST /v1/track`: record an event for a contact, creating the contact if needed. */
export function registerPlunkTrackRoute(router: Router, roster: Roster, options: TrackRouteOptions): void {
  const rateLimit =
    options.rateLimit === false
      ? false
      : {
          perSecond: options.rateLimit?.perSecond ?? TRACK_RATE_LIMIT_DEFAULT.perSecond,
          burst: options.rateLimit?.burst ?? TRACK_RATE_LIMIT_DEFAULT.burst,
        };
  router.use(
    TRACK_PATH,
    privateAnswers,
    trackCors,
    ...(rateLimit === false ? [] : [perClientRateLimit(rateLimit)]),
    publicKeyAuth(roster, options.resolvePublicProject),
    projectRateLimit(roster, options.projectRateLimits, (req) =>
      req.method === 'POST' ? 'track' : undefined,
    ),
    express.json({ limit: options.jsonLimit ?? TRACK_JSON_LIMIT_DEFAULT }),
  );
  router.post(TRACK_PATH, async (req, res) => {
    const key = idempotencyKeyOf(req);
    // A malformed key is refused (400) before anything runs.
    if (key !== undefined) roster.idempotency.check(key);
    let result: TrackResult;
    if (key === undefined) result = await roster.events.track(projectIdOf(res), trackInput(req));
    else {
      // The key is claimed in the track's own write, already holding the 200 it answers.
      let outcome: TrackWithKeyResult;
      try {
        outcome = await roster.events.trackWithKey(projectIdOf(res), trackInput(req), {
          key,
          method: req.method,
          path: `${req.baseUrl}${req.path}`,
          statusCode: 200,
        });
      } catch (error) {
        // A failed track claimed nothing: claim now as Plunk does before the work (a held key is
        // 409 whatever the body), and settle with the error's status when it is answered.
        if (await claimAndSettleOnEnd(roster, req, res, key)) throw error;
        return;
      }
      if (!outcome.claimed) {
        res.status(409).json(toPlunkKeyReusedBody(outcome.holder, requestIdOf(res)));
        return;
      }
      result = outcome.tracked;
    }
    res.json({
      success: true,
      data: {
        contact: result.contact.id,
        event: result.event.id,
        timestamp: result.event.createdAt,
        // roster: the address is suppressed, so the contact stays unsubscribed.
        ...(result.suppressed ? { suppressed: result.suppressed } : {}),
      },
    });
  });
}
