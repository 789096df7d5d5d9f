import type { Kysely, Migration } from 'kysely';

/**
 * FROZEN once shipped: never edit it (the schema snapshot test fails if its result changes): add a
 * new migration instead. It imports nothing but `kysely`.
 */

// Suppressions: per project, the addresses that may not become subscribed. Each is keyed by a keyed
// hash of the normalised address (HMAC-SHA256 with the project's `hash_key`), so an erasure can leave
// a suppression without the address itself (`email` null). The settings row holds that key and the
// credentials of the bounce and complaint webhooks (Resend's signing secret, Postmark's basic auth).
export const migration0014Suppressions: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('roster_suppression_settings')
      .addColumn('project_id', 'text', (c) =>
        c.primaryKey().references('roster_projects.id').onDelete('cascade'),
      )
      .addColumn('hash_key', 'text', (c) => c.notNull())
      .addColumn('resend_secret', 'text')
      .addColumn('postmark_user', 'text')
      .addColumn('postmark_password', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('roster_suppressions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('project_id', 'text', (c) =>
        c.notNull().references('roster_projects.id').onDelete('cascade'),
      )
      .addColumn('email_hash', 'text', (c) => c.notNull())
      .addColumn('email', 'text')
      .addColumn('origin', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('roster_suppressions_hash')
      .on('roster_suppressions')
      .columns(['project_id', 'email_hash'])
      .unique()
      .execute();
    await db.schema
      .createIndex('roster_suppressions_project')
      .on('roster_suppressions')
      .columns(['project_id', 'id'])
      .execute();
  },
};
