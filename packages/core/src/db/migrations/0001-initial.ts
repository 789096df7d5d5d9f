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

export function migration0001Initial(dialect: 'sqlite' | 'postgres'): Migration {
  const t = TYPES[dialect];
  return {
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

      const sqliteOnly = dialect === 'sqlite';
      let contacts = db.schema.createTable('roster_contacts');
      // SQLite: an INTEGER PRIMARY KEY (rowid alias) that VACUUM never renumbers, so the substring
      // index (FTS5, keyed by rowid) stays valid; the UUIDv7 id is then a unique key.
      // AUTOINCREMENT: a deleted contact's seq is never reused (the index's high-water mark relies on it).
      if (sqliteOnly) contacts = contacts.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement());
      await contacts
        .addColumn('id', 'text', (c) => (sqliteOnly ? c.notNull().unique() : c.primaryKey()))
        .addColumn('project_id', 'text', (c) =>
          c.notNull().references('roster_projects.id').onDelete('cascade'),
        )
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('subscribed', sql.raw(t.bool), (c) => c.notNull())
        .addColumn('data', sql.raw(t.json))
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
      // and the bookkeeping of the optional substring index (see contacts/sqlite-contact-index.ts). An upsert that
      // updates fires no insert trigger, so only real inserts and deletes count.
      if (sqliteOnly) {
        await sql`create table roster_contact_counts (
        project_id text primary key references roster_projects (id) on delete cascade,
        contacts integer not null
      )`.execute(db);
        await sql`create trigger roster_contacts_count_insert after insert on roster_contacts begin
        insert into roster_contact_counts (project_id, contacts) values (new.project_id, 1)
          on conflict (project_id) do update set contacts = contacts + 1;
      end`.execute(db);
        await sql`create trigger roster_contacts_count_delete after delete on roster_contacts begin
        update roster_contact_counts set contacts = contacts - 1 where project_id = old.project_id;
      end`.execute(db);
        // The substring index's high-water mark: contacts with seq <= indexed_seq are in the index.
        await sql`create table roster_search_state (
        id integer primary key check (id = 1),
        indexed_seq integer not null
      )`.execute(db);
      }

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
        .addColumn('bytes', sql.raw(t.blob), (c) => c.notNull())
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
        .addColumn('payload', sql.raw(t.json))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('run_at', 'text', (c) => c.notNull())
        .addColumn('locked_at', 'text')
        .addColumn('locked_by', 'text')
        .addColumn('progress', sql.raw(t.json))
        .addColumn('result', sql.raw(t.json))
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
  };
}
