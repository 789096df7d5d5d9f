import { createRoster } from '@roster/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgTestSchema, PG_URL, type PgTestSchema } from '../packages/core/test/dialects.js';
import { type ServeProcess, startServe } from '../packages/server/test/cli-helpers.js';

const KEY = 'sk_test_multi_process_key';

/** Several `roster serve` processes on one PostgreSQL database, as behind a load balancer. */
describe.skipIf(!PG_URL)('several server processes on one PostgreSQL database', () => {
  let schema: PgTestSchema;
  const servers: ServeProcess[] = [];

  beforeAll(async () => {
    schema = await createPgTestSchema();
    // The first process migrates; the others start against the migrated schema at the same time.
    servers.push(await startServe(['--db', schema.url, '--api-key', KEY]));
    servers.push(
      ...(await Promise.all([1, 2].map(() => startServe(['--db', schema.url, '--api-key', KEY])))),
    );
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
  });
});
