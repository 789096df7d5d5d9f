import { createPgTestSchema, PG_URL, type PgTestSchema } from '@roster/test-harness';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRoster, type Roster } from '../roster.js';
import type { Db } from './schema.js';
import { atomically } from './transactions.js';

/**
 * Two transactions that lock the same two rows in opposite orders: PostgreSQL aborts one of them as
 * the deadlock's victim (40P01). `atomically` runs the victim again, so both commit their writes.
 */
describe.skipIf(!PG_URL)('atomically [postgres]', () => {
  let schema: PgTestSchema;
  let roster: Roster;

  beforeEach(async () => {
    schema = await createPgTestSchema();
    roster = await createRoster({ database: schema.url, jobs: { onError: () => {} } });
    await sql`create table deadlock_probe (id int primary key, hits int not null)`.execute(roster.db);
    await sql`insert into deadlock_probe values (1, 0), (2, 0)`.execute(roster.db);
  });

  afterEach(async () => {
    await roster.close();
    await schema.drop();
  });

  /** Locks row `first`, waits until the other transaction holds its first row, then locks `second`. */
  function crossing(first: number, second: number, ready: Promise<void>, mark: () => void, runs: number[]) {
    return async (trx: Db) => {
      runs.push(first);
      await sql`update deadlock_probe set hits = hits + 1 where id = ${first}`.execute(trx);
      mark();
      await ready;
      await sql`update deadlock_probe set hits = hits + 1 where id = ${second}`.execute(trx);
      return first;
    };
  }

  it('runs again a transaction PostgreSQL aborted as a deadlock victim, so both commit', async () => {
    let aHolds!: () => void;
    let bHolds!: () => void;
    const aReady = new Promise<void>((resolve) => (aHolds = resolve));
    const bReady = new Promise<void>((resolve) => (bHolds = resolve));
    const runs: number[] = [];
    const results = await Promise.allSettled([
      atomically(roster.db, roster.dialect, crossing(1, 2, bReady, aHolds, runs)),
      atomically(roster.db, roster.dialect, crossing(2, 1, aReady, bHolds, runs)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(runs.length).toBe(3); // the victim ran twice
    const rows = await sql<{
      id: number;
      hits: number;
    }>`select id, hits from deadlock_probe order by id`.execute(roster.db);
    expect(rows.rows).toEqual([
      { id: 1, hits: 2 },
      { id: 2, hits: 2 },
    ]);
  });

  it('does not run again a transaction that failed for another reason, nor one it does not own', async () => {
    let calls = 0;
    const failing = atomically(roster.db, roster.dialect, async () => {
      calls++;
      throw Object.assign(new Error('unique'), { code: '23505' });
    });
    await expect(failing).rejects.toThrow('unique');
    expect(calls).toBe(1);

    calls = 0;
    const nested = roster.db.transaction().execute((trx) =>
      atomically(trx, roster.dialect, async () => {
        calls++;
        throw Object.assign(new Error('victim'), { code: '40P01' });
      }),
    );
    await expect(nested).rejects.toThrow('victim');
    expect(calls).toBe(1);
  });

  it('gives up after three runs', async () => {
    let calls = 0;
    const always = atomically(roster.db, roster.dialect, async () => {
      calls++;
      throw Object.assign(new Error('serialization'), { code: '40001' });
    });
    await expect(always).rejects.toThrow('serialization');
    expect(calls).toBe(3);
  });
});
