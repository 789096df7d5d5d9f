import type { Roster } from '@roster/core';
import { type RunningServer, startServer } from '@roster/server';
import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

/**
 * One project, two dialects: `roster serve` answers Plunk at `/contacts` and Unosend at
 * `/v1/contacts`, over the same contacts, with keys of the project working on both.
 */
let roster: Roster;
let server: RunningServer;
let sk: string;
let un: string;
let projectId: string;

describeEachDialect('one contact, two dialects', (dialect) => {
  beforeAll(async () => {
    roster = await createTestRoster(dialect);
    projectId = (await roster.projects.ensure('default')).id;
    sk = (await roster.keys.create(projectId, { prefix: 'sk_' })).key;
    un = (await roster.keys.create(projectId, { prefix: 'un_' })).key;
    server = await startServer({ roster, port: 0, onError: (e) => console.error(e) });
  });
  afterAll(async () => {
    await server.close();
    await roster.close();
  });
  beforeEach(async () => {
    await roster.db.deleteFrom('roster_contacts').execute();
    await roster.db.deleteFrom('roster_audiences').execute();
  });

  async function call(method: string, path: string, key: string, body?: unknown) {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  describe('Plunk and Unosend over the same contacts', () => {
    it('shows a contact created through Unosend in Plunk and lets Plunk update it', async () => {
      const audience = (await call('POST', '/v1/audiences', un, { name: 'News' })).body;
      const created = await call('POST', '/v1/contacts', un, {
        email: 'ada@example.com',
        first_name: 'Ada',
        last_name: 'Lovelace',
        audience_id: audience.id,
        metadata: { plan: 'pro', seats: 3 },
      });
      expect(created.status).toBe(201);
      const id = created.body.id;

      const plunk = await call('GET', `/contacts/${id}`, sk);
      expect(plunk).toEqual({
        status: 200,
        body: {
          id,
          email: 'ada@example.com',
          subscribed: true,
          data: { plan: 'pro', seats: 3 },
          projectId,
          createdAt: created.body.created_at,
          updatedAt: created.body.created_at,
        },
      });

      // Plunk merges data and never touches the Unosend-only fields.
      const patched = await call('PATCH', `/contacts/${id}`, sk, {
        subscribed: false,
        data: { seats: null, team: 'x' },
      });
      expect(patched.status).toBe(200);
      const upserted = await call('POST', '/contacts', sk, {
        email: 'ADA@example.com',
        data: { since: 2024 },
      });
      expect(upserted.status).toBe(200);

      const unosend = await call('GET', `/v1/contacts/${id}`, un);
      expect(unosend.body).toEqual({
        id,
        email: 'ada@example.com',
        first_name: 'Ada',
        last_name: 'Lovelace',
        audience_id: audience.id,
        subscribed: false,
        metadata: { plan: 'pro', team: 'x', since: 2024 },
        created_at: created.body.created_at,
        updated_at: upserted.body.updatedAt,
      });
    });

    it('shows a contact created through Plunk in Unosend and lets Unosend update it', async () => {
      const created = await call('POST', '/contacts', sk, { email: 'bob@example.com', data: { a: 1, b: 2 } });
      expect(created.status).toBe(201);
      const id = created.body.id;

      const listed = await call('GET', '/v1/contacts', un);
      expect(listed.body).toEqual({
        data: [
          {
            id,
            email: 'bob@example.com',
            first_name: null,
            last_name: null,
            audience_id: null,
            subscribed: true,
            metadata: { a: 1, b: 2 },
            created_at: created.body.createdAt,
            updated_at: created.body.updatedAt,
          },
        ],
      });

      const audience = (await call('POST', '/v1/audiences', un, { name: 'Customers' })).body;
      const patched = await call('PATCH', `/v1/contacts/${id}`, un, {
        first_name: 'Bob',
        audience_id: audience.id,
        metadata: { c: 3 },
      });
      expect(patched.status).toBe(200);

      const plunk = await call('GET', `/contacts/${id}`, sk);
      expect(plunk.body).toEqual({
        id,
        email: 'bob@example.com',
        subscribed: true,
        data: { c: 3 },
        projectId,
        createdAt: created.body.createdAt,
        updatedAt: patched.body.updated_at,
      });
      expect((await call('GET', `/v1/audiences/${audience.id}`, un)).body.contacts_count).toBe(1);

      // Deleted through Plunk, gone from Unosend.
      expect((await call('DELETE', `/contacts/${id}`, sk)).status).toBe(204);
      expect((await call('GET', `/v1/contacts/${id}`, un)).status).toBe(404);
    });

    it('accepts keys of the project on both dialects', async () => {
      for (const key of [sk, un]) {
        expect((await call('GET', '/contacts', key)).status).toBe(200);
        expect((await call('GET', '/v1/contacts', key)).status).toBe(200);
      }
    });

    it('refuses on both dialects an email already taken through the other', async () => {
      await call('POST', '/contacts', sk, { email: 'same@example.com' });
      const viaUnosend = await call('POST', '/v1/contacts', un, { email: 'same@example.com' });
      expect(viaUnosend.status).toBe(409);
      const other = await call('POST', '/v1/contacts', un, { email: 'other@example.com' });
      const viaPlunk = await call('PATCH', `/contacts/${other.body.id}`, sk, { email: 'same@example.com' });
      expect(viaPlunk.status).toBe(409);
    });
  });
});
