import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import { expect, it } from 'vitest';

/** Concurrent single writes through the service (grouped into shared transactions on SQLite). */
describeEachDialect('concurrent single contact writes', (dialect) => {
  it('commits every good write and fails only the bad ones, each with its own error', async () => {
    const roster = await createTestRoster(dialect);
    try {
      const projectId = (await roster.projects.ensure('p')).id;
      const taken = await roster.contacts.create(projectId, { email: 'taken@example.com' });
      const outcomes = await Promise.allSettled([
        roster.contacts.upsert(projectId, { email: 'a@example.com', data: { n: 1 } }),
        roster.contacts.create(projectId, { email: 'taken@example.com' }), // conflict
        roster.contacts.upsert(projectId, { email: 'a@example.com', data: { m: 2 } }), // same email, merged
        roster.contacts.update(projectId, taken.id, { subscribed: false }),
        roster.contacts.create(projectId, {
          email: 'b@example.com',
          audienceId: '01900000-0000-7000-8000-000000000000',
        }), // no such audience
        roster.contacts.create(projectId, { email: 'c@example.com' }),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'conflict' });
      expect((outcomes[4] as PromiseRejectedResult).reason).toMatchObject({ code: 'not_found' });
      expect(await roster.contacts.count(projectId)).toBe(3);
      expect(await roster.contacts.findByEmail(projectId, 'a@example.com')).toMatchObject({
        data: { n: 1, m: 2 },
      });
      expect(await roster.contacts.findByEmail(projectId, 'taken@example.com')).toMatchObject({
        subscribed: false,
      });
      expect(await roster.contacts.findByEmail(projectId, 'b@example.com')).toBeNull();
    } finally {
      await roster.close();
    }
  });
});
