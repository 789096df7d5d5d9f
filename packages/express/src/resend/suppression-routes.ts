import { type Roster, RosterError, type Suppression } from '@roster/core';
import type { Router } from 'express';
import { recordAudit } from '../audit.js';
import { projectIdOf } from '../auth.js';
import { firstQueryValue, requireObject } from '../router-kit.js';
import { resendList, toResendTime } from './resend-format.js';
import { cursorParams, limitParam } from './resend-params.js';

/** A suppression as Resend shows it (`origin` may also be roster's `erasure`, whose `email` is null). */
export function toResendSuppression(suppression: Suppression) {
  return {
    object: 'suppression' as const,
    id: suppression.id,
    email: suppression.email,
    origin: suppression.origin,
    source_id: null,
    created_at: toResendTime(suppression.createdAt),
  };
}

/** The audit entry of an added suppression (as the management API writes it). */
const added = (suppression: Suppression) => ({
  action: 'suppression.added',
  target: suppression.id,
  detail: { origin: suppression.origin },
});

/**
 * Resend's suppression routes as its SDK (6.22) calls them: `POST /suppressions`, `GET
 * /suppressions` (`limit`, `after`, `before`, `origin`), `GET` and `DELETE /suppressions/{id_or_email}`,
 * `POST /suppressions/batch/add` and `/suppressions/batch/remove` (`emails` or `ids`).
 */
export function registerResendSuppressionRoutes(router: Router, roster: Roster): void {
  router.post('/suppressions', async (req, res) => {
    const body = requireObject(req.body);
    const { suppression, created } = await roster.suppressions.add(projectIdOf(res), {
      email: body.email as string,
    });
    // As the management API: the entry's id, never the address (an erasure must not leave it here).
    if (created) await recordAudit(roster, req, res, added(suppression));
    res.status(201).json({ object: 'suppression', id: suppression.id });
  });
  router.get('/suppressions', async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const page = await roster.suppressions.list(projectIdOf(res), {
      limit: limitParam(query.limit),
      ...cursorParams(query),
      origin: firstQueryValue(query.origin) as never,
    });
    res.json(resendList(page.data.map(toResendSuppression), page.hasMore));
  });
  router.post('/suppressions/batch/add', async (req, res) => {
    const body = requireObject(req.body);
    const results = await roster.suppressions.addMany(projectIdOf(res), { emails: body.emails as string[] });
    for (const result of results) {
      if (result.created) await recordAudit(roster, req, res, added(result.suppression));
    }
    res.status(201).json({ data: results.map((r) => ({ object: 'suppression', id: r.suppression.id })) });
  });
  router.post('/suppressions/batch/remove', async (req, res) => {
    const body = requireObject(req.body);
    const refs = body.emails ?? body.ids;
    if (!Array.isArray(refs) || refs.length === 0 || refs.some((ref) => typeof ref !== 'string')) {
      const field = body.emails === undefined && body.ids !== undefined ? 'ids' : 'emails';
      throw RosterError.validation([{ field, message: 'must be a non-empty array of strings' }]);
    }
    if (refs.length > 1000) {
      throw RosterError.validation([
        { field: body.emails ? 'emails' : 'ids', message: 'must have at most 1000 entries' },
      ]);
    }
    const projectId = projectIdOf(res);
    const data = [];
    for (const ref of refs as string[]) {
      try {
        const removed = await roster.suppressions.remove(projectId, ref);
        await recordAudit(roster, req, res, { action: 'suppression.removed', target: removed.id });
        data.push({ object: 'suppression', id: removed.id, deleted: true });
      } catch (error) {
        if (!(error instanceof RosterError && error.code === 'not_found')) throw error;
        data.push({ object: 'suppression', id: ref, deleted: false });
      }
    }
    res.json({ data });
  });
  router.get('/suppressions/:id', async (req, res) => {
    res.json(toResendSuppression(await roster.suppressions.get(projectIdOf(res), req.params.id as string)));
  });
  router.delete('/suppressions/:id', async (req, res) => {
    const removed = await roster.suppressions.remove(projectIdOf(res), req.params.id as string);
    await recordAudit(roster, req, res, { action: 'suppression.removed', target: removed.id });
    res.json({ object: 'suppression', id: removed.id, deleted: true });
  });
}
