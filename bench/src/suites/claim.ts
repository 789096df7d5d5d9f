import { join } from 'node:path';
import { createRoster } from '@roster/core';
import Database from 'better-sqlite3';
import { Kysely, type LogEvent, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { BenchContext } from '../context.js';
import { removeDb } from '../fixtures.js';
import { percentile, result } from '../report.js';
import { freshPgSchema } from './postgres.js';

/** Jobs drained (each one claim) per measurement: the small queue goes from 100 to 50. */
const CLAIMS = 50;
const SMALL = 100;
const LARGE = 100_000;

/** A Kysely instance that reports each claim's time (its group pick plus its update) to `claims`. */
function claimTimer(claims: number[]): (event: LogEvent) => void {
  let pick = 0;
  return (event) => {
    if (event.level !== 'query') return;
    const text = event.query.sql.trimStart();
    if (text.startsWith('with recursive')) pick = event.queryDurationMillis;
    else if (text.startsWith('update') && text.includes('"attempts" = "attempts" +')) {
      claims.push(pick + event.queryDurationMillis);
      pick = 0;
    }
  };
}

/**
 * Claim p50 with `queued` due jobs of one type in the queue (never analysed), measured over
 * CLAIMS jobs drained by the started runner (concurrency 1, a handler that does nothing).
 */
async function claimP50(dialect: 'sqlite' | 'postgres', target: string, queued: number): Promise<number> {
  const claims: number[] = [];
  const log = claimTimer(claims);
  let drop: (() => Promise<void>) | undefined;
  let db: Kysely<any>;
  if (dialect === 'postgres') {
    const schema = await freshPgSchema(target);
    drop = schema.drop;
    db = new Kysely({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: schema.url, max: 4 }) }),
      log,
    });
  } else {
    removeDb(target);
    const sqlite = new Database(target);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    db = new Kysely({ dialect: new SqliteDialect({ database: sqlite }), log });
  }
  const roster = await createRoster({ database: db, jobs: { concurrency: 1, onError: () => {} } });
  try {
    const projectId = (await roster.projects.ensure('bench')).id;
    let ran = 0;
    roster.jobs.register({ type: 'bench.claim', run: async () => void ran++ });
    const at = '2020-01-01T00:00:00.000Z'; // due
    const series =
      dialect === 'postgres'
        ? sql`select i from generate_series(1, ${sql.lit(queued)}) as s(i)`
        : sql`with recursive s(i) as (select 1 union all select i + 1 from s where i < ${sql.lit(queued)}) select i from s`;
    const id = dialect === 'postgres' ? sql`lpad(i::text, 12, '0')` : sql`printf('%012d', i)`;
    await sql`insert into roster_jobs (id, project_id, type, status, attempts, max_attempts, run_at, created_at, updated_at)
      select '00000000-0000-7000-8000-' || ${id}, ${projectId}, 'bench.claim', 'queued', 0, 3, ${at}, ${at}, ${at}
      from (${series}) as n`.execute(db);
    claims.length = 0;
    await roster.jobs.start();
    while (ran < CLAIMS) await new Promise((resolve) => setTimeout(resolve, 5));
    await roster.jobs.stop();
    return percentile(claims, 50);
  } finally {
    await roster.close();
    await db.destroy();
    await drop?.();
  }
}

/**
 * The job claim under a backlog: claim p50 with 100 000 queued jobs against 100 queued, in the
 * same run (statistics never analysed). Target: within 2×.
 */
export function claimSuite(pgUrl?: string) {
  return async (ctx: BenchContext): Promise<void> => {
    const dialect = pgUrl ? 'postgres' : 'sqlite';
    const target = pgUrl ?? join(ctx.dir, 'claim.db');
    const small: number[] = [];
    const large: number[] = [];
    for (let run = 0; run < ctx.runs; run++) {
      small.push(await claimP50(dialect, target, SMALL));
      large.push(await claimP50(dialect, target, LARGE));
      ctx.log(
        `  run ${run + 1}: claim p50 ${small.at(-1)} ms at ${SMALL} queued, ${large.at(-1)} ms at ${LARGE}`,
      );
    }
    ctx.add(
      result({
        name: `job claim p50, ${LARGE} queued jobs vs ${SMALL} (${dialect}, never analysed)`,
        unit: 'ms',
        better: 'lower',
        values: large,
        baseline: { name: `claim p50 with ${SMALL} queued`, values: small },
        minRatio: 0.5,
      }),
    );
  };
}
