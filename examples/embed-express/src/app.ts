import { isRosterError, type Roster } from '@roster/core';
import { createPlunkRouter } from '@roster/express';
import express, { type Express } from 'express';
import { createSessions, type Session, type User } from './sessions.js';

/**
 * An existing Express app (its own routes, its own session auth) that embeds roster:
 *
 * - roster's Plunk-compatible API is mounted with `app.use('/api', createPlunkRouter(...))`. The router
 *   serves `/contacts...` below its mount point, so the app's contacts API lives at `/api/contacts`.
 * - Requests are authorised by the app's own session (`resolveProject`), not by roster API keys:
 *   each team of the app is a roster project.
 * - One of the app's own handlers (`POST /signup`) calls the roster core directly.
 */
export async function createApp(roster: Roster, users: User[]): Promise<Express> {
  const app = express();
  const sessions = createSessions(users);

  // Each team is one roster project (created on first use, idempotent).
  const projectIds = new Map<string, string>();
  for (const team of new Set(users.map((u) => u.team))) {
    projectIds.set(team, (await roster.projects.ensure(team)).id);
  }
  const projectOf = (session: Session | undefined) => (session ? projectIds.get(session.team) : undefined);

  // ---- the app's own routes -----------------------------------------------------------------------
  app.post('/login', express.json(), sessions.login);
  app.get('/me', sessions.requireUser, (_req, res) => {
    res.json(res.locals.session);
  });

  // A public newsletter form of a team: the app's own handler uses the core directly.
  app.post('/signup/:team', express.json(), async (req, res) => {
    const projectId = projectIds.get(req.params.team);
    if (!projectId) {
      res.status(404).json({ error: 'no such team' });
      return;
    }
    const { email } = (req.body ?? {}) as { email?: unknown };
    const { contact, created } = await roster.contacts.upsert(projectId, {
      email: email as string,
      data: { source: 'signup-form' },
    });
    res.status(created ? 201 : 200).json({ email: contact.email, welcome: created });
  });

  // Team stats for the app's dashboard, also straight from the core.
  app.get('/dashboard', sessions.requireUser, async (_req, res) => {
    const projectId = projectOf(res.locals.session)!;
    res.json({ contacts: await roster.contacts.count(projectId) });
  });

  // ---- roster's Plunk API at /api/contacts, authorised by the app's session ------------------------
  app.use(
    '/api',
    createPlunkRouter(roster, {
      // Return the project for this request, or null for 401. No API keys involved.
      resolveProject: (req) => projectOf(sessions.sessionOf(req)) ?? null,
    }),
  );

  // The app's own error handler (a validation error from the core in /signup lands here).
  app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    if (isRosterError(error) && error.code === 'validation_failed') {
      res.status(400).json({ error: error.message });
      return;
    }
    console.error(error);
    res.status(500).json({ error: 'something went wrong' });
  });
  return app;
}
