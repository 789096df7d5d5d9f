import { RosterError } from '@roster/core';
import { firstQueryValue } from '../router-kit.js';

/**
 * Unosend accepts `unsubscribed` as the inverse of `subscribed`. Both may be given only if they agree.
 * Type errors of `subscribed` itself are left to core, which names the field.
 */
export function subscribedOf(body: Record<string, unknown>): boolean | undefined {
  const { subscribed, unsubscribed } = body;
  if (unsubscribed === undefined) return subscribed as boolean | undefined;
  if (typeof unsubscribed !== 'boolean') {
    throw RosterError.validation([{ field: 'unsubscribed', message: 'must be a boolean' }]);
  }
  if (subscribed === undefined) return !unsubscribed;
  if (subscribed === unsubscribed) {
    throw RosterError.validation([
      { field: 'unsubscribed', message: 'contradicts subscribed: give one of them, or opposite values' },
    ]);
  }
  return subscribed as boolean;
}

/**
 * A contact body's fields in core's names (`first_name` → `firstName`, `metadata` → `data`, ...),
 * as `POST` and `PATCH /contacts` take them beside `email`.
 */
export function contactFieldsOf(body: Record<string, unknown>) {
  return {
    firstName: body.first_name as string | null | undefined,
    lastName: body.last_name as string | null | undefined,
    audienceId: body.audience_id as string | null | undefined,
    subscribed: subscribedOf(body),
    data: body.metadata as Record<string, unknown> | null | undefined,
  };
}

/** A query parameter's first value; empty counts as absent. */
export function stringParam(value: unknown): string | undefined {
  return firstQueryValue(value) || undefined;
}

/** An integer query parameter; absent or empty is undefined, anything but an integer is a 400. */
export function integerParam(name: string, value: unknown): number | undefined {
  const text = stringParam(value)?.trim();
  if (text === undefined || text === '') return undefined;
  if (!/^-?\d{1,15}$/.test(text))
    throw RosterError.validation([{ field: name, message: 'must be an integer' }]);
  return Number.parseInt(text, 10);
}
