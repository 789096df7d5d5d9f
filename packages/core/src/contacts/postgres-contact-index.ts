import { type Kysely, sql } from 'kysely';
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
 *   Its pending list is bounded (`TRGM_PENDING_LIST_LIMIT_KB`) and merged after each import.
 */
export function postgresContactIndex(): ContactIndex {
  /** `prepare`'s warning callback, kept for `afterImport` (a roster that does not migrate never sets it). */
  let warn: (message: string) => void = () => {};
  /** Whether `afterImport` already warned that it may not merge the pending list. */
  let warnedMerge = false;
  return {
    async prepare(db, warnWith) {
      warn = warnWith;
      let options: string[] | undefined;
      try {
        // An index that exists is not created again (even `if not exists` needs the table's owner,
        // which a role that only writes contacts is not); one without a limit gets it below.
        options = await trgmIndexOptions(db);
        if (!options) {
          await sql`create extension if not exists pg_trgm`.execute(db);
          await sql`create index if not exists roster_contacts_email_trgm on roster_contacts using gin (email gin_trgm_ops)
            with (gin_pending_list_limit = ${sql.lit(TRGM_PENDING_LIST_LIMIT_KB)})`.execute(db);
        }
      } catch (error) {
        warn(
          `roster: pg_trgm is not available (${(error as Error).message}); email search will scan instead of using an index`,
        );
        return false;
      }
      if (options && !options.some((option) => option.startsWith('gin_pending_list_limit='))) {
        await boundPendingList(db, warn);
      }
      return true;
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
    // `gin_pending_list_limit` (1 MB on this index, see `TRGM_PENDING_LIST_LIMIT_KB`), and every search reads
    // that list in full. An import is the bulk of such rows: its leftovers are merged now, once,
    // instead of being read by every search until the next write fills the list. Needs the index's
    // owner (as VACUUM does); otherwise autovacuum or the next full list merges them, as before, and
    // roster says so once. Never throws: the import has ended either way.
    async afterImport(db) {
      try {
        await sql`select gin_clean_pending_list(to_regclass('roster_contacts_email_trgm'))
          where to_regclass('roster_contacts_email_trgm') is not null`.execute(db);
      } catch (error) {
        if (warnedMerge) return;
        warnedMerge = true;
        warn(
          `roster: could not merge the pending list of roster_contacts_email_trgm after an import (${(error as Error).message}); searches read it until autovacuum or the next writes merge it`,
        );
      }
    },

    // Through the function the daily triggers use: a slot no concurrent writer holds.
    async recordImported(trx, projectId, day, count) {
      if (count === 0) return;
      await sql`select roster_contact_daily_add(${projectId}, ${day}, 0, 0, 0, ${count})`.execute(trx);
    },
  };
}

/**
 * The `gin_pending_list_limit` (kB) of `roster_contacts_email_trgm`. With `fastupdate` (GIN's
 * default) rows written one by one add their trigrams to the index's pending list, which every
 * search reads in full until it outgrows this limit and the write that overflows it merges it into
 * the index. PostgreSQL's default, 4 MB (~500 pages), made a one-match search at 1 M contacts read
 * 336 pending pages (17–22 ms instead of 4–5). 1 MB keeps it to ~124 pages at no measured cost to
 * single writes or imports; 256 kB (~32 pages) cost imports ~30 % more server CPU in smaller merges
 * (docs/performance.md, "The GIN pending list, bounded").
 */
export const TRGM_PENDING_LIST_LIMIT_KB = 1024;

/**
 * The storage options of `roster_contacts_email_trgm` (`[]` for none) when `roster_contacts` (as the
 * search path finds it) has that index, else undefined.
 */
async function trgmIndexOptions(db: Kysely<any>): Promise<string[] | undefined> {
  const { rows } = await sql<{ reloptions: string[] | null }>`select c.reloptions from pg_index i
    join pg_class c on c.oid = i.indexrelid
    where i.indexrelid = to_regclass('roster_contacts_email_trgm')
      and i.indrelid = to_regclass('roster_contacts')`.execute(db);
  return rows[0] ? (rows[0].reloptions ?? []) : undefined;
}

/**
 * Gives an existing `roster_contacts_email_trgm` that has no limit of its own (an index built before
 * roster set it; `prepare` keeps a limit an operator chose) the pending list limit. `ALTER INDEX ...
 * SET` takes an exclusive lock on the index, so it runs only then and waits at most 5 s for
 * searches in flight; a missing privilege (it needs the index's owner) or a timeout warns and
 * leaves the index as it was.
 */
async function boundPendingList(db: Kysely<any>, warn: (message: string) => void): Promise<void> {
  try {
    await db.transaction().execute(async (trx) => {
      await sql`set local lock_timeout = '5s'`.execute(trx);
      await sql`alter index roster_contacts_email_trgm
        set (gin_pending_list_limit = ${sql.lit(TRGM_PENDING_LIST_LIMIT_KB)})`.execute(trx);
    });
  } catch (error) {
    warn(
      `roster: could not set gin_pending_list_limit on roster_contacts_email_trgm (${(error as Error).message}); email searches read up to the server's gin_pending_list_limit (4 MB by default) of pending index entries`,
    );
  }
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
