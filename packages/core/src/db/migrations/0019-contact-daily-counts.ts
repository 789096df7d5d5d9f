import { type Kysely, type Migration, sql } from 'kysely';

/**
 * FROZEN once shipped: never edit it (the schema snapshot test fails if its result changes): add a
 * new migration instead. It imports nothing but `kysely` and inlines every dialect-specific type.
 */

// The overview's daily counts: per project and UTC day (`YYYY-MM-DD`), the contacts added and
// removed, the net change of subscribed contacts and, of those added, how many an import added.
// Triggers keep `added`, `removed` and `subscribed` in the same transaction as every write of
// `roster_contacts` (raw SQL and a project's cascade included); the import job adds `imported`
// in its batch's transaction. A contact's creation counts on the day of its `created_at`, a
// subscription change on the day of its `updated_at`, a deletion on the database's current UTC
// day. Summing a project's rows gives its totals, so the overview never scans the contacts.
//
// PostgreSQL spreads a (project, day) over slot rows the way 0006 spreads contact counts: a
// writer adds to a slot nobody else holds (`FOR UPDATE SKIP LOCKED`) or to a new one, so
// concurrent writers of one project never wait for each other. SQLite has one writer: slot 0.
//
// Contacts that existed before this migration are counted on their creation day as added
// (without a source: they count as added through the API).
export function migration0019ContactDailyCounts(dialect: 'sqlite' | 'postgres'): Migration {
  return {
    async up(db: Kysely<any>) {
      const counter = dialect === 'postgres' ? 'bigint' : 'integer';
      await db.schema
        .createTable('roster_contact_daily')
        .addColumn('project_id', 'text', (c) =>
          c.notNull().references('roster_projects.id').onDelete('cascade'),
        )
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('slot', 'integer', (c) => c.notNull())
        .addColumn('added', sql.raw(counter), (c) => c.notNull().defaultTo(0))
        .addColumn('removed', sql.raw(counter), (c) => c.notNull().defaultTo(0))
        .addColumn('subscribed', sql.raw(counter), (c) => c.notNull().defaultTo(0))
        .addColumn('imported', sql.raw(counter), (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('roster_contact_daily_pk', ['project_id', 'day', 'slot'])
        .execute();

      if (dialect === 'sqlite') {
        await sql`create trigger roster_contacts_daily_insert after insert on roster_contacts begin
          insert into roster_contact_daily (project_id, day, slot, added, subscribed)
            values (new.project_id, substr(new.created_at, 1, 10), 0, 1, new.subscribed)
            on conflict (project_id, day, slot) do update
              set added = added + 1, subscribed = subscribed + excluded.subscribed;
        end`.execute(db);
        // A project being deleted (the cascade deleting its contacts) gets no row.
        await sql`create trigger roster_contacts_daily_delete after delete on roster_contacts begin
          insert into roster_contact_daily (project_id, day, slot, removed, subscribed)
            select old.project_id, strftime('%Y-%m-%d', 'now'), 0, 1, -old.subscribed
            where exists (select 1 from roster_projects where id = old.project_id)
            on conflict (project_id, day, slot) do update
              set removed = removed + 1, subscribed = subscribed + excluded.subscribed;
        end`.execute(db);
        await sql`create trigger roster_contacts_daily_subscribed after update of subscribed on roster_contacts
          when old.subscribed <> new.subscribed begin
          insert into roster_contact_daily (project_id, day, slot, subscribed)
            values (new.project_id, substr(new.updated_at, 1, 10), 0, new.subscribed - old.subscribed)
            on conflict (project_id, day, slot) do update set subscribed = subscribed + excluded.subscribed;
        end`.execute(db);
      } else {
        const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
        const schema = rows[0]!.schema;
        const daily = sql.table(`${schema}.roster_contact_daily`);
        const projects = sql.table(`${schema}.roster_projects`);
        const add = sql.raw(`${schema}.roster_contact_daily_add`);
        await sql`create function roster_contact_daily_add(p text, d text, a bigint, r bigint, s bigint, i bigint)
        returns void language plpgsql as $$
        declare
          k integer;
        begin
          select slot into k from ${daily} where project_id = p and day = d limit 1 for update skip locked;
          if found then
            update ${daily} set added = added + a, removed = removed + r, subscribed = subscribed + s,
              imported = imported + i
              where project_id = p and day = d and slot = k;
          else
            insert into ${daily} (project_id, day, slot, added, removed, subscribed, imported)
              select p, d, floor(random() * 2147483647)::integer, a, r, s, i
              where exists (select 1 from ${projects} where id = p)
              on conflict (project_id, day, slot) do update set added = ${daily}.added + excluded.added,
                removed = ${daily}.removed + excluded.removed,
                subscribed = ${daily}.subscribed + excluded.subscribed,
                imported = ${daily}.imported + excluded.imported;
          end if;
        end $$`.execute(db);
        await sql`create function roster_contacts_daily_inserted() returns trigger language plpgsql as $$
        declare
          x record;
        begin
          for x in select project_id, left(created_at, 10) as d, count(*) as n,
              count(*) filter (where subscribed) as s
            from roster_daily_new group by 1, 2
          loop
            perform ${add}(x.project_id, x.d, x.n, 0, x.s, 0);
          end loop;
          return null;
        end $$`.execute(db);
        await sql`create function roster_contacts_daily_deleted() returns trigger language plpgsql as $$
        declare
          x record;
        begin
          for x in select project_id, count(*) as n, count(*) filter (where subscribed) as s
            from roster_daily_old group by 1
          loop
            perform ${add}(x.project_id, to_char(now() at time zone 'utc', 'YYYY-MM-DD'), 0, x.n, -x.s, 0);
          end loop;
          return null;
        end $$`.execute(db);
        await sql`create function roster_contacts_daily_updated() returns trigger language plpgsql as $$
        declare
          x record;
        begin
          for x in select n.project_id, left(n.updated_at, 10) as d,
              sum(case when n.subscribed then 1 else -1 end) as s
            from roster_daily_new n join roster_daily_old o on o.id = n.id
            where n.subscribed <> o.subscribed group by 1, 2
          loop
            perform ${add}(x.project_id, x.d, 0, 0, x.s, 0);
          end loop;
          return null;
        end $$`.execute(db);
        await sql`create function roster_contacts_daily_truncated() returns trigger language plpgsql as $$
        begin
          delete from ${daily};
          return null;
        end $$`.execute(db);
        await sql`create trigger roster_contacts_daily_insert after insert on roster_contacts
          referencing new table as roster_daily_new
          for each statement execute function roster_contacts_daily_inserted()`.execute(db);
        await sql`create trigger roster_contacts_daily_delete after delete on roster_contacts
          referencing old table as roster_daily_old
          for each statement execute function roster_contacts_daily_deleted()`.execute(db);
        await sql`create trigger roster_contacts_daily_update after update on roster_contacts
          referencing old table as roster_daily_old new table as roster_daily_new
          for each statement execute function roster_contacts_daily_updated()`.execute(db);
        await sql`create trigger roster_contacts_daily_truncate after truncate on roster_contacts
          for each statement execute function roster_contacts_daily_truncated()`.execute(db);
      }
      // The backfill: creating the triggers waited for every writer of roster_contacts (PostgreSQL;
      // SQLite has one writer), and none commits before this migration, so the counts are exact.
      await sql`insert into roster_contact_daily (project_id, day, slot, added, removed, subscribed, imported)
        select project_id, substr(created_at, 1, 10), 0, count(*), 0,
          sum(case when subscribed then 1 else 0 end), 0
        from roster_contacts group by project_id, substr(created_at, 1, 10)`.execute(db);
    },
  };
}
