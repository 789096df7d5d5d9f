import { type Roster, RosterError } from '@roster/core';
import type { Router } from 'express';
import { toResendProperty } from './resend-format.js';
import { registerResendResource } from './resend-params.js';

/** Resend's contact properties (`/contact-properties`): declared `data` keys with a type. */
export function registerResendPropertyRoutes(router: Router, roster: Roster): void {
  registerResendResource(router, '/contact-properties', 'contact_property', roster.properties, {
    create: (body) => ({
      key: body.key as string,
      type: body.type as 'string',
      ...(body.fallback_value !== undefined ? { fallbackValue: body.fallback_value as string } : {}),
    }),
    wire: toResendProperty,
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
