import type { Roster } from '@roster/core';
import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import express from 'express';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createUnosendRouter } from '../src/index.js';
import { closeServed, emptyTables, ISO, type Listening, listen, request, UUID } from './http-helpers.js';
import { unosendError } from './unosend-helpers.js';

let roster: Roster;
let server: Listening;
let base: string;
let key: string;
let projectId: string;
const unexpected: unknown[] = [];

/** Unosend's body of a finished import: its counts, in the order Unosend writes them, and the rows that failed. */
function importDone(
  id: unknown,
  counts: { imported: number; duplicates: number; errors: number; total: number },
  errorDetails: unknown[] = [],
) {
  return { data: { id, status: 'completed', ...counts, errorDetails } };
}

describeEachDialect('Unosend import API', (dialect) => {
  beforeAll(async () => {
    roster = await createTestRoster(dialect, { limits: { maxImportBytes: 4096 } });
    projectId = (await roster.projects.ensure('main')).id;
    key = (await roster.keys.create(projectId, { prefix: 'un_' })).key;
    const app = express();
    app.use('/v1', createUnosendRouter(roster, { importWaitMs: 3000, onError: (e) => unexpected.push(e) }));
    server = await listen(app);
    base = `${server.url}/v1`;
  });
  afterAll(() => closeServed(server, roster));
  beforeEach(() => emptyTables(roster, 'roster_contacts'));
  afterEach(async () => {
    await roster.jobs.stop();
    expect(unexpected).toEqual([]);
  });

  const importCsv = (body: unknown) => request(`${base}/contacts/import`, { method: 'POST', key, body });
  const CSV =
    'email,subscribed,plan\nada@example.com,true,pro\nbob@example.com,false,\nnot-an-email,true,x\n';

  describe('POST /v1/contacts/import', () => {
    it('runs the import job and answers its counts when it finishes in time', async () => {
      await roster.contacts.create(projectId, { email: 'bob@example.com', firstName: 'Bob' });
      await roster.jobs.start();
      const res = await importCsv({ file: CSV, format: 'csv' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(
        importDone(UUID, { imported: 1, duplicates: 1, errors: 1, total: 3 }, [
          { row: 4, email: 'not-an-email', error: expect.any(String) },
        ]),
      );
      const ada = await roster.contacts.findByEmail(projectId, 'ada@example.com');
      expect(ada).toMatchObject({ subscribed: true, data: { plan: 'pro' } });
      expect(await roster.contacts.findByEmail(projectId, 'bob@example.com')).toMatchObject({
        subscribed: false,
        firstName: 'Bob',
      });
    });

    it('accepts the file as base64, as the SDK README shows', async () => {
      await roster.jobs.start();
      const res = await importCsv({ file: Buffer.from(CSV).toString('base64') });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ status: 'completed', imported: 2, errors: 1, total: 3 });
    });

    it('answers 202 with the job id when the job has not finished, then its counts', async () => {
      const res = await importCsv({ file: 'email\nlate@example.com\n' });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ data: { id: UUID, status: 'waiting', progress: 0 } });
      await roster.jobs.runOnce();
      const done = await request(`${base}/contacts/import/${res.body.data.id}`, { key });
      expect(done.status).toBe(200);
      expect(done.body).toEqual(
        importDone(res.body.data.id, { imported: 1, duplicates: 0, errors: 0, total: 1 }),
      );
    }, 10_000);

    it('answers 404 for the status of an unknown import', async () => {
      const res = await request(`${base}/contacts/import/0190a6c4-0000-7000-8000-000000000000`, { key });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(unosendError('job_not_found', 404, 'Job not found'));
    });

    it.each([
      [{}, 400, unosendError('validation_error', 400, 'file: is required')],
      [{ file: 5 }, 400, unosendError('validation_error', 400, 'file: must be a string (the CSV)')],
      [{ file: CSV, format: 'xlsx' }, 400, unosendError('validation_error', 400, 'format: must be csv')],
      [
        { file: CSV, audience_id: 'x' },
        400,
        unosendError('validation_error', 400, 'audience_id: must be a UUID'),
      ],
      [
        { file: CSV, audience_id: 5 },
        400,
        unosendError('validation_error', 400, 'audience_id: must be a string'),
      ],
      [
        { file: CSV, audience_id: '0190a6c4-0000-7000-8000-000000000000' },
        404,
        unosendError('audience_not_found', 404, 'Audience not found'),
      ],
      [{ file: 'name,plan\nx,y\n' }, 400, unosendError('validation_error', 400)],
      [{ file: `email\n${'a@example.com\n'.repeat(400)}` }, 413, unosendError('payload_too_large', 413)],
    ])('answers an error to %j and imports nothing', async (body, status, error) => {
      const res = await importCsv(body);
      expect(res.status).toBe(status);
      expect(res.body).toEqual(error);
      expect(await roster.jobs.runOnce()).toBe(0);
      expect(await roster.contacts.count(projectId)).toBe(0);
    });

    it('imports into an audience: created and updated contacts join it, name columns fill the names', async () => {
      const audience = await roster.audiences.create(projectId, { name: 'Imported' });
      const elsewhere = await roster.audiences.create(projectId, { name: 'Elsewhere' });
      const bob = await roster.contacts.create(projectId, {
        email: 'bob@example.com',
        firstName: 'Bob',
        lastName: 'Baker',
        audienceId: elsewhere.id,
        data: { plan: 'free' },
      });
      await roster.jobs.start();
      const csv =
        'email,First Name,last_name,plan\nada@example.com,Ada,Lovelace,pro\nbob@example.com,,Builder,\n';
      const res = await importCsv({ audience_id: audience.id, file: csv, format: 'csv' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(importDone(UUID, { imported: 1, duplicates: 1, errors: 0, total: 2 }));
      const listed = await request(`${base}/contacts?audience_id=${audience.id}`, { key });
      expect(listed.status).toBe(200);
      expect(listed.body).toEqual({
        data: [
          {
            id: UUID,
            email: 'ada@example.com',
            first_name: 'Ada',
            last_name: 'Lovelace',
            audience_id: audience.id,
            subscribed: true,
            metadata: { plan: 'pro' },
            created_at: ISO,
            updated_at: ISO,
          },
          {
            id: bob.id,
            email: 'bob@example.com',
            first_name: 'Bob',
            last_name: 'Builder',
            audience_id: audience.id,
            subscribed: true,
            metadata: { plan: 'free' },
            created_at: bob.createdAt,
            updated_at: ISO,
          },
        ],
      });
    });

    it("answers 404 for another project's audience and imports nothing", async () => {
      const otherProject = (await roster.projects.ensure('other')).id;
      const theirs = await roster.audiences.create(otherProject, { name: 'Theirs' });
      const res = await importCsv({ file: CSV, audience_id: theirs.id });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(unosendError('audience_not_found', 404, 'Audience not found'));
      expect(await roster.jobs.runOnce()).toBe(0);
      expect(await roster.contacts.count(projectId)).toBe(0);
    });

    it('imports without an audience when audience_id is null', async () => {
      await roster.jobs.start();
      const res = await importCsv({ file: 'email,firstName\nnull@example.com,Nia\n', audience_id: null });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ status: 'completed', imported: 1 });
      expect(await roster.contacts.findByEmail(projectId, 'null@example.com')).toMatchObject({
        firstName: 'Nia',
        audienceId: null,
        data: null,
      });
    });
  });
});
