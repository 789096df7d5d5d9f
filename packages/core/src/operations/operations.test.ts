import { describeEachDialect, openTestRosters } from '@roster/test-harness';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import type { TelemetryEvent } from '../telemetry.js';

/** A logger that keeps its lines, as pino would get them. */
function memoryLogger() {
  const lines: { level: string; fields: Record<string, unknown>; message: string | undefined }[] = [];
  const at =
    (level: string) =>
    (fields: object, message?: string): void => {
      lines.push({ level, fields: fields as Record<string, unknown>, message });
    };
  return { lines, logger: { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') } };
}

describeEachDialect('operations: readiness, stats, telemetry', (dialect) => {
  const openRoster = openTestRosters(dialect);

  it('is ready when the database answers and every migration ran; the job runner is checked only when asked', async () => {
    const roster = await openRoster({ jobs: { onError: () => {} } });
    expect(await roster.health.ready()).toEqual({
      ready: true,
      checks: { database: { ok: true }, migrations: { ok: true } },
      failed: [],
    });
    const withRunner = await roster.health.ready({ jobRunner: true });
    expect(withRunner.ready).toBe(false);
    expect(withRunner.failed).toEqual(['jobRunner']);
    expect(withRunner.checks.jobRunner).toEqual({ ok: false, message: 'the job runner is not started' });
    await roster.jobs.start();
    expect((await roster.health.ready({ jobRunner: true })).ready).toBe(true);
    await roster.jobs.stop();
    expect((await roster.health.ready({ jobRunner: true })).failed).toEqual(['jobRunner']);
  });

  it('names the migrations that have not run', async () => {
    const roster = await openRoster();
    await sql`delete from roster_migrations where name = '0012_topics'`.execute(roster.db);
    const report = await roster.health.ready();
    expect(report.failed).toEqual(['migrations']);
    expect(report.checks.migrations).toEqual({ ok: false, message: 'migrations not run yet: 0012_topics' });
  });

  it('says the database failed when it cannot answer', async () => {
    const roster = await openRoster();
    await roster.db.destroy();
    const report = await roster.health.ready();
    expect(report.ready).toBe(false);
    expect(report.failed).toEqual(['database', 'migrations']);
    expect(report.checks.database.ok).toBe(false);
    expect(report.checks.database.message).toEqual(expect.any(String));
  });

  it('counts jobs by type and status in one grouped answer', async () => {
    const roster = await openRoster({ jobs: { onError: () => {} } });
    const projectId = (await roster.projects.ensure('p')).id;
    roster.jobs.register({ type: 'ok', run: async () => null });
    roster.jobs.register({ type: 'boom', run: async () => Promise.reject(new Error('no')) });
    await roster.jobs.enqueue(projectId, 'ok', {});
    await roster.jobs.enqueue(projectId, 'ok', {});
    await roster.jobs.enqueue(projectId, 'boom', {}, { maxAttempts: 1 });
    await roster.jobs.enqueue(projectId, 'ok', {}, { runAt: new Date(Date.now() + 3_600_000) });
    await roster.jobs.runOnce();
    const counts = (await roster.stats.jobs()).filter((row) => row.type === 'ok' || row.type === 'boom');
    expect(counts.sort((a, b) => `${a.type}${a.status}`.localeCompare(`${b.type}${b.status}`))).toEqual([
      { type: 'boom', status: 'failed', jobs: 1 },
      { type: 'ok', status: 'completed', jobs: 2 },
      { type: 'ok', status: 'queued', jobs: 1 },
    ]);
  });

  it('gives the projects with the most contacts and the totals of all', async () => {
    const roster = await openRoster();
    const sizes = { a: 3, b: 1, c: 5, d: 2 } as const;
    for (const [name, size] of Object.entries(sizes)) {
      const projectId = (await roster.projects.ensure(name)).id;
      for (let i = 0; i < size; i++)
        await roster.contacts.create(projectId, { email: `${i}@${name}.example` });
    }
    await roster.projects.ensure('empty');
    const ids = Object.fromEntries(
      await Promise.all(
        Object.keys(sizes).map(async (name) => [name, (await roster.projects.ensure(name)).id]),
      ),
    );
    expect(await roster.stats.contactsByProject(2)).toEqual({
      top: [
        { projectId: ids.c, contacts: 5 },
        { projectId: ids.a, contacts: 3 },
      ],
      contacts: 11,
      projects: 4,
    });
  });

  it('measures the outbox lag of the slowest consumer, and none once it caught up', async () => {
    const roster = await openRoster({ jobs: { onError: () => {} } });
    const projectId = (await roster.projects.ensure('p')).id;
    roster.changes.registerConsumer('slow', async () => {});
    await roster.jobs.runOnce();
    expect(await roster.stats.outboxLag()).toEqual({ rows: 0, seconds: 0 });
    await roster.contacts.create(projectId, { email: 'a@example.com' });
    await roster.contacts.create(projectId, { email: 'b@example.com' });
    const behind = await roster.stats.outboxLag();
    expect(behind.rows).toBe(2);
    expect(behind.seconds).toBeGreaterThanOrEqual(0);
    await roster.jobs.runOnce();
    expect(await roster.stats.outboxLag()).toEqual({ rows: 0, seconds: 0 });
  });

  it('reports each job run to the telemetry listeners and the logger, without payloads', async () => {
    const { lines, logger } = memoryLogger();
    const roster = await openRoster({ logger, jobs: { onError: () => {} } });
    const projectId = (await roster.projects.ensure('p')).id;
    const events: TelemetryEvent[] = [];
    const unsubscribe = roster.telemetry.subscribe((event) => events.push(event));
    roster.jobs.register({ type: 'ok', run: async () => null });
    roster.jobs.register({ type: 'boom', run: async () => Promise.reject(new Error('it broke')) });
    const ok = await roster.jobs.enqueue(projectId, 'ok', { secret: 'payload' });
    const boom = await roster.jobs.enqueue(projectId, 'boom', {}, { maxAttempts: 2 });
    await roster.jobs.runOnce();
    const ran = events.filter((event) => event.kind === 'job');
    expect(ran.map((e) => [e.type, e.jobId, e.outcome]).sort()).toEqual(
      [
        ['boom', boom.id, 'retrying'],
        ['ok', ok.id, 'completed'],
      ].sort(),
    );
    for (const event of ran) expect(event.durationMs).toBeGreaterThanOrEqual(0);
    const jobLines = lines.filter((line) => 'job' in line.fields);
    expect(jobLines.map((line) => [line.level, line.message]).sort()).toEqual([
      ['info', 'job completed'],
      ['warn', 'job failed, will retry'],
    ]);
    expect(JSON.stringify(lines)).not.toContain('payload');
    unsubscribe();
    await roster.jobs.enqueue(projectId, 'ok', {});
    await roster.jobs.runOnce();
    expect(events.filter((event) => event.kind === 'job')).toHaveLength(2);
  });

  it('logs each migration it applies', async () => {
    const { lines, logger } = memoryLogger();
    await openRoster({ logger });
    const applied = lines.filter((line) => line.message === 'migration applied');
    expect(applied.map((line) => line.fields.migration)).toContain('0001_initial');
    expect(applied.length).toBeGreaterThan(5);
  });

  it('refuses a logger without pino’s methods', async () => {
    await expect(openRoster({ logger: { info() {} } as never })).rejects.toThrow(
      'roster: logger must have error, warn, info and debug methods (a pino logger)',
    );
  });
});
