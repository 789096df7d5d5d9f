import { randomUUID } from 'node:crypto';
import type { RosterLogger } from '@roster/core';
import type { Request, RequestHandler, Response } from 'express';

/** The header that carries a request's id, in and out. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** An incoming id is kept when it is 1-128 of these characters; anything else gets a new id. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** The API a request was answered by, as the metrics and the log lines name it. */
export type RosterDialect = 'plunk' | 'unosend' | 'resend' | 'roster' | 'dashboard' | 'none';

/** One answered request, as the metrics get it. */
export interface ObservedRequest {
  dialect: RosterDialect;
  /** The matched route's pattern (e.g. `/contacts/:id`), or `unmatched`: never the raw URL. */
  route: string;
  method: string;
  status: number;
  durationSeconds: number;
}

/** Something that records answered requests (`createMetrics(...)` is one). */
export interface RequestRecorder {
  observeRequest(request: ObservedRequest): void;
}

/** What a router or the server app watches its requests with. */
export interface ObserveOptions {
  /** One line per answered request (pino-compatible). */
  logger?: RosterLogger | undefined;
  /** Request counts and durations. */
  metrics?: RequestRecorder | undefined;
}

interface ObservedLocals {
  rosterRequestId?: string;
  rosterDialect?: RosterDialect;
  rosterProjectId?: string;
  rosterWatched?: boolean;
}

/** The id of the request being answered (set by `observeRequests`, which every router runs first). */
export function requestIdOf(res: Response): string | undefined {
  return (res.locals as ObservedLocals).rosterRequestId;
}

/** The request's id: a sane `X-Request-Id` it came with, else a new UUID. */
function requestIdFor(req: Request): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/** The pattern of the route that answered, with its mount path; `unmatched` when no route did. */
export function routePatternOf(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route;
  if (!route) return 'unmatched';
  const path = Array.isArray(route.path) ? route.path.join('|') : String(route.path);
  return `${req.baseUrl}${path}`;
}

/** Liveness and readiness probes: logged at debug level only. */
const PROBES = new Set(['/health', '/readyz']);

/**
 * The first middleware of every router (and of the server app): gives the request its id (kept in
 * `res.locals`, sent back as `X-Request-Id`), names the dialect (the outermost router's), and when
 * a logger or metrics are given, records the answer once it is sent: one log line (request id,
 * method, route pattern, status, duration, project id; never a header, a key or a body) and the
 * request metrics. A request passing several observers is given one id and recorded once.
 */
export function observeRequests(dialect: RosterDialect, options: ObserveOptions = {}): RequestHandler {
  const { logger, metrics } = options;
  return (req, res, next) => {
    const locals = res.locals as ObservedLocals;
    if (locals.rosterRequestId === undefined) {
      const id = requestIdFor(req);
      locals.rosterRequestId = id;
      res.setHeader(REQUEST_ID_HEADER, id);
    }
    if (locals.rosterDialect === undefined && dialect !== 'none') locals.rosterDialect = dialect;
    if ((logger || metrics) && !locals.rosterWatched) {
      locals.rosterWatched = true;
      const started = performance.now();
      res.once('finish', () => {
        const seconds = (performance.now() - started) / 1000;
        const route = routePatternOf(req);
        const status = res.statusCode;
        const answeredBy = locals.rosterDialect ?? 'none';
        metrics?.observeRequest({
          dialect: answeredBy,
          route,
          method: req.method,
          status,
          durationSeconds: seconds,
        });
        if (!logger) return;
        const fields = {
          requestId: locals.rosterRequestId,
          method: req.method,
          route,
          status,
          durationMs: Math.round(seconds * 100_000) / 100,
          dialect: answeredBy,
          ...(locals.rosterProjectId === undefined ? {} : { projectId: locals.rosterProjectId }),
        };
        if (status >= 500) logger.error(fields, 'request failed');
        else if (PROBES.has(route)) logger.debug(fields, 'request');
        else logger.info(fields, 'request');
      });
    }
    next();
  };
}
