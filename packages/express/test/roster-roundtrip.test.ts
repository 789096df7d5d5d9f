import type { Roster } from '@roster/core';
import { describeEachDialect } from '@roster/test-harness';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { closeServed, request } from './http-helpers.js';
import { type RosterServer, startRosterApi } from './roster-helpers.js';

/** Data of every JSON type, and strings a plain CSV cell would not carry back exactly. */
const ADA = {
  seats: 12,
  ratio: 0.25,
  big: 1e21,
  vip: true,
  churned: false,
  profile: { nested: { list: [1, null, 'x', { deep: true }] }, gone: null },
  tags: ['a', 'b'],
  nothing: null,
  blank: '',
  padded: '  two spaces ',
  plan: 'Pro',
  formula: '=SUM(A1)',
  'seats:number': 'a string key that looks typed',
  lines: 'one\ntwo, "three"',
  mixed: 1,
};
const GRACE = { seats: -3, mixed: 'one', plan: 'Free', vip: false };

describeEachDialect('/roster export → import round trip', (dialect) => {
  // The project `main` is the source of the exports, `other` the target of the imports.
  let roster: Roster;
  let s: RosterServer;
  let sourceKey: string;
  let targetId: string;
  let targetKey: string;

  beforeAll(async () => {
    s = await startRosterApi(dialect);
    ({ roster, key: sourceKey, otherProjectId: targetId, otherKey: targetKey } = s);
    // Verbatim (as Unosend stores metadata): nulls and empty strings are kept.
    await roster.contacts.create(s.projectId, { email: 'ada@example.com', data: ADA, dataMode: 'verbatim' });
    await roster.contacts.create(s.projectId, {
      email: 'grace@example.com',
      data: GRACE,
      dataMode: 'verbatim',
    });
    await roster.contacts.create(s.projectId, { email: 'none@example.com' });
  });
  afterAll(() => closeServed(s.server, s.roster));
  afterEach(() => {
    expect(s.unexpected).toEqual([]);
  });

  async function exportCsv(key: string, query = ''): Promise<string> {
    const res = await fetch(`${s.base}/contacts/export${query}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(res.status).toBe(200);
    return res.text();
  }

  /** Uploads `csv` to `POST /roster/imports`, runs the job, and answers `GET /roster/imports/:id`. */
  async function importCsv(key: string, csv: string) {
    const form = new FormData();
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'contacts.csv');
    const res = await fetch(`${s.base}/imports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body: form,
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await roster.jobs.runOnce();
    return (await request(`${s.base}/imports/${id}`, { key })).body;
  }

  const dataOf = async (email: string) => (await roster.contacts.findByEmail(targetId, email))?.data;

  it('writes a typed header for each data key, its types computed by the database', async () => {
    const header = (await exportCsv(sourceKey)).split('\n')[0]!;
    expect(header).toBe(
      [
        'email',
        'first_name',
        'last_name',
        'subscribed',
        'audience',
        'created_at',
        'data.big:number',
        'data.blank:json',
        'data.churned:boolean',
        'data.formula',
        'data.lines',
        'data.mixed:json',
        'data.nothing:json',
        'data.padded:json',
        'data.plan',
        'data.profile:json',
        'data.ratio:number',
        'data.seats:number',
        'data.seats:number:string',
        'data.tags:json',
        'data.vip:boolean',
      ].join(','),
    );
  });

  it('types the columns from the exported contacts only (filters apply)', async () => {
    // Only Grace's keys, with Grace's types: `mixed` is a string column here.
    const header = (await exportCsv(sourceKey, '?search=grace')).split('\n')[0]!;
    expect(header.split(',').slice(6)).toEqual([
      'data.mixed',
      'data.plan',
      'data.seats:number',
      'data.vip:boolean',
    ]);
  });

  it('imports its own export back with every value exactly as it was', async () => {
    const csv = await exportCsv(sourceKey);
    const done = await importCsv(targetKey, csv);
    expect(done).toMatchObject({ state: 'completed', rows: { total: 3, created: 3, failed: 0 }, errors: [] });
    expect(await dataOf('ada@example.com')).toEqual(ADA);
    expect(await dataOf('grace@example.com')).toEqual(GRACE);
    expect(await dataOf('none@example.com')).toBeNull();
  });

  it('replaces each imported key whole on existing contacts (objects not merged, nulls kept)', async () => {
    await roster.contacts.upsert(targetId, {
      email: 'ada@example.com',
      data: { profile: { other: 1 }, nothing: 'set since', tags: ['z'], extra: 'stays' },
    });
    const done = await importCsv(targetKey, await exportCsv(sourceKey));
    expect(done).toMatchObject({ state: 'completed', rows: { total: 3, updated: 3, failed: 0 } });
    expect(await dataOf('ada@example.com')).toEqual({ ...ADA, extra: 'stays' });
  });

  it('makes a cell that does not parse as its column type that row’s error, naming the column', async () => {
    const csv = [
      'email,data.seats:number,data.vip:boolean,data.tags:json,data.note',
      'ok@example.com,7,TRUE,"{""a"":[1,2]}",  trimmed  ',
      'empty@example.com,,,,',
      'n@example.com,twelve,true,[],x',
      'b@example.com,1,maybe,[],x',
      'j@example.com,1,false,{nope,x',
      'inf@example.com,1e400,false,[],x',
      'nul@example.com,1,false,"""\\u0000""",x',
    ].join('\n');
    const done = await importCsv(targetKey, csv);
    expect(done).toMatchObject({ state: 'completed', rows: { total: 7, created: 2, failed: 5 } });
    expect(done.errors).toEqual([
      {
        row: 4,
        email: 'n@example.com',
        error: 'Invalid value in column "data.seats:number" ("twelve" is not a number)',
      },
      {
        row: 5,
        email: 'b@example.com',
        error: 'Invalid value in column "data.vip:boolean" ("maybe" is not true or false)',
      },
      {
        row: 6,
        email: 'j@example.com',
        error: 'Invalid value in column "data.tags:json" ("{nope" is not valid JSON)',
      },
      {
        row: 7,
        email: 'inf@example.com',
        error: 'Invalid value in column "data.seats:number" ("1e400" is not a number)',
      },
      {
        row: 8,
        email: 'nul@example.com',
        error: 'Invalid value in column "data.tags:json" (must not contain the NUL character (\\u0000))',
      },
    ]);
    expect(await dataOf('ok@example.com')).toEqual({
      seats: 7,
      vip: true,
      tags: { a: [1, 2] },
      note: 'trimmed',
    });
    expect(await dataOf('empty@example.com')).toBeNull();
  });
});
