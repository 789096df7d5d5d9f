import { type Kysely, type Migration, sql } from 'kysely';

/**
 * FROZEN: this migration has shipped. Never edit it (the schema snapshot test fails if its result
 * changes): add a new migration instead. It imports nothing but `kysely` and inlines every
 * dialect-specific type, so later changes to living code cannot change what it creates.
 */

// PostgreSQL: each project's contact count, spread over slot rows that are summed on read (SQLite
// keeps one row per project since 0001: it has one writer at a time). Statement-level triggers
// with transition tables add each INSERT's and DELETE's net change per project in the same
// transaction (an upsert that updates inserts nothing and counts nothing), so every path that
// writes `roster_contacts` is counted, raw SQL, TRUNCATE and a deleted project's cascade included.
//
// A writer takes a slot row nobody else holds (`FOR UPDATE SKIP LOCKED`; its own locked slot
// included), or adds a new one when all are held: concurrent writers of one project never wait
// for each other, and a project has at most as many slots as it ever had concurrent writers
// (contacts/postgres-contact-index.ts folds them back into one).
export function migration0006PostgresContactCounts(dialect: 'sqlite' | 'postgres'): Migration {
  return {
    async up(db: Kysely<any>) {
      if (dialect !== 'postgres') return;
      await sql`create table roster_contact_count_slots (
        project_id text not null references roster_projects (id) on delete cascade,
        slot integer not null,
        contacts bigint not null,
        primary key (project_id, slot)
      )`.execute(db);
      // The function names its tables with the schema they are created in, so writers whose
      // search_path differs (an app writing `schema.roster_contacts`) count into the right table,
      // without the cost of a SET clause on every call.
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
      const slots = sql.table(`${rows[0]!.schema}.roster_contact_count_slots`);
      const projects = sql.table(`${rows[0]!.schema}.roster_projects`);
      // One function for both triggers: they name their transition table alike, and pass the sign.
      // Per project changed: add to a slot no other transaction holds (its own included), else
      // to a new slot at a random number (two writers adding one at once do not collide); a
      // project deleted in this statement (the cascade deleting its contacts) gets none.
      await sql`create function roster_contacts_count_changed() returns trigger language plpgsql as $$
      declare
        r record;
        s integer;
      begin
        for r in select project_id, count(*) * tg_argv[0]::bigint as n
          from roster_changed_contacts group by project_id
        loop
          select slot into s from ${slots} where project_id = r.project_id limit 1 for update skip locked;
          if found then
            update ${slots} set contacts = contacts + r.n where project_id = r.project_id and slot = s;
          else
            insert into ${slots} (project_id, slot, contacts)
              select r.project_id, floor(random() * 2147483647)::integer, r.n
              where exists (select 1 from ${projects} where id = r.project_id)
              on conflict (project_id, slot) do update set contacts = ${slots}.contacts + excluded.contacts;
          end if;
        end loop;
        return null;
      end $$`.execute(db);
      await sql`create trigger roster_contacts_count_insert after insert on roster_contacts
        referencing new table as roster_changed_contacts
        for each statement execute function roster_contacts_count_changed('1')`.execute(db);
      await sql`create trigger roster_contacts_count_delete after delete on roster_contacts
        referencing old table as roster_changed_contacts
        for each statement execute function roster_contacts_count_changed('-1')`.execute(db);
      // TRUNCATE fires no delete trigger: it empties the counts too.
      await sql`create function roster_contacts_count_truncated() returns trigger language plpgsql as $$
      begin
        delete from ${slots};
        return null;
      end $$`.execute(db);
      await sql`create trigger roster_contacts_count_truncate after truncate on roster_contacts
        for each statement execute function roster_contacts_count_truncated()`.execute(db);
      // Creating the triggers waited for every writer of roster_contacts to commit, and no new
      // one can commit before this migration: the count below is exact.
      await sql`insert into roster_contact_count_slots (project_id, slot, contacts)
        select project_id, 0, count(*) from roster_contacts group by project_id`.execute(db);
    },
  };
}
