import { type Kysely, type Migration, sql } from 'kysely';

/**
 * FROZEN once shipped: never edit it (the schema snapshot test fails if its result changes): add a
 * new migration instead. It imports nothing but `kysely`.
 */

const types = {
  sqlite: { json: 'text' },
  postgres: { json: 'jsonb' },
} as const;

// The audit log: administrative actions of a project (keys, webhooks, bulk deletes, exports, ...),
// append-only. The id is a UUIDv7, so it orders the entries by time; entries older than the
// retention are deleted by a periodic job.
export function migration0015AuditLog(dialect: 'sqlite' | 'postgres'): Migration {
  const t = types[dialect];
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('roster_audit_log')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) =>
          c.notNull().references('roster_projects.id').onDelete('cascade'),
        )
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text')
        .addColumn('detail', sql.raw(t.json))
        .execute();
      await db.schema
        .createIndex('roster_audit_log_project')
        .on('roster_audit_log')
        .columns(['project_id', 'id'])
        .execute();
    },
  };
}
