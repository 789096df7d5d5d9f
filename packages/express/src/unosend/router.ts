import type { RosterLogger } from '@roster/core';
import { checkEmail, type Roster, RosterError } from '@roster/core';
import express, { type Router } from 'express';
import { authenticate, projectIdOf, type ResolveProject } from '../auth.js';
import { changeSource } from '../consent/change-source.js';
import { unexpectedErrorLogger } from '../errors.js';
import { observeRequests, type RequestRecorder } from '../observability/request-observer.js';
import { type ProjectRateLimits, useContactsWriteLimit } from '../rate-limit.js';
import {
  finishDialectRouter,
  jsonBodies,
  privateAnswers,
  registerItemRoutes,
  requireObject,
} from '../router-kit.js';
import { registerUnosendAudienceRoutes } from './audience-routes.js';
import { registerUnosendBulkRoutes } from './bulk-routes.js';
import { registerUnosendExportRoutes } from './export-routes.js';
import { registerUnosendImportRoutes } from './import-routes.js';
import { toUnosendContact, toUnosendErrorBody, toUnosendNewContact } from './unosend-format.js';
import { contactFieldsOf, integerParam, stringParam } from './unosend-params.js';

export interface UnosendRouterOptions {
  /**
   * Resolve the project from the request yourself (e.g. from your app's session) instead of
   * `Authorization: Bearer <key>` keys.
   * @default Bearer keys stored hashed in the roster database (any prefix but Plunk's public `pk_`)
   */
  resolveProject?: ResolveProject;
  /**
   * Largest JSON body accepted, in bytes or an Express size string.
   * @default '1mb'
   */
  jsonLimit?: number | string;
  /**
   * How long `POST /contacts/import` waits for its import job to finish before answering 202 with
   * the job id. Jobs run only where the roster's job runner is started (`roster.jobs.start()`).
   * @default 5000
   */
  importWaitMs?: number;
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

/** Unosend's page size rules: default 50, larger values are clamped to 100. */
export const UNOSEND_DEFAULT_LIMIT = 50;
export const UNOSEND_MAX_LIMIT = 100;

/**
 * Unosend's contacts and audiences API as an Express router: `app.use('/v1', createUnosendRouter(roster))`
 * serves `/v1/contacts...` and `/v1/audiences...`, so apps using Unosend's SDK only change the base URL.
 * It parses its own JSON bodies, authenticates its own requests and renders Unosend's error envelope.
 */
/** The core patch of an Unosend `PATCH /contacts/:id` body (core validates it). */
function unosendContactPatch(body: Record<string, unknown>) {
  return {
    email: body.email as string | undefined,
    ...contactFieldsOf(body),
    // Unosend replaces metadata as a whole; null clears it.
    dataMode: 'replace' as const,
  };
}

export function createUnosendRouter(roster: Roster, options: UnosendRouterOptions = {}): Router {
  const router = express.Router();
  router.use(['/contacts', '/audiences'], observeRequests('unosend', options));
  const onError = options.onError ?? unexpectedErrorLogger(options.logger);
  // Only Unosend's own paths: a server mounts this router at `/v1`, where Plunk's `/v1/track` passes
  // through it, and that request's writes are Plunk's.
  router.use(['/contacts', '/audiences'], changeSource('unosend'));
  const importWaitMs = options.importWaitMs ?? 5000;

  // The CSV of an import travels inside the JSON body (as text, or base64 as the SDK's docs show).
  const importJsonLimit = Math.ceil((roster.options.limits.maxImportBytes * 4) / 3) + 64 * 1024;
  // The key is checked from the headers before any body is read: a client without a valid key
  // gets its 401 without the server buffering what it sends. Then each route's body limit applies.
  router.use(
    ['/contacts', '/audiences'],
    privateAnswers,
    authenticate(roster, {
      resolveProject: options.resolveProject,
      rejectPrefixes: [
        { prefix: 'pk_', message: 'Public keys (pk_*) cannot be used with this API; use a secret key' },
      ],
    }),
  );
  // Before any body is read: a limited request costs no parsing.
  useContactsWriteLimit(router, roster, options.rateLimits);
  router.use('/contacts/import', jsonBodies({ limit: importJsonLimit }));
  router.use(['/contacts', '/audiences'], jsonBodies({ limit: options.jsonLimit ?? '1mb' }));

  // ---- contacts -------------------------------------------------------------------------------

  router.post('/contacts', async (req, res) => {
    const body = requireObject(req.body);
    const contact = await roster.contacts.create(projectIdOf(res), {
      email: body.email as string,
      ...contactFieldsOf(body),
      // roster's own field: start a double opt-in (see docs/consent.md).
      ...(body.pending !== undefined ? { pending: body.pending as boolean } : {}),
      // Unosend stores metadata as sent, null values included.
      dataMode: 'verbatim',
    });
    res.status(201).json(toUnosendNewContact(contact));
  });

  router.get('/contacts', async (req, res) => {
    const limitParam = integerParam('limit', req.query.limit) ?? integerParam('per_page', req.query.per_page);
    const limit = limitParam === undefined ? UNOSEND_DEFAULT_LIMIT : Math.min(limitParam, UNOSEND_MAX_LIMIT);
    let offset = integerParam('offset', req.query.offset);
    if (offset === undefined) {
      const page = integerParam('page', req.query.page);
      if (page !== undefined && page < 1) {
        throw RosterError.validation([{ field: 'page', message: 'must be at least 1' }]);
      }
      // Clamped limit, so `page` counts pages of what is actually returned.
      if (page !== undefined) offset = (page - 1) * Math.max(limit, 1);
    }
    const contacts = await roster.contacts.listOffset(projectIdOf(res), {
      limit,
      offset,
      audienceId: stringParam(req.query.audience_id),
    });
    res.json({ data: contacts.map(toUnosendContact) });
  });

  router.post('/contacts/validate', async (req, res) => {
    const body = requireObject(req.body);
    if (typeof body.email !== 'string') {
      throw RosterError.validation([
        { field: 'email', message: body.email === undefined ? 'is required' : 'must be a string' },
      ]);
    }
    const check = checkEmail(body.email);
    res.json({ email: check.email, valid: check.valid, ...(check.reason ? { reason: check.reason } : {}) });
  });

  registerUnosendExportRoutes(router, roster);
  registerUnosendBulkRoutes(router, roster);
  registerUnosendImportRoutes(router, roster, importWaitMs);

  registerItemRoutes(router, '/contacts', roster.contacts, {
    wire: toUnosendContact,
    patch: unosendContactPatch,
    deleted: (res, id) => res.json({ id, deleted: true }),
  });

  registerUnosendAudienceRoutes(router, roster);

  finishDialectRouter(router, ['/contacts', '/audiences'], toUnosendErrorBody, onError);
  return router;
}
