import { readFileSync, writeFileSync } from 'node:fs';
import { createPgTestSchema, describeEachDialect, type TestDialect } from '@roster/test-harness';
import { type Kysely, sql } from 'kysely';
import { expect, it } from 'vitest';
import { createRoster } from '../roster.js';
import { dialectFor } from './dialect.js';
import { migrateToLatest } from './migrations.js';

/**
 * The schema the migrations build, per dialect, is committed in schema-snapshot.json. A change to
 * a shipped migration (or to anything it used to depend on) changes the migrated schema and fails
 * here; a new migration changes it on purpose, and then the snapshot is regenerated.
 */
const SNAPSHOT = new URL('./schema-snapshot.json', import.meta.url);
const UPDATE = process.env.ROSTER_UPDATE_SCHEMA_SNAPSHOT === '1';
const HOW_TO_UPDATE =
  'the migrated schema differs from packages/core/src/db/schema-snapshot.json. Never edit a shipped ' +
  'migration: add one in packages/core/src/db/migrations/. After adding a migration, regenerate the ' +
  'snapshot on both databases: ROSTER_UPDATE_SCHEMA_SNAPSHOT=1 ROSTER_TEST_PG_URL=postgres://... ' +
  'pnpm vitest run packages/core/src/db/schema-snapshot.test.ts, and commit it with the migration.';

type Snapshot = Partial<Record<TestDialect, string[]>>;

function readSnapshot(): Snapshot {
  return JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as Snapshot;
}

const oneLine = (text: string | null) => (text ?? '').replace(/\s+/g, ' ').trim();

/** Tables (their full DDL, columns and constraints included), indexes and triggers, sorted. */
async function sqliteSchema(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ type: string; name: string; sql: string | null }>`
    select type, name, sql from sqlite_master
    where name not like 'sqlite_%' and name not like 'roster_migrations%'
    order by type, name`.execute(db);
  return rows.map((row) => `${row.type} ${row.name}: ${oneLine(row.sql)}`);
}

async function postgresSchema(db: Kysely<any>): Promise<string[]> {
  const lines: string[] = [];
  const columns = await sql<{
    table_name: string;
    column_name: string;
    data_type: string;
    is_nullable: string;
    column_default: string | null;
  }>`select table_name, column_name, data_type, is_nullable, column_default
    from information_schema.columns
    where table_schema = current_schema() and table_name not like 'roster_migrations%'
    order by table_name, column_name`.execute(db);
  for (const c of columns.rows) {
    lines.push(
      `column ${c.table_name}.${c.column_name}: ${c.data_type}${c.is_nullable === 'NO' ? ' not null' : ''}${c.column_default === null ? '' : ` default ${c.column_default}`}`,
    );
  }
  const constraints = await sql<{ table_name: string; name: string; def: string }>`
    select cl.relname as table_name, co.conname as name, pg_get_constraintdef(co.oid) as def
    from pg_constraint co join pg_class cl on cl.oid = co.conrelid
    where cl.relnamespace = current_schema()::regnamespace and cl.relname not like 'roster_migrations%'
    order by cl.relname, co.conname`.execute(db);
  for (const c of constraints.rows) lines.push(`constraint ${c.table_name}.${c.name}: ${c.def}`);
  const indexes = await sql<{ name: string; def: string }>`
    select indexname as name, indexdef as def from pg_indexes
    where schemaname = current_schema() and tablename not like 'roster_migrations%'
    order by indexname`.execute(db);
  // Every test runs in its own schema: the definition names it, the snapshot does not.
  const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s ?? '';
  for (const i of indexes.rows) lines.push(`index ${i.name}: ${i.def.replaceAll(`${schema}.`, '')}`);
  const triggers = await sql<{ name: string; def: string }>`
    select t.tgname as name, pg_get_triggerdef(t.oid) as def
    from pg_trigger t join pg_class cl on cl.oid = t.tgrelid
    where cl.relnamespace = current_schema()::regnamespace and not t.tgisinternal
    order by t.tgname`.execute(db);
  for (const t of triggers.rows) lines.push(`trigger ${t.name}: ${t.def.replaceAll(`${schema}.`, '')}`);
  return lines;
}

async function migratedSchema(dialect: TestDialect): Promise<string[]> {
  const pg = dialect === 'postgres' ? await createPgTestSchema() : null;
  const roster = await createRoster({ database: pg ? pg.url : ':memory:', migrate: false });
  try {
    const db = roster.db as Kysely<any>;
    await migrateToLatest(db, dialectFor(dialect));
    return dialect === 'postgres' ? await postgresSchema(db) : await sqliteSchema(db);
  } finally {
    await roster.close();
    await pg?.drop();
  }
}

describeEachDialect('migrated schema', (dialect) => {
  it('matches the committed snapshot (a changed schema needs a new migration)', async () => {
    const actual = await migratedSchema(dialect);
    expect(actual.length).toBeGreaterThan(0);
    if (UPDATE) {
      const stored = readSnapshot();
      stored[dialect] = actual;
      writeFileSync(SNAPSHOT, `${JSON.stringify(stored, null, 2)}\n`);
      return;
    }
    const expected = readSnapshot()[dialect];
    expect(expected, `no ${dialect} snapshot: ${HOW_TO_UPDATE}`).toBeDefined();
    expect(actual, HOW_TO_UPDATE).toEqual(expected);
  });
});
