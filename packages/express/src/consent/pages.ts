import { randomBytes } from 'node:crypto';
import { isRosterError, type Roster, RosterError } from '@roster/core';
import express, {
  type ErrorRequestHandler,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import { logUnexpected } from '../errors.js';
import {
  confirmedPage,
  confirmPage,
  messagePage,
  preferencesPage,
  unsubscribedPage,
  unsubscribePage,
} from './pages-html.js';

export interface ConsentPagesOptions {
  /**
   * Called with every unexpected error (the person gets a generic page, status 500).
   * @default logs to stderr
   */
  onError?: (error: unknown) => void;
}

/** The paths the consent pages serve, relative to where they are mounted. */
export const CONSENT_PAGE_PATHS = ['/confirm', '/unsubscribe', '/preferences'];

const ONE_CLICK = 'List-Unsubscribe=One-Click';
/** The same field in a multipart/form-data body (RFC 8058 allows either encoding). */
const ONE_CLICK_PART = /name="List-Unsubscribe"[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\nOne-Click\r?\n/;

/** Whether a POST body holds `List-Unsubscribe=One-Click`, form-encoded or multipart. */
export function isOneClick(body: string): boolean {
  return body.split('&').some((pair) => pair.trim() === ONE_CLICK) || ONE_CLICK_PART.test(body);
}

/** A nonce per answer: the page's one style and one script run, nothing injected would. */
function secured(res: Response): string {
  const nonce = randomBytes(16).toString('base64');
  res.set({
    'content-security-policy': `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src https: http: data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'`,
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'x-robots-tag': 'noindex',
  });
  return nonce;
}

function html(res: Response, status: number, render: (nonce: string) => string): void {
  const nonce = secured(res);
  res.status(status).type('html').send(render(nonce));
}

const clientOf = (req: Request) => req.ip ?? req.socket.remoteAddress ?? null;
const tokenOf = (req: Request) => req.params.token as string;

/**
 * roster's public consent pages as an Express router (server-rendered HTML that works without
 * JavaScript; core does the work): `GET|POST /confirm/:token` (double opt-in: the GET only shows a
 * button, link scanners prefetch), `GET|POST /unsubscribe/:token` (RFC 8058 one-click: the POST
 * with `List-Unsubscribe=One-Click`, no cookie, no key, never rate limited) and
 * `GET|POST /preferences/:token`. Mount it where `createRoster({ publicUrl })` points:
 * `app.use(createConsentPages(roster))` for `publicUrl: 'https://lists.example.com'`.
 */
export function createConsentPages(roster: Roster, options: ConsentPagesOptions = {}): Router {
  const router = express.Router();
  const onError = options.onError ?? logUnexpected;
  const forms = express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 2200 });
  // A one-click POST is form-encoded or multipart (RFC 8058): read it as text, whatever its type.
  const oneClickBody = express.text({ type: () => true, limit: '16kb' });
  const preferencesHref = (req: Request, token: string) => `${req.baseUrl}/preferences/${token}`;

  router.get('/confirm/:token', async (req, res) => {
    const brand = await roster.consent.branding(tokenOf(req));
    if (brand.link.purpose !== 'confirm') throw RosterError.notFound('link', 'This link is not valid');
    html(res, 200, (nonce) => confirmPage(brand, nonce));
  });

  router.post('/confirm/:token', async (req, res) => {
    const result = await roster.consent.confirm(tokenOf(req), { clientAddress: clientOf(req) });
    if (result.redirectUrl) {
      secured(res);
      res.redirect(303, result.redirectUrl);
      return;
    }
    const brand = await roster.consent.branding(tokenOf(req));
    html(res, 200, (nonce) => confirmedPage(brand, nonce));
  });

  router.get('/unsubscribe/:token', async (req, res) => {
    const brand = await roster.consent.branding(tokenOf(req));
    if (brand.link.purpose !== 'unsubscribe') throw RosterError.notFound('link', 'This link is not valid');
    html(res, 200, (nonce) => unsubscribePage(brand, preferencesHref(req, tokenOf(req)), nonce));
  });

  router.post('/unsubscribe/:token', oneClickBody, async (req, res) => {
    const body = typeof req.body === 'string' ? req.body : '';
    if (!isOneClick(body)) {
      throw RosterError.validation([
        { field: 'List-Unsubscribe', message: `must be "One-Click" (a body of ${ONE_CLICK})` },
      ]);
    }
    await roster.consent.unsubscribe(tokenOf(req), { clientAddress: clientOf(req) });
    const brand = await roster.consent.branding(tokenOf(req));
    html(res, 200, (nonce) => unsubscribedPage(brand, preferencesHref(req, tokenOf(req)), nonce));
  });

  router.get('/preferences/:token', async (req, res) => {
    const view = await roster.consent.preferences(tokenOf(req));
    const saved = req.query.saved === '1';
    const status = saved
      ? view.subscribed
        ? 'Your preferences are saved.'
        : 'You are unsubscribed from everything.'
      : '';
    html(res, 200, (nonce) => preferencesPage(view, preferencesHref(req, view.token), status, nonce));
  });

  router.post('/preferences/:token', forms, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const list = (value: unknown): string[] =>
      value === undefined
        ? []
        : (Array.isArray(value) ? value : [value]).filter((v) => typeof v === 'string');
    // The token is in the URL and in the form: a form another site posts cannot know it.
    if (body.token !== tokenOf(req)) {
      throw RosterError.validation([{ field: 'token', message: 'must be the token of this page' }]);
    }
    const checked = new Set(list(body.topic));
    const everything = body.action === 'unsubscribe_all';
    const view = await roster.consent.savePreferences(
      tokenOf(req),
      {
        subscribed: everything ? false : body.subscribed === '1',
        topics: everything ? [] : list(body.shown).map((id) => ({ id, subscribed: checked.has(id) })),
      },
      { clientAddress: clientOf(req) },
    );
    if (req.accepts(['html', 'json']) === 'json') {
      secured(res);
      res.json({ saved: true, preferences: view });
      return;
    }
    secured(res);
    res.redirect(303, `${preferencesHref(req, tokenOf(req))}?saved=1`);
  });

  const handleError: ErrorRequestHandler = (error, req, res, _next) => {
    let status = 500;
    let title = 'Something went wrong';
    let message = 'This page could not be shown: try again later.';
    if (isRosterError(error) && error.code === 'not_found') {
      status = 404;
      title = 'Link not valid';
      message =
        (error.details as { resource?: string }).resource === 'link'
          ? error.message
          : 'This link is no longer valid';
    } else if (
      isRosterError(error) &&
      (error.code === 'validation_failed' || error.code === 'payload_too_large')
    ) {
      status = error.code === 'payload_too_large' ? 413 : 400;
      title = 'This form is not valid';
      message = error.message;
    } else if ((error as { type?: string })?.type === 'entity.too.large') {
      status = 413;
      title = 'This form is not valid';
      message = 'The form is too large';
    } else {
      onError(error);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (req.accepts(['html', 'json']) === 'json') {
      secured(res);
      res.status(status).json({ error: title, message });
      return;
    }
    html(res, status, (nonce) => messagePage(title, message, null, nonce));
  };
  router.use(CONSENT_PAGE_PATHS, ((_req, _res, next) => {
    next(RosterError.notFound('link', 'This link is not valid'));
  }) as RequestHandler);
  router.use(handleError);
  return router;
}
