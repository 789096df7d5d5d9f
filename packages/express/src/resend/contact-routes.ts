import { type Contact, isRosterError, parseInput, type Roster, RosterError } from '@roster/core';
import { setContactTopicsSchema } from '@roster/core/schemas';
import type { Request, Response, Router } from 'express';
import { projectIdOf } from '../auth.js';
import { requireObject } from '../router-kit.js';
import { resendList, toResendContact, toResendListedContact } from './resend-format.js';
import {
  asTopicsField,
  contactOf,
  cursorParams,
  limitParam,
  segmentIdsOf,
  staticSegmentOf,
  subscribedOf,
} from './resend-params.js';

/** The `{first_name, last_name, unsubscribed, properties}` of a Resend body as core fields (core validates them). */
function contactFieldsOf(body: Record<string, unknown>) {
  return {
    ...(body.first_name !== undefined ? { firstName: body.first_name as string | null } : {}),
    ...(body.last_name !== undefined ? { lastName: body.last_name as string | null } : {}),
    ...(body.unsubscribed !== undefined ? { subscribed: subscribedOf(body.unsubscribed) } : {}),
    ...(body.properties !== undefined ? { data: body.properties as Record<string, unknown> | null } : {}),
  };
}

/** A create body's `topics`, checked by core's schema before the contact is created (fields named `topics.<i>...`). */
function topicsOf(value: unknown) {
  return asTopicsField(() => parseInput(setContactTopicsSchema, value));
}

/** A segment's contacts as a filter condition (static members and dynamic matches alike). */
function inSegment(segmentId: string) {
  return {
    logic: 'AND' as const,
    groups: [{ filters: [{ field: `segment.${segmentId}`, operator: 'memberOfSegment' as const }] }],
  };
}

/**
 * `GET /contacts` (optionally `?segment_id=`), `GET /segments/{id}/contacts`: newest first, `limit`,
 * `after` (older than that contact) or `before` (newer than it), `has_more`.
 */
export async function listContacts(roster: Roster, req: Request, res: Response, segmentId?: string) {
  const projectId = projectIdOf(res);
  const limit = limitParam(req.query.limit);
  const { after, before } = cursorParams(req.query as Record<string, unknown>);
  let filter: ReturnType<typeof inSegment> | undefined;
  if (segmentId !== undefined) {
    await staticSegmentOf(roster, projectId, segmentId);
    filter = inSegment(segmentId);
  }
  let data: Contact[];
  let hasMore: boolean;
  if (before !== undefined) {
    // Newer than `before`: walk up from it, then answer newest first.
    const page = await roster.contacts
      .list(projectId, { limit, cursor: before, dir: 'asc', filter })
      .catch((error: unknown) => {
        // Core names its one cursor `cursor` (in Resend's words `after`): this one is `before`.
        if (isRosterError(error) && error.code === 'invalid_cursor') {
          throw RosterError.invalidCursor('before', 'a contact id');
        }
        throw error;
      });
    data = page.data.reverse();
    hasMore = page.hasMore;
  } else {
    const page = await roster.contacts.list(projectId, { limit, cursor: after, filter });
    data = page.data;
    hasMore = page.hasMore;
  }
  res.json(resendList(data.map(toResendListedContact), hasMore));
}

/** `POST /contacts` (and the legacy `POST /audiences/{id}/contacts`, which adds `audienceId`). */
export async function createContact(roster: Roster, req: Request, res: Response, audienceId?: string) {
  const projectId = projectIdOf(res);
  const body = requireObject(req.body);
  const segmentIds = segmentIdsOf(body.segments);
  if (audienceId !== undefined) segmentIds.unshift(audienceId);
  // Core names the segments `segmentIds.<i>`: in the body they are the audience, then `segments.<i>`.
  const offset = audienceId === undefined ? 0 : 1;
  const segmentField = (i: number) => (i < offset ? 'audience_id' : `segments.${i - offset}`);
  const topics = body.topics === undefined ? undefined : await topicsOf(body.topics);
  let contact: Contact & { suppressed?: true };
  let created = true;
  try {
    // One core call, one transaction: the contact, its segments (STATIC ones: Resend segments are
    // lists) and its topics are written together, or nothing is (an unknown or dynamic segment).
    contact = await withSegmentFields(segmentField, () =>
      roster.contacts.create(projectId, {
        email: body.email as string,
        ...contactFieldsOf(body),
        segmentIds,
        ...(topics === undefined ? {} : { topics }),
        // roster's own field: start a double opt-in (see docs/consent.md).
        ...(body.pending !== undefined ? { pending: body.pending as boolean } : {}),
      }),
    );
  } catch (error) {
    // An email already in the project answers with its contact, unchanged (see docs/resend-api.md).
    const existing =
      isRosterError(error) && error.code === 'conflict' && typeof body.email === 'string'
        ? await roster.contacts.findByEmail(projectId, body.email)
        : null;
    if (!existing) throw error;
    contact = existing;
    created = false;
  }
  if (!created) {
    // An existing contact is only added to the named segments (legacy audiences rely on it); its
    // topics, like its names, properties and unsubscribed, stay as they are.
    for (const [i, id] of segmentIds.entries()) {
      const segment = await roster.segments.get(projectId, id);
      if (segment.type !== 'STATIC') throw dynamicSegment(segmentField(i));
    }
    for (const topic of topics ?? []) await roster.topics.get(projectId, topic.id);
    for (const id of segmentIds) await roster.segments.addMembers(projectId, id, { emails: [contact.email] });
  }
  // roster: `suppressed: true` when the address is suppressed (the contact was created unsubscribed).
  res.status(201).json({
    object: 'contact',
    id: contact.id,
    ...(contact.suppressed ? { suppressed: contact.suppressed } : {}),
  });
}

