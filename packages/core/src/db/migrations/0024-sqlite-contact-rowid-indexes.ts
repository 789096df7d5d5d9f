import { type Kysely, type Migration, sql } from 'kysely';

/**
 * FROZEN once shipped: never edit it (the schema snapshot test fails if its result changes): add a
 * new migration instead. It imports nothing but `kysely`.
 */

// Bytes on disk (SQLite only; PostgreSQL is left as it is). Three contact indexes ended at the
// 36-byte text id, (project_id, id), (project_id, created_at, id) and (project_id, subscribed,
// created_at, id), and the partial (project_id, audience_id, id): most of their size. Every SQLite
// index already ends at the rowid (`seq`), so they become (project_id), (project_id, created_at),
// (project_id, subscribed, created_at) and (project_id, audience_id) under the same names, and the
// queries order and seek by `seq` where they used `id`. That answers the same only if seq order is
// id order for every stored contact: from this build on, every write gives the contacts it inserts
// ids above every stored id (in the write's transaction); this migration makes it hold for the rows
// already stored.
//
// In one transaction: the order is checked (`lag(id) over (order by seq)`). Where some contact's
// id is below an earlier seq's id (an import's ids made before an API create that inserted first,
// two processes on one file), `seq` is renumbered in id order above the highest seq ever handed out
// (AUTOINCREMENT's mark in sqlite_sequence, moved with it), so no seq is reused. The substring
// index (FTS5, external content keyed by seq) is then dropped with its triggers and its high-water
// mark: the next start builds it again from the table, as on a first start. Nothing else refers to
// a contact's seq (foreign keys name its id). Then each index that still ends at `id` is dropped
// and created anew. Interrupted, the database is as it was and the next start runs it again; run
// again after it committed, it finds the order and the indexes as it left them and changes nothing.
export function migration0024SqliteContactRowidIndexes(dialect: 'sqlite' | 'postgres'): Migration {
  return {
    async up(db: Kysely<any>) {
      if (dialect === 'postgres') return;
      await sql`begin immediate`.execute(db);
      try {
        if (await outOfIdOrder(db)) await renumber(db);
        for (const [name, columns, where] of INDEXES) {
          const last = await sql<{ name: string }>`
            select name from pragma_index_info(${name}) order by seqno desc limit 1`.execute(db);
          if (last.rows[0]?.name !== 'id') continue;
          await sql`drop index ${sql.raw(name)}`.execute(db);
          await sql`create index ${sql.raw(name)} on roster_contacts (${sql.raw(columns)})${sql.raw(where)}`.execute(
            db,
          );
        }
        await sql`commit`.execute(db);
      } catch (error) {
        await sql`rollback`.execute(db);
        throw error;
      }
    },
  };
}

/** The indexes that ended at `id`: name, columns without it, and the partial index's condition. */
const INDEXES: readonly (readonly [string, string, string])[] = [
  ['roster_contacts_project_id', 'project_id', ''],
  ['roster_contacts_project_audience_id', 'project_id, audience_id', ' where audience_id is not null'],
  ['roster_contacts_project_created', 'project_id, created_at', ''],
  ['roster_contacts_project_subscribed_created', 'project_id, subscribed, created_at', ''],
];

/** True when some contact's id is not above the id of the contact with the seq before it. */
async function outOfIdOrder(db: Kysely<any>): Promise<boolean> {
  const { rows } = await sql`select 1 from (
      select id, lag(id) over (order by seq) as previous from roster_contacts
    ) where previous >= id limit 1`.execute(db);
  return rows.length > 0;
}

async function renumber(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ mark: number | null }>`
    select max(coalesce((select seq from sqlite_sequence where name = 'roster_contacts'), 0),
      coalesce((select max(seq) from roster_contacts), 0)) as mark`.execute(db);
  const mark = Number(rows[0]?.mark ?? 0);
  // Above every seq ever handed out, so the new numbers never meet the old ones.
  await sql`update roster_contacts set seq = ${mark} + r.n
    from (select seq as old, row_number() over (order by id) as n from roster_contacts) as r
    where roster_contacts.seq = r.old`.execute(db);
  await sql`update sqlite_sequence set seq = (select max(seq) from roster_contacts)
    where name = 'roster_contacts'`.execute(db);
  // The substring index points at the old seqs: gone, to be built again on the next start.
  await sql`drop trigger if exists roster_contacts_fts_delete`.execute(db);
  await sql`drop trigger if exists roster_contacts_fts_update`.execute(db);
  await sql`drop table if exists roster_contacts_fts`.execute(db);
  await sql`delete from roster_search_state`.execute(db);
}
