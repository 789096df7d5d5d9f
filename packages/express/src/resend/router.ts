import type { Roster, RosterLogger } from '@roster/core';
import express, { type RequestHandler, type Router } from 'express';
import { authenticate, type ResolveProject } from '../auth.js';
import { changeSource } from '../consent/change-source.js';
import { unauthorized, unexpectedErrorLogger } from '../errors.js';
import { observeRequests, type RequestRecorder } from '../observability/request-observer.js';
import { type ProjectRateLimits, useContactsWriteLimit } from '../rate-limit.js';
import { finishDialectRouter, jsonBodies, privateAnswers } from '../router-kit.js';
import { registerResendContactRoutes } from './contact-routes.js';
import { registerResendImportRoutes } from './import-routes.js';
import { registerResendPropertyRoutes } from './property-routes.js';
import { resendErrorOf, toResendErrorBody } from './resend-format.js';
import { registerResendSegmentRoutes } from './segment-routes.js';
import { registerResendSuppressionRoutes } from './suppression-routes.js';
import { registerResendTopicRoutes } from './topic-routes.js';

export interface ResendRouterOptions {
  /**
   * Resolve the project from the request yourself instead of `Authorization: Bearer re_…` keys.
   * @default Bearer keys stored hashed in the roster database, with Resend's `re_` prefix only
   */
  resolveProject?: ResolveProject;
  /**
   * Largest JSON body accepted, in bytes or an Express size string.
   * @default '1mb'
   */
  jsonLimit?: number | string;
  /**
   * Opt-in per-project rate limits (Plunk's token buckets, kept in the roster database so every
   * process shares them): `{ buckets: { 'contacts:write': { perSecond: 50, burst: 100 } } }`.
   * An empty bucket is answered 429 in this dialect's error shape, with `Retry-After`.
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

/** The key prefix Resend's keys have, and the only one this router accepts. */
export const RESEND_KEY_PREFIX = 're_';

/** The paths the Resend router serves (unknown routes under them answer Resend's 404). */
export const RESEND_ROUTE_PATHS = [
  '/contacts',
  '/segments',
  '/audiences',
  '/topics',
  '/contact-properties',
  '/suppressions',
];

/**
 * A key of another dialect (`sk_`, `un_`, …) is refused as Resend refuses an invalid key, before
 * the database is asked.
 */
const resendKeysOnly: RequestHandler = (req, _res, next) => {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (match && !match[1]!.startsWith(RESEND_KEY_PREFIX)) {
    throw unauthorized(`API key is invalid (Resend keys start with ${RESEND_KEY_PREFIX})`, 'key_type');
  }
  next();
};

/**
 * Resend's contacts, segments (and legacy audiences), topics and contact properties API as an
 * Express router: `app.use('/resend', createResendRouter(roster))` lets the official `resend` SDK
 * work with `new Resend('re_…', { baseUrl: '<server>/resend' })`. It translates only: every rule
 * lives in core.
 */
export function createResendRouter(roster: Roster, options: ResendRouterOptions = {}): Router {
  const router = express.Router();
  router.use(RESEND_ROUTE_PATHS, observeRequests('resend', options));
  const onError = options.onError ?? unexpectedErrorLogger(options.logger);
  router.use(changeSource('resend'));
  const auth = options.resolveProject
    ? [authenticate(roster, { resolveProject: options.resolveProject })]
    : [resendKeysOnly, authenticate(roster)];
  router.use(RESEND_ROUTE_PATHS, privateAnswers, ...auth);
  // Before any body is read: a limited request costs no parsing.
  useContactsWriteLimit(router, roster, options.rateLimits);
  router.use(RESEND_ROUTE_PATHS, jsonBodies({ limit: options.jsonLimit ?? '1mb' }));

  registerResendSegmentRoutes(router, roster);
  registerResendTopicRoutes(router, roster);
  registerResendSuppressionRoutes(router, roster);
  registerResendPropertyRoutes(router, roster);
  // Before the contact routes: `/contacts/imports` is not a contact's `/contacts/{id_or_email}`.
  registerResendImportRoutes(router, roster);
  registerResendContactRoutes(router, roster);

  finishDialectRouter(router, RESEND_ROUTE_PATHS, toResendErrorBody, onError, (error) => ({
    ...error,
    status: resendErrorOf(error).status,
  }));
  return router;
}
