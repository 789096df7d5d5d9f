import { type Kysely, sql } from 'kysely';
import { asSqliteDb, type Db } from '../db/schema.js';
import type { DialectInfo } from './dialect.js';

/**
 * Accelerates substring search on emails where the database can, run on every start (idempotent).
 *
 * - PostgreSQL: a `pg_trgm` GIN index lets `email LIKE '%term%'` use an index (outside the
 *   migration transaction so a missing privilege cannot abort it; without it, search scans).
 * - SQLite: an FTS5 `trigram` index over the emails (external content, keyed by `seq`), when
 *   `enabled`. New contacts are added to it in sets (see `syncSearchIndex`), not by a per-row
 *   trigger, which costs 2.5x less write throughput; deletes and email changes of indexed contacts
 *   are applied by triggers. `enabled: false` drops it (search then always scans).
 *
 * Returns whether an index is in place.
 */
export async function ensureSearchIndex(
  db: Kysely<any>,
  dialect: DialectInfo,
  warn: (message: string) => void,
  enabled = true,
): Promise<boolean> {
  if (dialect.name === 'sqlite') {
    if (!enabled) {
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
    await syncSearchIndex(db, dialect);
    return true;
  }
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
}

/**
 * SQLite: adds the contacts created since the last call to the substring index, in one set-based
 * statement, and moves the high-water mark. Cheap when nothing is new (two index reads). Called
 * in each import batch's transaction and before a search; a no-op without the index or on Postgres.
 */
export async function syncSearchIndex(db: Db, dialect: DialectInfo): Promise<void> {
  if (dialect.name !== 'sqlite') return;
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
