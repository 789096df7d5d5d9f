import { describeEachDialect } from '@roster/test-harness';
import { beforeAll, beforeEach, expect, it } from 'vitest';
import { emptyTables, type JsonResponse, request, UUID } from './http-helpers.js';
import { plunkError, usePlunkServer } from './plunk-helpers.js';

/** Plunk's status body of a completed job. */
const completedJob = (id: string, result: unknown) => ({ id, state: 'completed', progress: 100, result });

describeEachDialect('Plunk import and bulk jobs', (dialect) => {
  const s = usePlunkServer(dialect, { roster: { jobs: { pollIntervalMs: 20 } }, serve: { prefix: '/api' } });
  beforeAll(async () => {
    await s.roster.jobs.start();
  });

  async function upload(
    csv: string | Buffer,
    options: { field?: string; apiKey?: string } = {},
  ): Promise<JsonResponse> {
    const form = new FormData();
    form.append(options.field ?? 'file', new Blob([csv], { type: 'text/csv' }), 'contacts.csv');
    const response = await fetch(`${s.base}/contacts/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.apiKey ?? s.key}` },
      body: form,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
  }

  /** Polls a job status URL until the job is finished. */
  async function finished(url: string, apiKey = s.key): Promise<JsonResponse> {
    for (let i = 0; i < 500; i++) {
      const res = await request(url, { key: apiKey });
      if (res.status !== 200 || res.body.state === 'completed' || res.body.state === 'failed') return res;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`job at ${url} did not finish`);
  }

  /** Queues a Plunk bulk operation (its 202 and message checked) and polls its job until it finishes. */
  async function bulk(operation: 'subscribe' | 'unsubscribe' | 'delete', body: unknown) {
    const res = await request(`${s.base}/contacts/bulk-${operation}`, { method: 'POST', key: s.key, body });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ message: `Bulk ${operation} queued successfully`, jobId: UUID });
    const jobId = res.body.jobId as string;
    return { jobId, status: await finished(`${s.base}/contacts/bulk/${jobId}`) };
  }

  async function contact(email: string, project = s.projectId, subscribed = true) {
    return (await s.roster.contacts.upsert(project, { email, subscribed })).contact;
  }

  beforeEach(() => emptyTables(s.roster, 'roster_contacts'));

  it('imports a few hundred rows: 202 with a job id, then polling reaches completed with every counter', async () => {
    await contact('existing7@example.com', s.projectId, false);
    const rows = ['email,First Name,plan,subscribed']; // header names are lowercased, as Plunk does
    for (let i = 0; i < 300; i++)
      rows.push(`user${i}@example.com,Name ${i},${i % 2 ? 'pro' : 'free'},${i % 10 ? '' : 'no'}`);
    rows.push('existing7@example.com,Seven,,');
    rows.push('USER5@example.com,,team,');
    rows.push('not-an-email,x,,');
    rows.push(',nobody,,');
    const res = await upload(`${rows.join('\r\n')}\r\n`);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ message: 'Import queued successfully', jobId: UUID });

    const status = await finished(`${s.base}/contacts/import/${res.body.jobId}`);
    expect(status.status).toBe(200);
    expect(status.body).toEqual({
      id: res.body.jobId,
      state: 'completed',
      progress: 100,
      result: {
        totalRows: 304,
        successCount: 302,
        createdCount: 300,
        updatedCount: 2,
        failureCount: 2,
        errors: [
          { row: 304, email: 'not-an-email', error: 'Invalid email' },
          { row: 305, email: '', error: 'Missing email' },
        ],
      },
    });
    expect(await s.roster.contacts.count(s.projectId)).toBe(301);
    const five = await s.roster.contacts.findByEmail(s.projectId, 'user5@example.com');
    expect(five).toMatchObject({ subscribed: true, data: { 'first name': 'Name 5', plan: 'team' } });
    expect(await s.roster.contacts.findByEmail(s.projectId, 'user10@example.com')).toMatchObject({
      subscribed: false,
      data: { 'first name': 'Name 10', plan: 'free' },
    });
    expect(await s.roster.contacts.findByEmail(s.projectId, 'existing7@example.com')).toMatchObject({
      subscribed: false,
      data: { 'first name': 'Seven' },
    });
  });

  it("answers 400 without a file part (Plunk's flat shape), and when the header has no email column", async () => {
    const none = await request(`${s.base}/contacts/import`, {
      method: 'POST',
      key: s.key,
      body: { file: 'x' },
    });
    expect(none.status).toBe(400);
    expect(none.body).toEqual({ error: 'CSV file is required' });
    const form = new FormData();
    form.append('note', 'no file here');
    const textOnly = await fetch(`${s.base}/contacts/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.key}` },
      body: form,
    });
    expect(textOnly.status).toBe(400);
    expect(await textOnly.json()).toEqual({ error: 'CSV file is required' });
    const wrongField = await upload('email\na@x.io\n', { field: 'csv' });
    expect(wrongField.status).toBe(400);
    expect(wrongField.body).toEqual(
      plunkError('VALIDATION_ERROR', 400, [
        { field: 'csv', message: 'is not expected: send the CSV as the multipart field "file"' },
      ]),
    );
    const noEmail = await upload('name,plan\nAda,pro\n');
    expect(noEmail.status).toBe(400);
    expect(noEmail.body).toEqual(
      plunkError('VALIDATION_ERROR', 400, [
        { field: 'file', message: 'has no email column in its header line' },
      ]),
    );
  });

  it('answers 413 JSON to a file over 5 MB and stores nothing', async () => {
    const before = await s.roster.db.selectFrom('roster_jobs').select('id').execute();
    const big = Buffer.alloc(5 * 1024 * 1024 + 1, 'a');
    big.write('email\n');
    const res = await upload(big);
    expect(res.status).toBe(413);
    expect(res.body).toEqual(
      plunkError('PAYLOAD_TOO_LARGE', 413, [{ field: 'file', message: 'must be at most 5242880 bytes' }]),
    );
    expect(await s.roster.db.selectFrom('roster_files').selectAll().execute()).toEqual([]);
    expect(await s.roster.db.selectFrom('roster_jobs').select('id').execute()).toEqual(before);
  });

  it('accepts exactly 5 MB', async () => {
    const limit = 5 * 1024 * 1024;
    let text = 'email,pad\n';
    for (let i = 0; text.length < limit - 100; i++) text += `user${i}@example.com,${'x'.repeat(50)}\n`;
    text += `last@example.com,${'y'.repeat(limit - text.length - 'last@example.com,\n'.length)}\n`;
    const body = Buffer.from(text);
    expect(body.length).toBe(limit);
    const res = await upload(body);
    expect(res.status).toBe(202);
    const status = await finished(`${s.base}/contacts/import/${res.body.jobId}`);
    expect(status.body).toMatchObject({ state: 'completed', result: { failureCount: 0 } });
    expect(await s.roster.contacts.findByEmail(s.projectId, 'last@example.com')).not.toBeNull();
  });

  it('fails the job of an empty file with a clear reason', async () => {
    const res = await upload('');
    expect(res.status).toBe(202);
    const status = await finished(`${s.base}/contacts/import/${res.body.jobId}`);
    expect(status.body).toEqual({
      id: res.body.jobId,
      state: 'failed',
      progress: 0,
      result: null,
      failedReason: 'The CSV file is empty',
    });
  });

  it("answers Plunk's flat 404 for an unknown job, another project's job, and a job of the other kind", async () => {
    const res = await upload('email\na@example.com\n');
    const jobId = res.body.jobId;
    await finished(`${s.base}/contacts/import/${jobId}`);
    for (const [url, apiKey] of [
      [`${s.base}/contacts/import/${jobId}`, s.otherKey],
      [`${s.base}/contacts/import/01900000-0000-7000-8000-000000000000`, s.key],
      [`${s.base}/contacts/import/not-a-uuid`, s.key],
      [`${s.base}/contacts/bulk/${jobId}`, s.key],
    ] as const) {
      const answer = await request(url, { key: apiKey });
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({
        error: url.includes('/bulk/') ? 'Bulk action job not found' : 'Import job not found',
      });
    }
  });

  it('bulk-unsubscribes, counting unchanged contacts and unknown or foreign ids as failures', async () => {
    const a = await contact('a@example.com');
    const b = await contact('b@example.com', s.projectId, false);
    const foreign = await contact('f@example.com', s.otherProjectId);
    const unknown = '01900000-0000-7000-8000-000000000000';
    const { jobId, status } = await bulk('unsubscribe', {
      mode: 'ids',
      contactIds: [a.id, b.id, foreign.id, unknown],
    });
    expect(status.body).toEqual(
      completedJob(jobId, {
        operation: 'unsubscribe',
        totalRequested: 4,
        successCount: 1,
        unchangedCount: 1,
        failureCount: 2,
        errors: [
          { contactId: foreign.id, error: 'Contact not found' },
          { contactId: unknown, error: 'Contact not found' },
        ],
      }),
    );
    expect((await s.roster.contacts.get(s.projectId, a.id)).subscribed).toBe(false);
    expect((await s.roster.contacts.get(s.otherProjectId, foreign.id)).subscribed).toBe(true);
    const peek = await request(`${s.base}/contacts/bulk/${jobId}`, { key: s.otherKey });
    expect(peek.status).toBe(404);
  });

  it('bulk-subscribes with mode "ids" and bulk-deletes', async () => {
    const a = await contact('a@example.com', s.projectId, false);
    const b = await contact('b@example.com', s.projectId, false);
    const sub = await bulk('subscribe', { mode: 'ids', contactIds: [a.id, b.id, a.id] });
    expect(sub.status.body.result).toEqual({
      operation: 'subscribe',
      totalRequested: 2,
      successCount: 2,
      unchangedCount: 0,
      failureCount: 0,
      errors: [],
    });
    expect((await s.roster.contacts.get(s.projectId, b.id)).subscribed).toBe(true);

    const del = await bulk('delete', { mode: 'ids', contactIds: [a.id] });
    expect(del.status.body.result).toMatchObject({
      operation: 'delete',
      successCount: 1,
      failureCount: 0,
    });
    expect(await s.roster.contacts.count(s.projectId)).toBe(1);
  });

  it("answers Plunk's flat 400 to no or another mode, an empty list, more than 1000 ids, non-UUID ids and a bad query", async () => {
    const ids = (n: number) =>
      Array.from({ length: n }, (_, i) => `01900000-0000-7000-8000-${String(i).padStart(12, '0')}`);
    const cases: [unknown, string][] = [
      [{ contactIds: ids(1) }, 'mode: is required: "ids" or "query"'],
      [{ mode: 'filter', contactIds: ids(1) }, 'mode: must be "ids" or "query"'],
      [[1], 'body: must be a JSON object'],
      [{ mode: 'ids', contactIds: [] }, 'contactIds: must contain at least 1 id'],
      [{ mode: 'ids', contactIds: ids(1001) }, 'contactIds: must contain at most 1000 ids'],
      [{ mode: 'ids', contactIds: ['nope'] }, 'contactIds.0: must be a UUID'],
      [{ mode: 'ids' }, 'contactIds: is required'],
      [
        { mode: 'query', filter: { search: 'x'.repeat(256) } },
        'filter.search: must be at most 255 characters',
      ],
      [{ mode: 'query', filter: { subscribed: 'no' } }, 'filter.subscribed: must be a boolean'],
      [{ mode: 'query', filter: 'all' }, 'filter: must be an object'],
      [{ mode: 'query', excludeIds: ['nope'] }, 'excludeIds.0: must be a UUID'],
      [{ mode: 'query', excludeIds: ids(10_001) }, 'excludeIds: must contain at most 10000 ids'],
    ];
    for (const [body, error] of cases) {
      const res = await request(`${s.base}/contacts/bulk-delete`, { method: 'POST', key: s.key, body });
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body).toEqual({ error });
    }

    const ok = await bulk('delete', { mode: 'ids', contactIds: ids(1000) });
    expect(ok.status.body.result).toMatchObject({
      totalRequested: 1000,
      failureCount: 1000,
    });
  });

  it('query mode: bulk-unsubscribes every match of search and subscribed except excludeIds, beyond 1000 contacts', async () => {
    for (let start = 0; start < 1200; start += 600) {
      await s.roster.contacts.createMany(s.projectId, {
        contacts: Array.from({ length: 600 }, (_, k) => ({ email: `q${start + k}@query.io` })),
      });
    }
    const keep = await contact('keep@query.io');
    const other = await contact('other@else.io');
    const off = await contact('off@query.io', s.projectId, false);
    const foreign = await contact('f@query.io', s.otherProjectId);
    const { jobId, status } = await bulk('unsubscribe', {
      mode: 'query',
      filter: { search: 'QUERY.io', subscribed: true },
      excludeIds: [keep.id],
    });
    expect(status.body).toEqual(
      completedJob(jobId, {
        operation: 'unsubscribe',
        totalRequested: 1200,
        successCount: 1200,
        unchangedCount: 0,
        failureCount: 0,
        errors: [],
      }),
    );
    expect(await s.roster.contacts.count(s.projectId, { subscribed: true })).toBe(2);
    expect((await s.roster.contacts.get(s.projectId, keep.id)).subscribed).toBe(true);
    expect((await s.roster.contacts.get(s.projectId, other.id)).subscribed).toBe(true);
    expect((await s.roster.contacts.get(s.projectId, off.id)).subscribed).toBe(false);
    expect((await s.roster.contacts.get(s.otherProjectId, foreign.id)).subscribed).toBe(true);

    // Without a filter: every contact of the project (bulk-delete), answered the same way.
    const all = await bulk('delete', { mode: 'query' });
    expect(all.status.body.result).toEqual({
      operation: 'delete',
      totalRequested: 1203,
      successCount: 1203,
      unchangedCount: 0,
      failureCount: 0,
      errors: [],
    });
    expect(await s.roster.contacts.count(s.projectId)).toBe(0);
    expect(await s.roster.contacts.count(s.otherProjectId)).toBe(1);
  });
});
