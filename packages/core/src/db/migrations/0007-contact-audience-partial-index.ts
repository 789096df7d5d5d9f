import { type Kysely, type Migration, sql } from 'kysely';

/**
 * FROZEN once shipped: never edit it (the schema snapshot test fails if its result changes): add a
 * new migration instead. It imports nothing but `kysely`.
 */

// Bytes on disk: the (project_id, audience_id, id) index of 0001 held an entry for every contact,
// ~95 bytes each on SQLite, though only contacts in an audience are ever looked up through it
// (`audience_id = ?` and `audience_id is not null`, both of which imply the partial index's
// condition on SQLite and PostgreSQL). Contacts without an audience now cost it nothing.
export const migration0007ContactAudiencePartialIndex: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.dropIndex('roster_contacts_project_audience_id').execute();
    await db.schema
      .createIndex('roster_contacts_project_audience_id')
      .on('roster_contacts')
      .columns(['project_id', 'audience_id', 'id'])
      .where(sql.ref('audience_id'), 'is not', null)
      .execute();
  },
};
