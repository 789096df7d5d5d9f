import { describeEachDialect, openTestRosters } from '@roster/test-harness';
import { expect, it } from 'vitest';

/** Background work: `roster.jobs` starts, stops and drains the job runner and the change feed together. */
describeEachDialect('background work', (dialect) => {
  const openRoster = openTestRosters(dialect);

  it('runOnce drains work that goes back and forth: a consumer queues a job, the job writes a change, the consumer sees it', async () => {
    const roster = await openRoster({ jobs: { pollIntervalMs: 3_600_000, onError: () => {} } });
    const projectId = (await roster.projects.ensure('p')).id;
    const seen: string[] = [];
    roster.jobs.register<{ n: number }, null>({
      type: 'next',
      async run({ job }) {
        await roster.contacts.create(projectId, { email: `c${job.payload.n}@example.com` });
        return null;
      },
    });
    roster.changes.registerConsumer('relay', async (trx, changes) => {
      for (const change of changes) {
        const email = (change.data.contact as { email: string }).email;
        seen.push(email);
        const n = Number(/^c?(\d+)@/.exec(email)?.[1] ?? 0) + 1;
        if (n <= 3) await roster.jobs.enqueue(projectId, 'next', { n }, { db: trx });
      }
    });
    await roster.contacts.create(projectId, { email: '0@example.com' });

    expect(await roster.jobs.runOnce()).toBe(3);
    expect(seen).toEqual(['0@example.com', 'c1@example.com', 'c2@example.com', 'c3@example.com']);
  });

  it('stop() stops the change feed’s consumers with the runner, and start() starts both again', async () => {
    const roster = await openRoster({ jobs: { pollIntervalMs: 10, onError: () => {} } });
    const projectId = (await roster.projects.ensure('p')).id;
    const seen: string[] = [];
    roster.changes.registerConsumer('watch', async (_trx, changes) => {
      seen.push(...changes.map((change) => change.type));
    });
    await roster.jobs.start();
    await roster.contacts.create(projectId, { email: 'a@example.com' });
    await expect.poll(() => seen).toEqual(['contact.created']);

    await roster.jobs.stop();
    expect(roster.jobs.running).toBe(false);
    await roster.contacts.create(projectId, { email: 'b@example.com' });
    await new Promise((resolve) => setTimeout(resolve, 100)); // ten polls of a started feed
    expect(seen).toEqual(['contact.created']);

    await roster.jobs.start();
    await expect.poll(() => seen).toEqual(['contact.created', 'contact.created']);
  });
});
