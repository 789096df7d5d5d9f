import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { DialectInfo } from './dialect.js';
import { createSqliteContactCounts } from './search-index.js';

/**
 * Migrations are code, in order. Every table is prefixed `roster_` so roster can share a database
 * with the application that embeds it. Never edit a migration that has shipped: add one.
 */
function migrations(dialect: DialectInfo): Record<string, Migration> {
  return {
    '0001_initial': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('roster_projects')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('roster_api_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('project_id', 'text', (c) =>
            c.notNull().references('roster_projects.id').onDelete('cascade'),
          )
          .addColumn('key_hash', 'text', (c) => c.notNull().unique())
          .addColumn('prefix', 'text', (c) => c.notNull())
          .addColumn('last_four', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('revoked_at', 'text')
          .execute();
        await db.schema
          .createIndex('roster_api_keys_project')
          .on('roster_api_keys')
          .column('project_id')
          .execute();

        await db.schema
          .createTable('roster_audiences')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('project_id', 'text', (c) =>
            c.notNull().references('roster_projects.id').onDelete('cascade'),
          )
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('description', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('roster_audiences_project_id')
          .on('roster_audiences')
          .columns(['project_id', 'id'])
          .execute();

        const sqliteOnly = dialect.name === 'sqlite';
        let contacts = db.schema.createTable('roster_contacts');
        // SQLite: an INTEGER PRIMARY KEY (rowid alias) that VACUUM never renumbers, so the substring
        // index (FTS5, keyed by rowid) stays valid; the UUIDv7 id is then a unique key.
        // AUTOINCREMENT: a deleted contact's seq is never reused (the index's high-water mark relies on it).
        if (sqliteOnly)
          contacts = contacts.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement());
        await contacts
          .addColumn('id', 'text', (c) => (sqliteOnly ? c.notNull().unique() : c.primaryKey()))
          .addColumn('project_id', 'text', (c) =>
            c.notNull().references('roster_projects.id').onDelete('cascade'),
          )
          .addColumn('email', 'text', (c) => c.notNull())
          .addColumn('subscribed', sql.raw(dialect.boolType), (c) => c.notNull())
          .addColumn('data', sql.raw(dialect.jsonType))
          .addColumn('first_name', 'text')
          .addColumn('last_name', 'text')
          .addColumn('audience_id', 'text', (c) => c.references('roster_audiences.id').onDelete('set null'))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        // One contact per email per project; also serves email lookups.
        await db.schema
          .createIndex('roster_contacts_project_email')
          .on('roster_contacts')
          .columns(['project_id', 'email'])
          .unique()
          .execute();
        // Keyset and offset pages in creation order (ids are UUIDv7).
        await db.schema
          .createIndex('roster_contacts_project_id')
          .on('roster_contacts')
          .columns(['project_id', 'id'])
          .execute();
        await db.schema
          .createIndex('roster_contacts_project_audience_id')
          .on('roster_contacts')
          .columns(['project_id', 'audience_id', 'id'])
          .execute();
        // SQLite: per-project contact counts kept by triggers (an unfiltered `total` without a scan)
        // and the bookkeeping of the optional substring index (see db/search-index.ts).
        if (sqliteOnly) await createSqliteContactCounts(db);

        await db.schema
          .createTable('roster_files')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('project_id', 'text', (c) =>
            c.notNull().references('roster_projects.id').onDelete('cascade'),
          )
          .addColumn('name', 'text')
          .addColumn('size', 'bigint', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('roster_file_chunks')
          .addColumn('file_id', 'text', (c) => c.notNull().references('roster_files.id').onDelete('cascade'))
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addColumn('bytes', sql.raw(dialect.blobType), (c) => c.notNull())
          .addPrimaryKeyConstraint('roster_file_chunks_pk', ['file_id', 'seq'])
          .execute();

        await db.schema
          .createTable('roster_jobs')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('project_id', 'text', (c) =>
            c.notNull().references('roster_projects.id').onDelete('cascade'),
          )
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('payload', sql.raw(dialect.jsonType))
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('max_attempts', 'integer', (c) => c.notNull())
          .addColumn('run_at', 'text', (c) => c.notNull())
          .addColumn('locked_at', 'text')
          .addColumn('locked_by', 'text')
          .addColumn('progress', sql.raw(dialect.jsonType))
          .addColumn('result', sql.raw(dialect.jsonType))
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('roster_jobs_due')
          .on('roster_jobs')
          .columns(['status', 'run_at'])
          .execute();
      },
    },
    '0002_events_segments': {
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
          .addColumn('data', sql.raw(dialect.jsonType))
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
          .addColumn('condition', sql.raw(dialect.jsonType))
          .addColumn('track_membership', sql.raw(dialect.boolType), (c) => c.notNull())
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
    },
    // Sorted and filtered keyset pages (`contacts.list({ sort, dir, subscribed })`): each page
    // seeks to its cursor in one of these, so a deep page costs what the first one costs.
    // `email` order uses the unique (project_id, email) index of 0001.
    '0003_contact_list_order': {
      async up(db: Kysely<any>) {
        await db.schema
          .createIndex('roster_contacts_project_created')
          .on('roster_contacts')
          .columns(['project_id', 'created_at', 'id'])
          .execute();
        // Also counts one subscription state from the index alone.
        await db.schema
          .createIndex('roster_contacts_project_subscribed_created')
          .on('roster_contacts')
          .columns(['project_id', 'subscribed', 'created_at', 'id'])
          .execute();
      },
    },
  };
}

class InCodeProvider implements MigrationProvider {
  constructor(private readonly dialect: DialectInfo) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}

/** Brings the schema up to date. Safe to call on every start and from several processes. */
export async function migrateToLatest(db: Kysely<any>, dialect: DialectInfo): Promise<void> {
  // Kysely looks for its migration tables in every schema unless told which: on PostgreSQL pin them
  // to the schema roster works in, so another schema's roster (or a parallel test) is not mistaken for ours.
  const schema =
    dialect.name === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
      : undefined;
  const migrator = new Migrator({
    db,
    provider: new InCodeProvider(dialect),
    migrationTableName: 'roster_migrations',
    migrationLockTableName: 'roster_migrations_lock',
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  let { error, results } = await migrator.migrateToLatest();
  // Kysely checks for its migration table by introspecting every schema of the database, and that
  // query fails with invalid_schema_name (3F000) when another schema is dropped at the same moment
  // (parallel test runs, another app's deploy). Nothing was migrated then: try again.
  for (let retry = 0; retry < 5 && isOtherSchemaDropped(error, schema); retry++) {
    ({ error, results } = await migrator.migrateToLatest());
  }
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(
      `roster: database migration ${failed} failed: ${String((error as Error)?.message ?? error)}`,
      {
        cause: error,
      },
    );
  }
}

function isOtherSchemaDropped(error: unknown, ours: string | undefined): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === '3F000' && typeof message === 'string' && !(ours && message.includes(`"${ours}"`));
}
