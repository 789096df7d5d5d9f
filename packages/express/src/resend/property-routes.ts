import { type Roster, RosterError } from '@roster/core';
import type { Router } from 'express';
import { projectIdOf } from '../auth.js';
import { registerItemRoutes, requireObject } from '../router-kit.js';
import { toResendProperty } from './resend-format.js';
import { sendPage } from './resend-params.js';

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
    sendPage(req, res, await roster.properties.list(projectIdOf(res)), toResendProperty);
  });
  registerItemRoutes(router, '/contact-properties', roster.properties, {
    wire: toResendProperty,
    updated: (property) => ({ object: 'contact_property', id: property.id }),
    // Resend changes only `fallback_value`; a key or type change is refused (core names the field).
    patch: (body) => {
      for (const field of ['key', 'type'] as const) {
        if (body[field] !== undefined) {
          throw RosterError.validation([
            { field, message: 'cannot be changed once the property is created' },
          ]);
        }
      }
      return { fallbackValue: body.fallback_value as string | null | undefined };
    },
    // The path may name the property by key: the answer names its id.
    deleted: (res, _idOrKey, property) =>
      res.json({ object: 'contact_property', id: property.id, deleted: true }),
  });
}
