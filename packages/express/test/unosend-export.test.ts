import { describeEachDialect } from '@roster/test-harness';
import { describe, expect, it } from 'vitest';
import { request } from './http-helpers.js';
import { unosendError, useUnosendServer } from './unosend-helpers.js';

describeEachDialect('Unosend export', (dialect) => {
  const s = useUnosendServer(dialect);

  const exportOf = (query = '') => request(`${s.base}/contacts/export${query}`, { key: s.key });

  describe('GET /v1/contacts/export', () => {
    it('streams CSV with Unosend columns, newest first, quoting every cell', async () => {
      const audience = await s.roster.audiences.create(s.projectId, { name: 'News "weekly"' });
      const a = await s.roster.contacts.create(s.projectId, {
        email: 'a@example.com',
        firstName: 'Ada, Countess',
        audienceId: audience.id,
      });
      const b = await s.roster.contacts.create(s.projectId, { email: 'b@example.com', subscribed: false });
      await s.roster.contacts.create(s.otherProjectId, { email: 'theirs@example.com' });
      const res = await exportOf();
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(res.headers.get('content-disposition')).toMatch(
        /^attachment; filename="contacts-\d{4}-\d{2}-\d{2}\.csv"$/,
      );
      expect(res.body).toBe(
        [
          'email,first_name,last_name,subscribed,audience,created_at',
          `"b@example.com","","","No","","${b.createdAt}"`,
          `"a@example.com","Ada, Countess","","Yes","News ""weekly""","${a.createdAt}"`,
          '',
        ].join('\n'),
      );
    });

    it('streams JSON {"data":[contacts]} filtered by audience', async () => {
      const audience = await s.roster.audiences.create(s.projectId, { name: 'A' });
      const inside = await s.roster.contacts.create(s.projectId, {
        email: 'in@example.com',
        audienceId: audience.id,
        data: { k: 1 },
      });
      await s.roster.contacts.create(s.projectId, { email: 'out@example.com' });
      const res = await exportOf(`?format=json&audience_id=${audience.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        data: [
          {
            id: inside.id,
            email: 'in@example.com',
            first_name: null,
            last_name: null,
            audience_id: audience.id,
            subscribed: true,
            metadata: { k: 1 },
            created_at: inside.createdAt,
            updated_at: inside.updatedAt,
          },
        ],
      });
    });

    it('exports an empty project as a header line or an empty list', async () => {
      expect((await exportOf()).body).toBe('email,first_name,last_name,subscribed,audience,created_at\n');
      expect((await exportOf('?format=json')).body).toEqual({ data: [] });
    });

    it('streams every contact of a large project once', async () => {
      for (let i = 0; i < 5; i++) {
        await s.roster.contacts.createMany(s.projectId, {
          contacts: Array.from({ length: 1000 }, (_, j) => ({ email: `u${i}-${j}@example.com` })),
        });
      }
      const res = await exportOf('?format=json');
      expect(res.body.data).toHaveLength(5000);
      expect(new Set(res.body.data.map((c: { id: string }) => c.id)).size).toBe(5000);
      const csv = await exportOf();
      expect((csv.body as string).trimEnd().split('\n')).toHaveLength(5001);
    });

    it.each([
      ['?format=xml', 'format: must be csv or json'],
      ['?audience_id=nope', 'audience_id: must be a UUID'],
    ])('answers 400 to %s', async (query, message) => {
      const res = await exportOf(query);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(unosendError('validation_error', 400, message));
    });

    it('exports CSV that POST /contacts/import reads back as the same contacts (metadata columns in and out)', async () => {
      const post = (body: unknown) => request(`${s.base}/contacts`, { method: 'POST', key: s.key, body });
      expect(
        (
          await post({
            email: 'ada@example.com',
            first_name: 'Ada',
            last_name: 'Lovelace',
            metadata: { plan: 'pro', 'Team Name': 'Core, "A"', note: 'multi\nline' },
          })
        ).status,
      ).toBe(201);
      expect(
        (await post({ email: 'bob@example.com', subscribed: false, metadata: { plan: 'free' } })).status,
      ).toBe(201);
      expect((await post({ email: 'cy@example.com' })).status).toBe(201);
      const csv = await exportOf();
      expect(String(csv.body).split('\n')[0]).toBe(
        'email,first_name,last_name,subscribed,audience,created_at,data.Team Name,data.note,data.plan',
      );
      await s.roster.jobs.start();
      const imported = await request(`${s.base}/contacts/import`, {
        method: 'POST',
        key: s.otherKey,
        body: { file: csv.body, format: 'csv' },
      });
      expect(imported.body).toMatchObject({ data: { status: 'completed', imported: 3, errors: 0 } });
      const contactsOf = async (key: string) => {
        const res = await request(`${s.base}/contacts/export?format=json`, { key });
        return (res.body as { data: Record<string, unknown>[] }).data
          .map(({ id: _id, created_at: _c, updated_at: _u, ...rest }) => rest)
          .sort((a, b) => String(a.email).localeCompare(String(b.email)));
      };
      const original = await contactsOf(s.key);
      expect(original).toHaveLength(3);
      expect(await contactsOf(s.otherKey)).toEqual(original);
    });
  });
});
