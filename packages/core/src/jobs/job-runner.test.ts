import { hostname } from 'node:os';
import { deferred, describeEachDialect, openTestRosters } from '@roster/test-harness';
import { expect, it } from 'vitest';
import { RosterError } from '../errors.js';
import type { RosterOptions } from '../options.js';
import type { Roster } from '../roster.js';
import { createJobRunner, type JobRunner } from './job-runner.js';
import type { JobDefinition } from './job-types.js';

let time = Date.parse('2030-01-01T00:00:00.000Z');
const clock = () => new Date(time);
const errors: unknown[] = [];

/** A second runner on the same database (another "process"). */
function otherRunner(roster: Roster, ...definitions: JobDefinition<any, any>[]): JobRunner {
  const runner = createJobRunner({
    db: roster.db,
    dialect: roster.dialect,
    clock,
    options: roster.options.jobs,
  });
  for (const d of definitions) runner.register(d);
  return runner;
}

/** The worker id of a process of this host that no longer exists. */
const DEAD_LOCAL_WORKER = `roster:${hostname()}:999999999:00ff`;

/** A 'noop' job (answering 'ran') whose row says `lockedBy` took it at `lockedAt` (attempt 1) and runs it. */
async function abandonedJob(roster: Roster, projectId: string, lockedBy: string, lockedAt: string) {
  roster.jobs.register({ type: 'noop', run: async () => 'ran' });
  const job = await roster.jobs.enqueue(projectId, 'noop', {});
  await roster.db
    .updateTable('roster_jobs')
    .set({ status: 'running', attempts: 1, locked_by: lockedBy, locked_at: lockedAt })
    .where('id', '=', job.id)
    .execute();
  return job;
}

/** Registers a handler of `type` that runs `attempt(n)` on its n-th call; returns how many calls it had. */
function registerCounted(roster: Roster, type: string, attempt: (call: number) => unknown): () => number {
  let calls = 0;
  roster.jobs.register({
    type,
    async run() {
      calls++;
      return attempt(calls);
    },
  });
  return () => calls;
}

