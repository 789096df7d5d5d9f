import { type Kysely, type Migration, sql } from 'kysely';

/**
 * FROZEN once shipped: never edit it (the schema snapshot test fails if its result changes): add a
 * new migration instead. It imports nothing but `kysely`.
 */

// Bytes on disk: `roster_contacts.created_at` and `updated_at` held 24-character ISO 8601 text,
// created_at again in two indexes. They now hold integer milliseconds since the epoch (8 bytes at
// most; `bigint` on PostgreSQL), the API still answers the same ISO strings (code converts in one
// place, contacts/contact-time.ts). Only roster_contacts changes: every other table keeps text.
//
// Every value roster writes there is `Date.prototype.toISOString()` of its clock
// (`YYYY-MM-DDTHH:MM:SS.sssZ`), so the conversion is exact and reading gives back the same string.
// A value of any other form (written by hand) is refused before anything changes: the error names
// the contact, the column and the value, to be corrected and the start tried again.
//
// SQLite: a `text` column would turn the integers back into text (its affinity), and SQLite cannot
// change a column's type, so the table is rebuilt as 0020 rebuilt it: foreign keys off (outside the
// transaction), one transaction creates the new table, copies every row (its `seq`, the rowid the
// substring index is keyed by, and the AUTOINCREMENT high-water mark with it) converting both
// times, drops the old table, renames the new one and recreates the same indexes and triggers (the
// daily counts of 0019 now take the day of the milliseconds), then checks every foreign key before
// committing. Interrupted, the database is as it was and the next start runs it again; committed but
// not yet recorded, the next run finds integer columns and only records it.
//
// PostgreSQL: one `alter table ... type bigint using ...` converts both columns in place (inside
// the migrations' transaction), and the two daily-count trigger functions (of 0019, as 0021 wrote
// them) that take a contact's day from its text (`left(n.created_at, 10)`, `left(n.updated_at, 10)`) are replaced by
// the same functions taking the UTC day of the milliseconds (their other statements kept as the
// database has them).
export function migration0022ContactTimes(dialect: 'sqlite' | 'postgres'): Migration {
  return {
    async up(db: Kysely<any>) {
      if (dialect === 'postgres') {
        await postgres(db);
        return;
      }
      const columns = await sql<{ name: string; type: string }>`
        select name, type from pragma_table_info('roster_contacts')`.execute(db);
      if (columns.rows.some((c) => c.name === 'created_at' && c.type.toLowerCase() === 'integer')) return;

      await sql`pragma foreign_keys = off`.execute(db);
      try {
        await sql`begin immediate`.execute(db);
        try {
          await refuseOtherForms(db, 'sqlite');
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

/** True where `column` holds a time exactly as `toISOString()` writes it (a valid UTC instant). */
function canonical(column: string, dialect: 'sqlite' | 'postgres') {
  const v = sql.ref(column);
  if (dialect === 'sqlite') {
    // The exact shape, and a real calendar instant: SQLite normalises 02-30 to 03-02, so the
    // re-formatted text differs from the stored one.
    return sql<boolean>`(${v} glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'
      and strftime('%Y-%m-%dT%H:%M:%S', ${v}) is substr(${v}, 1, 19))`;
  }
  // The shape first (the day's check casts only what has it): months 01-12, days up to the month's
  // last, hours 00-23, years 0001-9999 (PostgreSQL has no year 0).
  return sql<boolean>`(case when ${v} ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9][.][0-9]{3}Z$'
      and substr(${v}, 1, 4) <> '0000'
    then substr(${v}, 9, 2)::integer <= extract(day from (make_date(substr(${v}, 1, 4)::integer,
      substr(${v}, 6, 2)::integer, 1) + interval '1 month - 1 day'))
    else false end)`;
}

/** Refuses (naming the first such row) when a contact's time is not of the form roster writes. */
async function refuseOtherForms(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const { rows } = await sql<{ id: string; created_at: string; updated_at: string; created_ok: unknown }>`
    select id, created_at, updated_at, ${canonical('created_at', dialect)} as created_ok
    from roster_contacts
    where not (${canonical('created_at', dialect)} and ${canonical('updated_at', dialect)})
    limit 1`.execute(db);
  const row = rows[0];
  if (!row) return;
  const createdOk = row.created_ok === true || Number(row.created_ok) === 1;
  const [column, value] = createdOk ? ['updated_at', row.updated_at] : ['created_at', row.created_at];
  throw new Error(
    `roster_contacts row ${row.id} has ${column} ${JSON.stringify(value)}, which is not a time as roster ` +
      'writes it (YYYY-MM-DDTHH:MM:SS.sssZ, UTC): correct that value (the same instant in that form) and start again',
  );
}

async function postgres(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ type: string }>`
    select data_type as type from information_schema.columns
    where table_schema = current_schema() and table_name = 'roster_contacts' and column_name = 'created_at'`.execute(
    db,
  );
  const { type } = rows[0]!;
  if (type !== 'bigint') {
    await refuseOtherForms(db, 'postgres');
    // Exact: extract() is numeric (the milliseconds are the text's three digits).
    const ms = (column: string) => sql.raw(`(extract(epoch from ${column}::timestamptz) * 1000)::bigint`);
    await sql`alter table roster_contacts
      alter column created_at type bigint using ${ms('created_at')},
      alter column updated_at type bigint using ${ms('updated_at')}`.execute(db);
  }
  // The UTC day of a time, exactly (integer microseconds, no floating point).
  const day = (column: string) =>
    `to_char(timestamp 'epoch' + ${column} * interval '1 millisecond', 'YYYY-MM-DD')`;
  for (const [fn, from, to] of [
    ['roster_contacts_daily_inserted', 'left(n.created_at, 10)', day('n.created_at')],
    ['roster_contacts_daily_updated', 'left(n.updated_at, 10)', day('n.updated_at')],
  ] as const) {
    const found = await sql<{ def: string }>`
      select pg_get_functiondef((quote_ident(current_schema()) || '.' || ${fn})::regproc) as def`.execute(db);
    const def = found.rows[0]!.def;
    if (def.includes(to)) continue;
    if (!def.includes(from)) throw new Error(`${fn}: expected ${from} in its definition`);
    await sql.raw(def.replace(from, to)).execute(db);
  }
}

async function rebuild(db: Kysely<any>): Promise<void> {
  // Exact: whole seconds from strftime, the milliseconds from the text (checked above).
  const ms = (column: string) =>
    sql.raw(
      `(cast(strftime('%s', c.${column}) as integer) * 1000 + cast(substr(c.${column}, 21, 3) as integer))`,
    );

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
    created_at integer not null,
    updated_at integer not null
  )`.execute(db);
  await sql`insert into roster_contacts_rebuilt
      (seq, id, project_id, email, subscribed, data, first_name, last_name, audience_id, created_at, updated_at)
    select c.seq, c.id, c.project_id, c.email, c.subscribed, c.data, c.first_name, c.last_name, c.audience_id,
      ${ms('created_at')}, ${ms('updated_at')}
    from roster_contacts c
    order by c.seq`.execute(db);
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

  // The indexes of 0020, same names and columns.
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

  // The triggers of 0020; a contact's day is the UTC day of its milliseconds (whole seconds
  // rounded down, also before 1970).
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
      values ((select id from roster_projects where seq = new.project_id),
        strftime('%Y-%m-%d', new.created_at / 1000 - (new.created_at % 1000 < 0), 'unixepoch'), 0, 1,
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
      values ((select id from roster_projects where seq = new.project_id),
        strftime('%Y-%m-%d', new.updated_at / 1000 - (new.updated_at % 1000 < 0), 'unixepoch'), 0,
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
