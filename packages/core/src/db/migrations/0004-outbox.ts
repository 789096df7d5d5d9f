import { type Kysely, type Migration, sql } from 'kysely';

/**
 * FROZEN once shipped: never edit it (the schema snapshot test fails if its result changes): add a
 * new migration instead. It imports nothing but `kysely` and inlines every dialect-specific type,
 * so later changes to living code cannot change what it creates.
 */

const TYPES = {
  sqlite: { json: 'text', seq: 'integer' },
  postgres: { json: 'jsonb', seq: 'bigserial' },
} as const;

/**
 * The transactional outbox of change events (`changes/`): every write to contacts appends its
 * events here in the same transaction, and consumers (webhooks, in-process subscribers) read them
 * in `seq` order past a cursor kept in `roster_outbox_consumers`.
 */
export function migration0004Outbox(dialect: 'sqlite' | 'postgres'): Migration {
  const t = TYPES[dialect];
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('roster_outbox')
        // SQLite: AUTOINCREMENT, so a seq is never reused after the newest rows are deleted.
        .addColumn('seq', sql.raw(t.seq), (c) =>
          dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
        )
        // The event's stable id (`evt_…`), the Standard Webhooks `webhook-id` of its deliveries.
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('project_id', 'text', (c) => c.notNull())
        // An event type, or `batch` for a row holding many contacts' events (imports, bulk, segments).
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('contact_id', 'text')
        .addColumn('data', sql.raw(t.json), (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      // A project's events in order (`roster.changes.list`).
      await db.schema
        .createIndex('roster_outbox_project_seq')
        .on('roster_outbox')
        .columns(['project_id', 'seq'])
        .execute();
      await db.schema
        .createTable('roster_outbox_consumers')
        .addColumn('name', 'text', (c) => c.primaryKey())
        // Every row with `seq <= last_seq` was handled, in the transaction that moved it.
        .addColumn('last_seq', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
