import { createRequire } from 'node:module';
import { Kysely, PostgresDialect, type SqliteDatabase, SqliteDialect } from 'kysely';
import { registerDirectReader } from './compiled-query.js';
import type { Database } from './schema.js';
import { registerBatchRunner } from './write-queue.js';

export interface OpenedDatabase {
  db: Kysely<Database>;
  /** True when roster created the connection and must close it. */
  owned: boolean;
}

/** Loads an optional peer dependency, or throws `message` (with the load error as its cause). */
/**
 * An optional database driver (`better-sqlite3`, `pg`) is not installed. Not a `RosterError`: it
 * is the setup, not the input. `driver` is the package to install.
 */
export class MissingDriverError extends Error {
  readonly code = 'ERR_ROSTER_MISSING_DRIVER';
  constructor(
    readonly driver: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MissingDriverError';
  }
}

function requireOptional<T>(name: string, message: string): T {
  try {
    return createRequire(import.meta.url)(name) as T;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND')
      throw new MissingDriverError(name, message, { cause: error });
    throw new Error(message, { cause: error });
  }
}

/**
 * Opens a SQLite file (or `:memory:`) with the pragmas roster is tuned for; `cacheSizeKiB` is the
 * page cache (`sqlite.cacheSizeKiB`).
 */
export function openSqlite(path: string, cacheSizeKiB = 65_536): OpenedDatabase {
  const BetterSqlite3 = requireOptional<typeof import('better-sqlite3')>(
    'better-sqlite3',
    'roster: the SQLite default needs the `better-sqlite3` package. Install it, or pass a Kysely instance as `database`.',
  );
  const sqlite = new BetterSqlite3(path);
  if (path !== ':memory:' && path !== '') {
    // WAL lets readers run while an import writes; NORMAL is durable across process crashes.
    sqlite.pragma('journal_mode = WAL');
  }
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma(`cache_size = -${Math.trunc(cacheSizeKiB)}`);
  sqlite.pragma('temp_store = MEMORY');
  const statements = withStatementCache(sqlite);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: statements }) });
  // Hot reads (see `compiledOnce`) run at once on the connection while no transaction is open on
  // it; inside one (BEGIN ... COMMIT across awaits, e.g. a group commit) they wait their turn
  // through Kysely like every other query, so they never see another caller's uncommitted writes.
  registerDirectReader(db, (text, parameters) => {
    if (sqlite.inTransaction || !sqlite.open) return undefined;
    return statements.prepare(text).all(parameters) as unknown[];
  });
  // The group commit's batches run their statements on the connection directly (see
  // `registerBatchRunner`), exactly as Kysely's SQLite driver runs them.
  registerBatchRunner(db, (text, parameters) => {
    const statement = statements.prepare(text);
    if (statement.reader) return statement.all(parameters) as unknown[];
    statement.run(parameters);
    return [];
  });
  return { db, owned: true };
}

/** Prepared statements kept per connection (least recently used are dropped first). */
const MAX_CACHED_STATEMENTS = 256;

/**
 * Kysely prepares every query it runs; preparing costs as much as running a point lookup. This
 * keeps the prepared statement of each SQL text and reuses it (a statement still being iterated
 * by a stream is not shared: a fresh one is prepared for the overlapping query).
 */
function withStatementCache(sqlite: import('better-sqlite3').Database): SqliteDatabase {
  const cache = new Map<string, import('better-sqlite3').Statement>();
  return {
    close: () => sqlite.close(),
    prepare(query: string) {
      // Kysely opens a transaction with a deferred `begin`: a transaction that reads and then writes
      // fails at once with SQLITE_BUSY (no busy wait) when another process (say `roster serve` and
      // `roster import` on one file) committed in between. `begin immediate` takes the write lock
      // up front, so such a transaction waits its turn instead; within one process the single
      // connection serialises transactions anyway, so nothing is lost.
      const text = query === 'begin' ? 'begin immediate' : query;
      const cached = cache.get(text);
      if (cached && !cached.busy) {
        cache.delete(text);
        cache.set(text, cached);
        return cached;
      }
      const statement = sqlite.prepare(text);
      if (!cached) {
        cache.set(text, statement);
        if (cache.size > MAX_CACHED_STATEMENTS) cache.delete(cache.keys().next().value!);
      }
      return statement;
    },
  };
}

export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/**
 * Opens a PostgreSQL pool for a `postgres://` URL. `pg` is an optional peer dependency, loaded only
 * when a Postgres URL is used.
 */
export function openPostgres(url: string, poolSize = 10): OpenedDatabase {
  const pg = requireOptional<typeof import('pg')>(
    'pg',
    'roster: a postgres:// database needs the `pg` package. Install it next to @roster/core.',
  );
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), owned: true };
}
