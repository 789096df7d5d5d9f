import { contactTime } from '@roster/core/internal';
import { describeEachDialect } from '@roster/test-harness';
import type { Express } from 'express';
import { beforeEach, describe, expect, it } from 'vitest';
import { emptyTables, ISO, request, UUID } from './http-helpers.js';
import { plunkError, usePlunkServer } from './plunk-helpers.js';

const UUID_SAMPLE = '01900000-0000-7000-8000-000000000000';

/** An app route beside the router. */
const ownRoute = (app: Express) =>
  app.get('/api/own-route', (_req, res) => {
    res.json({ own: true });
  });

describeEachDialect('Plunk contacts API', (dialect) => {
  // Mounted below a prefix, inside an app with its own routes, to prove it is mountable anywhere.
  const s = usePlunkServer(dialect, { serve: { prefix: '/api', jsonLimit: 2048, setup: ownRoute } });
  beforeEach(() => emptyTables(s.roster, 'roster_contacts'));

  describe('Plunk auth', () => {
    it.each([
      ['no Authorization header', undefined, 'UNAUTHORIZED'],
      [
        'a non-Bearer scheme',
        { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
        'UNAUTHORIZED',
      ],
      ['an unknown key', { authorization: 'Bearer sk_unknown_key_123' }, 'INVALID_API_KEY'],
    ])('answers 401 to %s', async (_name, headers, code) => {
      const res = await request(`${s.base}/contacts`, { headers });
      expect(res.status).toBe(401);
      expect(res.body).toEqual(plunkError(code, 401));
    });

    it('refuses a public pk_ key with a message asking for a secret key', async () => {
      await s.roster.keys.register(s.projectId, 'pk_public_key_of_project');
      const res = await request(`${s.base}/contacts`, { key: 'pk_public_key_of_project' });
      expect(res.status).toBe(401);
      expect(res.body.error.message).toBe('This endpoint requires a secret key (sk_*)');
    });

    it('leaves the host app routes alone', async () => {
      const res = await request(`${s.base}/own-route`);
      expect(res).toMatchObject({ status: 200, body: { own: true } });
    });
  });

  describe('POST /contacts', () => {
    it('creates a contact: 201 with the whole Plunk contact and _meta', async () => {
      const res = await request(`${s.base}/contacts`, {
        method: 'POST',
        key: s.key,
        body: { email: ' Ada@Example.com', data: { plan: 'pro', id: 'ignored' } },
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: UUID,
        email: 'ada@example.com',
        subscribed: true,
        data: { plan: 'pro' },
        projectId: s.projectId,
        createdAt: ISO,
        updatedAt: ISO,
        _meta: { isNew: true, isUpdate: false },
      });
      expect(Object.keys(res.body)).toEqual([
        'id',
        'email',
        'subscribed',
        'data',
        'projectId',
        'createdAt',
        'updatedAt',
        '_meta',
      ]);
    });

    it('updates an existing contact: 200, same id, data merged, subscription kept unless given', async () => {
      const first = await request(`${s.base}/contacts`, {
        method: 'POST',
        key: s.key,
        body: { email: 'ada@example.com', subscribed: false, data: { a: 1, b: 2 } },
      });
      const second = await request(`${s.base}/contacts`, {
        method: 'POST',
        key: s.key,
        body: { email: 'ADA@example.com', data: { b: null, c: '', d: 4 } },
      });
      expect(second.status).toBe(200);
      expect(second.body).toEqual({
        ...first.body,
        data: { a: 1, d: 4 },
        updatedAt: ISO,
        _meta: { isNew: false, isUpdate: true },
      });
    });

    it('does not store transient {value, persistent: false} data; stores {value, persistent: true} and a bare {value} as sent', async () => {
      const created = await request(`${s.base}/contacts`, {
        method: 'POST',
        key: s.key,
        body: {
          email: 'ada@example.com',
          data: {
            plan: 'pro',
            resetToken: { value: 'abc123', persistent: false },
            kept: { value: 'x', persistent: true },
            bare: { value: 1 },
            notTransient: { persistent: false },
          },
        },
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: UUID,
        email: 'ada@example.com',
        subscribed: true,
        data: {
          plan: 'pro',
          kept: { value: 'x', persistent: true },
          bare: { value: 1 },
          notTransient: { persistent: false },
        },
        projectId: s.projectId,
        createdAt: ISO,
        updatedAt: ISO,
        _meta: { isNew: true, isUpdate: false },
      });
      // On an existing contact a transient value neither sets nor removes the stored key.
      const upserted = await request(`${s.base}/contacts`, {
        method: 'POST',
        key: s.key,
        body: { email: 'ada@example.com', data: { plan: { value: 'one-off', persistent: false } } },
      });
      expect(upserted.status).toBe(200);
      expect(upserted.body.data).toEqual(created.body.data);
      const patched = await request(`${s.base}/contacts/${created.body.id}`, {
        method: 'PATCH',
        key: s.key,
        body: {
          data: { plan: { value: 'x', persistent: false }, code: { value: '123', persistent: false } },
        },
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toEqual({ ...created.body, _meta: undefined, updatedAt: ISO });
      const onlyTransient = await request(`${s.base}/contacts`, {
        method: 'POST',
        key: s.key,
        body: { email: 'bob@example.com', data: { token: { value: 't', persistent: false } } },
      });
      expect(onlyTransient.body.data).toBeNull();
    });

    it.each([
      ['no body', undefined],
      ['missing email', {}],
      ['an empty email', { email: '' }],
      ['a null email', { email: null, data: { a: 1 } }],
      ['a body that is not an object', [1]],
    ])("answers Plunk's flat 400 {error: 'Email is required'} to %s", async (_name, body) => {
      const res = await request(`${s.base}/contacts`, { method: 'POST', key: s.key, body });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'Email is required' });
      expect(await s.roster.contacts.count(s.projectId)).toBe(0);
    });

    it.each([
      ['invalid email', { email: 'nope' }, [{ field: 'email', message: 'must be a valid email address' }]],
      [
        'subscribed not boolean',
        { email: 'a@b.co', subscribed: 'true' },
        [{ field: 'subscribed', message: 'must be a boolean' }],
      ],
      [
        'data not an object',
        { email: 'a@b.co', data: [1, 2] },
        [{ field: 'data', message: 'must be an object' }],
      ],
    ])('answers 400 naming the field for %s', async (_name, body, errors) => {
      const res = await request(`${s.base}/contacts`, { method: 'POST', key: s.key, body });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(plunkError('VALIDATION_ERROR', 400, errors));
      expect(await s.roster.contacts.count(s.projectId)).toBe(0);
    });

    it('answers 400 naming data.<key> when a value breaks its declared property type', async () => {
      await s.roster.properties.create(s.projectId, { key: 'seats', type: 'number' });
      try {
        const res = await request(`${s.base}/contacts`, {
          method: 'POST',
          key: s.key,
          body: { email: 'typed@example.com', data: { seats: 'ten' } },
        });
        expect(res.status).toBe(400);
        expect(res.body).toEqual(
          plunkError('VALIDATION_ERROR', 400, [
            { field: 'data.seats', message: 'must be a number: the property seats is declared as number' },
          ]),
        );
        expect(await s.roster.contacts.count(s.projectId)).toBe(0);
      } finally {
        await s.roster.properties.delete(s.projectId, 'seats');
      }
    });

    it('answers 400 to malformed JSON', async () => {
      const res = await request(`${s.base}/contacts`, {
        method: 'POST',
        key: s.key,
        body: '{"email": "a@b.co"',
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(
        plunkError('VALIDATION_ERROR', 400, [{ field: 'body', message: 'is not valid JSON' }]),
      );
    });

    it('answers 413 to a body over the limit and stores nothing', async () => {
      const res = await request(`${s.base}/contacts`, {
        method: 'POST',
        key: s.key,
        body: { email: 'a@b.co', data: { blob: 'x'.repeat(4096) } },
      });
      expect(res.status).toBe(413);
      expect(res.body).toEqual(
        plunkError('PAYLOAD_TOO_LARGE', 413, [{ field: 'body', message: 'is too large' }]),
      );
      expect(await s.roster.contacts.count(s.projectId)).toBe(0);
    });
  });

  describe('GET /contacts/:id, PATCH, DELETE', () => {
    async function create(email: string, data?: Record<string, unknown>) {
      return (await request(`${s.base}/contacts`, { method: 'POST', key: s.key, body: { email, data } }))
        .body;
    }

    it('gets a contact by id', async () => {
      const created = await create('a@b.co', { x: 1 });
      const { _meta, ...contact } = created;
      const res = await request(`${s.base}/contacts/${created.id}`, { key: s.key });
      expect(res).toMatchObject({ status: 200, body: contact });
      expect(res.body).toEqual(contact);
    });

    it('answers 404 for an unknown id, a malformed id, and another project contact', async () => {
      const created = await create('a@b.co');
      for (const [id, k] of [
        ['01900000-0000-7000-8000-000000000000', s.key],
        ['not-a-uuid', s.key],
        [created.id, s.otherKey],
      ]) {
        const res = await request(`${s.base}/contacts/${id}`, { key: k });
        expect(res.status).toBe(404);
        expect(res.body).toEqual(plunkError('CONTACT_NOT_FOUND', 404));
      }
    });

    it('patches subscription, email and merges data', async () => {
      const created = await create('a@b.co', { a: 1, b: 2 });
      const res = await request(`${s.base}/contacts/${created.id}`, {
        method: 'PATCH',
        key: s.key,
        body: { email: 'New@B.co', subscribed: false, data: { a: null, c: 3 } },
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        id: created.id,
        email: 'new@b.co',
        subscribed: false,
        data: { b: 2, c: 3 },
        projectId: s.projectId,
        createdAt: created.createdAt,
        updatedAt: ISO,
      });
    });

    it('clears data with data: null', async () => {
      const created = await create('a@b.co', { a: 1 });
      const res = await request(`${s.base}/contacts/${created.id}`, {
        method: 'PATCH',
        key: s.key,
        body: { data: null },
      });
      expect(res.body.data).toBeNull();
    });

    it('answers 409 when the new email is taken, changing nothing', async () => {
      await create('taken@b.co');
      const mine = await create('mine@b.co', { a: 1 });
      const res = await request(`${s.base}/contacts/${mine.id}`, {
        method: 'PATCH',
        key: s.key,
        body: { email: 'taken@b.co', data: { a: 2 } },
      });
      expect(res.status).toBe(409);
      expect(res.body).toEqual(plunkError('CONFLICT', 409));
      expect((await request(`${s.base}/contacts/${mine.id}`, { key: s.key })).body.data).toEqual({ a: 1 });
    });

    it('answers 400 to a bad PATCH field and 404 to another project contact', async () => {
      const created = await create('a@b.co');
      const bad = await request(`${s.base}/contacts/${created.id}`, {
        method: 'PATCH',
        key: s.key,
        body: { subscribed: 1 },
      });
      expect(bad.body).toEqual(
        plunkError('VALIDATION_ERROR', 400, [{ field: 'subscribed', message: 'must be a boolean' }]),
      );
      const foreign = await request(`${s.base}/contacts/${created.id}`, {
        method: 'PATCH',
        key: s.otherKey,
        body: { subscribed: false },
      });
      expect(foreign.status).toBe(404);
      expect((await request(`${s.base}/contacts/${created.id}`, { key: s.key })).body.subscribed).toBe(true);
    });

    it('deletes with 204, then 404; another project cannot delete it', async () => {
      const created = await create('a@b.co');
      expect(
        (await request(`${s.base}/contacts/${created.id}`, { method: 'DELETE', key: s.otherKey })).status,
      ).toBe(404);
      const res = await request(`${s.base}/contacts/${created.id}`, { method: 'DELETE', key: s.key });
      expect(res.status).toBe(204);
      expect(res.body).toBeUndefined();
      expect((await request(`${s.base}/contacts/${created.id}`, { key: s.key })).status).toBe(404);
      expect(
        (await request(`${s.base}/contacts/${created.id}`, { method: 'DELETE', key: s.key })).status,
      ).toBe(404);
    });

    it('answers 404 JSON to unknown routes under the router', async () => {
      const res = await request(`${s.base}/contacts/${UUID_SAMPLE}/unknown`, { key: s.key });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(plunkError('NOT_FOUND', 404));
    });
  });

  describe('GET /contacts', () => {
    async function seed(n: number, prefix = 'user') {
      for (let i = 0; i < n; i++)
        await s.roster.contacts.upsert(s.projectId, { email: `${prefix}${i}@example.com` });
    }

    it('returns the first page newest first with total, cursor and hasMore', async () => {
      await seed(3);
      const res = await request(`${s.base}/contacts?limit=2`, { key: s.key });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(['data', 'cursor', 'hasMore', 'total']);
      expect(res.body.data.map((c: { email: string }) => c.email)).toEqual([
        'user2@example.com',
        'user1@example.com',
      ]);
      expect(res.body).toMatchObject({ cursor: res.body.data[1].id, hasMore: true, total: 3 });
      const next = await request(`${s.base}/contacts?limit=2&cursor=${res.body.cursor}`, { key: s.key });
      expect(next.body).toEqual({
        data: [expect.objectContaining({ email: 'user0@example.com' })],
        cursor: null,
        hasMore: false,
      });
    });

    it('pages 250 contacts with limit 100 and sees every contact exactly once', async () => {
      await seed(250);
      const seen: string[] = [];
      let url = `${s.base}/contacts?limit=100`;
      for (;;) {
        const res = await request(url, { key: s.key });
        seen.push(...res.body.data.map((c: { id: string }) => c.id));
        if (!res.body.hasMore) break;
        url = `${s.base}/contacts?limit=100&cursor=${res.body.cursor}`;
      }
      expect(seen).toHaveLength(250);
      expect(new Set(seen).size).toBe(250);
    });

    it.each([
      ['', 20],
      ['?limit=abc', 20],
      ['?limit=0', 20],
      ['?limit=-5', 20],
      ['?limit=500', 100],
      ['?limit=7', 7],
    ])('applies Plunk limit rules to %s', async (query, size) => {
      await seed(120);
      const res = await request(`${s.base}/contacts${query}`, { key: s.key });
      expect(res.body.data).toHaveLength(size);
    });

    it.each([
      ['cursor=null', 'the string null (what a client sends back for a null cursor)'],
      ['cursor=', 'an empty cursor'],
    ])('treats %s (%s) as the first page, with total', async (query) => {
      await seed(3);
      const res = await request(`${s.base}/contacts?limit=2&${query}`, { key: s.key });
      const first = await request(`${s.base}/contacts?limit=2`, { key: s.key });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(first.body);
      expect(res.body).toMatchObject({ hasMore: true, total: 3 });
    });

    it('answers 400 to a malformed or unknown cursor', async () => {
      await seed(1);
      for (const cursor of ['garbage', UUID_SAMPLE]) {
        const res = await request(`${s.base}/contacts?cursor=${cursor}`, { key: s.key });
        expect(res.status).toBe(400);
        expect(res.body).toEqual(
          plunkError('VALIDATION_ERROR', 400, [{ field: 'cursor', message: 'is not a valid cursor' }]),
        );
      }
    });

    it('searches email substrings case-insensitively, also through the email alias', async () => {
      await seed(3, 'Alpha');
      await seed(2, 'beta');
      const res = await request(`${s.base}/contacts?search=ALPHA`, { key: s.key });
      expect(res.body.total).toBe(3);
      expect(res.body.data.every((c: { email: string }) => c.email.startsWith('alpha'))).toBe(true);
      const alias = await request(`${s.base}/contacts?email=Beta`, { key: s.key });
      expect(alias.body.total).toBe(2);
    });

    /** Seeds contacts whose created_at order differs from creation (id) order and has ties. */
    async function seedScrambled(n: number) {
      const emails: string[] = [];
      for (let i = 0; i < n; i++) {
        // Emails in an order unrelated to both ids and created_at.
        const email = `c${String((i * 89) % n).padStart(4, '0')}@example.com`;
        const { contact } = await s.roster.contacts.upsert(s.projectId, { email, subscribed: i % 3 !== 0 });
        // ~3 contacts share each millisecond, in an order unrelated to their ids.
        const createdAt = new Date(Date.UTC(2026, 0, 1) + ((i * 37) % Math.ceil(n / 3))).toISOString();
        await s.roster.db
          .updateTable('roster_contacts')
          .set({ created_at: contactTime(createdAt) })
          .where('id', '=', s.roster.dialect.contactIdValue(contact.id))
          .execute();
        emails.push(email);
      }
      return emails;
    }

    type Row = { id: string; email: string; createdAt: string; subscribed: boolean };
    /** Plunk's order: the sort column in `dir`, then id descending. */
    function plunkOrder(rows: Row[], sort: 'createdAt' | 'email', dir: 'asc' | 'desc') {
      const sign = dir === 'asc' ? 1 : -1;
      return [...rows].sort((a, b) => {
        const ka = sort === 'email' ? a.email : a.createdAt;
        const kb = sort === 'email' ? b.email : b.createdAt;
        if (ka !== kb) return ka < kb ? -sign : sign;
        return a.id < b.id ? 1 : -1;
      });
    }

    async function allRows(): Promise<Row[]> {
      const rows: Row[] = [];
      for await (const c of s.roster.contacts.stream(s.projectId)) rows.push(c);
      return rows.map(({ id, email, createdAt, subscribed }) => ({ id, email, createdAt, subscribed }));
    }

    it('filters by subscribed=true|false; total counts the filtered set', async () => {
      await seed(2, 'on');
      await s.roster.contacts.upsert(s.projectId, { email: 'off0@example.com', subscribed: false });
      const off = await request(`${s.base}/contacts?subscribed=false`, { key: s.key });
      expect(off.status).toBe(200);
      const offContact = (await s.roster.contacts.findByEmail(s.projectId, 'off0@example.com'))!;
      expect(off.body).toEqual({
        data: [
          {
            id: offContact.id,
            email: 'off0@example.com',
            subscribed: false,
            data: null,
            projectId: s.projectId,
            createdAt: offContact.createdAt,
            updatedAt: offContact.updatedAt,
          },
        ],
        cursor: null,
        hasMore: false,
        total: 1,
      });
      const on = await request(`${s.base}/contacts?subscribed=true&limit=1`, { key: s.key });
      expect(on.body).toEqual({
        data: [expect.objectContaining({ email: 'on1@example.com', subscribed: true })],
        cursor: on.body.data[0].id,
        hasMore: true,
        total: 2,
      });
      const next = await request(`${s.base}/contacts?subscribed=true&limit=1&cursor=${on.body.cursor}`, {
        key: s.key,
      });
      expect(next.body).toEqual({
        data: [expect.objectContaining({ email: 'on0@example.com', subscribed: true })],
        cursor: null,
        hasMore: false,
      });
    });

    it.each([['?subscribed=yes'], ['?subscribed=1'], ['?subscribed=TRUE'], ['?subscribed=']])(
      'ignores %s like Plunk (no filter)',
      async (query) => {
        await seed(1, 'on');
        await s.roster.contacts.upsert(s.projectId, { email: 'off0@example.com', subscribed: false });
        const res = await request(`${s.base}/contacts${query}`, { key: s.key });
        expect(res.status).toBe(200);
        expect(res.body.total).toBe(2);
      },
    );

    it.each([
      ['createdAt', 'asc'],
      ['createdAt', 'desc'],
      ['email', 'asc'],
      ['email', 'desc'],
    ] as const)('sorts by %s %s, ties on createdAt broken by id descending', async (sort, dir) => {
      await seedScrambled(30);
      const expected = plunkOrder(await allRows(), sort, dir);
      const res = await request(`${s.base}/contacts?sort=${sort}&dir=${dir}&limit=100`, { key: s.key });
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(30);
      expect(res.body.data.map((c: Row) => c.id)).toEqual(expected.map((c) => c.id));
    });

    it.each([
      ['?sort=name&dir=up', 'createdAt', 'desc'],
      ['?sort=EMAIL', 'createdAt', 'desc'],
      ['?dir=asc', 'createdAt', 'asc'],
      ['?sort=email', 'email', 'desc'],
      ['?sort=email&dir=sideways', 'email', 'desc'],
    ] as const)('falls back to the defaults for unrecognised values: %s', async (query, sort, dir) => {
      await seedScrambled(12);
      const expected = plunkOrder(await allRows(), sort, dir);
      const res = await request(`${s.base}/contacts${query}`, { key: s.key });
      expect(res.status).toBe(200);
      expect(res.body.data.map((c: Row) => c.id)).toEqual(expected.map((c) => c.id));
    });

    it.each([
      ['createdAt', 'asc'],
      ['createdAt', 'desc'],
      ['email', 'asc'],
      ['email', 'desc'],
    ] as const)(
      'pages 250 contacts by 100 sorted by %s %s: each once, in order, also with contacts created between pages',
      async (sort, dir) => {
        await seedScrambled(250);
        const expected = plunkOrder(await allRows(), sort, dir).map((c) => c.id);
        const originals = new Set(expected);
        const seen: string[] = [];
        let url = `${s.base}/contacts?limit=100&sort=${sort}&dir=${dir}`;
        for (let page = 0; ; page++) {
          const res = await request(url, { key: s.key });
          expect(res.status).toBe(200);
          expect(res.body.total).toBe(page === 0 ? 250 : undefined);
          seen.push(...res.body.data.map((c: Row) => c.id));
          if (!res.body.hasMore) {
            expect(res.body.cursor).toBeNull();
            break;
          }
          // New contacts between pages: sorted anywhere (emails before, between and after).
          for (const email of [`a${page}@example.com`, `c0100x${page}@example.com`, `z${page}@example.com`])
            await s.roster.contacts.upsert(s.projectId, { email });
          url = `${s.base}/contacts?limit=100&sort=${sort}&dir=${dir}&cursor=${res.body.cursor}`;
        }
        expect(new Set(seen).size).toBe(seen.length); // nobody twice
        expect(seen.filter((id) => originals.has(id))).toEqual(expected); // nobody skipped, in order
      },
    );

    it('combines search, subscribed, sort and dir', async () => {
      await seedScrambled(60);
      await seed(5, 'other');
      const rows = (await allRows()).filter((c) => c.email.includes('0@') && !c.subscribed);
      const expected = plunkOrder(rows, 'email', 'asc');
      expect(expected.length).toBeGreaterThan(1);
      const first = await request(
        `${s.base}/contacts?search=0@EXAMPLE&subscribed=false&sort=email&dir=asc&limit=1`,
        {
          key: s.key,
        },
      );
      expect(first.body).toEqual({
        data: [expect.objectContaining({ id: expected[0]!.id, subscribed: false })],
        cursor: expected[0]!.id,
        hasMore: true,
        total: expected.length,
      });
      const rest = await request(
        `${s.base}/contacts?search=0@EXAMPLE&subscribed=false&sort=email&dir=asc&limit=100&cursor=${first.body.cursor}`,
        { key: s.key },
      );
      expect(rest.body).toEqual({
        data: expected.slice(1).map((c) => expect.objectContaining({ id: c.id, email: c.email })),
        cursor: null,
        hasMore: false,
      });
    });

    it('shows each project only its own contacts', async () => {
      await seed(2);
      const res = await request(`${s.base}/contacts`, { key: s.otherKey });
      expect(res.body).toEqual({ data: [], cursor: null, hasMore: false, total: 0 });
    });
  });
});
