import { type Kysely, sql } from 'kysely';
import { dialectFor } from '../db/dialect.js';
import { asSqliteDb, type ContactRow, type Db } from '../db/schema.js';
import type {
  CandidatePageQuery,
  ContactIndex,
  ContactIndexOptions,
  SearchCandidates,
} from './contact-index.js';
import {
  afterCursorSql,
  type ContactOrder,
  DEFAULT_ORDER,
  likePattern,
  orderSql,
} from './contact-repository.js';

/**
 * Most index candidates a search uses. Beyond this the term is common, and the plain scan in id
 * order finds a page sooner: it reads about `limit x contacts / matches` rows, under
 * `limit x contacts / 2000` here, while sorting the candidates would read all of them.
 */
export const MAX_SEARCH_CANDIDATES = 2000;

/**
 * SQLite's contact index:
 *
 * - counts: one row per project in `roster_contact_counts`, kept by the triggers of migration
 *   0001 (one writer at a time, so a counter row costs nothing measurable);
 * - substring search: an FTS5 `trigram` index over the emails (external content, keyed by
 *   `seq`), when `substringIndex` is on. New contacts are added to it in sets (`sync`: before a
 *   search and in each import batch), not by a per-row trigger, which costs 2.5x less write
 *   throughput; deletes and email changes of indexed contacts are applied by triggers. Turned off,
 *   it is dropped on the next start and search scans.
 */
export function sqliteContactIndex(options: ContactIndexOptions): ContactIndex {
  return {
    async prepare(db) {
      if (!options.substringIndex) {
        await sql`drop trigger if exists roster_contacts_fts_delete`.execute(db);
        await sql`drop trigger if exists roster_contacts_fts_update`.execute(db);
        await sql`drop table if exists roster_contacts_fts`.execute(db);
        await sql`delete from roster_search_state`.execute(db);
        return false;
      }
      await db.transaction().execute(async (trx) => {
        await sql`create virtual table if not exists roster_contacts_fts using fts5(
          email, content = 'roster_contacts', content_rowid = 'seq',
          tokenize = 'trigram', detail = none, columnsize = 0
        )`.execute(trx);
        await sql`insert into roster_search_state (id, indexed_seq) values (1, 0) on conflict (id) do nothing`.execute(
          trx,
        );
        await sql`create trigger if not exists roster_contacts_fts_delete after delete on roster_contacts
          when old.seq <= (select indexed_seq from roster_search_state)
        begin
          insert into roster_contacts_fts (roster_contacts_fts, rowid, email) values ('delete', old.seq, old.email);
        end`.execute(trx);
        await sql`create trigger if not exists roster_contacts_fts_update after update of email on roster_contacts
          when old.seq <= (select indexed_seq from roster_search_state)
        begin
          insert into roster_contacts_fts (roster_contacts_fts, rowid, email) values ('delete', old.seq, old.email);
          insert into roster_contacts_fts (rowid, email) values (new.seq, new.email);
        end`.execute(trx);
      });
      await sync(db);
      return true;
    },

    async countAll(db, projectId) {
      const row = await asSqliteDb(db)
        .selectFrom('roster_contact_counts')
        .select('contacts')
        .where('project_id', '=', projectId)
        .executeTakeFirst();
      return Number(row?.contacts ?? 0);
    },

    async topProjects(db, limit) {
      const counts = asSqliteDb(db).selectFrom('roster_contact_counts').where('contacts', '>', 0);
      const [top, all] = await Promise.all([
        counts.select(['project_id', 'contacts']).orderBy('contacts', 'desc').limit(limit).execute(),
        counts
          .select((eb) => [
            eb.fn.coalesce(eb.fn.sum<number>('contacts'), sql<number>`0`).as('contacts'),
            eb.fn.countAll<number>().as('projects'),
          ])
          .executeTakeFirstOrThrow(),
      ]);
      return {
        top: top.map((row) => ({ projectId: row.project_id, contacts: Number(row.contacts) })),
        contacts: Number(all.contacts),
        projects: Number(all.projects),
      };
    },

    async search(db, term) {
      if (!options.substringIndex || [...term].length < 3) return null;
      await sync(db);
      const result = await sql<{ seq: number }>`select rowid as seq from roster_contacts_fts
        where email like ${`%${term}%`} limit ${MAX_SEARCH_CANDIDATES + 1}`.execute(db);
      if (result.rows.length > MAX_SEARCH_CANDIDATES) return null;
      return candidateSet(result.rows.map((r) => r.seq));
    },

    // The batch's new contacts join the substring index in one set-based statement.
    afterImportBatch: (trx) => sync(trx),
    // Every batch is in the index already.
    afterImport: async () => {},

    async recordImported(trx, projectId, day, count) {
      if (count === 0) return;
      await sql`insert into roster_contact_daily (project_id, day, slot, imported)
        values (${projectId}, ${day}, 0, ${count})
        on conflict (project_id, day, slot) do update set imported = imported + excluded.imported`.execute(
        trx,
      );
    },
  };
}

