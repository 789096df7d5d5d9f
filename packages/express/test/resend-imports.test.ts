import { describeEachDialect } from '@roster/test-harness';
import { beforeEach, describe, expect, it } from 'vitest';
import { emptyTables, request, UUID } from './http-helpers.js';
import { RESEND_TIME, resendError, useResendServer } from './resend-helpers.js';

describeEachDialect('Resend contact imports', (dialect) => {
  const s = useResendServer(dialect);
  beforeEach(() => emptyTables(s.roster, 'roster_jobs', 'roster_files'));
  const call = (method: string, path: string, body?: unknown) =>
    request(`${s.base}${path}`, { method, key: s.key, body });

  /** `POST /contacts/imports` as the SDK sends it: multipart, JSON-encoded text fields. */
  async function upload(csv: string, fields: Record<string, unknown> = {}, key = s.key) {
    const form = new FormData();
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'contacts.csv');
    for (const [name, value] of Object.entries(fields)) {
      form.append(name, typeof value === 'string' ? value : JSON.stringify(value));
    }
    const response = await fetch(`${s.base}/contacts/imports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body: form,
    });
    return { status: response.status, body: (await response.json()) as any };
  }

  /** Uploads, runs the job, and answers `GET /contacts/imports/{id}`. */
  async function imported(csv: string, fields: Record<string, unknown> = {}) {
    const created = await upload(csv, fields);
    expect(created.status).toBe(201);
    await s.roster.jobs.runJob(s.projectId, created.body.id);
    return (await call('GET', `/contacts/imports/${created.body.id}`)).body;
  }

  const contact = (email: string) => s.roster.contacts.findByEmail(s.projectId, email);

  describe('POST /contacts/imports', () => {
    it('answers 201 {object, id} and the job imports names, unsubscribed and properties by default', async () => {
      const created = await upload(
        'email,first_name,last_name,unsubscribed,plan\nada@example.com,Ada,L,true,pro\n',
      );
      expect(created).toEqual({ status: 201, body: { object: 'contact_import', id: UUID } });
      const queued = (await call('GET', `/contacts/imports/${created.body.id}`)).body;
      expect(queued).toEqual({
        object: 'contact_import',
        id: created.body.id,
        status: 'queued',
        created_at: RESEND_TIME,
        completed_at: null,
        counts: { total: 0, created: 0, updated: 0, skipped: 0, failed: 0 },
      });
      await s.roster.jobs.runJob(s.projectId, created.body.id);
      const done = (await call('GET', `/contacts/imports/${created.body.id}`)).body;
      expect(done).toEqual({
        ...queued,
        status: 'completed',
        completed_at: RESEND_TIME,
        counts: { total: 1, created: 1, updated: 0, skipped: 0, failed: 0 },
      });
      expect(await contact('ada@example.com')).toMatchObject({
        firstName: 'Ada',
        lastName: 'L',
        subscribed: false,
        data: { plan: 'pro' },
      });
    });

    it('skips existing contacts by default (counted skipped, left untouched) and updates them with upsert', async () => {
      await call('POST', '/contacts', {
        email: 'ada@example.com',
        first_name: 'Old',
        properties: { plan: 'free' },
      });
      const csv =
        'email,first_name,plan\nada@example.com,Ada,pro\nbob@example.com,Bob,team\nbob@example.com,Rob,x\n';
      expect((await imported(csv)).counts).toEqual({
        total: 3,
        created: 1,
        updated: 0,
        skipped: 2,
        failed: 0,
      });
      expect(await contact('ada@example.com')).toMatchObject({ firstName: 'Old', data: { plan: 'free' } });
      expect(await contact('bob@example.com')).toMatchObject({ firstName: 'Bob', data: { plan: 'team' } });
      const upsert = await imported(csv, { on_conflict: 'upsert' });
      expect(upsert.counts).toEqual({ total: 3, created: 0, updated: 3, skipped: 0, failed: 0 });
      expect(await contact('ada@example.com')).toMatchObject({ firstName: 'Ada', data: { plan: 'pro' } });
      expect(await contact('bob@example.com')).toMatchObject({ firstName: 'Rob', data: { plan: 'x' } });
    });

    it('reads the columns column_map names, with typed properties, and ignores unmapped columns', async () => {
      const csv = 'E-mail,Given,Family,Opted Out,Seats,VIP,Notes\nada@example.com,Ada,L,no,12,TRUE,n\n';
      const result = await imported(csv, {
        column_map: {
          email: 'E-mail',
          first_name: 'Given',
          last_name: 'Family',
          unsubscribed: 'opted out',
          properties: { seats: { column: 'Seats', type: 'number' }, vip: { column: 'VIP', type: 'boolean' } },
        },
      });
      expect(result.counts).toEqual({ total: 1, created: 1, updated: 0, skipped: 0, failed: 0 });
      expect(await contact('ada@example.com')).toMatchObject({
        firstName: 'Ada',
        lastName: 'L',
        subscribed: true,
        data: { seats: 12, vip: true },
      });
    });

    it('puts every imported contact in the segments and gives it the topics', async () => {
      const a = (await call('POST', '/segments', { name: 'A' })).body.id;
      const b = (await call('POST', '/segments', { name: 'B' })).body.id;
      const topic = (await call('POST', '/topics', { name: 'News', default_subscription: 'opt_in' })).body.id;
      const result = await imported('email\nada@example.com\nbob@example.com\n', {
        segments: [{ id: a }, { id: b }],
        topics: [{ id: topic, subscription: 'opt_out' }],
      });
      expect(result.counts.created).toBe(2);
      const members = (await call('GET', `/contacts?segment_id=${b}`)).body.data.map(
        (c: { email: string }) => c.email,
      );
      expect(members.sort()).toEqual(['ada@example.com', 'bob@example.com']);
      expect((await call('GET', `/segments/${a}/contacts`)).body.data).toHaveLength(2);
      const topics = (await call('GET', '/contacts/bob@example.com/topics')).body.data;
      expect(topics).toEqual([expect.objectContaining({ id: topic, subscription: 'opt_out' })]);
    });

    it('enforces declared property types: a mismatched column type is a 422, a bad cell a failed row', async () => {
      await call('POST', '/contact-properties', { key: 'seats', type: 'number' });
      const refused = await upload('email,Seats\nada@example.com,12\n', {
        column_map: { properties: { seats: { column: 'Seats', type: 'boolean' } } },
      });
      expect(refused.status).toBe(422);
      expect(refused.body).toEqual(
        resendError(422, 'validation_error', expect.stringContaining('column_map.properties.seats.type')),
      );
      const result = await imported('email,seats\nada@example.com,12\nbob@example.com,many\n');
      expect(result.counts).toEqual({ total: 2, created: 1, updated: 0, skipped: 0, failed: 1 });
      expect((await contact('ada@example.com'))?.data).toEqual({ seats: 12 });
      expect(await contact('bob@example.com')).toBeNull();
    });

    it('refuses bad input with a 4xx naming the field, storing nothing', async () => {
      const dynamic = await s.roster.segments.create(s.projectId, {
        name: 'Pro',
        type: 'DYNAMIC',
        condition: {
          logic: 'AND',
          groups: [{ filters: [{ field: 'data.plan', operator: 'equals', value: 'x' }] }],
        },
      });
      const UNKNOWN = '00000000-0000-7000-8000-000000000000';
      const cases: [Record<string, unknown>, number, string][] = [
        [{ on_conflict: 'merge' }, 422, 'on_conflict'],
        [{ column_map: '{"email":' }, 422, 'column_map'],
        [{ column_map: { email: 'Mail' } }, 422, 'column_map.email'],
        [{ column_map: { first_name: 'Given' } }, 422, 'column_map.first_name'],
        [{ column_map: { properties: { 'bad key': { column: 'email' } } } }, 422, 'column_map.properties'],
        [{ segments: [{ id: dynamic.id }] }, 422, 'segments.0'],
        [{ segments: 'x' }, 422, 'segments'],
        [{ topics: [{ id: UNKNOWN, subscription: 'maybe' }] }, 422, 'topics.0.subscription'],
        [{ segments: [UNKNOWN] }, 404, 'Segment not found'],
        [{ topics: [{ id: UNKNOWN, subscription: 'opt_in' }] }, 404, 'Topic not found'],
      ];
      for (const [fields, status, named] of cases) {
        const res = await upload('email\nada@example.com\n', fields);
        expect({ fields, status: res.status, message: res.body.message }).toEqual({
          fields,
          status,
          message: expect.stringContaining(named),
        });
      }
      const noFile = await fetch(`${s.base}/contacts/imports`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.key}` },
        body: new FormData(),
      });
      expect((await noFile.json()) as unknown).toEqual(
        resendError(422, 'missing_required_field', 'Missing `file` field.'),
      );
      const noEmail = await upload('name\nAda\n');
      expect(noEmail.body).toEqual(resendError(422, 'validation_error', expect.stringContaining('file')));
      expect((await call('GET', '/contacts/imports')).body.data).toEqual([]);
    });
  });

  describe('GET /contacts/imports', () => {
    it('lists imports newest first with limit, after and status, and 404s an unknown id', async () => {
      const first = (await upload('email\na@example.com\n')).body.id;
      const second = (await upload('email\nb@example.com\n')).body.id;
      const third = (await upload('email\nc@example.com\n')).body.id;
      await s.roster.jobs.runJob(s.projectId, second);
      const ids = async (query: string) =>
        (await call('GET', `/contacts/imports${query}`)).body.data.map((i: { id: string }) => i.id);
      expect(await ids('')).toEqual([third, second, first]);
      const page = (await call('GET', '/contacts/imports?limit=2')).body;
      expect([page.object, page.has_more, page.data.length]).toEqual(['list', true, 2]);
      expect(await ids(`?after=${second}`)).toEqual([first]);
      expect(await ids('?status=completed')).toEqual([second]);
      expect(await ids('?status=queued&limit=1')).toEqual([third]);
      expect((await call('GET', '/contacts/imports?status=queued&limit=1')).body.has_more).toBe(true);
      expect((await call('GET', '/contacts/imports?status=done')).body).toEqual(
        resendError(422, 'validation_error', expect.stringContaining('status')),
      );
      expect((await call('GET', `/contacts/imports?before=${second}`)).status).toBe(422);
      expect((await call('GET', '/contacts/imports/00000000-0000-7000-8000-000000000000')).body).toEqual(
        resendError(404, 'not_found', 'Contact import not found'),
      );
      expect((await call('GET', '/contacts/imports/nope')).status).toBe(404);
      // Another project's import is not found.
      const theirs = await upload('email\nx@example.com\n', {}, s.otherKey);
      expect((await call('GET', `/contacts/imports/${theirs.body.id}`)).status).toBe(404);
    });
  });
});
