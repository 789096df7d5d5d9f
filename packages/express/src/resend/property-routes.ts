import { type Roster, RosterError } from '@roster/core';
import type { Router } from 'express';
import { projectIdOf } from '../auth.js';
import { requireObject } from '../router-kit.js';
import { resendList, toResendProperty } from './resend-format.js';
import { pageOf } from './segment-routes.js';

/** Resend's contact properties (`/contact-properties`): declared `data` keys with a type. */
export function registerResendPropertyRoutes(router: Router, roster: Roster): void {
  router.post('/contact-properties', async (req, res) => {
    const body = requireObject(req.body);
    const property = await roster.properties.create(projectIdOf(res), {
      key: body.key as string,
      type: body.type as 'string',
      ...(body.fallback_value !== undefined ? { fallbackValue: body.fallback_value as string } : {}),
    });
    res.status(201).json({ object: 'contact_property', id: property.id });
  });
  router.get('/contact-properties', async (req, res) => {
    const page = pageOf(await roster.properties.list(projectIdOf(res)), req.query as Record<string, unknown>);
    res.json(resendList(page.data.map(toResendProperty), page.hasMore));
  });
  router.get('/contact-properties/:id', async (req, res) => {
    res.json(toResendProperty(await roster.properties.get(projectIdOf(res), req.params.id as string)));
  });
  // Resend changes only `fallback_value`; a key or type change is refused (core names the field).
  router.patch('/contact-properties/:id', async (req, res) => {
    const body = requireObject(req.body);
    for (const field of ['key', 'type'] as const) {
      if (body[field] !== undefined) {
        throw RosterError.validation([{ field, message: 'cannot be changed once the property is created' }]);
      }
    }
    const property = await roster.properties.update(projectIdOf(res), req.params.id as string, {
      fallbackValue: body.fallback_value as string | null | undefined,
    });
    res.json({ object: 'contact_property', id: property.id });
  });
  router.delete('/contact-properties/:id', async (req, res) => {
    const property = await roster.properties.delete(projectIdOf(res), req.params.id as string);
    res.json({ object: 'contact_property', id: property.id, deleted: true });
  });
}
