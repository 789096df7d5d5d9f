import { createPgTestSchema, describeEachDialect, type TestDialect } from '@roster/test-harness';
import Database from 'better-sqlite3';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dialectFor } from '../db/dialect.js';
import { migrateToLatest } from '../db/migrations.js';
import type { Database as Schema } from '../db/schema.js';
import { claimNextJob } from './job-store.js';

/**
 * The claim's plans with 100 000 queued jobs, first with no statistics (never analysed: a fresh
 * table, no autovacuum yet), then analysed: every statement of the claim reads index entries near
 * the jobs it returns, never the whole queue (no sequential scan of roster_jobs, no sort of its
 * queued jobs). Lanes of one, two and five types (the default lane's size with the built-in types
 * and one of the app's): on PostgreSQL the planner's choice depends on how many groups it expects.
 */
const QUEUED = 100_000;
const NOW = '2030-01-01T00:10:00.000Z';

describeEachDialect('job claim plans under a backlog', (dialect: TestDialect) => {
  let db: Kysely<Schema>;
  let drop: (() => Promise<void>) | undefined;
  /** The statements the claim ran, as sent (SQL and parameters). */
  const statements: CompiledQuery[] = [];

  beforeAll(async () => {
    const log = (event: { level: string; query: CompiledQuery }) => {
      if (event.level === 'query') statements.push(event.query);
    };
    if (dialect === 'postgres') {
      const schema = await createPgTestSchema();
      drop = schema.drop;
      const pool = new pg.Pool({ connectionString: schema.url, max: 2 });
      db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }), log });
    } else {
      db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: new Database(':memory:') }), log });
    }
    await migrateToLatest(db as Kysely<any>, dialectFor(dialect));
    await db
      .insertInto('roster_projects')
      .values(['a', 'b', 'c'].map((id) => ({ id, name: id, created_at: NOW })))
      .execute();
    // A webhook backlog: 100 000 due deliveries over three projects, older than everything else.
    const series =
      dialect === 'postgres'
        ? sql`select i from generate_series(1, ${sql.lit(QUEUED)}) as s(i)`
        : sql`with recursive s(i) as (select 1 union all select i + 1 from s where i < ${sql.lit(QUEUED)}) select i from s`;
    const id = dialect === 'postgres' ? sql`lpad(i::text, 12, '0')` : sql`printf('%012d', i)`;
    await sql`insert into roster_jobs (id, project_id, type, status, attempts, max_attempts, run_at, created_at, updated_at)
      select '00000000-0000-7000-8000-' || ${id}, case i % 3 when 0 then 'a' when 1 then 'b' else 'c' end,
        'webhooks.deliver', case when i <= 5 then 'running' else 'queued' end, 0, 3, '2030-01-01T00:00:00.000Z', '2030-01-01T00:00:00.000Z', '2030-01-01T00:00:00.000Z'
      from (${series}) as n`.execute(db);
    // A few imports (one for each claim of the import lanes), queued after the backlog.
    await db
      .insertInto('roster_jobs')
      .values(
        [1, 2, 3, 4].map((n) => ({
          id: `00000000-0000-7000-9000-00000000000${n}`,
          project_id: 'a',
          type: 'import',
          status: 'queued',
          attempts: 0,
          max_attempts: 3,
          run_at: '2030-01-01T00:05:00.000Z',
          created_at: NOW,
          updated_at: NOW,
        })),
      )
      .execute();
  }, 120_000);

  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  /** The statements `claimNextJob` runs for `types`, after one claim (which must find a job). */
  async function claimStatements(types: string[]): Promise<CompiledQuery[]> {
    statements.length = 0;
    const row = await claimNextJob(db, dialectFor(dialect), { workerId: 'w', now: NOW, types });
    expect(row?.type).toBe(types[0]);
    return [...statements];
  }

  /** PostgreSQL: EXPLAIN ANALYZE's nodes (rolled back: the claim's update changes nothing). */
  async function pgNodes(statement: CompiledQuery): Promise<Record<string, any>[]> {
    const nodes: Record<string, any>[] = [];
    await db
      .transaction()
      .execute(async (trx) => {
        const explained = await trx.executeQuery<{ 'QUERY PLAN': [{ Plan: Record<string, any> }] }>(
          CompiledQuery.raw(`explain (analyze, format json) ${statement.sql}`, [...statement.parameters]),
        );
        const walk = (node: Record<string, any>) => {
          nodes.push(node);
          for (const child of node.Plans ?? []) walk(child);
        };
        walk(explained.rows[0]!['QUERY PLAN'][0].Plan);
        throw new Error('rollback');
      })
      .catch((error: Error) => {
        if (error.message !== 'rollback') throw error;
      });
    return nodes;
  }

  async function sqlitePlan(statement: CompiledQuery): Promise<{ parent: number; detail: string }[]> {
    const plan = await db.executeQuery<{ parent: number; detail: string }>(
      CompiledQuery.raw(`explain query plan ${statement.sql}`, [...statement.parameters]),
    );
    return plan.rows;
  }

  const lanes = [
    ['import', 'bulk'],
    ['import', 'bulk', 'idempotency.cleanup', 'segments.refresh', 'app.report'],
    ['webhooks.deliver'],
  ];
  for (const [analysed, types] of [false, true].flatMap((a) => lanes.map((t) => [a, t] as const))) {
    it(`claims a job of ${types.join(', ')} without reading or sorting the queue${analysed ? ' (analysed)' : ''}`, async () => {
      if (analysed) await sql`analyze roster_jobs`.execute(db);
      const run = await claimStatements(types);
      expect(run.length).toBeGreaterThan(0);
      for (const statement of run) {
        if (dialect === 'postgres') {
          const nodes = await pgNodes(statement);
          const jobScans = nodes.filter((n) => n['Relation Name'] === 'roster_jobs');
          expect(jobScans.length).toBeGreaterThan(0);
          expect(jobScans.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
          // No node handles more than a few rows (the queue is 100 000 jobs).
          const busiest = Math.max(...nodes.map((n) => n['Actual Rows'] * n['Actual Loops']));
          expect(busiest, statement.sql).toBeLessThan(100);
        } else {
          const plan = await sqlitePlan(statement);
          const details = plan.map((row) => row.detail);
          // Every read of roster_jobs (aliases q, j, r, queued) is an index search, never a scan.
          // (Analysed, the running count scans roster_jobs_running: it holds the running jobs only.)
          const scans = details.filter((line) => /^SCAN (roster_jobs|q|j|r|queued)\b/.test(line));
          expect(scans.filter((line) => line !== 'SCAN r USING COVERING INDEX roster_jobs_running')).toEqual(
            [],
          );
          expect(details.join('\n')).toMatch(/SEARCH (q|queued) USING COVERING INDEX roster_jobs_queued/);
          // The only sort is the pick's final ORDER BY, over the heads of the (type, project)
          // groups (top level); no subquery sorts queued jobs.
          const sorts = plan.filter((row) => row.detail.startsWith('USE TEMP B-TREE'));
          expect(sorts.every((row) => row.parent === 0 && /^\s*with/.test(statement.sql))).toBe(true);
        }
      }
    }, 60_000);
  }
});
