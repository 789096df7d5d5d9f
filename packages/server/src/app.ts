import type { ReadyOptions, Roster, RosterLogger } from '@roster/core';
import {
  createConsentPages,
  createInboundRouter,
  createPlunkRouter,
  createResendRouter,
  createRosterRouter,
  createUnosendRouter,
  dashboard,
  observeRequests,
  type ProjectRateLimits,
  plunkOpenApi,
  type RequestRecorder,
  readinessHandler,
  requestIdOf,
  resendOpenApi,
  rosterOpenApi,
  type TrackRateLimit,
  toPlunkErrorBody,
  toResendErrorBody,
  toUnosendErrorBody,
  unosendOpenApi,
} from '@roster/express';
import express, { type Express } from 'express';

export interface ServerAppOptions {
  /** Serve the web dashboard at `/dashboard`. @default true */
  dashboard?: boolean;
  /** Called with unexpected errors. @default logs to stderr */
  onError?: (error: unknown) => void;
  /**
   * Largest JSON body of the API routes, in bytes (the Unosend import route accepts its CSV's size
   * instead, from `limits.maxImportBytes`).
   * @default 1048576 (1 MiB)
   */
  jsonLimitBytes?: number;
  /**
   * Largest body of Plunk's public `POST /v1/track` (callable by anyone holding the `pk_` key).
   * @default 65536 (64 KiB)
   */
  trackJsonLimitBytes?: number;
  /**
   * Per-client rate limit of `POST /v1/track` (a token bucket per `req.ip`), or false for none.
   * @default { perSecond: 100, burst: 200 }
   */
  trackRateLimit?: Partial<TrackRateLimit> | false;
  /**
   * Express's `trust proxy` setting: which proxies' `X-Forwarded-For` / `X-Forwarded-Proto` to
   * believe, so `req.ip` is the real client (for the per-client limits of `/v1/track` and of
   * dashboard sign-in) and `req.secure` is true behind a TLS proxy (the dashboard's session cookie
   * then gets `Secure`). `true` trusts every hop (only when nothing can reach roster but the
   * proxy), a number trusts that many hops, a string or list names addresses or subnets
   * (`loopback`, `linklocal`, `uniquelocal`, `10.0.0.0/8`, comma-separated).
   * @default false (the socket's peer is the client; forwarded headers are ignored)
   */
  trustProxy?: TrustProxy;
  /**
   * One line per answered request (request id, method, route pattern, status, duration, project
   * id), and unexpected errors: a pino logger or anything with pino's `error`, `warn`, `info`,
   * `debug`. `GET /health` and `GET /readyz` are logged at debug level.
   * @default none (unexpected errors go to `onError`)
   */
  logger?: RosterLogger;
  /** Records request counts and durations (`createMetrics(roster)` of `@roster/express`). @default none */
  metrics?: RequestRecorder;
  /**
   * What `GET /readyz` checks (`roster.health.ready(readiness)`): pass `{ jobRunner: true }` when
   * this process runs the jobs.
   * @default {} (the database and the migrations)
   */
  readiness?: ReadyOptions;
  /**
   * Opt-in per-project rate limits of the API routes (`contacts:write`, `track`), kept in the
   * database so every process shares them; the dashboard's API is not limited.
   * @default none
   */
  rateLimits?: ProjectRateLimits;
}

/** The values of Express's `trust proxy` setting that roster takes. */
export type TrustProxy = boolean | number | string | string[];

export const DEFAULT_JSON_LIMIT_BYTES = 1024 * 1024;

/**
 * The standalone server's Express app: `GET /health`, the dashboard at `/dashboard`, roster's
 * management API at `/roster`, then the provider dialects.
 * The Plunk router is mounted at `/` last, since its routes (`/contacts...`) sit at the root.
 */
