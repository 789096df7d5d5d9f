import { isUuid, type Roster } from '@roster/core';
import express, { type Request, type Response, type Router } from 'express';
import { logUnexpected } from '../errors.js';

export interface InboundRouterOptions {
  /**
   * Largest webhook body read, in bytes (a bounce event is a few KiB).
   * @default 256 KiB
   */
  limit?: number;
  /**
   * Called with every unexpected error (the caller gets a generic 500).
   * @default logs to stderr
   */
  onError?: (error: unknown) => void;
}

/**
 * Email providers' bounce and complaint webhooks, which feed the suppression list: mount at
 * `/inbound`. `POST /resend/:projectId` (Resend's `email.bounced` / `email.complained`, signed with
 * the Resend endpoint's signing secret) and `POST /postmark/:projectId` (Postmark's Bounce and
 * SpamComplaint webhooks, with HTTP basic auth). The credentials are the project's (set with
 * `roster.suppressions.configureInbound`); core verifies them against the raw body and decides.
 * Answers `{ "suppressed": [...] }` (200), 401 when not authenticated, 400 for a body that is not
 * an event, 404 for a project id that is not a UUID.
 */
export function createInboundRouter(roster: Roster, options: InboundRouterOptions = {}): Router {
  const router = express.Router();
  const onError = options.onError ?? logUnexpected;
  const raw = express.text({ type: () => true, limit: options.limit ?? 256 * 1024 });

  const handle =
    (
      provider: 'resend' | 'postmark',
      call: (
        projectId: string,
        req: Request,
        body: string,
      ) => ReturnType<Roster['suppressions']['inbound']['resend']>,
    ) =>
    async (req: Request, res: Response) => {
      const projectId = String(req.params.projectId);
      if (!isUuid(projectId)) {
        res.status(404).json({ error: 'Not found' });
        return;
      }
      try {
        const result = await call(projectId.toLowerCase(), req, typeof req.body === 'string' ? req.body : '');
        if (result.status === 'unauthorized') res.status(401).json({ error: result.reason });
        else if (result.status === 'invalid') res.status(400).json({ error: result.reason });
        else {
          // Audited as the management API audits an added suppression, the provider acting: the
          // entry's id, never the address. A failure to record leaves the suppression standing.
          for (const { id, origin } of result.added) {
            await roster.audit
              .record(projectId.toLowerCase(), {
                actor: provider,
                action: 'suppression.added',
                target: id,
                detail: { origin },
              })
              .catch(onError);
          }
          res.json({ suppressed: result.suppressed, ...(result.ignored ? { ignored: result.ignored } : {}) });
        }
      } catch (error) {
        onError(error);
        res.status(500).json({ error: 'Internal server error' });
      }
    };

  router.post(
    '/resend/:projectId',
    raw,
    handle('resend', (projectId, req, body) =>
      roster.suppressions.inbound.resend(projectId, req.headers, body),
    ),
  );
  router.post(
    '/postmark/:projectId',
    raw,
    handle('postmark', (projectId, req, body) =>
      roster.suppressions.inbound.postmark(projectId, req.headers.authorization, body),
    ),
  );
  router.use((error: unknown, _req: Request, res: Response, next: (e?: unknown) => void) => {
    if (res.headersSent) return next(error);
    const status = (error as { status?: number }).status;
    if (status === 413) res.status(413).json({ error: 'The body is larger than the limit' });
    else if (typeof status === 'number' && status >= 400 && status < 500)
      res.status(status).json({ error: 'Bad request' });
    else {
      onError(error);
      res.status(500).json({ error: 'Internal server error' });
    }
  });
  return router;
}
