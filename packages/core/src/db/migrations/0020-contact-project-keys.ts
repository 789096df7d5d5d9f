import { type Kysely, type Migration, sql } from 'kysely';

/**
 * FROZEN once shipped: never edit it (the schema snapshot test fails if its result changes): add a
 * new migration instead. It imports nothing but `kysely`.
 */

// Bytes on disk (SQLite): `roster_contacts.project_id` held the project's 36-character id in the
// table and again in each of its five indexes (~190 B of a contact's ~795 B at 1 M contacts). It
// now holds a compact integer key of the project, `roster_projects.seq` (new here: numbered in
// creation order, then by a trigger for every new project, never null once written), one or two
// bytes wherever it is stored. The public project id stays on the wire: code reads a contact's
// project from the project the query is scoped to.
//
// SQLite cannot change a column's type in place, so the table is rebuilt (SQLite's documented
// procedure): with foreign keys off (the connection's pragma, outside the transaction), one
// transaction creates the new table, copies every row with its `seq` (the rowid the substring
// index is keyed by, and the AUTOINCREMENT high-water mark with it), drops the old table (without
// firing its cascades: foreign keys are off), renames the new one, and recreates the same indexes
// and the triggers of 0001 and 0019 (and the substring index's, when it exists) reading the
// project's id through its key, then checks every foreign key before committing. Interrupted, the
// transaction leaves the database as it was and the next start runs it again; committed but not
// yet recorded as applied, the next run finds the new table and only records it.
//
// PostgreSQL keeps `project_id` text (its share is smaller there and it is the same column): nothing.
export function migration0020ContactProjectKeys(dialect: 'sqlite' | 'postgres'): Migration {
  return {
    async up(db: Kysely<any>) {
      if (dialect !== 'sqlite') return;
      const columns = await sql<{ name: string; type: string }>`
        select name, type from pragma_table_info('roster_contacts')`.execute(db);
      if (columns.rows.some((c) => c.name === 'project_id' && c.type.toLowerCase() === 'integer')) return;

      await sql`pragma foreign_keys = off`.execute(db);
      try {
        await sql`begin immediate`.execute(db);
        try {
          await rebuild(db);
          const broken = await sql`select * from pragma_foreign_key_check`.execute(db);
          if (broken.rows.length > 0) {
            throw new Error(`foreign key check failed after the rebuild: ${JSON.stringify(broken.rows[0])}`);
          }
          await sql`commit`.execute(db);
        } catch (error) {
          await sql`rollback`.execute(db);
          throw error;
        }
      } finally {
        await sql`pragma foreign_keys = on`.execute(db);
      }
    },
  };
}

