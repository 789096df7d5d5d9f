import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Roster, RosterLogger } from '@roster/core';
import { RosterError } from '@roster/core';
import { dashboardAssetsDir } from '@roster/dashboard';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { ResolveProject } from '../auth.js';
import { changeSource } from '../consent/change-source.js';
import { forbidden, HttpAuthError, unauthorized, unexpectedErrorLogger } from '../errors.js';
import { observeRequests, type RequestRecorder } from '../observability/request-observer.js';
import { toPlunkErrorBody } from '../plunk/plunk-format.js';
import { createPlunkRouter } from '../plunk/router.js';
import { setActor } from '../request-context.js';
import { createRosterRouter } from '../roster/router.js';
import { finishDialectRouter, requireObject } from '../router-kit.js';
import { createUnosendRouter } from '../unosend/router.js';
import { createSessionStore, createSignInThrottle, readCookie, type SignInLimits } from './sessions.js';

export interface DashboardOptions {
  /**
   * Use the host app's own auth instead of signing in with a secret key: return the project id the
   * request may manage, or null to refuse it. The dashboard then shows no sign-in page.
   * @default sign-in with a secret key, kept server-side behind an HttpOnly session cookie
   */
  resolveProject?: ResolveProject;
  /**
   * How long a sign-in lasts.
   * @default 43200000 (12 hours)
   */
  sessionTtlMs?: number;
  /**
   * Live sign-in sessions one project may hold; a sign-in past that ends that project's oldest
   * session (never another project's).
   * @default 10000
   */
  maxSessionsPerProject?: number;
  /**
   * Sign-in throttling per client address (`req.ip`).
   * @default { failuresPerMinute: 10, successesPerMinute: 20 }
   */
  signInLimits?: SignInLimits;
  /**
   * Where the built single-page app is read from.
   * @default the assets shipped in `@roster/dashboard`
   */
  assetsDir?: string;
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

/** The header every state-changing dashboard request must carry (a cross-site form or fetch cannot). */
export const DASHBOARD_CSRF_HEADER = 'x-roster-dashboard';
const SESSION_COOKIE = 'roster_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

/** Refuses state-changing requests without the dashboard's header, or from another origin. */
function csrfGuard(req: Request, _res: Response, next: NextFunction) {
  if (SAFE_METHODS.has(req.method)) return next();
  if (req.get(DASHBOARD_CSRF_HEADER) !== '1') {
    return next(
      forbidden(`State-changing dashboard requests need the header "X-Roster-Dashboard: 1"`, 'csrf'),
    );
  }
  const origin = req.get('origin');
  if (origin && origin !== 'null') {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host !== req.get('host')) {
      return next(forbidden('Cross-origin dashboard requests are refused', 'csrf'));
    }
  }
  next();
}

/**
 * roster's web dashboard as an Express router: `app.use('/admin', dashboard(roster))` serves the app
 * at `/admin/` and the APIs it calls under `/admin/api` (Plunk's `/contacts…`, Unosend's
 * `/v1/audiences…`, roster's `/roster/…`), authenticated by the dashboard's session cookie (or by
 * `resolveProject`) instead of Bearer keys. Sign-in exchanges a secret key for an `HttpOnly;
 * SameSite=Strict` cookie; every state-changing request must carry `X-Roster-Dashboard: 1`.
 */
