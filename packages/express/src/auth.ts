import type { Roster } from '@roster/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { unauthorized } from './errors.js';
import { setActor } from './request-context.js';

/**
 * Resolves the project a request acts on. Return the project id, or null to answer 401.
 * Host apps pass their own to use their session auth instead of roster's API keys.
 */
export type ResolveProject = (req: Request) => string | null | undefined | Promise<string | null | undefined>;

export interface AuthOptions {
  /** Replaces Bearer-key auth entirely. */
  resolveProject?: ResolveProject;
  /** Reject keys with these prefixes (e.g. Plunk's public `pk_` keys on secret endpoints). */
  rejectPrefixes?: { prefix: string; message: string }[];
}

// Route handlers read the project id from here (`projectIdOf`), as the auth middleware left it.
export { projectIdOf } from './request-context.js';

/**
 * `Authorization: Bearer <key>` → the key's project, via the hashed keys in the database. A key
 * resolved within the last second answers synchronously (see `roster.keys.resolveCached`).
 */
export function bearerKeyResolver(roster: Roster, options: AuthOptions = {}): ResolveProject {
  return (req) => {
    const header = req.headers.authorization;
    if (!header)
      throw unauthorized('Missing Authorization header: use "Authorization: Bearer <key>"', 'missing');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match)
      throw unauthorized('Authorization header must use the Bearer scheme: "Bearer <key>"', 'scheme');
    const key = match[1]!;
    for (const rule of options.rejectPrefixes ?? []) {
      if (key.startsWith(rule.prefix)) throw unauthorized(rule.message, 'key_type');
    }
    const cached = roster.keys.resolveCached(key);
    if (cached) {
      setActor(req, `key:${cached.keyId}`);
      return cached.projectId;
    }
    return roster.keys.resolve(key).then((resolved) => {
      if (!resolved) throw unauthorized('Invalid API key', 'invalid_key');
      setActor(req, `key:${resolved.keyId}`);
      return resolved.projectId;
    });
  };
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

export function authenticate(roster: Roster, options: AuthOptions = {}): RequestHandler {
  const resolve = options.resolveProject ?? bearerKeyResolver(roster, options);
  const admit = (projectId: string | null | undefined, res: Response, next: NextFunction) => {
    if (!projectId) throw unauthorized('Unauthorized', 'rejected');
    (res.locals as { rosterProjectId?: string }).rosterProjectId = projectId;
    next();
  };
  // Synchronous when the resolver answers synchronously (a cached key): no promise per request.
  return (req: Request, res: Response, next: NextFunction) => {
    const projectId = resolve(req);
    if (isThenable(projectId)) return Promise.resolve(projectId).then((id) => admit(id, res, next));
    admit(projectId, res, next);
  };
}
