import type { Roster } from '@roster/core';
import type { Request, Response } from 'express';
import { projectIdOf } from './auth.js';
import { logUnexpected } from './errors.js';

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

/**
 * Appends an administrative action of the request's project to the audit log, once the action is
 * done. A failure to record is reported to `onError` (the action itself stands; the client gets its
 * answer).
 */
export async function recordAudit(
  roster: Roster,
  req: Request,
  res: Response,
  entry: { action: string; target?: string | null; detail?: Record<string, unknown> | null },
  onError: (error: unknown) => void = logUnexpected,
): Promise<void> {
  try {
    await roster.audit.record(projectIdOf(res), { actor: actorOf(req), ...entry });
  } catch (error) {
    onError(error);
  }
}
