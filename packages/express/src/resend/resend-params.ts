import {
  type Contact,
  isRosterError,
  isUuid,
  isValidEmail,
  normaliseEmail,
  type Roster,
  RosterError,
  type Segment,
} from '@roster/core';
import type { Request, Response, Router } from 'express';
import { projectIdOf } from '../auth.js';
import {
  firstQueryValue,
  type ItemService,
  type ItemWire,
  registerItemRoutes,
  requireObject,
} from '../router-kit.js';
import { resendList } from './resend-format.js';

/** Resend's page size rules: default 20, 1 to 100. */
export const RESEND_DEFAULT_LIMIT = 20;
export const RESEND_MAX_LIMIT = 100;

/** `?limit=`: an integer from 1 to 100, default 20. */
export function limitParam(value: unknown): number {
  const text = firstQueryValue(value);
  if (text === undefined) return RESEND_DEFAULT_LIMIT;
  const limit = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > RESEND_MAX_LIMIT) {
    throw RosterError.validation([
      { field: 'limit', message: `must be an integer from 1 to ${RESEND_MAX_LIMIT}` },
    ]);
  }
  return limit;
}

/** `?after=` / `?before=` cursors (a contact id); both at once are refused. */
export function cursorParams(query: Record<string, unknown>): { after?: string; before?: string } {
  const after = firstQueryValue(query.after);
  const before = firstQueryValue(query.before);
  if (after !== undefined && before !== undefined) {
    throw RosterError.validation([{ field: 'before', message: 'cannot be combined with after' }]);
  }
  return { after, before };
}

/** A page of a newest-first list by `limit` / `after` / `before` (ids), for lists core answers whole. */
function pageOf<T extends { id: string }>(
  items: T[],
  query: Record<string, unknown>,
): { data: T[]; hasMore: boolean } {
  const limit = limitParam(query.limit);
  const after = typeof query.after === 'string' ? query.after : undefined;
  const before = typeof query.before === 'string' ? query.before : undefined;
  if (after !== undefined && before !== undefined) {
    throw RosterError.validation([{ field: 'before', message: 'cannot be combined with after' }]);
  }
  const cursor = after ?? before;
  if (cursor !== undefined) {
    const at = items.findIndex((item) => item.id === cursor.toLowerCase());
    if (at < 0)
      throw RosterError.invalidCursor(after !== undefined ? 'after' : 'before', 'an id of this list');
    if (before !== undefined) {
      const start = Math.max(0, at - limit);
      return { data: items.slice(start, at), hasMore: start > 0 };
    }
    items = items.slice(at + 1);
  }
  return { data: items.slice(0, limit), hasMore: items.length > limit };
}

/** Answers one page (`pageOf` the request's query) of a list core answers whole, in Resend's list envelope. */
export function sendPage<T extends { id: string }>(
  req: Request,
  res: Response,
  items: T[],
  toWire: (item: T) => unknown,
): void {
  const page = pageOf(items, req.query as Record<string, unknown>);
  res.json(resendList(page.data.map(toWire), page.hasMore));
}

/**
 * One of roster's resources under Resend's routes (topics, contact properties): `POST` answering 201
 * `{ object, id }`, the list as one page, then `GET`, `PATCH` (answering `{ object, id }`) and `DELETE`
 * of one item (`registerItemRoutes`).
 */
export function registerResendResource<Item extends { id: string }, Input, Patch, Removed>(
  router: Router,
  collection: string,
  object: string,
  service: ItemService<Item, Item, Patch, Removed> & {
    create(projectId: string, input: Input): Promise<Item>;
    list(projectId: string): Promise<Item[]>;
  },
  render: Pick<ItemWire<Item, Item, Patch, Removed>, 'patch' | 'deleted'> & {
    create: (body: Record<string, unknown>) => Input;
    wire: (item: Item) => unknown;
  },
): void {
  router.post(collection, async (req, res) => {
    const item = await service.create(projectIdOf(res), render.create(requireObject(req.body)));
    res.status(201).json({ object, id: item.id });
  });
  router.get(collection, async (req, res) => {
    sendPage(req, res, await service.list(projectIdOf(res)), render.wire);
  });
  registerItemRoutes(router, collection, service, {
    ...render,
    updated: (item) => ({ object, id: item.id }),
  });
}

/** True when a path's `{id_or_email}` names a contact by email. */
export function isEmailRef(idOrEmail: string): boolean {
  return idOrEmail.includes('@');
}

/**
 * The contact a path's `{id_or_email}` names, or `not_found`. A value that is neither a UUID nor a
 * valid email names no contact (and never reaches the database: PostgreSQL refuses NUL in text).
 */
export async function contactOf(roster: Roster, projectId: string, idOrEmail: string): Promise<Contact> {
  if (!isEmailRef(idOrEmail)) {
    if (!isUuid(idOrEmail)) throw RosterError.notFound('contact', 'Contact not found');
    return roster.contacts.get(projectId, idOrEmail);
  }
  if (!isValidEmail(normaliseEmail(idOrEmail))) throw RosterError.notFound('contact', 'Contact not found');
  const contact = await roster.contacts.findByEmail(projectId, idOrEmail);
  if (!contact) throw RosterError.notFound('contact', 'Contact not found');
  return contact;
}

/** A contact's `segments` in either form Resend documents: `[{ id }]` (the SDK) or `["id"]` (the spec). */
export function segmentIdsOf(value: unknown, field = 'segments'): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw RosterError.validation([{ field, message: 'must be an array of segment ids or { id } objects' }]);
  }
  return value.map((item, i) => {
    const id = typeof item === 'string' ? item : (item as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || id.length === 0) {
      throw RosterError.validation([{ field: `${field}.${i}`, message: 'must be a segment id or { id }' }]);
    }
    return id;
  });
}

/** `unsubscribed` (Resend) as roster's `subscribed`. */
export function subscribedOf(value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') {
    throw RosterError.validation([{ field: 'unsubscribed', message: 'must be a boolean' }]);
  }
  return !value;
}

/** Runs `fn`, naming its validation issues' fields `topics.<i>...` as in a Resend body. */
export async function asTopicsField<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (!isRosterError(error) || error.code !== 'validation_failed') throw error;
    const issues = (error.details.issues ?? []).map((issue) => ({
      field: issue.field === '' || issue.field === 'body' ? 'topics' : `topics.${issue.field}`,
      message: issue.message,
    }));
    throw RosterError.validation(issues);
  }
}

/**
 * The STATIC segment (Resend's segments and audiences are lists) `id` names, or `not_found` as for
 * a missing one: a dynamic (filter) segment's id names nothing on the Resend API.
 */
export async function staticSegmentOf(roster: Roster, projectId: string, id: string): Promise<Segment> {
  const segment = await roster.segments.get(projectId, id);
  if (segment.type !== 'STATIC') throw RosterError.notFound('segment', 'Segment not found');
  return segment;
}
