import type { Kysely, Migration } from 'kysely';

/**
 * FROZEN: this migration has shipped. Never edit it (the schema snapshot test fails if its result
 * changes): add a new migration instead. It imports nothing but `kysely` and inlines every
 * dialect-specific type, so later changes to living code cannot change what it creates.
 */

// Sorted and filtered keyset pages (`contacts.list({ sort, dir, subscribed })`): each page
// seeks to its cursor in one of these, so a deep page costs what the first one costs.
// `email` order uses the unique (project_id, email) index of 0001.
export const migration0003ContactListOrder: Migration = {
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
};
