import type { Roster } from '@roster/core';
import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import express from 'express';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createRosterRouter } from '../src/index.js';
import { closeServed, emptyTables, type Listening, listen, request, twoProjects } from './http-helpers.js';

describeEachDialect('/roster/overview', (dialect) => {
  let roster: Roster;
  let server: Listening;
  let projectId: string;
  let key: string;
  let otherKey: string;
  let base: string;
  const unexpected: unknown[] = [];

  beforeAll(async () => {
    roster = await createTestRoster(dialect);
    ({ projectId, key, otherKey } = await twoProjects(roster));
    const app = express();
    app.use('/roster', createRosterRouter(roster, { onError: (error) => unexpected.push(error) }));
    server = await listen(app);
    base = `${server.url}/roster`;
  });
  afterAll(() => closeServed(server, roster));
  beforeEach(async () => {
    await emptyTables(roster, 'roster_contacts', 'roster_contact_daily');
    expect(unexpected).toEqual([]);
  });

  it("answers the key's project's overview for the days asked", async () => {
    await roster.contacts.create(projectId, { email: 'a@example.com', subscribed: true });
    await roster.contacts.create(projectId, { email: 'b@example.com', subscribed: false });
    const today = new Date().toISOString().slice(0, 10);
    const { status, body } = await request(`${base}/overview?days=2`, { key });
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
    const other = await request(`${base}/overview`, { key: otherKey });
    expect(other.body).toMatchObject({ days: 30, contacts: { total: 0, subscribed: 0 } });
    expect(other.body.daily).toHaveLength(30);
  });

  it('answers a bad days with a 400 naming it', async () => {
    for (const days of ['0', '91', 'week', '2.5']) {
      const { status, body } = await request(`${base}/overview?days=${days}`, { key });
      expect(status).toBe(400);
      expect(body.error.errors[0].field).toBe('days');
    }
  });

  it('needs a key', async () => {
    expect((await request(`${base}/overview`, { key: null })).status).toBe(401);
  });
});