describeEachDialect('job runner', (dialect) => {
  const openRoster = openTestRosters(dialect);

  async function setup(jobs: RosterOptions['jobs'] = {}) {
    time = Date.parse('2030-01-01T00:00:00.000Z');
    errors.length = 0;
    const roster = await openRoster({
      clock,
      jobs: { backoff: { baseMs: 1000, maxMs: 8000 }, onError: (e) => errors.push(e), ...jobs },
    });
    const projectId = (await roster.projects.ensure('p')).id;
    return { roster, projectId };
  }

  it('claims fairly across projects: a backlog of one project does not hold back another', async () => {
    const { roster, projectId } = await setup({ concurrency: 2 });
    const other = (await roster.projects.ensure('other')).id;
    const batches: string[][] = [];
    let current: string[] = [];
    roster.jobs.register({
      type: 'mark',
      async run({ job }) {
        current.push((job.payload as { name: string }).name);
        if (current.length === 2) {
          batches.push(current);
          current = [];
        }
        return null;
      },
    });
    for (let i = 1; i <= 6; i++) await roster.jobs.enqueue(projectId, 'mark', { name: `a${i}` });
    await roster.jobs.enqueue(other, 'mark', { name: 'b1' });
    await roster.jobs.enqueue(other, 'mark', { name: 'b2' });
    expect(await roster.jobs.runOnce()).toBe(8);
    // Each batch of two takes one job of each project while both have some; oldest first within one.
    expect(batches.map((b) => [...b].sort())).toEqual([
      ['a1', 'b1'],
      ['a2', 'b2'],
      ['a3', 'a4'],
      ['a5', 'a6'],
    ]);
  });

  it('runs a queued job once and keeps its result queryable', async () => {
    const { roster, projectId } = await setup();
    const seen: unknown[] = [];
    roster.jobs.register({
      type: 'echo',
      async run({ job }) {
        seen.push(job.payload);
        return { echoed: job.payload };
      },
    });
    const job = await roster.jobs.enqueue(projectId, 'echo', { n: 1 });
    expect(job).toMatchObject({ status: 'queued', attempts: 0, maxAttempts: 3, result: null });
    expect(await roster.jobs.runOnce()).toBe(1);
    expect(await roster.jobs.runOnce()).toBe(0);
    expect(seen).toEqual([{ n: 1 }]);
    expect(await roster.jobs.get(projectId, job.id)).toMatchObject({
      status: 'completed',
      attempts: 1,
      result: { echoed: { n: 1 } },
      lockedAt: null,
      lockedBy: roster.jobs.workerId, // the worker that finished it
    });
  });

  it('ensure keeps one chain of a periodic job per project: none is added while one is queued or running', async () => {
    const { roster, projectId } = await setup();
    const other = (await roster.projects.ensure('other')).id;
    const next: string[] = [];
    roster.jobs.register({
      type: 'tick',
      async run({ job }) {
        // Ignoring itself (`exceptId`), the running job queues its successor.
        await roster.jobs.ensure(job.projectId, 'tick', { runAt: new Date(time + 60_000) });
        await roster.jobs.ensure(job.projectId, 'tick', { runAt: new Date(time + 60_000), exceptId: job.id });
        next.push(...(await roster.jobs.unfinished(job.projectId, 'tick')).map((j) => j.id));
        return null;
      },
    });
    await roster.jobs.ensure(projectId, 'tick', { runAt: new Date(time) });
    await roster.jobs.ensure(projectId, 'tick', { runAt: new Date(time + 1000) });
    await roster.jobs.ensure(other, 'tick', { runAt: new Date(time + 1000) });
    const [first] = await roster.jobs.unfinished(projectId, 'tick');
    expect(await roster.jobs.unfinished(projectId, 'tick')).toEqual([
      expect.objectContaining({ status: 'queued', payload: {}, runAt: new Date(time).toISOString() }),
    ]);
    expect(await roster.jobs.unfinished(other, 'tick')).toHaveLength(1);
    time += 1000;
    expect(await roster.jobs.runOnce()).toBe(2);
    const queued = await roster.jobs.unfinished(projectId, 'tick');
    expect(queued).toEqual([
      expect.objectContaining({ status: 'queued', runAt: new Date(time + 60_000).toISOString() }),
    ]);
    expect(queued[0]!.id).not.toBe(first!.id);
    expect(next).toContain(queued[0]!.id);
  });

  it("answers not_found for another project's job and for a malformed id", async () => {
    const { roster, projectId } = await setup();
    roster.jobs.register({ type: 'noop', run: async () => null });
    const other = (await roster.projects.ensure('other')).id;
    const job = await roster.jobs.enqueue(projectId, 'noop', {});
    await expect(roster.jobs.get(other, job.id)).rejects.toMatchObject({
      code: 'not_found',
      details: { resource: 'job' },
    });
    await expect(roster.jobs.get(projectId, 'nope')).rejects.toMatchObject({ code: 'not_found' });
  });

  it("lists a project's jobs newest first in keyset pages, optionally of some types only", async () => {
    const { roster, projectId } = await setup();
    const other = (await roster.projects.ensure('other')).id;
    for (const type of ['a', 'b']) roster.jobs.register({ type, run: async () => type });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await roster.jobs.enqueue(projectId, i % 2 ? 'b' : 'a', { i })).id);
    await roster.jobs.enqueue(other, 'a', {});
    const first = await roster.jobs.list(projectId, { limit: 2 });
    expect(first.data.map((j) => j.id)).toEqual([ids[4], ids[3]]);
    expect(first.hasMore).toBe(true);
    const second = await roster.jobs.list(projectId, { limit: 2, cursor: first.cursor });
    expect(second.data.map((j) => j.id)).toEqual([ids[2], ids[1]]);
    const last = await roster.jobs.list(projectId, { limit: 2, cursor: second.cursor });
    expect(last).toMatchObject({ data: [{ id: ids[0] }], cursor: null, hasMore: false });
    const onlyB = await roster.jobs.list(projectId, { types: ['b'] });
    expect(onlyB.data.map((j) => j.id)).toEqual([ids[3], ids[1]]);
    const foreignCursor = (await roster.jobs.list(other)).data[0]!.id;
    await expect(roster.jobs.list(projectId, { cursor: foreignCursor })).rejects.toMatchObject({
      code: 'invalid_cursor',
    });
    await expect(roster.jobs.list(projectId, { limit: 101 })).rejects.toMatchObject({
      code: 'validation_failed',
      details: { issues: [{ field: 'limit' }] },
    });
  });

  it('retries a failed attempt after an exponential backoff, then completes', async () => {
    const { roster, projectId } = await setup();
    registerCounted(roster, 'flaky', (call) => {
      if (call <= 2) throw new Error(`injected failure ${call}`);
      return 'ok';
    });
    const job = await roster.jobs.enqueue(projectId, 'flaky', {});
    await roster.jobs.runOnce();
    let stored = await roster.jobs.get(projectId, job.id);
    expect(stored).toMatchObject({ status: 'queued', attempts: 1, lastError: 'injected failure 1' });
    expect(stored.runAt).toBe('2030-01-01T00:00:01.000Z');

    time += 999;
    expect(await roster.jobs.runOnce()).toBe(0);
    time += 1;
    expect(await roster.jobs.runOnce()).toBe(1);
    stored = await roster.jobs.get(projectId, job.id);
    expect(stored).toMatchObject({ status: 'queued', attempts: 2, lastError: 'injected failure 2' });
    expect(stored.runAt).toBe('2030-01-01T00:00:03.000Z'); // now + 2 s

    time += 2000;
    await roster.jobs.runOnce();
    expect(await roster.jobs.get(projectId, job.id)).toMatchObject({
      status: 'completed',
      attempts: 3,
      result: 'ok',
    });
    expect(errors).toHaveLength(2);
  });

  it('fails for good after maxAttempts', async () => {
    const { roster, projectId } = await setup({ maxAttempts: 2, backoff: { baseMs: 0 } });
    roster.jobs.register({
      type: 'broken',
      async run() {
        throw new Error('always broken');
      },
    });
    const job = await roster.jobs.enqueue(projectId, 'broken', {});
    await roster.jobs.runOnce();
    await roster.jobs.runOnce();
    expect(await roster.jobs.get(projectId, job.id)).toMatchObject({
      status: 'failed',
      attempts: 2,
      lastError: 'always broken',
    });
  });

  it('fails at once, without retry, when the handler throws a RosterError', async () => {
    const { roster, projectId } = await setup();
    const calls = registerCounted(roster, 'invalid', () => {
      throw RosterError.validation([{ field: 'file', message: 'is empty' }], 'The CSV file is empty');
    });
    const job = await roster.jobs.enqueue(projectId, 'invalid', {});
    await roster.jobs.runOnce();
    time += 60_000;
    await roster.jobs.runOnce();
    expect(calls()).toBe(1);
    expect(await roster.jobs.get(projectId, job.id)).toMatchObject({
      status: 'failed',
      lastError: 'The CSV file is empty',
    });
    expect(errors).toEqual([]);
  });

  it('releases a stale lock so that another worker resumes the job', async () => {
    const { roster, projectId } = await setup({ lockTimeoutMs: 10_000 });
    const progressSeen: unknown[] = [];
    roster.jobs.register({
      type: 'resumable',
      async run(ctx) {
        progressSeen.push(ctx.job.progress);
        return 'done';
      },
    });
    const job = await roster.jobs.enqueue(projectId, 'resumable', {});
    // Worker A records progress, then hangs forever (as if its process had frozen or died).
    const crashed = otherRunner(roster, {
      type: 'resumable',
      async run(ctx) {
        await ctx.transaction((_trx, save) => save({ step: 1 }));
        // (Until the test stops this runner, so its heartbeat does not outlive the database.)
        return new Promise<never>((_, reject) =>
          ctx.signal.addEventListener('abort', () => reject(new Error('stopped'))),
        );
      },
    });
    void crashed.runOnce();
    await expect.poll(async () => (await roster.jobs.get(projectId, job.id)).progress).toEqual({ step: 1 });
    expect(await roster.jobs.get(projectId, job.id)).toMatchObject({
      status: 'running',
      lockedBy: crashed.workerId,
    });

    time += 10_000; // not yet older than the timeout
    expect(await roster.jobs.releaseStale()).toBe(0);
    time += 1;
    expect(await roster.jobs.releaseStale()).toBe(1);
    expect(await roster.jobs.get(projectId, job.id)).toMatchObject({
      status: 'queued',
      attempts: 1,
      lockedBy: null,
    });
    await roster.jobs.runOnce();
    expect(await roster.jobs.get(projectId, job.id)).toMatchObject({
      status: 'completed',
      attempts: 2,
      result: 'done',
    });
    expect(progressSeen).toEqual([{ step: 1 }]);
    await crashed.stop();
  });

  it('releases at once a lock held by a process of this host that no longer exists', async () => {
    const { roster, projectId } = await setup();
    const job = await abandonedJob(roster, projectId, DEAD_LOCAL_WORKER, clock().toISOString());
    expect(await roster.jobs.runOnce()).toBe(1);
    expect(await roster.jobs.get(projectId, job.id)).toMatchObject({
      status: 'completed',
      attempts: 2,
      result: 'ran',
    });
  });

  it('fails a job whose worker died more often than maxAttempts allows', async () => {
    const { roster, projectId } = await setup({ maxAttempts: 1 });
    const job = await abandonedJob(roster, projectId, DEAD_LOCAL_WORKER, clock().toISOString());
    await roster.jobs.runOnce();
    expect(await roster.jobs.get(projectId, job.id)).toMatchObject({
      status: 'failed',
      lastError: expect.stringContaining('interrupted too many times'),
    });
  });

  it.skipIf(dialect !== 'postgres')(
    'skips, without waiting, a stale job whose row an open transaction still holds',
    async () => {
      const { roster, projectId } = await setup();
      const job = await abandonedJob(
        roster,
        projectId,
        'roster:another-host:4242:00ff',
        new Date(time - 60_000).toISOString(),
      );
      // A worker in the middle of a batch transaction that has written the job row (or a frozen one).
      const finish = deferred();
      const rowLocked = deferred();
      const transaction = roster.db.transaction().execute(async (trx) => {
        await trx.selectFrom('roster_jobs').select('id').where('id', '=', job.id).forUpdate().execute();
        rowLocked.resolve();
        await finish.promise;
      });
      await rowLocked.promise;
      expect(await roster.jobs.releaseStale()).toBe(0);
      finish.resolve();
      await transaction;
      expect(await roster.jobs.releaseStale()).toBe(1);
      expect(await roster.jobs.get(projectId, job.id)).toMatchObject({ status: 'queued', lockedBy: null });
    },
    10_000,
  );

  it("rolls back the work of a worker that lost its lock and keeps the new owner's result", async () => {
    const { roster, projectId } = await setup({ lockTimeoutMs: 1000 });
    const gate = deferred();
    const slow = otherRunner(roster, {
      type: 'lossy',
      async run(ctx) {
        await gate.promise;
        await ctx.transaction(async (trx, save) => {
          await trx
            .updateTable('roster_projects')
            .set({ name: 'changed-by-loser' })
            .where('id', '=', projectId)
            .execute();
          await save({ loser: true });
        });
        return 'loser';
      },
    });
    roster.jobs.register({ type: 'lossy', run: async () => 'winner' });
    const job = await roster.jobs.enqueue(projectId, 'lossy', {});
    const slowRun = slow.runOnce();
    // Wait until the slow worker really holds the job (a fixed sleep lost this race on a loaded machine).
    const deadline = Date.now() + 10_000;
    while ((await roster.jobs.get(projectId, job.id)).lockedBy !== slow.workerId) {
      if (Date.now() > deadline) throw new Error('the slow worker never claimed the job');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    time += 1001;
    await roster.jobs.runOnce(); // releases the stale lock and runs the job
    gate.resolve();
    await slowRun;
    expect(await roster.jobs.get(projectId, job.id)).toMatchObject({ status: 'completed', result: 'winner' });
    expect((await roster.projects.ensure('p')).id).toBe(projectId); // name unchanged: rolled back
  });

  it('runs the jobs of a lane with its own concurrency, beside the other jobs (runOnce)', async () => {
    const { roster, projectId } = await setup({ concurrency: 1 });
    const runner = createJobRunner({
      db: roster.db,
      dialect: roster.dialect,
      clock,
      options: roster.options.jobs,
      lanes: { side: 2 },
    });
    const running = { main: 0, side: 0 };
    const most = { main: 0, side: 0, both: 0 };
    const counted = (type: 'main' | 'side', lane?: string): JobDefinition<unknown, null> => ({
      type,
      ...(lane ? { lane } : {}),
      async run() {
        running[type]++;
        most[type] = Math.max(most[type], running[type]);
        most.both = Math.max(most.both, running.main + running.side);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running[type]--;
        return null;
      },
    });
    runner.register(counted('main'));
    runner.register(counted('side', 'side'));
    expect(() => runner.register({ ...counted('main'), type: 'lost', lane: 'nowhere' })).toThrow(
      'roster: job type lost names an unknown lane nowhere',
    );
    for (let i = 0; i < 3; i++) await runner.enqueue(projectId, 'main', {});
    for (let i = 0; i < 4; i++) await runner.enqueue(projectId, 'side', {});
    expect(await runner.runOnce()).toBe(7);
    expect(most).toEqual({ main: 1, side: 2, both: 3 });
  });

  it('claims each job once when two runners race', async () => {
    const { roster, projectId } = await setup({ concurrency: 3 });
    const runs: string[] = [];
    const definition: JobDefinition<{ i: number }, null> = {
      type: 'count',
      async run({ job }) {
        runs.push(job.id);
        await new Promise((resolve) => setTimeout(resolve, 1));
        return null;
      },
    };
    roster.jobs.register(definition);
    const other = otherRunner(roster, definition);
    for (let i = 0; i < 30; i++) await roster.jobs.enqueue(projectId, 'count', { i });
    const [a, b] = await Promise.all([roster.jobs.runOnce(), other.runOnce()]);
    expect(a + b).toBe(30);
    expect(new Set(runs).size).toBe(30);
    expect(runs).toHaveLength(30);
  });

  it('runs jobs in the background once started and stops gracefully, queueing an interrupted job again', async () => {
    const { roster, projectId } = await setup({ pollIntervalMs: 20 });
    roster.jobs.register({ type: 'quick', run: async () => 'quick done' });
    let steps = 0;
    roster.jobs.register({
      type: 'long',
      async run(ctx) {
        for (;;) {
          await ctx.transaction((_trx, save) => save({ steps: ++steps }));
          ctx.throwIfStopping();
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      },
    });
    await roster.jobs.start();
    const quick = await roster.jobs.enqueue(projectId, 'quick', {});
    const long = await roster.jobs.enqueue(projectId, 'long', {});
    await expect.poll(async () => (await roster.jobs.get(projectId, quick.id)).status).toBe('completed');
    await expect.poll(() => steps).toBeGreaterThan(2);
    await roster.jobs.stop();
    const stopped = await roster.jobs.get(projectId, long.id);
    expect(stopped).toMatchObject({ status: 'queued', attempts: 0, lockedBy: null });
    expect(stopped.progress).toEqual({ steps });
  });

  it('deletes finished jobs after the retention period', async () => {
    const { roster, projectId } = await setup({ retentionMs: 60_000 });
    roster.jobs.register({ type: 'noop', run: async () => null });
    const old = await roster.jobs.enqueue(projectId, 'noop', {});
    await roster.jobs.runOnce();
    time += 30_000;
    const recent = await roster.jobs.enqueue(projectId, 'noop', {});
    await roster.jobs.runOnce();
    const waiting = await roster.jobs.enqueue(projectId, 'noop', {}, { runAt: new Date(time + 3_600_000) });
    time += 30_001;
    expect(await roster.jobs.cleanup()).toBe(1);
    await expect(roster.jobs.get(projectId, old.id)).rejects.toMatchObject({ code: 'not_found' });
    expect((await roster.jobs.get(projectId, recent.id)).status).toBe('completed');
    expect((await roster.jobs.get(projectId, waiting.id)).status).toBe('queued');
  });
});
