import type { Roster, RosterLogger } from '@roster/core';
import express, { type Router } from 'express';
import { projectIdOf, type ResolveProject } from '../auth.js';
import { changeSource } from '../consent/change-source.js';
import { unexpectedErrorLogger } from '../errors.js';
import { observeRequests, type RequestRecorder } from '../observability/request-observer.js';
import { type ProjectRateLimits, useContactsWriteLimit } from '../rate-limit.js';
import {
  answerJson,
  finishDialectRouter,
  firstQueryValue,
  registerItemRoutes,
  secretKeyRoutes,
} from '../router-kit.js';
import { registerPlunkJobRoutes } from './job-routes.js';
import {
  adjustTrackError,
  sendFlatError,
  toPlunkContact,
  toPlunkContactPage,
  toPlunkErrorBody,
} from './plunk-format.js';
import { registerPlunkSegmentRoutes } from './segment-routes.js';
import { registerPlunkTrackRoute, type TrackRateLimit } from './track-route.js';

export interface PlunkRouterOptions {
  /**
   * Resolve the project from the request yourself (e.g. from your app's session) instead of
   * `Authorization: Bearer sk_...` keys.
   * @default Bearer secret keys stored hashed in the roster database
   */
  resolveProject?: ResolveProject;
  /**
   * Resolve the project of `POST /v1/track` calls yourself.
   * @default Bearer public keys (`pk_...`, see `roster keys create --public`) stored hashed in the roster database
   */
  resolvePublicProject?: ResolveProject;
  /**
   * Largest JSON body accepted, in bytes or an Express size string.
   * @default '1mb'
   */
  jsonLimit?: number | string;
  /**
   * Largest JSON body of the public `POST /v1/track` (anyone holding the public `pk_` key, from any
   * origin, can send it), in bytes or an Express size string. Larger bodies get 413 `PAYLOAD_TOO_LARGE`.
   * @default 65536 (64 KiB)
   */
  trackJsonLimit?: number | string;
  /**
   * Per-client (per `req.ip`) rate limit of `POST /v1/track`: a token bucket of `burst` requests
   * refilled at `perSecond`; an empty bucket is answered 429 `RATE_LIMIT_EXCEEDED` with
   * `Retry-After`. In this process's memory. `false`: no limit; a field left out takes its default.
   * @default { perSecond: 100, burst: 200 }
   */
  trackRateLimit?: Partial<TrackRateLimit> | false;
  /**
   * Opt-in per-project rate limits (Plunk's token buckets, kept in the roster database so every
   * process shares them): `contacts:write` (`POST /contacts`, `PATCH` and `DELETE /contacts/{id}`,
   * one bucket) and `track` (`POST /v1/track`, after the per-client limit above). An empty bucket
   * is answered 429 `RATE_LIMIT_EXCEEDED` with `Retry-After`.
   * @default none
   */
  rateLimits?: ProjectRateLimits;
  /**
   * Called with every unexpected error (the client gets a generic 500).
   * @default logs to stderr
   */
  onError?: (error: unknown) => void;
  /** Writes one line per answered request (pino-compatible logger). @default none */
  logger?: RosterLogger | undefined;
  /** Records request counts and durations (`createMetrics(roster)`). @default none */
  metrics?: RequestRecorder | undefined;
}

const DEFAULT_LIMIT = 20;

/** Plunk's rule: default 20, above 100 → 100, not a number or below 1 → 20. */
export function plunkLimit(value: unknown): number {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number.parseInt(value, 10) : Number.NaN;
  if (!Number.isFinite(n) || n < 1) return DEFAULT_LIMIT;
  return Math.min(n, 100);
}

/**
 * Plunk's list parameters, read as its controller reads them: `subscribed` counts only as the
 * literal `true` or `false`, `sort` only as `createdAt` or `email`, `dir` only as `asc` or `desc`;
 * anything else means no filter and the default order (newest first).
 */
