import { createRequire } from 'node:module';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';

export interface OpenedDatabase {
  db: Kysely<Database>;
  /** True when roster created the connection and must close it. */
  owned: boolean;
}

/** Opens a SQLite file (or `:memory:`) with the pragmas roster is tuned for. */
export function openSqlite(path: string): OpenedDatabase {
  const require = createRequire(import.meta.url);
  let BetterSqlite3: typeof import('better-sqlite3');
  try {
    BetterSqlite3 = require('better-sqlite3');
  } catch (error) {
    throw new Error(
      'roster: the SQLite default needs the `better-sqlite3` package. Install it, or pass a Kysely instance as `database`.',
      { cause: error },
    );
  }
  const sqlite = new BetterSqlite3(path);
  if (path !== ':memory:' && path !== '') {
    // WAL lets readers run while an import writes; NORMAL is durable across process crashes.
    sqlite.pragma('journal_mode = WAL');
  }
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('cache_size = -65536');
  sqlite.pragma('temp_store = MEMORY');
  return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) }), owned: true };
}

export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}
