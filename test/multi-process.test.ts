import { createRoster } from '@roster/core';
import { createPgTestSchema, PG_URL, type PgTestSchema } from '@roster/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServeProcess, startServe } from '../packages/server/test/cli-helpers.js';

const KEY = 'sk_test_multi_process_key';
const AUTH = { authorization: `Bearer ${KEY}` };
/** Short, so a killed process's job is taken over within seconds (stale locks are checked every 1 s). */
const LOCK_TIMEOUT_MS = 2000;

interface JobStatusBody {
  id: string;
  state: 'waiting' | 'active' | 'completed' | 'failed';
  progress: number;
  result: Record<string, unknown> | null;
  failedReason?: string;
}

async function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function postCsv(url: string, csv: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([csv], { type: 'text/csv' }), 'contacts.csv');
  const res = await fetch(`${url}/contacts/import`, { method: 'POST', headers: AUTH, body: form });
  expect(res.status).toBe(202);
  return ((await res.json()) as { jobId: string }).jobId;
}

async function jobStatus(url: string, kind: 'import' | 'bulk', jobId: string): Promise<JobStatusBody> {
  const res = await fetch(`${url}/contacts/${kind}/${jobId}`, { headers: AUTH });
  expect(res.status).toBe(200);
  return (await res.json()) as JobStatusBody;
}

