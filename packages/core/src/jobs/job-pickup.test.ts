import { createPgTestSchema, describeEachDialect, openTestRosters, PG_URL } from '@roster/test-harness';
import { describe, expect, it } from 'vitest';
import { createRoster } from '../index.js';
import type { RosterOptions } from '../options.js';

/**
 * Instant pickup. Every runner here polls once an hour: a job it runs within the test's timeout
 * was picked up because something woke it (an enqueue in this process, the commit of an import,
 * a retry's alarm, or a PostgreSQL notification from another runner), never by the poll.
 */
const NEVER = 3_600_000;

describeEachDialect('job pickup', (dialect) => {
  const openRoster = openTestRosters(dialect);

  async function setup(jobs: RosterOptions['jobs'] = {}) {
    const roster = await openRoster({ jobs: { pollIntervalMs: NEVER, onError: () => {}, ...jobs } });
    return { roster, projectId: (await roster.projects.ensure('p')).id };
  }

  it('runs a job enqueued in this process at once, not at the next poll', async () => {
    const { roster, projectId } = await setup();
    const ran: string[] = [];
    roster.jobs.register({ type: 'mark', run: async ({ job }) => void ran.push(job.id) });
    await roster.jobs.start(); // its first look for jobs happens here, before the enqueue
    const job = await roster.jobs.enqueue(projectId, 'mark', {});
    await expect.poll(async () => (await roster.jobs.get(projectId, job.id)).status).toBe('completed');
    expect(ran).toEqual([job.id]);
  });

  it('loses no wake-up that arrives while the runner is claiming', async () => {
    const { roster, projectId } = await setup({ concurrency: 1 });
    const ran: number[] = [];
    roster.jobs.register<{ i: number }, null>({
      type: 'mark',
      async run({ job }) {
        ran.push(job.payload.i);
        return null;
      },
    });
    await roster.jobs.start();
    // Enqueued concurrently and one by one while earlier ones run and the runner claims.
    await Promise.all(Array.from({ length: 10 }, (_, i) => roster.jobs.enqueue(projectId, 'mark', { i })));
    for (let i = 10; i < 20; i++) await roster.jobs.enqueue(projectId, 'mark', { i });
    await expect.poll(() => ran.length).toBe(20);
    expect([...ran].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('runs an import as soon as the transaction that stored its file commits', async () => {
    const { roster, projectId } = await setup();
    await roster.jobs.start();
    const job = await roster.imports.enqueue(projectId, { file: Buffer.from('email\nada@example.com\n') });
    await expect.poll(async () => (await roster.imports.status(projectId, job.id)).state).toBe('completed');
    expect(await roster.contacts.findByEmail(projectId, 'ada@example.com')).toMatchObject({
      email: 'ada@example.com',
    });
  });

  it('retries a failed attempt when its backoff ends, before the next poll', async () => {
    const { roster, projectId } = await setup({ backoff: { baseMs: 20, maxMs: 20 } });
    let attempts = 0;
    roster.jobs.register({
      type: 'flaky',
      async run() {
        if (++attempts === 1) throw new Error('first attempt fails');
        return 'second attempt';
      },
    });
    await roster.jobs.start();
    const job = await roster.jobs.enqueue(projectId, 'flaky', {});
    await expect.poll(async () => (await roster.jobs.get(projectId, job.id)).status).toBe('completed');
    expect(await roster.jobs.get(projectId, job.id)).toMatchObject({ attempts: 2, result: 'second attempt' });
  });
});

describe.skipIf(!PG_URL)('job pickup across runners on PostgreSQL (LISTEN/NOTIFY)', () => {
  it("runs a job another roster enqueued, without this runner's poll", async () => {
    const schema = await createPgTestSchema();
    const worker = await createRoster({ database: schema.url, jobs: { pollIntervalMs: NEVER } });
    const producer = await createRoster({ database: schema.url }); // its runner is never started
    try {
      const ran: string[] = [];
      for (const roster of [worker, producer]) {
        roster.jobs.register({ type: 'mark', run: async ({ job }) => void ran.push(job.id) });
      }
      await worker.jobs.start();
      const projectId = (await producer.projects.ensure('p')).id;
      const first = await producer.jobs.enqueue(projectId, 'mark', {});
      // An import is enqueued in a transaction: the notification is delivered when it commits.
      const imported = await producer.imports.enqueue(projectId, {
        file: Buffer.from('email\nbo@example.com\n'),
      });
      await expect
        .poll(async () => (await producer.jobs.get(projectId, imported.id)).status)
        .toBe('completed');
      await expect.poll(async () => (await producer.jobs.get(projectId, first.id)).status).toBe('completed');
      expect(ran).toEqual([first.id]);
      for (const id of [first.id, imported.id]) {
        expect((await producer.jobs.get(projectId, id)).lockedBy).toBe(worker.jobs.workerId);
      }
      expect(producer.jobs.running).toBe(false);
    } finally {
      await worker.close();
      await producer.close();
      await schema.drop();
    }
  });

  it('ignores notifications about another schema', async () => {
    const mine = await createPgTestSchema();
    const theirs = await createPgTestSchema();
    const worker = await createRoster({ database: mine.url, jobs: { pollIntervalMs: NEVER } });
    const other = await createRoster({ database: theirs.url });
    try {
      worker.jobs.register({ type: 'mark', run: async () => null });
      other.jobs.register({ type: 'mark', run: async () => null });
      await worker.jobs.start();
      const myProject = (await worker.projects.ensure('p')).id;
      // Queued behind the runner's back (no notification): only a poll or a wake-up finds it.
      const waiting = await createRoster({ database: mine.url });
      try {
        waiting.jobs.register({ type: 'mark', run: async () => null });
        await waiting.db
          .insertInto('roster_jobs')
          .values({
            id: '01900000-0000-7000-8000-000000000001',
            project_id: myProject,
            type: 'mark',
            status: 'queued',
            payload: '{}',
            attempts: 0,
            max_attempts: 3,
            run_at: new Date().toISOString(),
            locked_at: null,
            locked_by: null,
            progress: null,
            result: null,
            last_error: null,
            created_at: new Date().toISOString(),
            updated_at: new Date().toISOString(),
          })
          .execute();
        const theirProject = (await other.projects.ensure('p')).id;
        const theirJob = await other.jobs.enqueue(theirProject, 'mark', {});
        // The other schema's notification did not wake this runner: after a round trip that
        // follows it on the server, the job queued here is still waiting.
        await other.jobs.enqueue(theirProject, 'mark', {});
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect((await worker.jobs.get(myProject, '01900000-0000-7000-8000-000000000001')).status).toBe(
          'queued',
        );
        expect((await other.jobs.get(theirProject, theirJob.id)).status).toBe('queued');
        // A notification about its own schema does.
        await waiting.jobs.enqueue(myProject, 'mark', {});
        await expect
          .poll(async () => (await worker.jobs.get(myProject, '01900000-0000-7000-8000-000000000001')).status)
          .toBe('completed');
      } finally {
        await waiting.close();
      }
    } finally {
      await worker.close();
      await other.close();
      await mine.drop();
      await theirs.drop();
    }
  });
});
