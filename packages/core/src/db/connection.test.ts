import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createRoster, type Roster } from '../roster.js';

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
