import type { Roster } from '@roster/core';
import type { Router } from 'express';
import { projectIdOf } from '../auth.js';
import { requireObject } from '../router-kit.js';
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

  router.get('/audiences/:id', async (req, res) => {
    res.json(toUnosendAudience(await roster.audiences.get(projectIdOf(res), req.params.id)));
  });

  router.patch('/audiences/:id', async (req, res) => {
    const body = requireObject(req.body);
    const audience = await roster.audiences.update(projectIdOf(res), req.params.id, {
      name: body.name as string | undefined,
      description: body.description as string | null | undefined,
    });
    res.json(toUnosendUpdatedAudience(audience));
  });

  router.delete('/audiences/:id', async (req, res) => {
    await roster.audiences.delete(projectIdOf(res), req.params.id);
    res.json({ id: req.params.id, deleted: true });
  });
}
