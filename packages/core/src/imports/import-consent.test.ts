import { describeEachDialect, openTestRosters } from '@roster/test-harness';
import { expect, it } from 'vitest';
import type { Roster } from '../roster.js';

/**
 * The consent record of CSV imports and queued bulk jobs: each existing contact whose `subscribed`
 * they flip gets a `contact.subscribed` / `contact.unsubscribed` event with source `import` (or
 * `bulk`) and the job's id, written in the job's own transaction.
 */
describeEachDialect('consent record of imports and bulk jobs', (dialect) => {
  const openRoster = openTestRosters(dialect);

  async function setup() {
    const roster = await openRoster({ jobs: { onError: () => {} } });
    return { roster, projectId: (await roster.projects.ensure('p')).id };
  }

  async function importCsv(roster: Roster, projectId: string, csv: string) {
    const job = await roster.imports.enqueue(projectId, { file: Buffer.from(csv), name: 'c.csv' });
    await roster.jobs.runOnce();
    return roster.imports.status(projectId, job.id);
  }

  const flipsOf = async (roster: Roster, projectId: string, contactId: string) =>
    (await roster.events.list(projectId, contactId))
      .filter((e) => e.name === 'contact.subscribed' || e.name === 'contact.unsubscribed')
      .map((e) => ({ name: e.name, data: e.data }));

  it('records one event per contact an import flips, with source import and the job id', async () => {
    const { roster, projectId } = await setup();
    const on = await roster.contacts.create(projectId, { email: 'on@example.com' });
    const off = await roster.contacts.create(projectId, { email: 'off@example.com', subscribed: false });
    const same = await roster.contacts.create(projectId, { email: 'same@example.com' });
    const kept = await roster.contacts.create(projectId, { email: 'kept@example.com', subscribed: false });
    const blocked = await roster.contacts.create(projectId, {
      email: 'blocked@example.com',
      subscribed: false,
    });
    await roster.suppressions.add(projectId, { email: 'blocked@example.com' });
    const status = await importCsv(
      roster,
      projectId,
      'email,subscribed,plan\non@example.com,false,\nOFF@example.com,true,\nsame@example.com,true,\n' +
        'kept@example.com,,pro\nblocked@example.com,true,\nnew@example.com,true,\n',
    );
    expect(status).toMatchObject({ state: 'completed', result: { successCount: 6, suppressedCount: 1 } });
    const jobId = status.id;
    expect(await flipsOf(roster, projectId, on.id)).toEqual([
      { name: 'contact.unsubscribed', data: { source: 'import', jobId } },
    ]);
    expect(await flipsOf(roster, projectId, off.id)).toEqual([
      { name: 'contact.subscribed', data: { source: 'import', jobId } },
    ]);
    // Unchanged (already subscribed, subscribed left out, or held unsubscribed by the suppression).
    expect(await flipsOf(roster, projectId, same.id)).toEqual([]);
    expect(await flipsOf(roster, projectId, kept.id)).toEqual([]);
    expect(await flipsOf(roster, projectId, blocked.id)).toEqual([]);
    const created = await roster.contacts.findByEmail(projectId, 'new@example.com');
    expect(await flipsOf(roster, projectId, created!.id)).toEqual([]);
  });

  it('records the flips of a batch in the batch transaction, across batches', async () => {
    const roster = await openRoster({ jobs: { onError: () => {} }, imports: { batchSize: 2 } });
    const projectId = (await roster.projects.ensure('p')).id;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await roster.contacts.create(projectId, { email: `c${i}@x.io` })).id);
    const csv = `email,subscribed\n${ids.map((_, i) => `c${i}@x.io,no`).join('\n')}\n`;
    const status = await importCsv(roster, projectId, csv);
    expect(status.state).toBe('completed');
    for (const id of ids) {
      expect(await flipsOf(roster, projectId, id)).toEqual([
        { name: 'contact.unsubscribed', data: { source: 'import', jobId: status.id } },
      ]);
    }
  });

  it('records a queued bulk job id with its flips', async () => {
    const { roster, projectId } = await setup();
    const a = await roster.contacts.create(projectId, { email: 'a@example.com' });
    const jobId = await roster.bulk.enqueue(projectId, 'unsubscribe', [a.id]);
    await roster.jobs.runOnce();
    expect(await flipsOf(roster, projectId, a.id)).toEqual([
      { name: 'contact.unsubscribed', data: { source: 'bulk', jobId } },
    ]);
  });
});
