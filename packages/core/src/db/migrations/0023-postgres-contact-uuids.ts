import { type Kysely, type Migration, sql } from 'kysely';

/**
 * FROZEN once shipped: never edit it (the schema snapshot test fails if its result changes): add a
 * new migration instead. It imports nothing but `kysely`.
 */

// Bytes on disk (PostgreSQL): `roster_contacts.id` held the contact's UUID as 36 characters of
// text (37 bytes with its header) in the table, in its primary key and in three more indexes of
// the table, and again in every row that names the contact: events, STATIC segment memberships,
// topic choices and double opt-in states (each with its index). It is now a `uuid`: 16 bytes,
// everywhere. The API reads and writes the same text: PostgreSQL writes a uuid out as lowercase
// canonical text, which is the only form roster makes (`uuidv7()`), and an id from outside that is
// not of that form reaches no SQL (`isContactId`, ids.ts), as no stored id could have matched it.
//
// Every id roster writes is a lowercase canonical UUID, so the conversion is exact. An id of any
// other form (written by hand) is refused before anything changes: the error names the contact and
// the value, to be corrected and the start tried again. The order is unchanged: a uuid orders by its
// bytes, which is the order of its lowercase hex text (the keyset pages by id stay the same).
//
// `ALTER COLUMN ... TYPE uuid USING` rewrites each table once and rebuilds its indexes. The
// foreign keys naming `roster_contacts.id` are dropped first (their types must match) and added
// again with the same names and rules once every column is converted. Kysely runs PostgreSQL's
// migrations in one transaction, so a failure leaves the database as it was; the tables are locked
// (ACCESS EXCLUSIVE) until it commits. An already converted column is recognised and left alone.
// `roster_outbox.contact_id` stays text: it is never joined with a contact and outlives it.
//
// SQLite has no uuid type (its ids stay text): nothing.
const REFERENCING = [
  'roster_events',
  'roster_segment_members',
  'roster_contact_topics',
  'roster_contact_consent',
] as const;

export function migration0023PostgresContactUuids(dialect: 'sqlite' | 'postgres'): Migration {
  return {
    async up(db: Kysely<any>) {
      if (dialect !== 'postgres') return;
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
      const schema = rows[0]!.schema;
      const column = await sql<{ type: string }>`select data_type as type from information_schema.columns
        where table_schema = ${schema} and table_name = 'roster_contacts' and column_name = 'id'`.execute(db);
      if (column.rows[0]?.type === 'uuid') return;

      await refuseOtherForms(db);
      const keys = await sql<{ table: string; name: string; definition: string }>`
        select c.conrelid::regclass::text as table, c.conname as name, pg_get_constraintdef(c.oid) as definition
        from pg_constraint c
        where c.contype = 'f' and c.confrelid = ${`${schema}.roster_contacts`}::regclass
        order by 1, 2`.execute(db);
      for (const key of keys.rows) {
        await sql`alter table ${sql.raw(key.table)} drop constraint ${sql.id(key.name)}`.execute(db);
      }
      await sql`alter table roster_contacts alter column id type uuid using id::uuid`.execute(db);
      for (const table of REFERENCING) {
        await sql`alter table ${sql.id(table)} alter column contact_id type uuid using contact_id::uuid`.execute(
          db,
        );
      }
      for (const key of keys.rows) {
        await sql`alter table ${sql.raw(key.table)} add constraint ${sql.id(key.name)} ${sql.raw(key.definition)}`.execute(
          db,
        );
      }
    },
  };
}

/** Refuses (naming the first such contact) an id that is not a lowercase canonical UUID. */
async function refuseOtherForms(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ id: string; email: string }>`
    select id, email from roster_contacts
    where id !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
    limit 1`.execute(db);
  const row = rows[0];
  if (!row) return;
  throw new Error(
    `roster_contacts row ${JSON.stringify(row.id)} (${row.email}) has an id that is not a UUID as roster writes it ` +
      '(lowercase, 8-4-4-4-12 hex digits): give that contact such an id (in every table that names it) and start again',
  );
}
