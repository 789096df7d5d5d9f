import type { Kysely, Migration } from 'kysely';

/**
 * FROZEN once shipped: never edit it (the schema snapshot test fails if its result changes): add a
 * new migration instead. It imports nothing but `kysely`.
 */

// A project's recent jobs of some types (the dashboard's Jobs page: imports and bulk jobs, polled
// every second while one runs) were found by scanning every job of every type: with webhook
// deliveries also stored as jobs, 300 k of them made that list cost ~240 ms per call. The index
// answers `project_id = ? and type in (...) order by id desc limit n` from the matching rows only.
export const migration0009JobsProjectTypeIndex: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createIndex('roster_jobs_project_type_id')
      .on('roster_jobs')
      .columns(['project_id', 'type', 'id'])
      .execute();
  },
};