/** Polls until the job is completed or failed (through `url`), for at most `ms`. */
async function finished(url: string, kind: 'import' | 'bulk', jobId: string, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (true) {
    const status = await jobStatus(url, kind, jobId);
    if (status.state === 'completed' || status.state === 'failed' || Date.now() > deadline) return status;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A CSV of `rows` data lines with some repeated emails (the later row wins) and some invalid
 * ones, and what a clean import of it gives: the contacts' data by email and the counters.
 */
function csvWithExpectation(prefix: string, rows: number) {
  const lines = ['email,name,city,score'];
  const expected = new Map<string, Record<string, string>>();
  let created = 0;
  let updated = 0;
  let failed = 0;
  for (let i = 0; i < rows; i++) {
    let email = `${prefix}${i}@example.com`;
    if (i % 997 === 996) email = `not-an-email-${i}`;
    else if (i % 1000 === 999) email = `${prefix}${i - 500}@example.com`; // repeats an earlier row
    const data = { name: `Person ${i}`, city: `City ${i % 113}`, score: String(i * 7) };
    lines.push(`${email},${data.name},${data.city},${data.score}`);
    if (!email.includes('@')) failed++;
    else if (expected.has(email)) updated++;
    else created++;
    if (email.includes('@')) expected.set(email, data);
  }
  return {
    csv: `${lines.join('\n')}\n`,
    expected,
    counts: { totalRows: rows, createdCount: created, updatedCount: updated, failureCount: failed },
  };
}

/** Several `roster serve` processes on one PostgreSQL database, as behind a load balancer. */
describe.skipIf(!PG_URL)('several server processes on one PostgreSQL database', () => {
  let schema: PgTestSchema;
  const servers: ServeProcess[] = [];

  beforeAll(async () => {
    schema = await createPgTestSchema();
    // The first process migrates; the others start against the migrated schema at the same time.
    const args = ['--db', schema.url, '--api-key', KEY, '--lock-timeout', String(LOCK_TIMEOUT_MS)];
    servers.push(await startServe(args));
    servers.push(...(await Promise.all([1, 2].map(() => startServe(args)))));
  }, 60_000);

  afterAll(async () => {
    for (const server of servers) {
      if (server.child.exitCode === null) server.child.kill('SIGTERM');
      await server.exited;
    }
    await schema?.drop();
  });

  it('ends 1,000 concurrent upserts with overlapping emails through all processes with one row per email', async () => {
    const emails = Array.from({ length: 250 }, (_, i) => `person${i}@example.com`);
    const requests = Array.from({ length: 1000 }, (_, i) => ({
      server: servers[i % servers.length]!,
      email: emails[(i * 7) % emails.length]!,
      data: { [`from${i % servers.length}`]: i },
    }));
    const statuses: number[] = [];
    // 50 requests in flight at a time across the three processes.
    for (let i = 0; i < requests.length; i += 50) {
      const batch = requests.slice(i, i + 50);
      const answers = await Promise.all(
        batch.map((r) =>
          fetch(`${r.server.url}/contacts`, {
            method: 'POST',
            headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify({ email: r.email, data: r.data }),
          }),
        ),
      );
      statuses.push(...answers.map((a) => a.status));
    }
    expect(statuses.filter((s) => s !== 200 && s !== 201)).toEqual([]);
    expect(statuses.filter((s) => s === 201)).toHaveLength(emails.length);

    const roster = await createRoster({ database: schema.url });
    try {
      const project = await roster.projects.ensure('default');
      expect(await roster.contacts.count(project.id)).toBe(emails.length);
      const rows = await roster.db.selectFrom('roster_contacts').select(['email', 'data']).execute();
      expect(new Set(rows.map((r) => r.email)).size).toBe(emails.length);
      // Every process's writes were merged in, none lost to a read-modify-write race.
      for (const row of rows) {
        expect(Object.keys(row.data as Record<string, unknown>).sort()).toEqual(['from0', 'from1', 'from2']);
      }
    } finally {
      await roster.close();
    }
  }, 120_000);

  it('runs ten imports and bulk jobs submitted through different processes exactly once each', async () => {
    // 50 contacts for the bulk jobs: five disjoint sets of ten, the last one unsubscribed.
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const res = await postJson(`${servers[i % 3]!.url}/contacts`, {
        email: `bulk${i}@example.com`,
        subscribed: i < 40,
      });
      expect(res.status).toBe(201);
      ids.push(((await res.json()) as { id: string }).id);
    }
    const bulkOps = [
      ['unsubscribe', ids.slice(0, 10)],
      ['unsubscribe', ids.slice(10, 20)],
      ['delete', ids.slice(20, 30)],
      ['delete', ids.slice(30, 40)],
      ['subscribe', ids.slice(40, 50)],
    ] as const;
    const imports = [0, 1, 2, 3, 4].map((j) => csvWithExpectation(`imp${j}-`, 300));

    // Submitted round-robin, alternating imports and bulk jobs, all at once.
    const jobs = await Promise.all(
      Array.from({ length: 10 }, async (_, n) => {
        const via = servers[n % 3]!;
        const j = Math.floor(n / 2);
        if (n % 2 === 0) return { kind: 'import' as const, j, id: await postCsv(via.url, imports[j]!.csv) };
        const [op, contactIds] = bulkOps[j]!;
        const res = await postJson(`${via.url}/contacts/bulk-${op}`, { mode: 'ids', contactIds });
        expect(res.status).toBe(202);
        return { kind: 'bulk' as const, j, id: ((await res.json()) as { jobId: string }).jobId };
      }),
    );

    for (const [n, job] of jobs.entries()) {
      // Polled through another process than the one it was submitted to.
      const status = await finished(servers[(n + 1) % 3]!.url, job.kind, job.id);
      if (job.kind === 'import') {
        expect(status).toMatchObject({ state: 'completed', progress: 100 });
        const { counts } = imports[job.j]!;
        expect(status.result).toMatchObject({
          ...counts,
          successCount: counts.createdCount + counts.updatedCount,
        });
      } else {
        expect(status).toMatchObject({
          state: 'completed',
          result: {
            operation: bulkOps[job.j]![0],
            totalRequested: 10,
            successCount: 10,
            unchangedCount: 0,
            failureCount: 0,
            errors: [],
          },
        });
      }
    }

    const roster = await createRoster({ database: schema.url });
    try {
      const rows = await roster.db
        .selectFrom('roster_jobs')
        .select(['id', 'status', 'attempts', 'locked_by'])
        .where(
          'id',
          'in',
          jobs.map((j) => j.id),
        )
        .execute();
      expect(rows).toHaveLength(10);
      for (const row of rows) {
        expect(row).toMatchObject({ status: 'completed', attempts: 1 });
        expect(row.locked_by).toMatch(/^roster:/);
      }
      const workers = new Map<string, number>();
      for (const row of rows) workers.set(row.locked_by!, (workers.get(row.locked_by!) ?? 0) + 1);
      // Not asserted (which process claims a job is up to timing), but shown.
      console.info(`[multi-process] jobs per worker: ${JSON.stringify([...workers.values()])}`);

      const contacts = await roster.db
        .selectFrom('roster_contacts')
        .select(['email', 'subscribed', 'data'])
        .where((eb) => eb.or([eb('email', 'like', 'imp%'), eb('email', 'like', 'bulk%')]))
        .execute();
      const byEmail = new Map(contacts.map((c) => [c.email, c]));
      expect(byEmail.size).toBe(contacts.length);
      for (const { expected } of imports) {
        for (const [email, data] of expected) expect(byEmail.get(email)?.data).toEqual(data);
      }
      const bulkLeft = contacts.filter((c) => c.email.startsWith('bulk'));
      const subscribedOf = (i: number) => Boolean(byEmail.get(`bulk${i}@example.com`)?.subscribed);
      expect(bulkLeft).toHaveLength(30);
      expect(contacts).toHaveLength(30 + 5 * imports[0]!.expected.size);
      for (let i = 0; i < 20; i++) expect(subscribedOf(i)).toBe(false);
      for (let i = 20; i < 40; i++) expect(byEmail.has(`bulk${i}@example.com`)).toBe(false);
      for (let i = 40; i < 50; i++) expect(subscribedOf(i)).toBe(true);
    } finally {
      await roster.close();
    }
  }, 30_000);

  it('finishes an import whose process is killed mid-way in another process, nothing lost or doubled', async () => {
    const { csv, expected, counts } = csvWithExpectation('kill', 100_000);
    expect(Buffer.byteLength(csv)).toBeLessThanOrEqual(5 * 1024 * 1024);
    const jobId = await postCsv(servers[2]!.url, csv);
    const observer = await createRoster({ database: schema.url });
    try {
      // Wait until the job is running with some batches committed, then kill the process that runs it.
      let status: JobStatusBody;
      const deadline = Date.now() + 30_000;
      do {
        status = await jobStatus(servers[0]!.url, 'import', jobId);
        if (status.state === 'completed' || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 20));
      } while (!(status.state === 'active' && status.progress > 0));
      expect(status.state).toBe('active');
      expect(status.progress).toBeGreaterThan(0);
      expect(status.progress).toBeLessThan(100);
      const row = await observer.db
        .selectFrom('roster_jobs')
        .select(['locked_by', 'attempts'])
        .where('id', '=', jobId)
        .executeTakeFirstOrThrow();
      const pid = Number(/^roster:.*:(\d+):[0-9a-f]+$/.exec(row.locked_by ?? '')?.[1]);
      const victim = servers.find((s) => s.child.pid === pid);
      expect(victim).toBeDefined();
      victim!.child.kill('SIGKILL');
      await victim!.exited;
      const killedAt = Date.now();

      const survivor = servers.find((s) => s !== victim)!;
      const done = await finished(survivor.url, 'import', jobId, 45_000);
      console.info(
        `[multi-process] killed pid ${pid} at ${status.progress} %; another process finished the import ${Date.now() - killedAt} ms later`,
      );
      expect(done).toMatchObject({ state: 'completed', progress: 100 });
      expect(done.result).toMatchObject({
        ...counts,
        successCount: counts.createdCount + counts.updatedCount,
      });
      expect((done.result!.errors as unknown[]).length).toBe(counts.failureCount);

      const finalRow = await observer.db
        .selectFrom('roster_jobs')
        .select(['status', 'attempts', 'locked_by'])
        .where('id', '=', jobId)
        .executeTakeFirstOrThrow();
      expect(finalRow.status).toBe('completed');
      expect(finalRow.attempts).toBe(2);
      expect(finalRow.locked_by).not.toBe(row.locked_by);

      const contacts = await observer.db
        .selectFrom('roster_contacts')
        .select(['email', 'data'])
        .where('email', 'like', 'kill%')
        .execute();
      expect(contacts).toHaveLength(expected.size);
      expect(new Set(contacts.map((c) => c.email)).size).toBe(expected.size);
      // Sorted keys: jsonb keeps its own key order.
      const canonical = (data: unknown) => JSON.stringify(Object.entries(data as object).sort());
      const mismatched = contacts.filter((c) => canonical(c.data) !== canonical(expected.get(c.email)));
      expect(mismatched).toEqual([]);
    } finally {
      await observer.close();
    }
  }, 60_000);
});

describe.skipIf(!PG_URL)('instant job pickup across processes on PostgreSQL', () => {
  it("starts a job queued by another process at once, although the server's poll would wait an hour", async () => {
    const schema = await createPgTestSchema();
    const producer = await createRoster({ database: schema.url }); // migrates; its runner never starts
    // The server's runner looks for jobs when it starts (none yet), then only when woken.
    const server = await startServe(['--db', schema.url, '--api-key', KEY, '--poll-interval', '3600000']);
    try {
      const project = await producer.projects.ensure('default');
      const job = await producer.imports.enqueue(project.id, {
        file: Buffer.from('email,plan\nada@example.com,pro\nbob@example.com,free\n'),
      });
      const status = await finished(server.url, 'import', job.id);
      expect(status).toMatchObject({ state: 'completed', result: { successCount: 2 } });
      // Run by the server process, woken by the notification sent when the upload committed.
      expect((await producer.jobs.get(project.id, job.id)).lockedBy).toContain(`:${server.child.pid}:`);
      expect(producer.jobs.running).toBe(false);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
      await producer.close();
      await schema.drop();
    }
  }, 60_000);
});
