import { describeEachDialect } from '@roster/test-harness';
import { expect, it } from 'vitest';
import { request } from './http-helpers.js';
import { useRosterApi } from './roster-helpers.js';

describeEachDialect('/roster/overview', (dialect) => {
  const s = useRosterApi(dialect, ['roster_contacts', 'roster_contact_daily']);

  it("answers the key's project's overview for the days asked", async () => {
    await s.roster.contacts.create(s.projectId, { email: 'a@example.com', subscribed: true });
    await s.roster.contacts.create(s.projectId, { email: 'b@example.com', subscribed: false });
    const today = new Date().toISOString().slice(0, 10);
    const { status, body } = await request(`${s.base}/overview?days=2`, { key: s.key });
    expect(status).toBe(200);
    expect(body).toMatchObject({ days: 2, to: today, contacts: { total: 2, subscribed: 1 }, webhooks: [] });
    expect(body.daily).toHaveLength(2);
    expect(body.daily[1]).toEqual({
      day: today,
      total: 2,
      subscribed: 1,
      added: 2,
      removed: 0,
      imported: 0,
      api: 2,
    });
    expect(body.jobs[1]).toEqual({ day: today, imports: 0, bulk: 0, failed: 0 });
    // The other project's key sees its own (empty) project, over 30 days by default.
    const other = await request(`${s.base}/overview`, { key: s.otherKey });
    expect(other.body).toMatchObject({ days: 30, contacts: { total: 0, subscribed: 0 } });
    expect(other.body.daily).toHaveLength(30);
  });

  it('answers a bad days with a 400 naming it', async () => {
    for (const days of ['0', '91', 'week', '2.5']) {
      const { status, body } = await request(`${s.base}/overview?days=${days}`, { key: s.key });
      expect(status).toBe(400);
      expect(body.error.errors[0].field).toBe('days');
    }
  });

  it('needs a key', async () => {
    expect((await request(`${s.base}/overview`, { key: null })).status).toBe(401);
  });
});
