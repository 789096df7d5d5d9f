import type { Kysely, Migration } from 'kysely';

/**
 * FROZEN once shipped: never edit it (the schema snapshot test fails if its result changes): add a
 * new migration instead. It imports nothing but `kysely`.
 */

// Consent: per project the signing secret of the public links (with the previous one during a
// rotation's grace period) and how the public pages show the project (name, logo); per contact
// its double opt-in state (`pending` until confirmed, then `confirmed`). Rows go with the
// project and with the contact (foreign keys, cascade).
export const migration0013Consent: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('roster_consent_settings')
      .addColumn('project_id', 'text', (c) =>
        c.primaryKey().references('roster_projects.id').onDelete('cascade'),
      )
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('previous_secret', 'text')
      .addColumn('previous_secret_expires_at', 'text')
      .addColumn('display_name', 'text')
      .addColumn('logo_url', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('roster_contact_consent')
      .addColumn('contact_id', 'text', (c) =>
        c.primaryKey().references('roster_contacts.id').onDelete('cascade'),
      )
      .addColumn('project_id', 'text', (c) =>
        c.notNull().references('roster_projects.id').onDelete('cascade'),
      )
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('requested_at', 'text')
      .addColumn('confirmed_at', 'text')
      .addColumn('redirect_url', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
};
