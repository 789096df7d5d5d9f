import { describeEachDialect } from '@roster/test-harness';
import { describe, expect, it } from 'vitest';
import { ISO, request, UUID } from './http-helpers.js';
import { unosendError, useUnosendServer } from './unosend-helpers.js';

describeEachDialect('Unosend contacts API', (dialect) => {
  const s = useUnosendServer(dialect);

  function post(path: string, body: unknown, key: string | null = s.key) {
    return request(`${s.base}${path}`, { method: 'POST', key, body });
  }
  function get(path: string, key: string | null = s.key) {
    return request(`${s.base}${path}`, { key });
  }
  function patch(path: string, body: unknown, key: string | null = s.key) {
    return request(`${s.base}${path}`, { method: 'PATCH', key, body });
  }
  function del(path: string, key: string | null = s.key) {
    return request(`${s.base}${path}`, { method: 'DELETE', key });
  }

  describe('Unosend auth', () => {
    it('answers 401 missing_api_key without an Authorization header', async () => {
      const res = await get('/contacts', null);
      expect(res.status).toBe(401);
      expect(res.body).toEqual(
        unosendError(
          'missing_api_key',
          401,
          'Missing Authorization header: use "Authorization: Bearer <key>"',
        ),
      );
    });

    it.each([
      ['an unknown key', 'Bearer un_unknown_key_123'],
      ['a non-Bearer scheme', 'Basic dW46a2V5'],
    ])('answers 401 invalid_api_key to %s', async (_name, authorization) => {
      const res = await request(`${s.base}/contacts`, { headers: { authorization } });
      expect(res.status).toBe(401);
      expect(res.body).toEqual(unosendError('invalid_api_key', 401));
    });

    it('accepts any secret key of the project, sk_ as well as un_', async () => {
      const sk = (await s.roster.keys.create(s.projectId, { prefix: 'sk_' })).key;
      expect((await get('/contacts', sk)).status).toBe(200);
    });

    it("refuses Plunk's public pk_ keys", async () => {
      await s.roster.keys.register(s.projectId, 'pk_public_key_of_main');
      const res = await get('/contacts', 'pk_public_key_of_main');
      expect(res.status).toBe(401);
      expect(res.body).toEqual(
        unosendError(
          'invalid_api_key',
          401,
          'Public keys (pk_*) cannot be used with this API; use a secret key',
        ),
      );
    });

    it('answers 404 not_found for an unknown route under /contacts', async () => {
      const res = await request(`${s.base}/contacts/abc/nested`, { key: s.key, method: 'PUT' });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(unosendError('not_found', 404, 'Route PUT /v1/contacts/abc/nested not found'));
    });
  });

  describe('POST /v1/contacts', () => {
    it('creates a contact: 201 with the whole Unosend contact', async () => {
      const audience = await s.roster.audiences.create(s.projectId, { name: 'News' });
      const res = await post('/contacts', {
        email: ' Ada@Example.com ',
        first_name: 'Ada',
        last_name: 'Lovelace',
        audience_id: audience.id,
        metadata: { plan: 'pro', seats: 3 },
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: UUID,
        email: 'ada@example.com',
        first_name: 'Ada',
        last_name: 'Lovelace',
        audience_id: audience.id,
        subscribed: true,
        metadata: { plan: 'pro', seats: 3 },
        created_at: ISO,
      });
    });

    it('stores metadata as sent, null values, empty strings and reserved-looking keys included', async () => {
      const metadata = {
        plan: 'pro',
        gone: null,
        empty: '',
        id: 'x',
        token: { value: 't', persistent: false },
      };
      const res = await post('/contacts', { email: 'meta@example.com', metadata });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: UUID,
        email: 'meta@example.com',
        first_name: null,
        last_name: null,
        audience_id: null,
        subscribed: true,
        metadata,
        created_at: ISO,
      });
      const stored = await get(`/contacts/${res.body.id}`);
      expect(stored.body.metadata).toEqual(metadata);
      // The SDK's bulkCreate form stores metadata the same way.
      const bulk = await post('/contacts/bulk', {
        contacts: [{ email: 'bulk-meta@example.com', metadata: { a: null, b: 1 } }],
      });
      expect(bulk.body).toMatchObject({ created: 1 });
      const found = await s.roster.contacts.findByEmail(s.projectId, 'bulk-meta@example.com');
      expect(found?.data).toEqual({ a: null, b: 1 });
    });

    it('defaults names and audience to null and metadata to {}', async () => {
      const res = await post('/contacts', { email: 'min@example.com' });
      expect(res.body).toEqual({
        id: UUID,
        email: 'min@example.com',
        first_name: null,
        last_name: null,
        audience_id: null,
        subscribed: true,
        metadata: {},
        created_at: ISO,
      });
    });

    it.each([
      [{ subscribed: false }, false],
      [{ unsubscribed: true }, false],
      [{ unsubscribed: false }, true],
      [{ subscribed: true, unsubscribed: false }, true],
    ])('stores %j as subscribed=%s', async (flags, subscribed) => {
      const res = await post('/contacts', { email: 'flag@example.com', ...flags });
      expect(res.status).toBe(201);
      expect(res.body.subscribed).toBe(subscribed);
    });

    it('answers 409 and leaves the existing contact untouched when the email exists', async () => {
      const first = await post('/contacts', {
        email: 'ada@example.com',
        first_name: 'Ada',
        metadata: { a: 1 },
      });
      const res = await post('/contacts', {
        email: 'ADA@example.com',
        first_name: 'Other',
        subscribed: false,
        metadata: { a: 2 },
      });
      expect(res.status).toBe(409);
      expect(res.body).toEqual(
        unosendError('contact_already_exists', 409, 'Contact with this email already exists'),
      );
      const stored = await get(`/contacts/${first.body.id}`);
      expect(stored.body).toEqual({ ...first.body, updated_at: first.body.created_at });
    });

    it.each([
      ['an unknown audience', () => '0190a6c4-0000-7000-8000-000000000000'],
      [
        "another project's audience",
        async () => (await s.roster.audiences.create(s.otherProjectId, { name: 'Theirs' })).id,
      ],
    ])('answers 404 Audience not found for %s and creates nothing', async (_name, audienceId) => {
      const res = await post('/contacts', { email: 'a@example.com', audience_id: await audienceId() });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(unosendError('audience_not_found', 404, 'Audience not found'));
      expect(await s.roster.contacts.count(s.projectId)).toBe(0);
    });

    it.each([
      [{}, 'email: is required'],
      [{ email: 'nope' }, 'email: must be a valid email address'],
      [{ email: 42 }, 'email: must be a string'],
      [{ email: 'a@example.com', audience_id: 'not-a-uuid' }, 'audience_id: must be a UUID'],
      [{ email: 'a@example.com', first_name: 5 }, 'first_name: must be a string'],
      [{ email: 'a@example.com', metadata: 'x' }, 'metadata: must be an object'],
      [{ email: 'a@example.com', subscribed: 'yes' }, 'subscribed: must be a boolean'],
      [{ email: 'a@example.com', unsubscribed: 'no' }, 'unsubscribed: must be a boolean'],
      [
        { email: 'a@example.com', subscribed: true, unsubscribed: true },
        'unsubscribed: contradicts subscribed: give one of them, or opposite values',
      ],
    ])('answers 400 to %j naming the field', async (body, message) => {
      const res = await post('/contacts', body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(unosendError('validation_error', 400, message));
    });

    it('answers 400 naming metadata.<key> when a value breaks its declared property type', async () => {
      await s.roster.properties.create(s.projectId, { key: 'seats', type: 'number' });
      try {
        const res = await post('/contacts', { email: 'typed@example.com', metadata: { seats: 'ten' } });
        expect(res.status).toBe(400);
        expect(res.body).toEqual(
          unosendError(
            'validation_error',
            400,
            'metadata.seats: must be a number: the property seats is declared as number',
          ),
        );
        expect(await s.roster.contacts.findByEmail(s.projectId, 'typed@example.com')).toBeNull();
        expect(
          (await post('/contacts', { email: 'typed@example.com', metadata: { seats: 10 } })).status,
        ).toBe(201);
      } finally {
        await s.roster.properties.delete(s.projectId, 'seats');
      }
    });

    it.each([
      [
        '{"email":"a@example.com","metadata":{"__proto__":1}}',
        'metadata.__proto__: is not allowed as a data key',
      ],
      [
        '{"email":"a@example.com","metadata":{"constructor":"a\\u0000b"}}',
        'metadata.constructor: must not contain the NUL character (\\u0000)',
      ],
      [
        '{"email":"a@example.com","metadata":{"toString":{"valueOf":1e999}}}',
        'metadata.toString.valueOf: must be a finite number',
      ],
    ])('names a prototype-named metadata key as itself in %s', async (body, message) => {
      const res = await post('/contacts', body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(unosendError('validation_error', 400, message));
    });

    it('answers 400 invalid_json to malformed JSON and to a non-object body', async () => {
      const malformed = await post('/contacts', '{"email":');
      expect(malformed.status).toBe(400);
      expect(malformed.body).toEqual(unosendError('invalid_json', 400, 'Malformed JSON in request body'));
      const array = await post('/contacts', [1, 2]);
      expect(array.status).toBe(400);
      expect(array.body).toEqual(unosendError('validation_error', 400, 'body: must be a JSON object'));
    });
  });

  describe('GET /v1/contacts', () => {
    async function seed(n: number, audienceId?: string) {
      const result = await s.roster.contacts.createMany(s.projectId, {
        audienceId,
        contacts: Array.from({ length: n }, (_, i) => ({
          email: `u${i}-${audienceId ?? 'none'}@example.com`,
        })),
      });
      return result.ids;
    }

    it('lists newest first with updated_at, the whole body', async () => {
      const a = await post('/contacts', { email: 'a@example.com', first_name: 'A' });
      const b = await post('/contacts', { email: 'b@example.com', metadata: { k: 'v' } });
      const res = await get('/contacts');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        data: [
          { ...b.body, updated_at: b.body.created_at },
          { ...a.body, updated_at: a.body.created_at },
        ],
      });
    });

    it('pages with limit and offset, and with page and per_page', async () => {
      const ids = (await seed(7)).reverse();
      const page = async (query: string) => (await get(`/contacts?${query}`)).body.data.map((c: any) => c.id);
      expect(await page('limit=3&offset=0')).toEqual(ids.slice(0, 3));
      expect(await page('limit=3&offset=3')).toEqual(ids.slice(3, 6));
      expect(await page('limit=3&offset=6')).toEqual(ids.slice(6));
      expect(await page('page=2&per_page=3')).toEqual(ids.slice(3, 6));
      expect(await page('page=1')).toEqual(ids);
    });

    it('defaults to 50 and clamps limit to 100', async () => {
      await seed(120);
      expect((await get('/contacts')).body.data).toHaveLength(50);
      expect((await get('/contacts?limit=500')).body.data).toHaveLength(100);
    });

    it('filters by audience; an unknown audience gives an empty list', async () => {
      const audience = await s.roster.audiences.create(s.projectId, { name: 'A' });
      const inside = await seed(2, audience.id);
      await seed(3);
      const res = await get(`/contacts?audience_id=${audience.id}`);
      expect(res.body.data.map((c: any) => c.id)).toEqual([...inside].reverse());
      const unknown = await get('/contacts?audience_id=0190a6c4-0000-7000-8000-000000000000');
      expect(unknown).toMatchObject({ status: 200, body: { data: [] } });
    });

    it.each([
      ['limit=0', 'limit: must be at least 1'],
      ['limit=-5', 'limit: must be at least 1'],
      ['limit=2.5', 'limit: must be an integer'],
      ['limit=ten', 'limit: must be an integer'],
      ['offset=-1', 'offset: must not be negative'],
      ['offset=1.5', 'offset: must be an integer'],
      ['page=0', 'page: must be at least 1'],
      ['per_page=x', 'per_page: must be an integer'],
      ['audience_id=nope', 'audience_id: must be a UUID'],
    ])('answers 400 to ?%s', async (query, message) => {
      const res = await get(`/contacts?${query}`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(unosendError('validation_error', 400, message));
    });

    it("never lists another project's contacts", async () => {
      await s.roster.contacts.create(s.otherProjectId, { email: 'theirs@example.com' });
      expect((await get('/contacts')).body).toEqual({ data: [] });
    });
  });

  describe('GET /v1/contacts/:id', () => {
    it('answers the whole contact', async () => {
      const created = await post('/contacts', { email: 'a@example.com', last_name: 'L' });
      const res = await get(`/contacts/${created.body.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...created.body, updated_at: created.body.created_at });
    });

    it.each([
      ['an unknown id', async () => '0190a6c4-0000-7000-8000-000000000000'],
      ['a malformed id', async () => 'nope'],
      [
        "another project's id",
        async () => (await s.roster.contacts.create(s.otherProjectId, { email: 'x@example.com' })).id,
      ],
    ])('answers 404 contact_not_found for %s', async (_name, id) => {
      const res = await get(`/contacts/${await id()}`);
      expect(res.status).toBe(404);
      expect(res.body).toEqual(unosendError('contact_not_found', 404, 'Contact not found'));
    });
  });

  describe('PATCH /v1/contacts/:id', () => {
    it('changes only the given fields and replaces metadata whole', async () => {
      const audience = await s.roster.audiences.create(s.projectId, { name: 'A' });
      const created = await post('/contacts', {
        email: 'a@example.com',
        first_name: 'Ada',
        last_name: 'Lovelace',
        metadata: { plan: 'pro', seats: 3 },
      });
      const res = await patch(`/contacts/${created.body.id}`, {
        last_name: null,
        audience_id: audience.id,
        metadata: { plan: 'free' },
        unsubscribed: true,
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        ...created.body,
        first_name: 'Ada',
        last_name: null,
        audience_id: audience.id,
        subscribed: false,
        metadata: { plan: 'free' },
        updated_at: ISO,
      });
      expect(await s.roster.contacts.get(s.projectId, created.body.id)).toMatchObject({
        data: { plan: 'free' },
      });
    });

    it('clears metadata with null and the audience with audience_id null', async () => {
      const audience = await s.roster.audiences.create(s.projectId, { name: 'A' });
      const created = await post('/contacts', {
        email: 'a@example.com',
        audience_id: audience.id,
        metadata: { a: 1 },
      });
      const res = await patch(`/contacts/${created.body.id}`, { metadata: null, audience_id: null });
      expect(res.body).toMatchObject({ metadata: {}, audience_id: null });
    });

    it('answers 409 to an email used by another contact and changes nothing', async () => {
      await post('/contacts', { email: 'taken@example.com' });
      const created = await post('/contacts', { email: 'a@example.com' });
      const res = await patch(`/contacts/${created.body.id}`, {
        email: 'taken@example.com',
        first_name: 'X',
      });
      expect(res.status).toBe(409);
      expect(res.body).toEqual(unosendError('contact_already_exists', 409));
      expect((await get(`/contacts/${created.body.id}`)).body).toMatchObject({
        email: 'a@example.com',
        first_name: null,
      });
    });

    it('answers 404 for unknown and foreign ids and for a foreign audience', async () => {
      const foreign = await s.roster.contacts.create(s.otherProjectId, { email: 'x@example.com' });
      expect((await patch(`/contacts/${foreign.id}`, { first_name: 'X' })).body).toEqual(
        unosendError('contact_not_found', 404, 'Contact not found'),
      );
      expect((await s.roster.contacts.get(s.otherProjectId, foreign.id)).firstName).toBeNull();
      const theirs = await s.roster.audiences.create(s.otherProjectId, { name: 'T' });
      const mine = await post('/contacts', { email: 'a@example.com' });
      const res = await patch(`/contacts/${mine.body.id}`, { audience_id: theirs.id });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(unosendError('audience_not_found', 404, 'Audience not found'));
    });

    it.each([
      [{ email: 'bad' }, 'email: must be a valid email address'],
      [{ last_name: 3 }, 'last_name: must be a string'],
      [{ metadata: [1] }, 'metadata: must be an object'],
      [{ audience_id: 'x' }, 'audience_id: must be a UUID'],
    ])('answers 400 to %j', async (body, message) => {
      const created = await post('/contacts', { email: 'a@example.com' });
      const res = await patch(`/contacts/${created.body.id}`, body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(unosendError('validation_error', 400, message));
    });
  });

  describe('DELETE /v1/contacts/:id', () => {
    it('deletes: 200 {id, deleted: true}, then 404', async () => {
      const created = await post('/contacts', { email: 'a@example.com' });
      const res = await del(`/contacts/${created.body.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id: created.body.id, deleted: true });
      expect((await get(`/contacts/${created.body.id}`)).status).toBe(404);
      const again = await del(`/contacts/${created.body.id}`);
      expect(again.status).toBe(404);
      expect(again.body).toEqual(unosendError('contact_not_found', 404, 'Contact not found'));
    });

    it("does not delete another project's contact", async () => {
      const foreign = await s.roster.contacts.create(s.otherProjectId, { email: 'x@example.com' });
      expect((await del(`/contacts/${foreign.id}`)).status).toBe(404);
      expect(await s.roster.contacts.count(s.otherProjectId)).toBe(1);
    });
  });

  describe('POST /v1/contacts/validate', () => {
    it.each([
      ['ada@example.com', { email: 'ada@example.com', valid: true }],
      ['ada@', { email: 'ada@', valid: false, reason: 'Invalid email address syntax' }],
      [
        'ada@gmial.com',
        { email: 'ada@gmial.com', valid: false, reason: 'Possible typo: did you mean ada@gmail.com?' },
      ],
    ])('checks %s', async (email, body) => {
      const res = await post('/contacts/validate', { email });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(body);
    });

    it('answers 400 without an email string', async () => {
      expect((await post('/contacts/validate', {})).body).toEqual(
        unosendError('validation_error', 400, 'email: is required'),
      );
      expect((await post('/contacts/validate', { email: 1 })).body).toEqual(
        unosendError('validation_error', 400, 'email: must be a string'),
      );
    });
  });
});
