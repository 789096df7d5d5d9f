import Database from 'better-sqlite3';
import {
  DummyDriver,
  Kysely,
  MysqlAdapter,
  PostgresAdapter,
  PostgresDialect,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteDialect,
} from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { detectDialect } from './dialect.js';

/** A Kysely whose adapter is a subclass with a name that says nothing about the database. */
class RenamedAdapter extends PostgresAdapter {}

describe('detectDialect (adopted Kysely instances)', () => {
  it('tells SQLite and PostgreSQL apart by the adapter class', async () => {
    const sqlite = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
    const postgres = new Kysely<any>({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ connectionString: 'postgres://127.0.0.1:1/none' }),
      }),
    });
    try {
      expect(detectDialect(sqlite).name).toBe('sqlite');
      expect(detectDialect(postgres).name).toBe('postgres');
    } finally {
      await sqlite.destroy();
      await postgres.destroy();
    }
  });

  it('recognises an adapter subclass whatever its name, and rejects other databases by name', async () => {
    const dialect = (adapter: () => PostgresAdapter | MysqlAdapter) => ({
      createAdapter: adapter,
      createDriver: () => new DummyDriver(),
      createIntrospector: (db: Kysely<any>) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    });
    const renamed = new Kysely<any>({ dialect: dialect(() => new RenamedAdapter()) });
    const mysql = new Kysely<any>({ dialect: dialect(() => new MysqlAdapter()) });
    expect(detectDialect(renamed).name).toBe('postgres');
    expect(() => detectDialect(mysql)).toThrow(/unsupported Kysely dialect \(adapter MysqlAdapter\)/);
    await renamed.destroy();
    await mysql.destroy();
  });
});