const dynamicSegment = (field: string) =>
  RosterError.validation([{ field, message: 'must be a static segment (a list), not a dynamic one' }]);

/** Runs `fn`, naming core's `segmentIds.<i>` issues as the body names them (`field(i)`). */
async function withSegmentFields<T>(field: (i: number) => string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (!isRosterError(error) || error.code !== 'validation_failed') throw error;
    const issues = error.details.issues ?? [];
    if (!issues.some((issue) => issue.field.startsWith('segmentIds.'))) throw error;
    throw RosterError.validation(
      issues.map((issue) => {
        const match = /^segmentIds\.(\d+)$/.exec(issue.field);
        return match ? { field: field(Number(match[1])), message: issue.message } : issue;
      }),
    );
  }
}

export async function getContact(roster: Roster, req: Request, res: Response) {
  res.json(toResendContact(await contactOf(roster, projectIdOf(res), req.params.id as string)));
}

export async function updateContact(roster: Roster, req: Request, res: Response) {
  const projectId = projectIdOf(res);
  const body = requireObject(req.body);
  const contact = await contactOf(roster, projectId, req.params.id as string);
  const updated = await roster.contacts.update(projectId, contact.id, {
    ...(typeof body.email === 'string' ? { email: body.email } : {}),
    ...contactFieldsOf(body),
  });
  res.json({
    object: 'contact',
    id: updated.id,
    ...(updated.suppressed ? { suppressed: updated.suppressed } : {}),
  });
}

/** Resend answers a deletion `deleted: true` even for a contact it never had (see the recordings). */
export async function deleteContact(roster: Roster, req: Request, res: Response) {
  const projectId = projectIdOf(res);
  const ref = req.params.id as string;
  try {
    const contact = await contactOf(roster, projectId, ref);
    await roster.contacts.delete(projectId, contact.id);
  } catch (error) {
    if (!(isRosterError(error) && error.code === 'not_found')) throw error;
  }
  res.json({ object: 'contact', contact: ref, deleted: true });
}

/** `GET /audiences/{id}/contacts/{id_or_email}`: the contact, `not_found` unless it is a member of the audience. */
export async function getAudienceContact(roster: Roster, req: Request, res: Response) {
  const projectId = projectIdOf(res);
  const audience = await staticSegmentOf(roster, projectId, req.params.audienceId as string);
  const contact = await contactOf(roster, projectId, req.params.id as string);
  const segments = await roster.segments.ofContact(projectId, contact.id);
  if (!segments.some((segment) => segment.id === audience.id)) {
    throw RosterError.notFound('contact', 'Contact not found');
  }
  res.json(toResendContact(contact));
}

/**
 * `DELETE /audiences/{id}/contacts/{id_or_email}` (the SDK's `contacts.remove({ audienceId, ... })`):
 * removes the contact from that audience (a static segment); the contact itself stays. An unknown
 * audience is `not_found`; a contact the project never had answers `deleted: true`, as Resend does.
 */
export async function removeAudienceContact(roster: Roster, req: Request, res: Response) {
  const projectId = projectIdOf(res);
  const audienceId = (await staticSegmentOf(roster, projectId, req.params.audienceId as string)).id;
  const ref = req.params.id as string;
  let contact: Contact | undefined;
  try {
    contact = await contactOf(roster, projectId, ref);
  } catch (error) {
    if (!(isRosterError(error) && error.code === 'not_found')) throw error;
  }
  if (contact) await roster.segments.removeMembers(projectId, audienceId, { emails: [contact.email] });
  res.json({ object: 'contact', id: contact?.id ?? ref, deleted: true });
}

export function registerResendContactRoutes(router: Router, roster: Roster): void {
  router.get('/contacts', (req, res) => {
    const segmentId = typeof req.query.segment_id === 'string' ? req.query.segment_id : undefined;
    const audienceId = typeof req.query.audience_id === 'string' ? req.query.audience_id : undefined;
    return listContacts(roster, req, res, segmentId ?? audienceId);
  });
  router.post('/contacts', (req, res) => createContact(roster, req, res));
  router.get('/contacts/:id', (req, res) => getContact(roster, req, res));
  router.patch('/contacts/:id', (req, res) => updateContact(roster, req, res));
  router.delete('/contacts/:id', (req, res) => deleteContact(roster, req, res));
  // Legacy audience-scoped contact routes (audiences are segments).
  router.get('/audiences/:audienceId/contacts', (req, res) =>
    listContacts(roster, req, res, req.params.audienceId as string),
  );
  router.post('/audiences/:audienceId/contacts', (req, res) =>
    createContact(roster, req, res, req.params.audienceId as string),
  );
  router.get('/audiences/:audienceId/contacts/:id', (req, res) => getAudienceContact(roster, req, res));
  router.patch('/audiences/:audienceId/contacts/:id', (req, res) => updateContact(roster, req, res));
  router.delete('/audiences/:audienceId/contacts/:id', (req, res) => removeAudienceContact(roster, req, res));
}
