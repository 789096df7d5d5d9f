import { describeEachDialect } from '@roster/test-harness';
import { describe, expect, it } from 'vitest';
import { callerOf, UUID } from './http-helpers.js';
import { RESEND_TIME, resendError, useResendServer } from './resend-helpers.js';

describeEachDialect('Resend contacts API', (dialect) => {
  const s = useResendServer(dialect);

  const call = callerOf(s);

  describe('auth and errors', () => {
    it('answers 401 missing_api_key without a key', async () => {
      const res = await call('GET', '/contacts', undefined, null);
      expect(res.status).toBe(401);
      expect(res.body).toEqual(resendError(401, 'missing_api_key'));
    });

    it("refuses another dialect's key of the same project as an invalid key (403)", async () => {
      const res = await call('GET', '/contacts', undefined, s.plunkKey);
      expect(res.status).toBe(403);
      expect(res.body).toEqual(resendError(403, 'invalid_api_key', 'API key is invalid'));
    });

    it('refuses an unknown re_ key (403 invalid_api_key)', async () => {
      const res = await call('GET', '/contacts', undefined, 're_nope');
      expect(res.body).toEqual(resendError(403, 'invalid_api_key', 'API key is invalid'));
    });

    it("answers unknown routes 404 in Resend's shape", async () => {
      const res = await call('GET', '/contacts/a/b/c');
      expect(res.status).toBe(404);
      expect(res.body).toEqual(resendError(404, 'not_found', 'The requested endpoint does not exist.'));
    });

    it('answers 422 missing_required_field without an email, as Resend records it', async () => {
      const res = await call('POST', '/contacts', {});
      expect(res.status).toBe(422);
      expect(res.body).toEqual(resendError(422, 'missing_required_field', 'Missing `email` field.'));
    });

    it('answers 422 validation_error naming the field in Resend words', async () => {
      const res = await call('POST', '/contacts', { email: 'a@example.com', first_name: 7 });
      expect(res.status).toBe(422);
      expect(res.body).toEqual(resendError(422, 'validation_error', expect.stringContaining('first_name')));
      const bad = await call('POST', '/contacts', { email: 'a@example.com', unsubscribed: 'yes' });
      expect(bad.body).toEqual(resendError(422, 'validation_error', '`unsubscribed` must be a boolean'));
    });

    it('enforces a declared property type, naming properties.<key>', async () => {
      await s.roster.properties.create(s.projectId, { key: 'seats', type: 'number' });
      const res = await call('POST', '/contacts', { email: 'a@example.com', properties: { seats: 'many' } });
      expect(res.status).toBe(422);
      expect(res.body.message).toContain('properties.seats');
    });
  });

  describe('create, get, update, delete', () => {
    it('creates (201 {object, id}) and gets by id and by email, the whole body', async () => {
      const created = await call('POST', '/contacts', {
        email: 'Ada@Example.com',
        first_name: 'Ada',
        last_name: 'Lovelace',
        unsubscribed: true,
        properties: { plan: 'pro' },
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ object: 'contact', id: UUID });
      const expected = {
        object: 'contact',
        id: created.body.id,
        email: 'ada@example.com',
        first_name: 'Ada',
        last_name: 'Lovelace',
        created_at: RESEND_TIME,
        unsubscribed: true,
        properties: { plan: 'pro' },
      };
      expect((await call('GET', `/contacts/${created.body.id}`)).body).toEqual(expected);
      expect((await call('GET', '/contacts/ada@example.com')).body).toEqual(expected);
      const core = await s.roster.contacts.get(s.projectId, created.body.id);
      expect(core.subscribed).toBe(false);
    });

    it('answers an email already in the project with its contact, unchanged', async () => {
      const first = await call('POST', '/contacts', { email: 'a@example.com', first_name: 'A' });
      const again = await call('POST', '/contacts', { email: 'A@example.com', first_name: 'B' });
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
    });

    it('answers 404 not_found for an unknown contact, as recorded', async () => {
      const res = await call('GET', '/contacts/00000000-0000-0000-0000-000000000000');
      expect(res.body).toEqual(resendError(404, 'not_found', 'Contact not found'));
      expect((await call('GET', '/contacts/nobody@example.com')).status).toBe(404);
    });

    it('answers 404 for a reference that is neither a UUID nor a valid email (NUL included), never 500', async () => {
      for (const ref of ['a%00@x.com', 'a%00b', 'not-an-email@', '%F0%9F%98%80@x']) {
        for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
          const res = await call(
            method,
            `/contacts/${ref}`,
            method === 'PATCH' ? { first_name: 'A' } : undefined,
          );
          if (method === 'DELETE') expect(res.status).toBe(200);
          else expect(res.body).toEqual(resendError(404, 'not_found', 'Contact not found'));
        }
        expect((await call('GET', `/contacts/${ref}/segments`)).status).toBe(404);
        expect((await call('GET', `/contacts/${ref}/topics`)).status).toBe(404);
      }
    });

    it('updates by id or email: {object, id}; unsubscribed inverts subscribed; properties merge', async () => {
      const { id } = (await call('POST', '/contacts', { email: 'a@example.com', properties: { a: 1 } })).body;
      const res = await call('PATCH', '/contacts/a@example.com', {
        first_name: 'Updated',
        unsubscribed: true,
        properties: { b: 'x' },
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ object: 'contact', id });
      const got = (await call('GET', `/contacts/${id}`)).body;
      expect(got).toMatchObject({ first_name: 'Updated', unsubscribed: true, properties: { a: 1, b: 'x' } });
      await call('PATCH', `/contacts/${id}`, { unsubscribed: false });
      expect((await call('GET', `/contacts/${id}`)).body.unsubscribed).toBe(false);
    });

    it('deletes by id or email, answering as recorded (also for a contact it never had)', async () => {
      const { id } = (await call('POST', '/contacts', { email: 'a@example.com' })).body;
      await call('POST', '/contacts', { email: 'b@example.com' });
      expect((await call('DELETE', `/contacts/${id}`)).body).toEqual({
        object: 'contact',
        contact: id,
        deleted: true,
      });
      expect((await call('DELETE', '/contacts/b@example.com')).body).toEqual({
        object: 'contact',
        contact: 'b@example.com',
        deleted: true,
      });
      expect((await call('GET', `/contacts/${id}`)).status).toBe(404);
      const never = await call('DELETE', '/contacts/00000000-0000-0000-0000-000000000000');
      expect(never.status).toBe(200);
      expect(never.body.deleted).toBe(true);
    });

    it("never shows another project's contacts", async () => {
      const { id } = (await call('POST', '/contacts', { email: 'a@example.com' })).body;
      expect((await call('GET', `/contacts/${id}`, undefined, s.otherKey)).status).toBe(404);
      expect((await call('GET', '/contacts', undefined, s.otherKey)).body.data).toEqual([]);
    });
  });

  describe('GET /contacts', () => {
    it('lists newest first with limit, after and before cursors and has_more', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++)
        ids.push((await call('POST', '/contacts', { email: `c${i}@example.com` })).body.id);
      const first = await call('GET', '/contacts?limit=2');
      expect(first.body).toEqual({
        object: 'list',
        has_more: true,
        data: [
          {
            id: ids[4],
            email: 'c4@example.com',
            first_name: null,
            last_name: null,
            created_at: RESEND_TIME,
            unsubscribed: false,
            properties: {},
          },
          expect.objectContaining({ id: ids[3] }),
        ],
      });
      const next = await call('GET', `/contacts?limit=2&after=${ids[3]}`);
      expect(next.body.data.map((c: { id: string }) => c.id)).toEqual([ids[2], ids[1]]);
      expect(next.body.has_more).toBe(true);
      const last = await call('GET', `/contacts?limit=2&after=${ids[1]}`);
      expect(last.body.data.map((c: { id: string }) => c.id)).toEqual([ids[0]]);
      expect(last.body.has_more).toBe(false);
      const back = await call('GET', `/contacts?limit=2&before=${ids[1]}`);
      expect(back.body.data.map((c: { id: string }) => c.id)).toEqual([ids[3], ids[2]]);
      expect(back.body.has_more).toBe(true);
    });

    it('refuses a bad limit or cursor naming the parameter', async () => {
      expect((await call('GET', '/contacts?limit=0')).body).toEqual(
        resendError(422, 'validation_error', '`limit` must be an integer from 1 to 100'),
      );
      const cursor = await call('GET', '/contacts?after=nope');
      expect(cursor.status).toBe(422);
      expect(cursor.body.message).toContain('after');
      const before = await call('GET', '/contacts?before=nope');
      expect(before.status).toBe(422);
      expect(before.body.message).toContain('`before`');
      expect(before.body.message).not.toContain('after');
    });

    it('names a property by its own key even when it is called like a core field (properties.cursor)', async () => {
      await s.roster.properties.create(s.projectId, { key: 'cursor', type: 'number' });
      const res = await call('POST', '/contacts', { email: 'a@example.com', properties: { cursor: 'x' } });
      expect(res.status).toBe(422);
      expect(res.body.message).toContain('properties.cursor');
    });
  });
});
