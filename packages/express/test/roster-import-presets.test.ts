import { describeEachDialect, LISTMONK_EXPORT, MAILCHIMP_UNSUBSCRIBED } from '@roster/test-harness';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { closeServed, request } from './http-helpers.js';
import { type RosterServer, startRosterApi } from './roster-helpers.js';

describeEachDialect('POST /roster/imports with a preset', (dialect) => {
  let s: RosterServer;
  beforeAll(async () => {
    s = await startRosterApi(dialect);
  });
  afterAll(() => closeServed(s.server, s.roster));
  afterEach(() => {
    expect(s.unexpected).toEqual([]);
  });

  async function upload(csv: string, name: string, preset?: string) {
    const form = new FormData();
    form.append('file', new Blob([csv], { type: 'text/csv' }), name);
    if (preset !== undefined) form.append('preset', preset);
    return fetch(`${s.base}/imports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.key}` },
      body: form,
    });
  }

  it('reads a listmonk export and a Mailchimp CSV (its section from the file name) through the preset field', async () => {
    const listmonk = await upload(LISTMONK_EXPORT, 'subscribers.csv', 'listmonk');
    expect(listmonk.status).toBe(202);
    const { id } = (await listmonk.json()) as { id: string };
    await s.roster.jobs.runOnce();
    const view = (await request(`${s.base}/imports/${id}`, { key: s.key })).body;
    expect(view).toMatchObject({ state: 'completed', rows: { total: 5, created: 3, updated: 0, failed: 2 } });
    const kim = await s.roster.contacts.findByEmail(s.projectId, 'kim@example.com');
    expect(kim).toMatchObject({
      firstName: 'Kim',
      lastName: 'Jong-un Park',
      subscribed: true,
      data: { city: 'Zürich', plan: { seats: 5, tags: ['a', null, true] }, score: 4.5, note: null },
    });

    const mailchimp = await upload(MAILCHIMP_UNSUBSCRIBED, 'unsubscribed_members_export_9.csv', 'mailchimp');
    expect(mailchimp.status).toBe(202);
    await s.roster.jobs.runOnce();
    expect(await s.roster.contacts.findByEmail(s.projectId, 'linus@example.com')).toMatchObject({
      firstName: 'Linus',
      subscribed: false,
      data: { tags: ['Lead'], member_rating: 1, mailchimp_status: 'unsubscribed' },
    });
  });

  it('answers 400 naming preset for an unknown preset, and stores nothing', async () => {
    const res = await upload('email\na@example.com\n', 'a.csv', 'hubspot');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { issues?: { field: string }[] } } & Record<string, unknown>;
    expect(JSON.stringify(body)).toContain('"field":"preset"');
    expect(await s.roster.contacts.findByEmail(s.projectId, 'a@example.com')).toBeNull();
  });
});
