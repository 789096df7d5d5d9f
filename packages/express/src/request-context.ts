import type { Request, Response } from 'express';

// What the authentication that admitted a request leaves for the handlers after it: the project it
// acts on (in `res.locals`) and who acts (the audit log's actor). Both auth.ts and audit.ts read it.

/** Where the auth middleware leaves the project id for the route handlers. */
export function projectIdOf(res: Response): string {
  const projectId = (res.locals as { rosterProjectId?: string }).rosterProjectId;
  if (!projectId) throw new Error('roster: route reached without authentication');
  return projectId;
}

const actors = new WeakMap<Request, string>();

/** Says who is acting on `req` (set by the authentication that admitted it). */
export function setActor(req: Request, actor: string): void {
  actors.set(req, actor);
}

/**
 * Who acts on `req`, for the audit log: `key:<key id>` (a Bearer key), `dashboard:<key id>` (a
 * dashboard session), or `host` (the host application's own `resolveProject`).
 */
export function actorOf(req: Request): string {
  return actors.get(req) ?? 'host';
}
