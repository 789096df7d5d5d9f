import type { Kysely, Migration } from 'kysely';

/**
 * FROZEN once shipped: never edit it (the schema snapshot test fails if its result changes): add a
 * new migration instead. It imports nothing but `kysely`.
 */

// Topics (Resend's): per project, each with a default subscription, and each contact's explicit
// subscription per topic. A contact without a row has the topic's default. Rows go with the
// contact and with the topic (foreign keys, cascade).
export const migration0012Topics: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('roster_topics')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('project_id', 'text', (c) =>
        c.notNull().references('roster_projects.id').onDelete('cascade'),
      )
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('default_subscription', 'text', (c) => c.notNull())
      .addColumn('visibility', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('roster_topics_project')
      .on('roster_topics')
      .columns(['project_id', 'id'])
      .execute();

    await db.schema
      .createTable('roster_contact_topics')
      .addColumn('project_id', 'text', (c) =>
        c.notNull().references('roster_projects.id').onDelete('cascade'),
      )
      .addColumn('contact_id', 'text', (c) =>
        c.notNull().references('roster_contacts.id').onDelete('cascade'),
      )
      .addColumn('topic_id', 'text', (c) => c.notNull().references('roster_topics.id').onDelete('cascade'))
      .addColumn('subscription', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('roster_contact_topics_pk', ['contact_id', 'topic_id'])
      .execute();
    // Filters test one topic over many contacts; topic deletes cascade through it.
    await db.schema
      .createIndex('roster_contact_topics_topic')
      .on('roster_contact_topics')
      .columns(['topic_id', 'contact_id'])
      .execute();
  },
};
