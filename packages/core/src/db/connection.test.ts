import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createRoster, type Roster } from '../roster.js';
import { openSqlite } from './connection.js';

async function cacheSizeOf(roster: Roster): Promise<unknown> {
  const { rows } = await sql<{ cache_size: number }>`pragma cache_size`.execute(roster.db);
  return rows[0]?.cache_size;
}

describe('SQLite connection options', () => {
  let roster: Roster | null = null;
  afterEach(async () => {
    await roster?.close();
    roster = null;
  });

  it('gives SQLite a 64 MiB page cache by default', async () => {
    roster = await createRoster({ database: ':memory:' });
    expect(roster.options.sqlite).toEqual({ cacheSizeKiB: 65_536, groupCommit: true });
    expect(await cacheSizeOf(roster)).toBe(-65_536);
  });

  it('uses the page cache size given in sqlite.cacheSizeKiB', async () => {
    roster = await createRoster({ database: ':memory:', sqlite: { cacheSizeKiB: 8192 } });
    expect(await cacheSizeOf(roster)).toBe(-8192);
  });

  it('rejects a page cache size that is not a positive integer, naming the option', async () => {
    for (const cacheSizeKiB of [0, -1, 1.5]) {
      await expect(createRoster({ database: ':memory:', sqlite: { cacheSizeKiB } })).rejects.toThrow(
        'roster: sqlite.cacheSizeKiB must be a positive integer',
      );
    }
  });
});

describe('SQLite transactions shared with another process', () => {
  it('take the write lock at begin, so a transaction that reads and then writes never fails on a commit made in between', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-begin-'));
    const file = join(dir, 'shared.db');
    const { db } = openSqlite(file);
    // Stands for another process writing to the same file; it does not wait for a lock.
    const other = new BetterSqlite3(file);
    other.pragma('busy_timeout = 0');
    try {
      await sql`create table t (n integer)`.execute(db);
      let otherError: unknown = null;
      await db.transaction().execute(async (trx) => {
        await sql`select count(*) from t`.execute(trx);
        try {
          other.prepare('insert into t (n) values (2)').run();
        } catch (error) {
          otherError = error;
        }
        // With a deferred begin, the other writer got in and this write failed with SQLITE_BUSY.
        await sql`insert into t (n) values (1)`.execute(trx);
      });
      expect(otherError).toMatchObject({ code: 'SQLITE_BUSY' });
      const { rows } = await sql<{ n: number }>`select n from t`.execute(db);
      expect(rows).toEqual([{ n: 1 }]);
    } finally {
      other.close();
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