export function dashboard(roster: Roster, options: DashboardOptions = {}): Router {
  const router = express.Router();
  router.use('/', observeRequests('dashboard', options));
  const onError = options.onError ?? unexpectedErrorLogger(options.logger);
  const assetsDir = options.assetsDir ?? dashboardAssetsDir;
  const sessions = createSessionStore(
    options.sessionTtlMs ?? 12 * 60 * 60 * 1000,
    options.maxSessionsPerProject,
  );
  const throttle = createSignInThrottle(options.signInLimits);
  const hostAuth = options.resolveProject;

  const sessionProject: ResolveProject = async (req) => {
    const key = sessions.keyOf(readCookie(req.headers.cookie, SESSION_COOKIE));
    if (!key) throw unauthorized('Not signed in: sign in with a secret key', 'missing');
    const resolved = await roster.keys.resolve(key);
    if (!resolved) {
      throw unauthorized('The key of this session was revoked: sign in again', 'invalid_key');
    }
    setActor(req, `dashboard:${resolved.keyId}`);
    return resolved.projectId;
  };
  const resolveProject = hostAuth ?? sessionProject;

  function cookie(req: Request, value: string, maxAgeSeconds: number): string {
    const path = req.baseUrl || '/';
    return [
      `${SESSION_COOKIE}=${value}`,
      `Path=${path}`,
      'HttpOnly',
      'SameSite=Strict',
      `Max-Age=${maxAgeSeconds}`,
      ...(req.secure ? ['Secure'] : []),
    ].join('; ');
  }

  router.use('/api', (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.use('/api', csrfGuard);

  // The app's probe on load: "not signed in" is an answer here, not an error (a 401 would be logged in
  // every browser console on every fresh load). `message` says why when there was a session to lose.
  router.get('/api/session', async (req, res) => {
    let projectId: string | null | undefined;
    try {
      projectId = await resolveProject(req);
    } catch (error) {
      if (!(error instanceof HttpAuthError && error.code === 'unauthorized')) throw error;
      res.json({ signedIn: false, ...(error.reason === 'missing' ? {} : { message: error.message }) });
      return;
    }
    if (!projectId) {
      res.json({ signedIn: false });
      return;
    }
    const project = await roster.projects.get(projectId);
    res.json({
      signedIn: true,
      project: { id: project.id, name: project.name },
      auth: hostAuth ? 'host' : 'key',
    });
  });

  router.post('/api/session', express.json({ limit: '4kb' }), async (req, res) => {
    if (hostAuth) {
      throw RosterError.conflict('session', 'This dashboard uses the host application’s sign-in');
    }
    const client = req.ip ?? req.socket.remoteAddress ?? '';
    throttle.beforeAttempt(client);
    const body = requireObject(req.body);
    const key = typeof body.key === 'string' ? body.key.trim() : '';
    if (!key)
      throw RosterError.validation([{ field: 'key', message: 'is required: paste a secret key (sk_…)' }]);
    if (key.startsWith('pk_')) {
      throw RosterError.validation([
        { field: 'key', message: 'is a public key (pk_…): sign in with a secret key (sk_…)' },
      ]);
    }
    const resolved = await roster.keys.resolve(key);
    if (!resolved) {
      throttle.failed(client);
      throw unauthorized('This key is not valid: it is unknown or was revoked', 'invalid_key');
    }
    throttle.succeeded(resolved.projectId, client);
    const project = await roster.projects.get(resolved.projectId);
    res.set(
      'Set-Cookie',
      cookie(req, sessions.open(key, resolved.projectId), Math.floor(sessions.ttlMs / 1000)),
    );
    res.json({ signedIn: true, project: { id: project.id, name: project.name }, auth: 'key' });
  });

  router.delete('/api/session', (req, res) => {
    sessions.close(readCookie(req.headers.cookie, SESSION_COOKIE));
    res.set('Set-Cookie', cookie(req, '', 0));
    res.status(204).end();
  });

  router.use('/api', changeSource('dashboard'));
  router.use('/api/roster', createRosterRouter(roster, { resolveProject, onError }));
  router.use('/api/v1', createUnosendRouter(roster, { resolveProject, onError }));
  router.use('/api', createPlunkRouter(roster, { resolveProject, onError }));
  finishDialectRouter(router, ['/api'], toPlunkErrorBody, onError);

  // The app itself: index.html at the mount point (with a trailing slash, so relative URLs resolve).
  router.use((_req, res, next) => {
    res.set(SECURITY_HEADERS);
    next();
  });
  router.get('/', (req, res) => {
    const path = req.originalUrl.split('?')[0]!;
    if (!path.endsWith('/')) {
      res.redirect(308, `${path}/${req.originalUrl.slice(path.length)}`);
      return;
    }
    const index = join(assetsDir, 'index.html');
    if (!existsSync(index)) {
      res
        .status(503)
        .type('text/plain')
        .send('The dashboard is not built: run `pnpm --filter @roster/dashboard build`.\n');
      return;
    }
    res.set('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  router.use('/assets', express.static(join(assetsDir, 'assets'), { immutable: true, maxAge: '1y' }));
  return router;
}
