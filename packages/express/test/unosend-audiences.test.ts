import { describeEachDialect } from '@roster/test-harness';
import { describe, expect, it } from 'vitest';
import { callerOf, ISO, UUID } from './http-helpers.js';
import { unosendError, useUnosendServer } from './unosend-helpers.js';

describeEachDialect('Unosend audiences API', (dialect) => {
  const s = useUnosendServer(dialect);

  const call = callerOf(s);

  describe('POST /v1/audiences', () => {
    it('creates: 201 {id, name, description, created_at}', async () => {
      const res = await call('POST', '/audiences', { name: 'Newsletter', description: 'Weekly' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ id: UUID, name: 'Newsletter', description: 'Weekly', created_at: ISO });
    });

    it('stores no description as null', async () => {
      const res = await call('POST', '/audiences', { name: 'N' });
      expect(res.body).toEqual({ id: UUID, name: 'N', description: null, created_at: ISO });
    });

    it.each([
      [{}, 'name: is required'],
      [{ name: '' }, 'name: must not be empty'],
      [{ name: 7 }, 'name: must be a string'],
      [{ name: 'a', description: false }, 'description: must be a string'],
    ])('answers 400 to %j', async (body, message) => {
      const res = await call('POST', '/audiences', body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(unosendError('validation_error', 400, message));
    });

    it('answers 400 invalid_json to malformed JSON', async () => {
      const res = await call('POST', '/audiences', '{name');
      expect(res.body).toEqual(unosendError('invalid_json', 400, 'Malformed JSON in request body'));
    });
  });

  describe('GET /v1/audiences', () => {
    it('lists newest first with contacts_count, the whole body', async () => {
      const a = (await call('POST', '/audiences', { name: 'A' })).body;
      const b = (await call('POST', '/audiences', { name: 'B', description: 'bee' })).body;
      await call('POST', '/contacts', { email: 'one@example.com', audience_id: a.id });
      await call('POST', '/contacts', { email: 'two@example.com', audience_id: a.id });
      await call('POST', '/contacts', { email: 'three@example.com' });
      await s.roster.audiences.create(s.otherProjectId, { name: 'Theirs' });
      const res = await call('GET', '/audiences');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        data: [
          { ...b, contacts_count: 0, updated_at: b.created_at },
          { ...a, contacts_count: 2, updated_at: a.created_at },
        ],
      });
    });
  });

  describe('GET|PATCH|DELETE /v1/audiences/:id', () => {
    it('gets one audience with its count', async () => {
      const a = (await call('POST', '/audiences', { name: 'A' })).body;
      await call('POST', '/contacts', { email: 'one@example.com', audience_id: a.id });
      const res = await call('GET', `/audiences/${a.id}`);
      expect(res).toMatchObject({ status: 200 });
      expect(res.body).toEqual({ ...a, contacts_count: 1, updated_at: a.created_at });
    });

    it('updates name and description: {id, name, description, updated_at}', async () => {
      const a = (await call('POST', '/audiences', { name: 'A', description: 'd' })).body;
      const renamed = await call('PATCH', `/audiences/${a.id}`, { name: 'Renamed' });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toEqual({ id: a.id, name: 'Renamed', description: 'd', updated_at: ISO });
      const cleared = await call('PATCH', `/audiences/${a.id}`, { description: null });
      expect(cleared.body).toEqual({ id: a.id, name: 'Renamed', description: null, updated_at: ISO });
      const bad = await call('PATCH', `/audiences/${a.id}`, { name: '' });
      expect(bad.body).toEqual(unosendError('validation_error', 400, 'name: must not be empty'));
    });

    it('deletes: 200 {id, deleted: true}; its contacts stay without an audience', async () => {
      const a = (await call('POST', '/audiences', { name: 'A' })).body;
      const contact = (await call('POST', '/contacts', { email: 'one@example.com', audience_id: a.id })).body;
      const res = await call('DELETE', `/audiences/${a.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id: a.id, deleted: true });
      expect((await call('GET', `/audiences/${a.id}`)).status).toBe(404);
      const after = await call('GET', `/contacts/${contact.id}`);
      expect(after.body).toMatchObject({ id: contact.id, audience_id: null });
    });

    it.each(['GET', 'PATCH', 'DELETE'])(
      "answers 404 to %s of an unknown, malformed or another project's audience",
      async (method) => {
        const theirs = await s.roster.audiences.create(s.otherProjectId, { name: 'Theirs' });
        for (const id of [theirs.id, '0190a6c4-0000-7000-8000-000000000000', 'nope']) {
          const res = await call(
            method,
            `/audiences/${id}`,
            method === 'PATCH' ? { name: 'Mine now' } : undefined,
          );
          expect(res.status).toBe(404);
          expect(res.body).toEqual(unosendError('audience_not_found', 404, 'Audience not found'));
        }
        expect(await s.roster.audiences.get(s.otherProjectId, theirs.id)).toMatchObject({ name: 'Theirs' });
      },
    );

    it('answers 401 without a key', async () => {
      const res = await call('GET', '/audiences', undefined, null);
      expect(res.body).toEqual(unosendError('missing_api_key', 401));
    });
  });
});
