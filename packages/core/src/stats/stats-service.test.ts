import { createTestRoster, describeEachDialect, rosterRejection } from '@roster/test-harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Roster } from '../roster.js';

const DAY_MS = 86_400_000;
// Deletions count on the database's current UTC day: the fake clock ends on the real today.
const today = Date.now() - (Date.now() % DAY_MS) + 12 * 3_600_000;
let time = today;
const clock = () => new Date(time);
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

let roster: Roster;
let projectId: string;

/** The overview's daily entries without the day, oldest first. */
async function days(n: number) {
  const overview = await roster.stats.overview(projectId, { days: n });
  return overview.daily.map(({ day: _day, ...rest }) => rest);
}

describeEachDialect('stats.overview', (dialect) => {
  beforeEach(async () => {
    time = today;
    roster = await createTestRoster(dialect, { clock, jobs: { onError: () => {} } });
    projectId = (await roster.projects.ensure('p')).id;
  });
  afterEach(async () => {
    await roster.close();
  });

  it('counts contacts created, updated and deleted per day, with totals at the end of each day', async () => {
    time = today - 2 * DAY_MS;
    const a = await roster.contacts.create(projectId, { email: 'a@example.com', subscribed: true });
    const b = await roster.contacts.create(projectId, { email: 'b@example.com', subscribed: false });
    time = today - DAY_MS;
    await roster.contacts.create(projectId, { email: 'c@example.com', subscribed: true });
    time = today;
    await roster.contacts.update(projectId, b.id, { subscribed: true });
    await roster.contacts.delete(projectId, a.id);

    const overview = await roster.stats.overview(projectId, { days: 4 });
    expect(overview).toMatchObject({
      days: 4,
      from: dayOf(today - 3 * DAY_MS),
      to: dayOf(today),
      contacts: { total: 2, subscribed: 2 },
    });
    expect(overview.daily.map((d) => d.day)).toEqual([3, 2, 1, 0].map((n) => dayOf(today - n * DAY_MS)));
    expect(await days(4)).toEqual([
      { total: 0, subscribed: 0, added: 0, removed: 0, imported: 0, api: 0 },
      { total: 2, subscribed: 1, added: 2, removed: 0, imported: 0, api: 2 },
      { total: 3, subscribed: 2, added: 1, removed: 0, imported: 0, api: 1 },
      { total: 2, subscribed: 2, added: 0, removed: 1, imported: 0, api: 0 },
    ]);
    // The same as counting the contacts themselves.
    expect(await roster.contacts.count(projectId)).toBe(2);
    expect(await roster.contacts.count(projectId, { subscribed: true })).toBe(2);
  });

  it('counts days before the window in the totals', async () => {
    time = today - 10 * DAY_MS;
    await roster.contacts.create(projectId, { email: 'old@example.com', subscribed: true });
    time = today;
    await roster.contacts.create(projectId, { email: 'new@example.com', subscribed: false });
    expect(await days(2)).toEqual([
      { total: 1, subscribed: 1, added: 0, removed: 0, imported: 0, api: 0 },
      { total: 2, subscribed: 1, added: 1, removed: 0, imported: 0, api: 1 },
    ]);
  });

  it('tells contacts an import created from the others, and counts the import job', async () => {
    await roster.contacts.create(projectId, { email: 'known@example.com', subscribed: true });
    const job = await roster.imports.enqueue(projectId, {
      file: Buffer.from(
        'email,subscribed\nknown@example.com,false\nx@example.com,true\ny@example.com,false\n',
      ),
      name: 'contacts.csv',
    });
    await roster.jobs.runOnce();
    expect((await roster.imports.status(projectId, job.id)).state).toBe('completed');
    const overview = await roster.stats.overview(projectId, { days: 1 });
    // known@ was updated to unsubscribed: 3 contacts, 1 subscribed (x@).
    expect(overview.contacts).toEqual({ total: 3, subscribed: 1 });
    expect(overview.daily).toEqual([
      { day: dayOf(today), total: 3, subscribed: 1, added: 3, removed: 0, imported: 2, api: 1 },
    ]);
    expect(overview.jobs).toEqual([{ day: dayOf(today), imports: 1, bulk: 0, failed: 0 }]);
  });

  it('follows bulk subscription changes and bulk deletes', async () => {
    const ids = [];
    for (const n of [1, 2, 3, 4]) {
      ids.push((await roster.contacts.create(projectId, { email: `${n}@example.com`, subscribed: true })).id);
    }
    await roster.bulk.apply(projectId, { operation: 'unsubscribe', contactIds: ids.slice(0, 3) });
    expect((await roster.stats.overview(projectId, { days: 1 })).contacts).toEqual({
      total: 4,
      subscribed: 1,
    });
    await roster.bulk.apply(projectId, { operation: 'subscribe', contactIds: ids.slice(0, 1) });
    await roster.bulk.apply(projectId, { operation: 'delete', contactIds: ids.slice(1) });
    expect(await days(1)).toEqual([{ total: 1, subscribed: 1, added: 4, removed: 3, imported: 0, api: 4 }]);
  });

  it('keeps each project to its own counts', async () => {
    const other = (await roster.projects.ensure('other')).id;
    await roster.contacts.create(other, { email: 'o@example.com' });
    await roster.contacts.create(projectId, { email: 'p@example.com' });
    await roster.contacts.create(projectId, { email: 'q@example.com' });
    expect((await roster.stats.overview(projectId, { days: 1 })).contacts.total).toBe(2);
    expect((await roster.stats.overview(other, { days: 1 })).contacts.total).toBe(1);
  });

  it('lists each webhook endpoint with its deliveries by status', async () => {
    const endpoint = await roster.webhooks.create(projectId, {
      url: 'https://example.com/hook',
      eventTypes: ['contact.created'],
    });
    const overview = await roster.stats.overview(projectId, { days: 7 });
    expect(overview.webhooks).toEqual([
      {
        id: endpoint.id,
        url: 'https://example.com/hook',
        enabled: true,
        succeeded: 0,
        failed: 0,
        pending: 0,
      },
    ]);
    expect(overview.jobs).toHaveLength(7);
  });

  it('counts the deliveries of the window per endpoint and status', async () => {
    const endpoint = await roster.webhooks.create(projectId, {
      url: 'https://example.com/hook',
      eventTypes: ['contact.created'],
    });
    const base = {
      project_id: projectId,
      endpoint_id: endpoint.id,
      message_id: 'msg',
      event_type: 'contact.created',
      ordering_key: null,
      body: '{}',
      attempt_count: 1,
      round_attempts: 1,
      job_id: null,
      next_attempt_at: null,
      last_status_code: null,
      last_error: null,
      created_at: clock().toISOString(),
      updated_at: clock().toISOString(),
      finished_at: null,
    };
    // Ids are UUIDv7 (their first 48 bits are the millisecond): one from 40 days ago, outside the window.
    const idAt = (ms: number, n: number) => {
      const hex = ms.toString(16).padStart(12, '0');
      return `${hex.slice(0, 8)}-${hex.slice(8)}-7000-8000-00000000000${n}`;
    };
    await roster.db
      .insertInto('roster_webhook_deliveries')
      .values([
        { ...base, id: idAt(Date.now() - 40 * DAY_MS, 1), status: 'failed' },
        { ...base, id: idAt(Date.now(), 2), status: 'succeeded' },
        { ...base, id: idAt(Date.now(), 3), status: 'failed' },
        { ...base, id: idAt(Date.now(), 4), status: 'pending' },
        { ...base, id: idAt(Date.now(), 5), status: 'succeeded' },
      ])
      .execute();
    const [health] = (await roster.stats.overview(projectId, { days: 30 })).webhooks;
    expect(health).toMatchObject({ succeeded: 2, failed: 1, pending: 1 });
  });

  it("counts a deleted project's contacts nowhere, and the project's delete succeeds", async () => {
    const other = (await roster.projects.ensure('other')).id;
    await roster.contacts.create(other, { email: 'o@example.com' });
    await roster.db.deleteFrom('roster_projects').where('id', '=', other).execute();
    const left = await roster.db.selectFrom('roster_contact_daily').select('project_id').execute();
    expect(left.map((r) => r.project_id)).not.toContain(other);
  });

  // The backfill of 0019 runs on the contacts table it was written for (a text project id): today's
  // (migrations 0020, 0021 and 0022) is another on both dialects. db/migration-0020.test.ts covers it,
  // migrating a 0.1 database to the latest schema; db/migration-0021.test.ts the counts across 0021.

  describe('options', () => {
    it('rejects days outside 1 to 90, naming the field', async () => {
      for (const days of [0, 91, 1.5]) {
        const error = await rosterRejection(roster.stats.overview(projectId, { days }));
        expect(error.code).toBe('validation_failed');
        expect(error.details?.issues?.[0]?.field).toBe('days');
      }
    });

    it('covers 30 days by default', async () => {
      const overview = await roster.stats.overview(projectId);
      expect(overview.days).toBe(30);
      expect(overview.daily).toHaveLength(30);
      expect(overview.to).toBe(dayOf(today));
    });
  });

  it(`is dialect ${dialect}`, () => expect(roster.dialect.name).toBe(dialect));
});
