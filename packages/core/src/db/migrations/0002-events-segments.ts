import { type Kysely, type Migration, sql } from 'kysely';

/**
 * FROZEN: this migration has shipped. Never edit it (the schema snapshot test fails if its result
 * changes): add a new migration instead. It imports nothing but `kysely` and inlines every
 * dialect-specific type, so later changes to living code cannot change what it creates.
 */

const TYPES = {
  sqlite: { json: 'text', bool: 'integer', blob: 'blob' },
  postgres: { json: 'jsonb', bool: 'boolean', blob: 'bytea' },
} as const;

export function migration0002EventsSegments(dialect: 'sqlite' | 'postgres'): Migration {
  const t = TYPES[dialect];
  return {
    async up(db: Kysely<any>) {
      // Events sent with POST /v1/track (and those roster records itself), deleted with their contact.
      await db.schema
        .createTable('roster_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) =>
          c.notNull().references('roster_projects.id').onDelete('cascade'),
        )
        .addColumn('contact_id', 'text', (c) =>
          c.notNull().references('roster_contacts.id').onDelete('cascade'),
        )
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('data', sql.raw(t.json))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      // event.<name> filters: "has this contact had event X (since T)?" is one index probe.
      await db.schema
        .createIndex('roster_events_contact_name')
        .on('roster_events')
        .columns(['contact_id', 'name', 'created_at'])
        .execute();

      // Idempotency-Key claims of POST /v1/track, per project (Plunk's model).
      await db.schema
        .createTable('roster_idempotency_keys')
        .addColumn('project_id', 'text', (c) =>
          c.notNull().references('roster_projects.id').onDelete('cascade'),
        )
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('roster_idempotency_keys_pk', ['project_id', 'key'])
        .execute();
      await db.schema
        .createIndex('roster_idempotency_keys_expiry')
        .on('roster_idempotency_keys')
        .column('expires_at')
        .execute();

      await db.schema
        .createTable('roster_segments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) =>
          c.notNull().references('roster_projects.id').onDelete('cascade'),
        )
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('condition', sql.raw(t.json))
        .addColumn('track_membership', sql.raw(t.bool), (c) => c.notNull())
        .addColumn('member_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('roster_segments_project')
        .on('roster_segments')
        .columns(['project_id', 'created_at'])
        .execute();

      // STATIC members and the last computed members of trackMembership segments; leaving sets exited_at.
      await db.schema
        .createTable('roster_segment_members')
        .addColumn('segment_id', 'text', (c) =>
          c.notNull().references('roster_segments.id').onDelete('cascade'),
        )
        .addColumn('contact_id', 'text', (c) =>
          c.notNull().references('roster_contacts.id').onDelete('cascade'),
        )
        .addColumn('entered_at', 'text', (c) => c.notNull())
        .addColumn('exited_at', 'text')
        .addPrimaryKeyConstraint('roster_segment_members_pk', ['segment_id', 'contact_id'])
        .execute();
      await db.schema
        .createIndex('roster_segment_members_contact')
        .on('roster_segment_members')
        .column('contact_id')
        .execute();
    },
  };
}
