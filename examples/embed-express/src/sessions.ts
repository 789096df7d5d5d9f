import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/**
 * The host app's own session auth, standing in for whatever an app already has (passport,
 * express-session, a JWT...): a cookie `sid` that maps to a signed-in user of a team.
 */
export interface User {
  name: string;
  team: string;
  password: string;
}

export interface Session {
  user: string;
  team: string;
}

export function createSessions(users: User[]) {
  const sessions = new Map<string, Session>();

  function sessionOf(req: Request): Session | undefined {
    const cookie = req.headers.cookie ?? '';
    const sid = /(?:^|;\s*)sid=([0-9a-f]+)/.exec(cookie)?.[1];
    return sid ? sessions.get(sid) : undefined;
  }

  return {
    sessionOf,

    login(req: Request, res: Response): void {
      const { name, password } = (req.body ?? {}) as { name?: string; password?: string };
      const user = users.find((u) => u.name === name && u.password === password);
      if (!user) {
        res.status(401).json({ error: 'wrong name or password' });
        return;
      }
      const sid = randomBytes(16).toString('hex');
      sessions.set(sid, { user: user.name, team: user.team });
      res.setHeader('set-cookie', `sid=${sid}; HttpOnly; SameSite=Lax; Path=/`);
      res.json({ user: user.name, team: user.team });
    },

    /** The app's guard for its own routes. */
    requireUser(req: Request, res: Response, next: NextFunction): void {
      const session = sessionOf(req);
      if (!session) {
        res.status(401).json({ error: 'sign in first' });
        return;
      }
      res.locals.session = session;
      next();
    },
  };
}
