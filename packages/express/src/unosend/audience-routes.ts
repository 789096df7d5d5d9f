import type { Roster } from '@roster/core';
import type { Router } from 'express';
import { projectIdOf } from '../auth.js';
import { registerItemRoutes, requireObject } from '../router-kit.js';
import { toUnosendAudience, toUnosendNewAudience, toUnosendUpdatedAudience } from './unosend-format.js';

/** `/audiences`: create, list, get, update, delete. */
export function registerUnosendAudienceRoutes(router: Router, roster: Roster): void {
  router.post('/audiences', async (req, res) => {
    const body = requireObject(req.body);
    const audience = await roster.audiences.create(projectIdOf(res), {
      name: body.name as string,
      description: body.description as string | null | undefined,
    });
    res.status(201).json(toUnosendNewAudience(audience));
  });

  router.get('/audiences', async (_req, res) => {
    const audiences = await roster.audiences.list(projectIdOf(res));
    res.json({ data: audiences.map(toUnosendAudience) });
  });

  registerItemRoutes(router, '/audiences', roster.audiences, {
    wire: toUnosendAudience,
    updated: toUnosendUpdatedAudience,
    patch: (body) => ({
      name: body.name as string | undefined,
      description: body.description as string | null | undefined,
    }),
    deleted: (res, id) => res.json({ id, deleted: true }),
  });
}