/**
 * Adds the contacts created since the last call to the substring index, in one set-based
 * statement, and moves the high-water mark. Cheap when nothing is new (two index reads); a no-op
 * without the index (no row in `roster_search_state`).
 */
async function sync(db: Db): Promise<void> {
  // One statement: the high-water mark and the latest seq.
  const state = await asSqliteDb(db)
    .selectNoFrom((eb) => [
      eb.selectFrom('roster_search_state').select('indexed_seq').as('indexed'),
      eb
        .selectFrom('roster_contacts')
        .select((e) => e.fn.max('seq').as('m'))
        .as('latest'),
    ])
    .executeTakeFirst();
  const indexed = state?.indexed ?? null;
  const latest = state?.latest ?? null;
  if (indexed === null || latest === null || latest <= indexed) return;
  const apply = async (trx: Db) => {
    await sql`insert into roster_contacts_fts (rowid, email)
      select seq, email from roster_contacts where seq > (select indexed_seq from roster_search_state)`.execute(
      trx,
    );
    await sql`update roster_search_state set indexed_seq = (select max(seq) from roster_contacts)`.execute(
      trx,
    );
  };
  if (db.isTransaction) await apply(db);
  else await (db as Kysely<any>).transaction().execute(apply);
}

const SQLITE = dialectFor('sqlite');

/** Filters that every candidate must pass (project, the exact escaped LIKE, cursor, subscription). */
function conditions(query: Omit<CandidatePageQuery, 'limit'>) {
  return sql`c.project_id = (select seq from roster_projects where id = ${query.projectId})
    and c.email like ${likePattern(query.search)} escape '\\'
    ${query.after ? sql`and ${afterCursorSql(query.order, query.after, SQLITE, 'c.')}` : sql``}
    ${query.subscribed !== undefined ? sql`and c.subscribed = ${query.subscribed ? 1 : 0}` : sql``}`;
}

/**
 * Pages and counts among the candidates' `seq`s. `CROSS JOIN` makes SQLite drive the loop from
 * the candidate list (a few index lookups) rather than walking the project's index to the end;
 * the (at most `MAX_SEARCH_CANDIDATES`) matches are then sorted.
 */
function candidateSet(candidates: number[]): SearchCandidates {
  const seqs = JSON.stringify(candidates);
  return {
    async list(db, query) {
      if (candidates.length === 0) return [];
      const result = await sql<ContactRow>`select c.* from json_each(${seqs}) as j
        cross join roster_contacts as c on c.seq = j.value
        where ${conditions(query)}
        order by ${orderSql(query.order, SQLITE, 'c.')} limit ${query.limit}`.execute(db);
      return result.rows;
    },
    async count(db, query) {
      if (candidates.length === 0) return 0;
      const order: ContactOrder = DEFAULT_ORDER;
      const result = await sql<{ n: number }>`select count(*) as n from json_each(${seqs}) as j
        cross join roster_contacts as c on c.seq = j.value
        where ${conditions({ ...query, order })}`.execute(db);
      return Number(result.rows[0]?.n ?? 0);
    },
  };
}
