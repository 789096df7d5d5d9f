import { sql } from 'kysely';
import { asPostgresDb, type Db } from '../db/schema.js';
import type { ContactIndex } from './contact-index.js';

/**
 * A project with more slot rows than this has them folded into one when its total is read. Slots
 * are only added when every existing one is held by a concurrent writer, so a project has at most
 * as many as it ever had writers at once: the fold is rare, and the sum stays a short index read.
 */
export const MAX_COUNT_SLOTS = 16;

/**
 * PostgreSQL's contact index:
 *
 * - counts: the sum of the project's rows in `roster_contact_count_slots`, kept in the writing
 *   transaction by the statement triggers of migration 0006 (each writer takes a slot no other
 *   writer holds, so concurrent writers of one project never wait for each other on the count).
 *   Exact after every commit, on any write path, at the cost of an index read of a few rows
 *   instead of a `count(*)` over the project.
 * - substring search: a `pg_trgm` GIN index lets `email LIKE '%term%'` use an index, so search
 *   never asks for candidates (the planner picks index or scan). Created on every start outside
 *   the migration transaction, so a missing privilege cannot abort it: without it, search scans.
 */
export function postgresContactIndex(): ContactIndex {
  return {
    async prepare(db, warn) {
      try {
        await sql`create extension if not exists pg_trgm`.execute(db);
        await sql`create index if not exists roster_contacts_email_trgm on roster_contacts using gin (email gin_trgm_ops)`.execute(
          db,
        );
        return true;
      } catch (error) {
        warn(
          `roster: pg_trgm is not available (${(error as Error).message}); email search will scan instead of using an index`,
        );
        return false;
      }
    },

    async countAll(db, projectId) {
      const row = await asPostgresDb(db)
        .selectFrom('roster_contact_count_slots')
        .select((eb) => [
          eb.fn.coalesce(eb.fn.sum<string>('contacts'), sql<string>`0`).as('contacts'),
          eb.fn.countAll<string>().as('slots'),
        ])
        .where('project_id', '=', projectId)
        .executeTakeFirstOrThrow();
      if (Number(row.slots) > MAX_COUNT_SLOTS) await compactContactCounts(db, projectId);
      return Number(row.contacts);
    },

    async topProjects(db, limit) {
      const perProject = asPostgresDb(db)
        .selectFrom('roster_contact_count_slots')
        .select((eb) => ['project_id', eb.fn.sum<string>('contacts').as('contacts')])
        .groupBy('project_id')
        .having((eb) => eb.fn.sum('contacts'), '>', 0);
      const [top, all] = await Promise.all([
        perProject.orderBy('contacts', 'desc').limit(limit).execute(),
        asPostgresDb(db)
          .selectFrom(perProject.as('p'))
          .select((eb) => [
            eb.fn.coalesce(eb.fn.sum<string>('p.contacts'), sql<string>`0`).as('contacts'),
            eb.fn.countAll<string>().as('projects'),
          ])
          .executeTakeFirstOrThrow(),
      ]);
      return {
        top: top.map((row) => ({ projectId: row.project_id, contacts: Number(row.contacts) })),
        contacts: Number(all.contacts),
        projects: Number(all.projects),
      };
    },

    search: async () => null,
    afterImportBatch: async () => {},

    // GIN `fastupdate`: new rows' trigrams wait in the index's pending list until it reaches
    // `gin_pending_list_limit` (4 MB by default, ~500 pages), and every search reads that list in full
    // (at 1 M contacts, 336 pending pages made a one-match search 5x slower). An import is the bulk of
    // such rows: its leftovers are merged now, once, instead of being read by every search until the
    // next write fills the list. Needs the index's owner (as VACUUM does); otherwise autovacuum or the
    // next full list merges them, as before.
    async afterImport(db) {
      await sql`select gin_clean_pending_list(to_regclass('roster_contacts_email_trgm'))
        where to_regclass('roster_contacts_email_trgm') is not null`
        .execute(db)
        .catch(() => {});
    },

    // Through the function the daily triggers use: a slot no concurrent writer holds.
    async recordImported(trx, projectId, day, count) {
      if (count === 0) return;
      await sql`select roster_contact_daily_add(${projectId}, ${day}, 0, 0, 0, ${count})`.execute(trx);
    },
  };
}

/**
 * Folds the project's count slots that no writer holds into one (one statement; it skips held
 * slots rather than waiting, and a reader sees the slots before or after, never in between).
 */
export async function compactContactCounts(db: Db, projectId: string): Promise<void> {
  await sql`with held as (
      select slot, contacts from roster_contact_count_slots
      where project_id = ${projectId} for update skip locked
    ), kept as (
      select min(slot) as slot, sum(contacts) as contacts from held having count(*) > 1
    ), dropped as (
      delete from roster_contact_count_slots s using held, kept
      where s.project_id = ${projectId} and s.slot = held.slot and held.slot <> kept.slot
    )
    update roster_contact_count_slots s set contacts = kept.contacts from kept
    where s.project_id = ${projectId} and s.slot = kept.slot`.execute(db);
}
