import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Roster } from '../index.js';

describeEachDialect('imports.wait', (dialect) => {
  let roster: Roster;
  let projectId: string;
  beforeEach(async () => {
    roster = await createTestRoster(dialect, { jobs: { pollIntervalMs: 20 } });
    projectId = (await roster.projects.ensure('p')).id;
  });
  afterEach(async () => {
    await roster.close();
  });

  const enqueue = () =>
    roster.imports.enqueue(projectId, { file: Buffer.from('email\nada@example.com\nbob@example.com\n') });

  it('answers the finished status once a running job runner has imported the file', async () => {
    const job = await enqueue();
    await roster.jobs.start();
    const status = await roster.imports.wait(projectId, job.id, { timeoutMs: 20_000 });
    expect(status).toMatchObject({ id: job.id, state: 'completed', result: { createdCount: 2 } });
  });

  it('answers the status as it stands when the time is up', async () => {
    const job = await enqueue();
    const started = Date.now();
    const status = await roster.imports.wait(projectId, job.id, { timeoutMs: 50 });
    expect(status).toMatchObject({ id: job.id, state: 'waiting' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
  });

  it('stops waiting when the signal aborts', async () => {
    const job = await enqueue();
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 30);
    // Far beyond the test's own timeout: only the abort can end this wait in time.
    const status = await roster.imports.wait(projectId, job.id, { timeoutMs: 600_000, signal: abort.signal });
    expect(status).toMatchObject({ id: job.id, state: 'waiting' });
  });

  it("is not_found for an unknown job or another project's", async () => {
    const job = await enqueue();
    const other = (await roster.projects.ensure('other')).id;
    await expect(roster.imports.wait(other, job.id, { timeoutMs: 10 })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