async function rebuild(db: Kysely<any>): Promise<void> {
  const projectColumns = await sql<{ name: string }>`
    select name from pragma_table_info('roster_projects')`.execute(db);
  if (!projectColumns.rows.some((c) => c.name === 'seq')) {
    await sql`alter table roster_projects add column seq integer`.execute(db);
  }
  await sql`update roster_projects set seq = (
      select n from (select id, row_number() over (order by created_at, id) as n from roster_projects) k
      where k.id = roster_projects.id)
    where seq is null`.execute(db);
  await sql`create unique index if not exists roster_projects_seq on roster_projects (seq)`.execute(db);
  // Every new project gets the next key (projects are few: max() reads the end of the index).
  await sql`create trigger if not exists roster_projects_seq_insert after insert on roster_projects
    when new.seq is null begin
    update roster_projects set seq = (select coalesce(max(seq), 0) + 1 from roster_projects) where id = new.id;
  end`.execute(db);

  await sql`drop table if exists roster_contacts_rebuilt`.execute(db);
  await sql`create table roster_contacts_rebuilt (
    seq integer primary key autoincrement,
    id text not null unique,
    project_id integer not null references roster_projects (seq) on delete cascade,
    email text not null,
    subscribed integer not null,
    data text,
    first_name text,
    last_name text,
    audience_id text references roster_audiences (id) on delete set null,
    created_at text not null,
    updated_at text not null
  )`.execute(db);
  await sql`insert into roster_contacts_rebuilt
      (seq, id, project_id, email, subscribed, data, first_name, last_name, audience_id, created_at, updated_at)
    select c.seq, c.id, p.seq, c.email, c.subscribed, c.data, c.first_name, c.last_name, c.audience_id,
      c.created_at, c.updated_at
    from roster_contacts c join roster_projects p on p.id = c.project_id
    order by c.seq`.execute(db);
  const copied = await sql<{ n: number }>`select count(*) as n from roster_contacts_rebuilt`.execute(db);
  const stored = await sql<{ n: number }>`select count(*) as n from roster_contacts`.execute(db);
  if (Number(copied.rows[0]!.n) !== Number(stored.rows[0]!.n)) {
    throw new Error('contacts without their project: the rebuild would lose them');
  }
  // The AUTOINCREMENT high-water mark: a deleted contact's seq is never handed out again.
  const mark = await sql<{ seq: number | null }>`
    select seq from sqlite_sequence where name = 'roster_contacts'`.execute(db);
  const hasSubstringIndex =
    (await sql`select 1 from sqlite_master where name = 'roster_contacts_fts'`.execute(db)).rows.length > 0;

  await sql`drop table roster_contacts`.execute(db);
  await sql`alter table roster_contacts_rebuilt rename to roster_contacts`.execute(db);
  const highest = Number(mark.rows[0]?.seq ?? 0);
  await sql`update sqlite_sequence set seq = max(seq, ${highest}) where name = 'roster_contacts'`.execute(db);
  await sql`insert into sqlite_sequence (name, seq)
    select 'roster_contacts', ${highest} where ${highest} > 0
      and not exists (select 1 from sqlite_sequence where name = 'roster_contacts')`.execute(db);

  // The indexes of 0001, 0003 and 0007, same names and columns.
  await sql`create unique index roster_contacts_project_email on roster_contacts (project_id, email)`.execute(
    db,
  );
  await sql`create index roster_contacts_project_id on roster_contacts (project_id, id)`.execute(db);
  await sql`create index roster_contacts_project_audience_id on roster_contacts (project_id, audience_id, id)
    where audience_id is not null`.execute(db);
  await sql`create index roster_contacts_project_created on roster_contacts (project_id, created_at, id)`.execute(
    db,
  );
  await sql`create index roster_contacts_project_subscribed_created
    on roster_contacts (project_id, subscribed, created_at, id)`.execute(db);

  // The triggers of 0001 and 0019: the counters stay keyed by the project's id.
  await sql`create trigger roster_contacts_count_insert after insert on roster_contacts begin
    insert into roster_contact_counts (project_id, contacts)
      values ((select id from roster_projects where seq = new.project_id), 1)
      on conflict (project_id) do update set contacts = contacts + 1;
  end`.execute(db);
  await sql`create trigger roster_contacts_count_delete after delete on roster_contacts begin
    update roster_contact_counts set contacts = contacts - 1
      where project_id = (select id from roster_projects where seq = old.project_id);
  end`.execute(db);
  await sql`create trigger roster_contacts_daily_insert after insert on roster_contacts begin
    insert into roster_contact_daily (project_id, day, slot, added, subscribed)
      values ((select id from roster_projects where seq = new.project_id), substr(new.created_at, 1, 10), 0, 1,
        new.subscribed)
      on conflict (project_id, day, slot) do update
        set added = added + 1, subscribed = subscribed + excluded.subscribed;
  end`.execute(db);
  // A project being deleted (the cascade deleting its contacts) gets no row.
  await sql`create trigger roster_contacts_daily_delete after delete on roster_contacts begin
    insert into roster_contact_daily (project_id, day, slot, removed, subscribed)
      select p.id, strftime('%Y-%m-%d', 'now'), 0, 1, -old.subscribed
      from roster_projects p where p.seq = old.project_id
      on conflict (project_id, day, slot) do update
        set removed = removed + 1, subscribed = subscribed + excluded.subscribed;
  end`.execute(db);
  await sql`create trigger roster_contacts_daily_subscribed after update of subscribed on roster_contacts
    when old.subscribed <> new.subscribed begin
    insert into roster_contact_daily (project_id, day, slot, subscribed)
      values ((select id from roster_projects where seq = new.project_id), substr(new.updated_at, 1, 10), 0,
        new.subscribed - old.subscribed)
      on conflict (project_id, day, slot) do update set subscribed = subscribed + excluded.subscribed;
  end`.execute(db);
  // The substring index's upkeep (contacts/sqlite-contact-index.ts creates the same on start).
  if (hasSubstringIndex) {
    await sql`create trigger roster_contacts_fts_delete after delete on roster_contacts
      when old.seq <= (select indexed_seq from roster_search_state)
    begin
      insert into roster_contacts_fts (roster_contacts_fts, rowid, email) values ('delete', old.seq, old.email);
    end`.execute(db);
    await sql`create trigger roster_contacts_fts_update after update of email on roster_contacts
      when old.seq <= (select indexed_seq from roster_search_state)
    begin
      insert into roster_contacts_fts (roster_contacts_fts, rowid, email) values ('delete', old.seq, old.email);
      insert into roster_contacts_fts (rowid, email) values (new.seq, new.email);
    end`.execute(db);
  }
}
