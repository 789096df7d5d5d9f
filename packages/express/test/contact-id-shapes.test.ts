import type { Roster } from '@roster/core';
import { createTestRoster, PG_URL } from '@roster/test-harness';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPlunkRouter,
  createResendRouter,
  createRosterRouter,
  createUnosendRouter,
} from '../src/index.js';
import { closeServed, type Listening, listen, request } from './http-helpers.js';

/**
 * PostgreSQL stores contact ids as `uuid` (migration 0023), SQLite as text: an id from outside that
 * is not a contact id as roster writes it (not a UUID, a UUID PostgreSQL would parse in another
 * form, an uppercase one) must get the same answer on both, never a 500 from PostgreSQL refusing
 * it. Every route that takes a contact id, in each dialect, is asked with each kind of id; the
 * answers (status and body, ids aside) of the two databases are compared.
 */

interface Served {
  roster: Roster;
  server: Listening;
  keys: { sk: string; un: string; re: string };
  contact: { id: string; email: string };
  segmentId: string;
  audienceId: string;
  unexpected: unknown[];
}

async function serve(dialect: 'sqlite' | 'postgres'): Promise<Served> {
  const roster = await createTestRoster(dialect);
  const project = await roster.projects.ensure('main');
  const keys = {
    sk: (await roster.keys.create(project.id)).key,
    un: (await roster.keys.create(project.id, { prefix: 'un_' })).key,
    re: (await roster.keys.create(project.id, { prefix: 're_' })).key,
  };
  const audience = await roster.audiences.create(project.id, { name: 'Customers' });
  const contact = await roster.contacts.create(project.id, {
    email: 'ada@example.com',
    audienceId: audience.id,
  });
  await roster.contacts.create(project.id, { email: 'bob@example.com' });
  const segment = await roster.segments.create(project.id, { name: 'VIP', type: 'STATIC' });
  await roster.segments.addMembers(project.id, segment.id, { emails: [contact.email] });
  const unexpected: unknown[] = [];
  const onError = (error: unknown) => unexpected.push(error);
  const app = express();
  app.use('/roster', createRosterRouter(roster, { onError }));
  app.use('/resend', createResendRouter(roster, { onError }));
  app.use('/v1', createUnosendRouter(roster, { onError }));
  app.use(createPlunkRouter(roster, { onError }));
  const server = await listen(app);
  return { roster, server, keys, contact, segmentId: segment.id, audienceId: audience.id, unexpected };
}

/** The kinds of id asked for, made from the served database's own contact where they need one. */
const KINDS: Record<string, (s: Served) => string> = {
  'not a UUID': () => 'not-a-uuid',
  'UUID-shaped, not hex': () => 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz',
  'hex without hyphens (PostgreSQL would parse it)': (s) => s.contact.id.replaceAll('-', ''),
  'in braces (PostgreSQL would parse it)': (s) => `{${s.contact.id}}`,
  'an unknown UUID': () => '01900000-0000-7000-8000-000000000000',
  // Last two: their deletes may find the contact.
  'uppercase of an existing id': (s) => s.contact.id.toUpperCase(),
  'the existing id': (s) => s.contact.id,
};

type Key = keyof Served['keys'];