export function plunkListOrder(query: Record<string, unknown>) {
  const subscribed = firstQueryValue(query.subscribed);
  const sort = firstQueryValue(query.sort);
  const dir = firstQueryValue(query.dir);
  return {
    subscribed: subscribed === 'true' ? true : subscribed === 'false' ? false : undefined,
    sort: sort === 'createdAt' || sort === 'email' ? sort : undefined,
    dir: dir === 'asc' || dir === 'desc' ? dir : undefined,
  } as const;
}

/**
 * Plunk's contacts API (`/contacts...`) as an Express router. Mount it anywhere:
 * `app.use('/api', createPlunkRouter(roster))` serves `/api/contacts`.
 * It parses its own JSON bodies, authenticates its own requests and renders its own errors.
 */
/** The core patch of a Plunk `PATCH /contacts/:id` body (core validates it). */
function plunkContactPatch(body: Record<string, unknown>) {
  return {
    email: body.email as string | undefined,
    subscribed: body.subscribed as boolean | undefined,
    data: body.data as Record<string, unknown> | null | undefined,
  };
}

export function createPlunkRouter(roster: Roster, options: PlunkRouterOptions = {}): Router {
  const router = express.Router();
  router.use(['/contacts', '/segments', '/v1'], observeRequests('plunk', options));
  const onError = options.onError ?? unexpectedErrorLogger(options.logger);
  router.use(changeSource('plunk'));

  router.use('/contacts', secretKeyRoutes(roster, options.resolveProject, options.jsonLimit ?? '1mb'));
  useContactsWriteLimit(router, roster, options.rateLimits);

  router.get('/contacts', async (req, res) => {
    // No cursor, an empty one, or the string `null` (a client echoing the `cursor: null` of Plunk's spec
    // into the query) all mean the first page.
    const rawCursor = firstQueryValue(req.query.cursor);
    const cursor = rawCursor && rawCursor !== 'null' ? rawCursor : undefined;
    const search = firstQueryValue(req.query.search) ?? firstQueryValue(req.query.email);
    const page = await roster.contacts.list(projectIdOf(res), {
      limit: plunkLimit(firstQueryValue(req.query.limit)),
      cursor,
      search,
      ...plunkListOrder(req.query),
      includeTotal: cursor === undefined,
    });
    res.json(toPlunkContactPage(page));
  });

  router.post('/contacts', async (req, res) => {
    const raw: unknown = req.body;
    const body =
      raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
    // Plunk's controller checks this by hand and answers in its flat error shape.
    if (!body.email) return sendFlatError(res, 400, 'Email is required');
    const { contact, created, suppressed } = await roster.contacts.upsert(projectIdOf(res), {
      email: body.email as string,
      subscribed: body.subscribed as boolean | undefined,
      // roster's own field: start a double opt-in (see docs/consent.md).
      pending: body.pending as boolean | undefined,
      data: body.data as Record<string, unknown> | undefined,
    });
    answerJson(res, created ? 201 : 200, {
      ...toPlunkContact(contact),
      // roster: `suppressed: true` when the address is on the suppression list (it stays unsubscribed).
      _meta: { isNew: created, isUpdate: !created, ...(suppressed ? { suppressed } : {}) },
    });
  });

  registerItemRoutes(router, '/contacts', roster.contacts, {
    wire: toPlunkContact,
    // roster: a PATCH that could not subscribe a suppressed address says so in `_meta`.
    updated: (contact) => ({
      ...toPlunkContact(contact),
      ...(contact.suppressed ? { _meta: { suppressed: contact.suppressed } } : {}),
    }),
    patch: plunkContactPatch,
    deleted: (res) => res.status(204).end(),
  });

  registerPlunkJobRoutes(router, roster);
  registerPlunkSegmentRoutes(router, roster, {
    resolveProject: options.resolveProject,
    jsonLimit: options.jsonLimit,
  });
  registerPlunkTrackRoute(router, roster, {
    resolvePublicProject: options.resolvePublicProject,
    jsonLimit: options.trackJsonLimit,
    rateLimit: options.trackRateLimit,
    projectRateLimits: options.rateLimits,
  });

  finishDialectRouter(router, ['/contacts', '/segments', '/v1'], toPlunkErrorBody, onError, (error, req) =>
    adjustTrackError(error, req.path),
  );
  return router;
}
