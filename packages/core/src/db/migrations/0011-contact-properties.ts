import { type Kysely, type Migration, sql } from 'kysely';

/**
 * FROZEN once shipped: never edit it (the schema snapshot test fails if its result changes): add a
 * new migration instead. It imports nothing but `kysely` and inlines every dialect-specific type.
 */

const TYPES = {
  sqlite: { json: 'text' },
  postgres: { json: 'jsonb' },
} as const;

// Declared contact properties (Resend's contact properties): per project a key, its type
// ('string' | 'number') and a fallback value. The values themselves live in roster_contacts.data
// under the key. Writes look a project's declared keys up by (project_id, key): the unique index.
export function migration0011ContactProperties(dialect: 'sqlite' | 'postgres'): Migration {
  const t = TYPES[dialect];
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('roster_contact_properties')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) =>
          c.notNull().references('roster_projects.id').onDelete('cascade'),
        )
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        // JSON: a string or a number of the declared type, or null for none.
        .addColumn('fallback_value', sql.raw(t.json))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('roster_contact_properties_project_key')
        .on('roster_contact_properties')
        .columns(['project_id', 'key'])
        .unique()
        .execute();
    },
  };
}
