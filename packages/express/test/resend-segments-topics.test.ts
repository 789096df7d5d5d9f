import { describeEachDialect } from '@roster/test-harness';
import { describe, expect, it } from 'vitest';
import { callerOf, UUID } from './http-helpers.js';
import { RESEND_TIME, resendError, useResendServer } from './resend-helpers.js';

describeEachDialect('Resend segments, audiences, topics and contact properties', (dialect) => {
  const s = useResendServer(dialect);

  const call = callerOf(s);
  const UNKNOWN = '00000000-0000-0000-0000-000000000000';
  const ids = (res: { body: { data: { id: string }[] } }) => res.body.data.map((item) => item.id);

  describe('segments and legacy audiences', () => {
    it('creates, gets, lists newest first and deletes, as recorded', async () => {
      const a = await call('POST', '/segments', { name: 'A' });
      expect(a.status).toBe(201);
      expect(a.body).toEqual({ object: 'segment', id: UUID, name: 'A' });
      const b = (await call('POST', '/audiences', { name: 'B' })).body;
      expect(b).toEqual({ object: 'audience', id: UUID, name: 'B' });
      expect((await call('GET', `/segments/${a.body.id}`)).body).toEqual({
        object: 'segment',
        id: a.body.id,
        name: 'A',
        created_at: RESEND_TIME,
      });
      expect((await call('GET', `/audiences/${a.body.id}`)).body.object).toBe('audience');
      const list = await call('GET', '/segments');
      expect(list.body).toEqual({
        object: 'list',
        has_more: false,
        data: [
          { id: b.id, name: 'B', created_at: RESEND_TIME },
          { id: a.body.id, name: 'A', created_at: RESEND_TIME },
        ],
      });
      expect(ids(await call('GET', '/segments?limit=1'))).toEqual([b.id]);
      expect(ids(await call('GET', `/segments?after=${b.id}`))).toEqual([a.body.id]);
      expect((await call('DELETE', `/segments/${a.body.id}`)).body).toEqual({
        object: 'segment',
        id: a.body.id,
        deleted: true,
      });
      expect((await call('GET', `/segments/${a.body.id}`)).body).toEqual(
        resendError(404, 'not_found', 'Segment not found'),
      );
      const never = await call('DELETE', '/segments/00000000-0000-0000-0000-000000000000');
      expect(never.body).toEqual({
        object: 'segment',
        id: '00000000-0000-0000-0000-000000000000',
        deleted: true,
      });
    });

    it('answers 422 missing_required_field without a name, as recorded', async () => {
      expect((await call('POST', '/segments', {})).body).toEqual(
        resendError(422, 'missing_required_field', 'Missing `name` field.'),
      );
    });

    it("adds, lists and removes a contact's segments, and lists a segment's contacts both ways", async () => {
      const seg = (await call('POST', '/segments', { name: 'S' })).body.id;
      const other = (await call('POST', '/segments', { name: 'T' })).body.id;
      const ada = (await call('POST', '/contacts', { email: 'ada@example.com', segments: [{ id: seg }] }))
        .body.id;
      const bob = (await call('POST', '/contacts', { email: 'bob@example.com', segments: [other] })).body.id;
      await call('POST', '/contacts', { email: 'cy@example.com' });
      expect((await call('POST', `/contacts/bob@example.com/segments/${seg}`)).body).toEqual({ id: seg });
      expect(ids(await call('GET', `/contacts/${bob}/segments`))).toEqual([other, seg]);
      expect(ids(await call('GET', `/segments/${seg}/contacts`))).toEqual([bob, ada]);
      expect(ids(await call('GET', `/contacts?segment_id=${seg}`))).toEqual([bob, ada]);
      expect((await call('DELETE', `/contacts/${bob}/segments/${seg}`)).body).toEqual({
        id: seg,
        deleted: true,
      });
      expect(ids(await call('GET', `/contacts/${bob}/segments`))).toEqual([other]);
      expect(ids(await call('GET', `/segments/${seg}/contacts`))).toEqual([ada]);
      // Legacy audience-scoped routes.
      const legacy = await call('POST', `/audiences/${seg}/contacts`, { email: 'dee@example.com' });
      expect(legacy.status).toBe(201);
      expect((await call('GET', `/audiences/${seg}/contacts/dee@example.com`)).body.id).toBe(legacy.body.id);
      expect(ids(await call('GET', `/audiences/${seg}/contacts`))).toEqual([legacy.body.id, ada]);
    });

    it('refuses an unknown segment on create before creating the contact', async () => {
      const res = await call('POST', '/contacts', {
        email: 'a@example.com',
        segments: ['00000000-0000-0000-0000-000000000000'],
      });
      expect(res.body).toEqual(resendError(404, 'not_found', 'Segment not found'));
      expect(await s.roster.contacts.findByEmail(s.projectId, 'a@example.com')).toBeNull();
    });
    const dynamicSegment = () =>
      s.roster.segments.create(s.projectId, {
        name: 'Pro',
        type: 'DYNAMIC',
        condition: {
          logic: 'AND',
          groups: [{ filters: [{ field: 'data.plan', operator: 'equals', value: 'pro' }] }],
        },
      });

    it('refuses a dynamic segment on create with a 422 naming segments.<i>, before creating the contact', async () => {
      const dynamic = await dynamicSegment();
      const list = (await call('POST', '/segments', { name: 'List' })).body;
      const res = await call('POST', '/contacts', {
        email: 'a@example.com',
        segments: [list.id, dynamic.id],
      });
      expect(res.status).toBe(422);
      expect(res.body).toEqual(resendError(422, 'validation_error', expect.stringContaining('segments.1')));
      const legacy = await call('POST', `/audiences/${dynamic.id}/contacts`, { email: 'a@example.com' });
      expect(legacy.status).toBe(422);
      expect(legacy.body.message).toContain('audience_id');
      expect(await s.roster.contacts.findByEmail(s.projectId, 'a@example.com')).toBeNull();
    });

    it('removes a contact from a legacy audience (the contact stays); the top-level delete deletes it', async () => {
      const aud = (await call('POST', '/audiences', { name: 'News' })).body.id;
      const other = (await call('POST', '/audiences', { name: 'Other' })).body.id;
      const dee = (await call('POST', `/audiences/${aud}/contacts`, { email: 'dee@example.com' })).body.id;
      await call('POST', `/contacts/dee@example.com/segments/${other}`);
      const removed = await call('DELETE', `/audiences/${aud}/contacts/dee@example.com`);
      expect(removed.status).toBe(200);
      expect(removed.body).toEqual({ object: 'contact', id: dee, deleted: true });
      expect((await call('GET', `/audiences/${aud}/contacts/dee@example.com`)).body).toEqual(
        resendError(404, 'not_found', 'Contact not found'),
      );
      expect(ids(await call('GET', `/audiences/${aud}/contacts`))).toEqual([]);
      expect((await call('GET', `/contacts/${dee}`)).body.id).toBe(dee);
      expect((await call('GET', `/audiences/${other}/contacts/${dee}`)).body.id).toBe(dee);
      // By id too, and an unknown audience is a 404.
      expect((await call('DELETE', `/audiences/${other}/contacts/${dee}`)).body.deleted).toBe(true);
      expect((await call('GET', `/contacts/${dee}/segments`)).body.data).toEqual([]);
      const unknown = await call('DELETE', `/audiences/${UNKNOWN}/contacts/${dee}`);
      expect(unknown.body).toEqual(resendError(404, 'not_found', 'Segment not found'));
      expect((await call('DELETE', `/contacts/${dee}`)).body.deleted).toBe(true);
      expect((await call('GET', `/contacts/${dee}`)).status).toBe(404);
    });

    it("refuses a dynamic segment's id everywhere as a missing one, and never deletes it", async () => {
      const dynamic = await dynamicSegment();
      const notFound = resendError(404, 'not_found', 'Segment not found');
      await call('POST', '/contacts', { email: 'a@example.com' });
      for (const path of [
        `/segments/${dynamic.id}`,
        `/audiences/${dynamic.id}`,
        `/contacts?segment_id=${dynamic.id}`,
        `/contacts?audience_id=${dynamic.id}`,
        `/segments/${dynamic.id}/contacts`,
        `/audiences/${dynamic.id}/contacts`,
        `/audiences/${dynamic.id}/contacts/a@example.com`,
      ]) {
        expect({ path, body: (await call('GET', path)).body }).toEqual({ path, body: notFound });
      }
      expect((await call('POST', `/contacts/a@example.com/segments/${dynamic.id}`)).body).toEqual(notFound);
      expect((await call('DELETE', `/contacts/a@example.com/segments/${dynamic.id}`)).body).toEqual(notFound);
      expect((await call('DELETE', `/audiences/${dynamic.id}/contacts/a@example.com`)).body).toEqual(
        notFound,
      );
      for (const collection of ['segments', 'audiences']) {
        const deleted = await call('DELETE', `/${collection}/${dynamic.id}`);
        expect(deleted.body).toEqual({ object: collection.slice(0, -1), id: dynamic.id, deleted: true });
      }
      expect((await s.roster.segments.get(s.projectId, dynamic.id)).type).toBe('DYNAMIC');
    });

    it('lists only static segments at /segments and /audiences', async () => {
      await dynamicSegment();
      const list = (await call('POST', '/segments', { name: 'List' })).body;
      expect(ids(await call('GET', '/segments'))).toEqual([list.id]);
      expect(ids(await call('GET', '/audiences'))).toEqual([list.id]);
    });
  });

  describe('topics', () => {
    it('creates, gets, lists, updates and deletes topics', async () => {
      const created = await call('POST', '/topics', {
        name: 'News',
        description: 'Weekly',
        default_subscription: 'opt_in',
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ object: 'topic', id: UUID });
      const { id } = created.body;
      const topic = {
        object: 'topic',
        id,
        name: 'News',
        description: 'Weekly',
        default_subscription: 'opt_in',
        created_at: RESEND_TIME,
      };
      expect((await call('GET', `/topics/${id}`)).body).toEqual(topic);
      expect((await call('GET', '/topics')).body).toEqual({ object: 'list', has_more: false, data: [topic] });
      expect((await call('PATCH', `/topics/${id}`, { name: 'Digest' })).body).toEqual({
        object: 'topic',
        id,
      });
      expect((await call('GET', `/topics/${id}`)).body.name).toBe('Digest');
      const fixed = await call('PATCH', `/topics/${id}`, { default_subscription: 'opt_out' });
      expect(fixed.status).toBe(422);
      expect(fixed.body.message).toContain('default_subscription');
      expect((await call('DELETE', `/topics/${id}`)).body).toEqual({ object: 'topic', id, deleted: true });
      expect((await call('GET', `/topics/${id}`)).body).toEqual(
        resendError(404, 'not_found', 'Topic not found'),
      );
    });

    it('re-posting an existing email leaves its topics (and fields) unchanged but adds it to the named segments', async () => {
      const promo = (await call('POST', '/topics', { name: 'Promo', default_subscription: 'opt_out' })).body
        .id;
      const seg = (await call('POST', '/segments', { name: 'List' })).body.id;
      const ada = (await call('POST', '/contacts', { email: 'ada@example.com', first_name: 'Ada' })).body.id;
      const again = await call('POST', '/contacts', {
        email: 'ada@example.com',
        first_name: 'Other',
        unsubscribed: true,
        topics: [{ id: promo, subscription: 'opt_in' }],
        segments: [seg],
      });
      expect(again.status).toBe(201);
      expect(again.body).toEqual({ object: 'contact', id: ada });
      const topics = (await call('GET', `/contacts/${ada}/topics`)).body.data;
      expect(topics).toEqual([{ id: promo, name: 'Promo', description: null, subscription: 'opt_out' }]);
      expect((await call('GET', `/contacts/${ada}`)).body).toMatchObject({
        first_name: 'Ada',
        unsubscribed: false,
      });
      expect(ids(await call('GET', `/contacts/${ada}/segments`))).toEqual([seg]);
    });

    it("lists and updates a contact's topics (bare array and {topics}), visible to a segment filter", async () => {
      const news = (await call('POST', '/topics', { name: 'News', default_subscription: 'opt_in' })).body.id;
      const promo = (await call('POST', '/topics', { name: 'Promo', default_subscription: 'opt_out' })).body
        .id;
      const ada = (
        await call('POST', '/contacts', {
          email: 'ada@example.com',
          topics: [{ id: promo, subscription: 'opt_in' }],
        })
      ).body.id;
      expect((await call('GET', `/contacts/${ada}/topics`)).body).toEqual({
        object: 'list',
        has_more: false,
        data: [
          { id: promo, name: 'Promo', description: null, subscription: 'opt_in' },
          { id: news, name: 'News', description: null, subscription: 'opt_in' },
        ],
      });
      const bare = await call('PATCH', '/contacts/ada@example.com/topics', [
        { id: news, subscription: 'opt_out' },
      ]);
      expect(bare.body).toEqual({ id: ada });
      await call('PATCH', `/contacts/${ada}/topics`, { topics: [{ id: promo, subscription: 'opt_out' }] });
      const subs = (await call('GET', `/contacts/${ada}/topics`)).body.data.map(
        (t: { subscription: string }) => t.subscription,
      );
      expect(subs).toEqual(['opt_out', 'opt_out']);
      const optedOut = await s.roster.contacts.count(s.projectId, {
        filter: {
          logic: 'AND',
          groups: [{ filters: [{ field: `topic.${news}`, operator: 'equals', value: 'opt_out' }] }],
        },
      });
      expect(optedOut).toBe(1);
      const bad = await call('PATCH', `/contacts/${ada}/topics`, [{ id: news, subscription: 'maybe' }]);
      expect(bad.status).toBe(422);
      expect(bad.body.message).toContain('`topics.0.subscription`');
    });
    it('refuses bad topics on create before creating the contact, naming topics.<i>', async () => {
      const news = (await call('POST', '/topics', { name: 'News', default_subscription: 'opt_in' })).body.id;
      const bad = await call('POST', '/contacts', {
        email: 'a@example.com',
        topics: [{ id: news, subscription: 'maybe' }],
      });
      expect(bad.body).toEqual(
        resendError(422, 'validation_error', '`topics.0.subscription` must be opt_in or opt_out'),
      );
      const notArray = await call('POST', '/contacts', { email: 'a@example.com', topics: 'news' });
      expect(notArray.status).toBe(422);
      expect(notArray.body.message).toMatch(/^`topics`/);
      const unknown = await call('POST', '/contacts', {
        email: 'a@example.com',
        topics: [{ id: '00000000-0000-0000-0000-000000000000', subscription: 'opt_in' }],
      });
      expect(unknown.body).toEqual(resendError(404, 'not_found', 'Topic not found'));
      expect(await s.roster.contacts.findByEmail(s.projectId, 'a@example.com')).toBeNull();
    });
  });

  describe('contact properties', () => {
    it('answers 404 for a key outside the key rules (NUL included), never 500', async () => {
      const res = await call('DELETE', '/contact-properties/a%00b');
      expect(res.body).toEqual(resendError(404, 'not_found', expect.any(String)));
      expect((await call('GET', '/contact-properties/a%00b')).status).toBe(404);
      expect((await call('PATCH', '/contact-properties/a%00b', { fallback_value: null })).status).toBe(404);
    });

    it('creates, gets, lists, updates only fallback_value, and deletes', async () => {
      const created = await call('POST', '/contact-properties', {
        key: 'seats',
        type: 'number',
        fallback_value: 1,
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ object: 'contact_property', id: UUID });
      const { id } = created.body;
      const property = {
        object: 'contact_property',
        id,
        key: 'seats',
        type: 'number',
        fallback_value: 1,
        created_at: RESEND_TIME,
      };
      expect((await call('GET', `/contact-properties/${id}`)).body).toEqual(property);
      expect((await call('GET', '/contact-properties')).body).toEqual({
        object: 'list',
        has_more: false,
        data: [property],
      });
      expect((await call('PATCH', `/contact-properties/${id}`, { fallback_value: 5 })).body).toEqual({
        object: 'contact_property',
        id,
      });
      expect((await call('GET', `/contact-properties/${id}`)).body.fallback_value).toBe(5);
      expect((await call('PATCH', `/contact-properties/${id}`, { type: 'string' })).body).toEqual(
        resendError(422, 'validation_error', '`type` cannot be changed once the property is created'),
      );
      const wrong = await call('PATCH', `/contact-properties/${id}`, { fallback_value: 'x' });
      expect(wrong.status).toBe(422);
      expect(wrong.body.message).toContain('fallback_value');
      expect((await call('DELETE', `/contact-properties/${id}`)).body).toEqual({
        object: 'contact_property',
        id,
        deleted: true,
      });
      expect((await call('GET', `/contact-properties/${id}`)).status).toBe(404);
    });
  });
});