export function createServerApp(roster: Roster, options: ServerAppOptions = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  if (options.trustProxy !== undefined) {
    try {
      app.set('trust proxy', options.trustProxy);
    } catch (error) {
      throw new RangeError(
        `roster: invalid trust proxy value ${JSON.stringify(options.trustProxy)}: ${(error as Error).message}`,
      );
    }
  }
  const jsonLimit = options.jsonLimitBytes ?? DEFAULT_JSON_LIMIT_BYTES;
  const { logger } = options;
  // Every answer gets an `X-Request-Id`; with a logger or metrics, every answer is recorded once.
  app.use(observeRequests('none', { logger, metrics: options.metrics }));
  const plunk = createPlunkRouter(roster, {
    logger,
    onError: options.onError,
    jsonLimit,
    trackJsonLimit: options.trackJsonLimitBytes,
    trackRateLimit: options.trackRateLimit,
    rateLimits: options.rateLimits,
  });
  // Plunk's `/contacts...` and `/segments...` (the busiest routes) are answered by its router
  // whatever is mounted before it (none of the routes below serves those paths, and its router
  // answers every path under them, unknown ones with its 404): go there first, without walking
  // the other routers' layers on every request. So does `/v1/track`, which every router below
  // passes on (Unosend's `/v1` router only to its 404 handler's exception for it).
  app.use((req, res, next) => {
    const path = req.path;
    if (isPlunkRootPath(path)) plunk(req, res, next);
    else next();
  });
  // Liveness: answers while the process does, without asking the database.
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Readiness: the database answers, the migrations ran (and, when asked, the job runner is alive).
  app.get('/readyz', readinessHandler(roster, options.readiness));
  // The APIs' OpenAPI 3.1 documents, generated from the schemas the server validates with.
  app.get('/openapi/plunk.json', (_req, res) => {
    res.json(plunkOpenApi(roster.options.limits));
  });
  app.get('/openapi/unosend.json', (_req, res) => {
    res.json(unosendOpenApi(roster.options.limits));
  });
  app.get('/openapi/roster.json', (_req, res) => {
    res.json(rosterOpenApi());
  });
  app.get('/openapi/resend.json', (_req, res) => {
    res.json(resendOpenApi());
  });
  // The public consent pages (no key: each link's token is its proof), never rate limited.
  app.use(createConsentPages(roster, { onError: options.onError }));
  // The web dashboard (sign-in with a secret key) and roster's own management API.
  if (options.dashboard !== false)
    app.use('/dashboard', dashboard(roster, { logger, onError: options.onError }));
  app.use('/roster', createRosterRouter(roster, { logger, onError: options.onError }));
  // Bounce and complaint webhooks of email providers (Resend, Postmark), feeding the suppression list.
  app.use('/inbound', createInboundRouter(roster, { onError: options.onError }));
  // Resend's API lives under /resend (`new Resend('re_…', { baseUrl: '<server>/resend' })`); anything
  // else under it is an unknown Resend route, answered in Resend's error shape.
  app.use(
    '/resend',
    createResendRouter(roster, {
      logger,
      onError: options.onError,
      jsonLimit,
      rateLimits: options.rateLimits,
    }),
  );
  app.use('/resend', (req, res) => {
    res.status(404).json(toResendErrorBody(routeNotFound(req.method, req.originalUrl)));
  });
  // Unosend's API lives under /v1 (its SDK's base URL is `<server>/v1`); mounted before Plunk's root router.
  app.use(
    '/v1',
    createUnosendRouter(roster, {
      logger,
      onError: options.onError,
      jsonLimit,
      rateLimits: options.rateLimits,
    }),
  );
  // Anything else under /v1 is an unknown Unosend route, answered in Unosend's error envelope, except
  // Plunk's `/v1/track`, which the Plunk router below serves.
  app.use('/v1', (req, res, next) => {
    if (req.path === '/track') {
      next();
      return;
    }
    res.status(404).json(toUnosendErrorBody(routeNotFound(req.method, req.originalUrl, requestIdOf(res))));
  });
  app.use(plunk);
  app.use((req, res) => {
    res.status(404).json(toPlunkErrorBody(routeNotFound(req.method, req.originalUrl, requestIdOf(res))));
  });
  return app;
}

/** `/contacts`, `/segments` and the paths under them, and `/v1/track`. */
function isPlunkRootPath(path: string): boolean {
  // Exactly the path the `/v1` handler below lets through to Plunk's router.
  if (path === '/v1/track') return true;
  for (const root of ['/contacts', '/segments']) {
    if (path.startsWith(root) && (path.length === root.length || path[root.length] === '/')) return true;
  }
  return false;
}

function routeNotFound(method: string, url: string, requestId?: string) {
  const path = url.split('?')[0] ?? url;
  return {
    status: 404,
    code: 'route_not_found' as const,
    message: `Route ${method} ${path} not found`,
    issues: [],
    requestId,
  };
}
