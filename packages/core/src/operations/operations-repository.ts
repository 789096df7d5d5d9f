import { sql } from 'kysely';
import type { Db } from '../db/schema.js';

/** The cheapest statement that needs an answer from the database. */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}

/** The names of the migrations recorded as run in this database. */
export async function executedMigrationNames(db: Db): Promise<string[]> {
  const rows = await sql<{ name: string }>`select name from roster_migrations`.execute(db);
  return rows.rows.map((row) => row.name);
}

/** Jobs per type and status, in one grouped query. */
export async function countJobsByTypeAndStatus(
  db: Db,
): Promise<{ type: string; status: string; jobs: number }[]> {
  const rows = await db
    .selectFrom('roster_jobs')
    .select((eb) => ['type', 'status', eb.fn.countAll<string | number>().as('jobs')])
    .groupBy(['type', 'status'])
    .execute();
  return rows.map((row) => ({ type: row.type, status: row.status, jobs: Number(row.jobs) }));
}

/**
 * How far the slowest durable outbox consumer is behind: the change events after its cursor (by
 * the outbox's primary key) and when the oldest of them was written. Zero rows and null without
 * consumers or when every one is caught up.
 */
export async function outboxBacklog(db: Db): Promise<{ rows: number; oldestAt: string | null }> {
  const cursor = await db
    .selectFrom('roster_outbox_consumers')
    .select((eb) => eb.fn.min('last_seq').as('seq'))
    .executeTakeFirst();
  if (cursor?.seq === null || cursor?.seq === undefined) return { rows: 0, oldestAt: null };
  const row = await db
    .selectFrom('roster_outbox')
    .select((eb) => [eb.fn.countAll<string | number>().as('rows'), eb.fn.min('created_at').as('oldest')])
    .where('seq', '>', cursor.seq)
    .executeTakeFirst();
  return { rows: Number(row?.rows ?? 0), oldestAt: (row?.oldest as string | null | undefined) ?? null };
}