/** [key, method, path with `{id}` (and `{segment}`, `{audience}`), body]. */
const ROUTES: [Key, string, string, unknown?][] = [
  ['sk', 'GET', '/contacts/{id}'],
  ['sk', 'PATCH', '/contacts/{id}', { data: { plan: 'pro' } }],
  ['sk', 'GET', '/contacts?cursor={id}'],
  ['sk', 'GET', '/contacts?cursor={id}&sort=email&dir=asc'],
  ['un', 'GET', '/v1/contacts/{id}'],
  ['un', 'PATCH', '/v1/contacts/{id}', { first_name: 'Ada' }],
  ['un', 'POST', '/v1/contacts/bulk', { operation: 'unsubscribe', contact_ids: ['{id}'] }],
  ['re', 'GET', '/resend/contacts/{id}'],
  ['re', 'PATCH', '/resend/contacts/{id}', { first_name: 'Ada' }],
  ['re', 'GET', '/resend/contacts?after={id}'],
  ['re', 'GET', '/resend/contacts?before={id}'],
  ['re', 'GET', '/resend/contacts/{id}/segments'],
  ['re', 'POST', '/resend/contacts/{id}/segments/{segment}'],
  ['re', 'GET', '/resend/contacts/{id}/topics'],
  ['re', 'PATCH', '/resend/contacts/{id}/topics', { topics: [] }],
  ['re', 'GET', '/resend/audiences/{audience}/contacts/{id}'],
  ['re', 'PATCH', '/resend/audiences/{audience}/contacts/{id}', { first_name: 'Ada' }],
  ['sk', 'GET', '/roster/contacts/{id}/topics'],
  ['sk', 'PUT', '/roster/contacts/{id}/topics', []],
  ['sk', 'GET', '/roster/contacts/{id}/consent'],
  ['sk', 'GET', '/roster/contacts/{id}/unsubscribe-headers'],
  ['sk', 'GET', '/roster/contacts/{id}/events'],
  ['sk', 'GET', '/roster/contacts?cursor={id}'],
  // Deletes last: the existing contact goes with the first of them.
  ['re', 'DELETE', '/resend/contacts/{id}/segments/{segment}'],
  ['re', 'DELETE', '/resend/audiences/{audience}/contacts/{id}'],
  ['un', 'DELETE', '/v1/contacts/{id}'],
  ['re', 'DELETE', '/resend/contacts/{id}'],
  ['sk', 'DELETE', '/contacts/{id}'],
];

/** An answer with the database's own ids (and request ids, times) replaced: comparable across databases. */
function comparable(s: Served, status: number, body: unknown) {
  const text = JSON.stringify(body ?? null)
    .replaceAll(s.contact.id.toUpperCase(), '<ID>')
    .replace(/[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}/gi, '<uuid>')
    .replace(/"(request_id|requestId)":"[^"]*"/g, '"$1":"<request>"')
    .replace(/\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}\.\d{3}(Z|\+00)/g, '<time>')
    .replace(/(sig|token)=[^"&\\]+/g, '$1=<x>');
  return { status, body: JSON.parse(text) };
}

async function ask(s: Served, [key, method, path, body]: (typeof ROUTES)[number], id: string) {
  const fill = (v: string) =>
    v
      .replaceAll('{id}', encodeURIComponent(id))
      .replaceAll('{segment}', s.segmentId)
      .replaceAll('{audience}', s.audienceId);
  const payload = body === undefined ? undefined : JSON.parse(JSON.stringify(body).replaceAll('{id}', id));
  const url = `${s.server.url}${fill(path)}`;
  const res = await request(url, { method, key: s.keys[key], body: payload });
  return comparable(s, res.status, res.body);
}

describe.runIf(PG_URL)(
  'contact ids of every shape: the same answer on PostgreSQL (uuid) as on SQLite (text)',
  () => {
    let sqlite: Served;
    let postgres: Served;
    beforeAll(async () => {
      sqlite = await serve('sqlite');
      postgres = await serve('postgres');
    });
    afterAll(async () => {
      await closeServed(sqlite.server, sqlite.roster);
      await closeServed(postgres.server, postgres.roster);
    });

    it.each(Object.keys(KINDS))('%s', async (kind) => {
      const answers: { route: string; sqlite: unknown; postgres: unknown }[] = [];
      for (const route of ROUTES) {
        const a = await ask(sqlite, route, KINDS[kind]!(sqlite));
        const b = await ask(postgres, route, KINDS[kind]!(postgres));
        answers.push({ route: `${route[1]} ${route[2]}`, sqlite: a, postgres: b });
        expect((b as { status: number }).status, `${route[1]} ${route[2]}`).toBeLessThan(500);
      }
      for (const answer of answers) expect(answer.postgres, answer.route).toEqual(answer.sqlite);
      expect(sqlite.unexpected).toEqual([]);
      expect(postgres.unexpected).toEqual([]);
      if (kind !== 'the existing id' && kind !== 'uppercase of an existing id') {
        // Nothing found, nothing changed: the contact is still there, as it was.
        for (const s of [sqlite, postgres]) {
          const project = (await s.roster.projects.ensure('main')).id;
          expect((await s.roster.contacts.get(project, s.contact.id)).email).toBe('ada@example.com');
        }
      }
    });
  },
);
