import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Contact, createRoster, type Roster } from '@roster/core';
import { type Kysely, type Migration, Migrator, sql } from 'kysely';
import { afterEach, beforeEach, expect } from 'vitest';
import { createPgTestSchema, type PgTestSchema, type TestDialect } from './index.js';

// What the tests of one migration share: a database left as an older build left it, then read
// before and after the migration runs on it.

/**
 * Before each test, an empty database of the dialect that outlives a roster closing it (a SQLite file
 * in a temporary folder, or a new PostgreSQL schema); removed after the test. `url()` names it.
 */
export function eachScratchDatabase(dialect: TestDialect): { url(): string } {
  let dir: string | undefined;
  let pg: PgTestSchema | null = null;
  let url = '';
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'roster-scratch-'));
    pg = dialect === 'postgres' ? await createPgTestSchema() : null;
    url = pg ? pg.url : join(dir, 'old.db');
  });
  afterEach(async () => {
    await pg?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return { url: () => url };
}

/** A roster on `database` as it is (no migration run), handed to `run`, then closed. */
export async function withUnmigratedRoster<T>(
  database: string,
  run: (roster: Roster) => Promise<T>,
): Promise<T> {
  const raw = await createRoster({ database, migrate: false });
  try {
    return await run(raw);
  } finally {
    await raw.close();
  }
}

/** Opens `database` without migrating it, hands its Kysely to `run`, and closes it again. */
export function withRawDatabase<T>(database: string, run: (db: Kysely<any>) => Promise<T>): Promise<T> {
  return withUnmigratedRoster(database, (roster) => run(roster.db as Kysely<any>));
}

/**
 * Migrates `database` as the build before migration `name` left it: every one of `migrations` (the
 * dialect's, as `migrationsOf` returns them) whose name sorts before `name`.
 */
export function migrateBefore(
  database: string,
  dialect: TestDialect,
  migrations: Record<string, Migration>,
  name: string,
): Promise<void> {
  const older = Object.entries(migrations).filter(([key]) => key < name);
  return withRawDatabase(database, (db) => migrateWith(db, dialect, Object.fromEntries(older)));
}

/**
 * Runs exactly `migrations` (e.g. the ones an older build shipped, under the names it recorded them
 * by) on `db`, in roster's migration tables, as roster's own start does.
 */
export async function migrateWith(
  db: Kysely<any>,
  dialect: TestDialect,
  migrations: Record<string, Migration>,
): Promise<void> {
  const schema =
    dialect === 'postgres'
      ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]!.s
      : undefined;
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'roster_migrations',
    migrationLockTableName: 'roster_migrations_lock',
    allowUnorderedMigrations: true,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  // As roster's start: Kysely's look for its table across every schema fails when another test's
  // schema is dropped at that moment, before any migration ran (no results): try again.
  let { error, results } = await migrator.migrateToLatest();
  for (let retry = 0; retry < 5 && error && results === undefined; retry++) {
    ({ error, results } = await migrator.migrateToLatest());
  }
  if (error) throw error;
}

/** Every page of a contact list, `pageSize` contacts at a time: the contacts in order, and each page's cursor. */
export async function everyContactPage(
  roster: Roster,
  projectId: string,
  options: Parameters<Roster['contacts']['list']>[1],
  pageSize: number,
): Promise<{ contacts: Contact[]; cursors: (string | null)[] }> {
  const contacts: Contact[] = [];
  const cursors: (string | null)[] = [];
  let cursor: string | undefined;
  do {
    const page = await roster.contacts.list(projectId, {
      ...options,
      limit: pageSize,
      ...(cursor ? { cursor } : {}),
    });
    contacts.push(...page.data);
    cursors.push(page.cursor);
    cursor = page.cursor ?? undefined;
  } while (cursor);
  return { contacts, cursors };
}

/** Starts a roster on `database` (which migrates it) and expects each of `contacts` to read back as it is. */
export async function expectContactsAfterStart(database: string, contacts: Iterable<Contact>): Promise<void> {
  const roster = await createRoster({ database });
  try {
    for (const contact of contacts) {
      expect(await roster.contacts.get(contact.projectId, contact.id)).toEqual(contact);
    }
  } finally {
    await roster.close();
  }
}

/** Runs `migration` once more on the database it migrated already: every contact row stays as it was. */
export async function expectRerunKeepsContacts(db: Kysely<any>, migration: Migration): Promise<void> {
  const contacts = () => sql`select * from roster_contacts order by id`.execute(db);
  const before = await contacts();
  await migration.up(db);
  expect((await contacts()).rows).toEqual(before.rows);
}

/**
 * A PostgreSQL-only migration changes nothing on SQLite: run on a migrated in-memory database, its
 * `up` leaves every table, index and trigger as they were.
 */
export async function expectNothingOnSqlite(migration: Migration): Promise<void> {
  const roster = await createRoster({ database: ':memory:' });
  try {
    const schema = async () =>
      (await sql`select type, name, sql from sqlite_master order by name`.execute(roster.db)).rows;
    const before = await schema();
    await migration.up(roster.db as Kysely<any>);
    expect(await schema()).toEqual(before);
  } finally {
    await roster.close();
  }
}

/** Every column of the current PostgreSQL schema with its type, to compare before and after a migration. */
export async function pgColumns(db: Kysely<any>): Promise<unknown[]> {
  const { rows } = await sql`select table_name, column_name, data_type from information_schema.columns
    where table_schema = current_schema() order by 1, 2`.execute(db);
  return rows;
}

/** Every constraint of the current PostgreSQL schema with its definition. */
export async function pgConstraints(db: Kysely<any>): Promise<unknown[]> {
  const { rows } = await sql`select conname, pg_get_constraintdef(oid) as def from pg_constraint
    where connamespace = current_schema()::regnamespace order by 1`.execute(db);
  return rows;
}
