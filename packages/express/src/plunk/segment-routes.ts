import type { Roster, Segment } from '@roster/core';
import type { RequestHandler, Router } from 'express';
import { projectIdOf, type ResolveProject } from '../auth.js';
import { firstQueryValue, requireObject, secretKeyRoutes } from '../router-kit.js';
import { sendFlatError, toPlunkContact } from './plunk-format.js';

/** Plunk's Segment object. */
export function toPlunkSegment(segment: Segment) {
  return {
    id: segment.id,
    name: segment.name,
    description: segment.description,
    type: segment.type,
    condition: segment.condition ?? null,
    trackMembership: segment.trackMembership,
    memberCount: segment.memberCount,
    projectId: segment.projectId,
    createdAt: segment.createdAt,
    updatedAt: segment.updatedAt,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function positiveInt(value: string | undefined, fallback: number): number {
  const n = value !== undefined && /^\s*\d+\s*$/.test(value) ? Number.parseInt(value, 10) : Number.NaN;
  return Number.isFinite(n) && n >= 1 ? n : fallback;
}

export interface SegmentRoutesOptions {
  resolveProject?: ResolveProject;
  jsonLimit?: number | string;
}

/** Plunk's `/segments` routes (spec and code-only ones), with secret keys only. */
export function registerPlunkSegmentRoutes(
  router: Router,
  roster: Roster,
  options: SegmentRoutesOptions,
): void {
  router.use('/segments', secretKeyRoutes(roster, options.resolveProject, options.jsonLimit ?? '1mb'));

  router.get('/segments', async (_req, res) => {
    res.json((await roster.segments.list(projectIdOf(res))).map(toPlunkSegment));
  });

  router.post('/segments', async (req, res) => {
    const body = requireObject(req.body);
    if (!body.name) return sendFlatError(res, 400, 'Name is required');
    const type = body.type ?? 'DYNAMIC';
    if (type === 'DYNAMIC' && !isObject(body.condition)) {
      return sendFlatError(res, 400, 'Condition is required and must be an object for DYNAMIC segments');
    }
    const projectId = projectIdOf(res);
    const segment = await roster.segments.create(projectId, {
      name: body.name as string,
      description: body.description as string | undefined,
      type: type as 'DYNAMIC',
      condition: type === 'DYNAMIC' ? body.condition : undefined,
      trackMembership: body.trackMembership as boolean | undefined,
    });
    const project = await roster.projects.get(projectId);
    res.status(201).json({ ...toPlunkSegment(segment), project: { name: project.name } });
  });

  router.get('/segments/:id', async (req, res) => {
    res.json(toPlunkSegment(await roster.segments.get(projectIdOf(res), req.params.id)));
  });

  router.patch('/segments/:id', async (req, res) => {
    const body = requireObject(req.body);
    if (body.condition !== undefined && !isObject(body.condition)) {
      return sendFlatError(res, 400, 'Condition must be an object');
    }
    const segment = await roster.segments.update(projectIdOf(res), req.params.id, {
      name: body.name as string | undefined,
      description: body.description as string | undefined,
      condition: body.condition,
      trackMembership: body.trackMembership as boolean | undefined,
    });
    res.json(toPlunkSegment(segment));
  });

  router.delete('/segments/:id', async (req, res) => {
    await roster.segments.delete(projectIdOf(res), req.params.id);
    res.status(204).end();
  });

  router.get('/segments/:id/contacts', async (req, res) => {
    const page = await roster.segments.contacts(projectIdOf(res), req.params.id, {
      page: positiveInt(firstQueryValue(req.query.page), 1),
      pageSize: Math.min(100, positiveInt(firstQueryValue(req.query.pageSize), 20)),
    });
    res.json({ ...page, data: page.data.map(toPlunkContact) });
  });

  /** The members routes: a non-empty `emails` array (else Plunk's flat 400), answered with the change's result. */
  const membersRoute =
    (
      change: (projectId: string, segmentId: string, body: Record<string, unknown>) => Promise<unknown>,
    ): RequestHandler<{ id: string }> =>
    async (req, res) => {
      const body = requireObject(req.body);
      if (!Array.isArray(body.emails) || body.emails.length === 0) {
        return sendFlatError(res, 400, 'emails must be a non-empty array');
      }
      res.json(await change(projectIdOf(res), req.params.id, body));
    };

  router.post(
    '/segments/:id/members',
    membersRoute((projectId, id, body) =>
      roster.segments.addMembers(projectId, id, {
        emails: body.emails as string[],
        createMissing: body.createMissing as boolean | undefined,
        subscribed: body.subscribed as boolean | undefined,
      }),
    ),
  );

  router.delete(
    '/segments/:id/members',
    membersRoute((projectId, id, body) =>
      roster.segments.removeMembers(projectId, id, { emails: body.emails as string[] }),
    ),
  );

  router.post('/segments/:id/compute', async (req, res) => {
    res.json(await roster.segments.compute(projectIdOf(res), req.params.id));
  });

  router.post('/segments/:id/refresh', async (req, res) => {
    res.json(await roster.segments.refresh(projectIdOf(res), req.params.id));
  });
}
