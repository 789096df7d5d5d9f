import { createTestRoster, describeEachDialect, rosterRejection } from '@roster/test-harness';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Roster } from '../roster.js';

const DAY = 24 * 60 * 60 * 1000;
let now = Date.parse('2026-03-01T12:00:00.000Z');
const clock = () => new Date(now);

describeEachDialect('audit log', (dialect) => {
  let roster: Roster;
  let projectId: string;
  beforeEach(async () => {
    now = Date.parse('2026-03-01T12:00:00.000Z');
    roster = await createTestRoster(dialect, {
      clock,
      audit: { retentionDays: 30 },
      jobs: { onError: () => {} },
    });
    projectId = (await roster.projects.ensure('p')).id;
  });
  afterEach(async () => {
    await roster.close();
  });

  it('records entries and lists them newest first, by page, since a time and by action', async () => {
    const first = await roster.audit.record(projectId, {
      actor: 'cli',
      action: 'key.created',
      target: 'k1',
      detail: { prefix: 'sk_' },
    });
    expect(first).toEqual({
      id: first.id,
      projectId,
      createdAt: '2026-03-01T12:00:00.000Z',
      actor: 'cli',
      action: 'key.created',
      target: 'k1',
      detail: { prefix: 'sk_' },
    });
    now += 1000;
    await roster.audit.record(projectId, { actor: 'key:k1', action: 'webhook.deleted', target: 'w1' });
    now += 1000;
    await roster.audit.record(projectId, { actor: 'key:k1', action: 'contacts.exported' });
    const page = await roster.audit.list(projectId, { limit: 2 });
    expect(page.data.map((e) => e.action)).toEqual(['contacts.exported', 'webhook.deleted']);
    expect(page.data[1]).toMatchObject({ target: 'w1', detail: null });
    expect(page.hasMore).toBe(true);
    const rest = await roster.audit.list(projectId, { limit: 2, cursor: page.cursor! });
    expect(rest.data.map((e) => e.action)).toEqual(['key.created']);
    expect(rest.hasMore).toBe(false);
    const since = await roster.audit.list(projectId, { since: '2026-03-01T12:00:01.000Z' });
    expect(since.data).toHaveLength(2);
    expect((await roster.audit.list(projectId, { action: 'key.created' })).data).toHaveLength(1);
    const other = (await roster.projects.ensure('other')).id;
    expect((await roster.audit.list(other)).data).toEqual([]);
  });

  it('refuses bad entries and bad list options, naming the field', async () => {
    const bad = await rosterRejection(
      roster.audit.record(projectId, { actor: '', action: 'Key Created', detail: [] as never }),
    );
    expect(bad.details.issues?.map((i) => i.field)).toEqual(['actor', 'action', 'detail']);
    const big = await rosterRejection(
      roster.audit.record(projectId, { actor: 'cli', action: 'x', detail: { a: 'x'.repeat(5000) } }),
    );
    expect(big.details.issues).toEqual([{ field: 'detail', message: 'must be at most 4096 bytes as JSON' }]);
    const since = await rosterRejection(roster.audit.list(projectId, { since: 'yesterday' }));
    expect(since.details.issues).toEqual([{ field: 'since', message: 'must be an ISO 8601 date-time' }]);
    const cursor = await rosterRejection(roster.audit.list(projectId, { cursor: 'nope' }));
    expect(cursor.code).toBe('invalid_cursor');
  });

  it('deletes entries past the retention with the audit.prune job', async () => {
    await roster.audit.record(projectId, { actor: 'cli', action: 'key.created' });
    now += 20 * DAY;
    await roster.audit.record(projectId, { actor: 'cli', action: 'key.revoked' });
    now += 15 * DAY; // the first entry is 35 days old, the second 15
    await roster.jobs.runOnce();
    expect((await roster.audit.list(projectId)).data.map((e) => e.action)).toEqual(['key.revoked']);
    // The job queued itself again for the entry left.
    const next = await roster.jobs.unfinished(projectId, 'audit.prune');
    expect(next).toHaveLength(1);
  });
});
