import { describeEachDialect } from '@roster/test-harness';
import { describe, expect, it } from 'vitest';
import { request } from './http-helpers.js';
import { unosendError, useUnosendServer } from './unosend-helpers.js';

describeEachDialect('Unosend bulk API', (dialect) => {
  const s = useUnosendServer(dialect);

  const bulk = (body: unknown, key: string = s.key) =>
    request(`${s.base}/contacts/bulk`, { method: 'POST', key, body });

  async function mine(n: number, subscribed = true) {
    const result = await s.roster.contacts.createMany(s.projectId, {
      contacts: Array.from({ length: n }, (_, i) => ({
        email: `m${i}-${Math.random()}@example.com`,
        subscribed,
      })),
    });
    return result.ids;
  }

  const UNKNOWN = '0190a6c4-0000-7000-8000-000000000000';

  describe('POST /v1/contacts/bulk operations', () => {
    it('deletes: the whole body, with unknown ids skipped', async () => {
      const ids = await mine(3);
      const res = await bulk({ contact_ids: [...ids, UNKNOWN], operation: 'delete' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        operation: 'delete',
        affected: 3,
        skipped: 1,
        message: 'Successfully deleted 3 contact(s)',
      });
      expect(await s.roster.contacts.count(s.projectId)).toBe(0);
    });

    it('unsubscribes and subscribes, counting contacts already in that state as affected', async () => {
      const ids = await mine(2);
      const [already] = await mine(1, false);
      const res = await bulk({ contact_ids: [...ids, already], operation: 'unsubscribe' });
      expect(res.body).toEqual({
        operation: 'unsubscribe',
        affected: 3,
        skipped: 0,
        message: 'Successfully unsubscribed 3 contact(s)',
      });
      for (const id of ids) expect((await s.roster.contacts.get(s.projectId, id)).subscribed).toBe(false);
      const back = await bulk({ contact_ids: ids, operation: 'subscribe' });
      expect(back.body).toEqual({
        operation: 'subscribe',
        affected: 2,
        skipped: 0,
        message: 'Successfully subscribed 2 contact(s)',
      });
      expect((await s.roster.contacts.get(s.projectId, ids[0]!)).subscribed).toBe(true);
    });

    it('moves contacts into an audience', async () => {
      const audience = await s.roster.audiences.create(s.projectId, { name: 'A' });
      const ids = await mine(2);
      const res = await bulk({ contact_ids: ids, operation: 'move', audience_id: audience.id });
      expect(res.body).toEqual({
        operation: 'move',
        affected: 2,
        skipped: 0,
        message: 'Successfully moved 2 contact(s)',
      });
      expect((await s.roster.audiences.get(s.projectId, audience.id)).contactsCount).toBe(2);
    });

    it('counts a repeated id once', async () => {
      const id = (await mine(1))[0]!;
      const res = await bulk({ contact_ids: [id, id, id.toUpperCase()], operation: 'unsubscribe' });
      expect(res.body).toMatchObject({ affected: 1, skipped: 0 });
    });

    it("skips another project's contacts and leaves them untouched", async () => {
      const [own] = await mine(1);
      const foreign = await s.roster.contacts.create(s.otherProjectId, { email: 'theirs@example.com' });
      const res = await bulk({ contact_ids: [own, foreign.id], operation: 'delete' });
      expect(res.body).toEqual({
        operation: 'delete',
        affected: 1,
        skipped: 1,
        message: 'Successfully deleted 1 contact(s)',
      });
      expect(await s.roster.contacts.get(s.otherProjectId, foreign.id)).toMatchObject({
        email: 'theirs@example.com',
      });
    });

    it('answers 404 No valid contacts found when no id is a contact of the project', async () => {
      const foreign = await s.roster.contacts.create(s.otherProjectId, { email: 'theirs@example.com' });
      const res = await bulk({ contact_ids: [foreign.id, UNKNOWN], operation: 'delete' });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(unosendError('contact_not_found', 404, 'No valid contacts found'));
      expect(await s.roster.contacts.count(s.otherProjectId)).toBe(1);
    });

    it("answers 404 to a move into an unknown or another project's audience, and moves nothing", async () => {
      const ids = await mine(1);
      const theirs = await s.roster.audiences.create(s.otherProjectId, { name: 'Theirs' });
      for (const audienceId of [UNKNOWN, theirs.id]) {
        const res = await bulk({ contact_ids: ids, operation: 'move', audience_id: audienceId });
        expect(res.status).toBe(404);
        expect(res.body).toEqual(unosendError('audience_not_found', 404, 'Audience not found'));
      }
      expect((await s.roster.contacts.get(s.projectId, ids[0]!)).audienceId).toBeNull();
    });

    it.each([
      [{ contact_ids: [UNKNOWN] }, 'operation: must be one of subscribe, unsubscribe, delete, move'],
      [
        { contact_ids: [UNKNOWN], operation: 'archive' },
        'operation: must be one of subscribe, unsubscribe, delete, move',
      ],
      [{ operation: 'delete' }, 'contact_ids: is required'],
      [{ operation: 'delete', contact_ids: 'abc' }, 'contact_ids: must be an array of contact ids'],
      [{ operation: 'delete', contact_ids: [] }, 'contact_ids: must contain at least 1 id'],
      [{ operation: 'delete', contact_ids: [UNKNOWN, 5] }, 'contact_ids.1: must be a string'],
      [{ operation: 'delete', contact_ids: ['not-a-uuid'] }, 'contact_ids.0: must be a UUID'],
      [
        { operation: 'move', contact_ids: [UNKNOWN] },
        'audience_id: is required for move (null removes from the audience)',
      ],
      [{ operation: 'move', contact_ids: [UNKNOWN], audience_id: 'x' }, 'audience_id: must be a UUID'],
    ])('answers 400 to %j before looking anything up', async (body, message) => {
      const res = await bulk(body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(unosendError('validation_error', 400, message));
    });

    it('answers 400 to more than 1000 ids', async () => {
      const ids = Array.from({ length: 1001 }, () => UNKNOWN);
      const res = await bulk({ operation: 'delete', contact_ids: ids });
      expect(res.body).toEqual(
        unosendError('validation_error', 400, 'contact_ids: must contain at most 1000 ids'),
      );
    });
  });

  describe('POST /v1/contacts/bulk create form', () => {
    it('creates contacts into the audience and skips existing emails untouched', async () => {
      const audience = await s.roster.audiences.create(s.projectId, { name: 'A' });
      const existing = await s.roster.contacts.create(s.projectId, {
        email: 'old@example.com',
        firstName: 'Old',
      });
      const res = await bulk({
        audience_id: audience.id,
        contacts: [
          { email: 'a@example.com', first_name: 'A', last_name: 'Z' },
          { email: 'old@example.com', first_name: 'New' },
          { email: 'b@example.com' },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ created: 2, skipped: 1, message: 'Successfully created 2 contact(s)' });
      const list = await s.roster.contacts.listOffset(s.projectId, { audienceId: audience.id });
      expect(list.map((c) => [c.email, c.firstName, c.lastName])).toEqual([
        ['b@example.com', null, null],
        ['a@example.com', 'A', 'Z'],
      ]);
      expect(await s.roster.contacts.get(s.projectId, existing.id)).toEqual(existing);
    });

    it.each([
      [{ contacts: 'x' }, 'contacts: must be an array'],
      [{ contacts: [] }, 'contacts: must contain at least one contact'],
      [
        { contacts: [{ email: 'ok@example.com' }, { email: 'bad' }] },
        'contacts.1.email: must be a valid email address',
      ],
      [{ contacts: [{ email: 'ok@example.com', first_name: 1 }] }, 'contacts.0.first_name: must be a string'],
      [{ contacts: [{ email: 'ok@example.com' }], audience_id: 'x' }, 'audience_id: must be a UUID'],
    ])('answers 400 to %j and creates nothing', async (body, message) => {
      const res = await bulk(body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(unosendError('validation_error', 400, message));
      expect(await s.roster.contacts.count(s.projectId)).toBe(0);
    });

    it("answers 404 to another project's audience", async () => {
      const theirs = await s.roster.audiences.create(s.otherProjectId, { name: 'Theirs' });
      const res = await bulk({ audience_id: theirs.id, contacts: [{ email: 'a@example.com' }] });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(unosendError('audience_not_found', 404, 'Audience not found'));
    });
  });
});
