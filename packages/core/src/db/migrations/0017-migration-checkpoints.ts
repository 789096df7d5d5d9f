import type { Kysely, Migration } from 'kysely';

/**
 * FROZEN once shipped: never edit it (the schema snapshot test fails if its result changes): add a
 * new migration instead. It imports nothing but `kysely`.
 */

// Checkpoints of `roster migrate` (migrate/): per target project and source (provider, base URL
// and a hash of the key, never the key), where the last run stopped (`position`, JSON text of
// the source's own paging position), what it counted so far (`counts`, JSON text) and whether it
// finished (`state`: running | completed). An interrupted run continues from `position`.
export const migration0017MigrationCheckpoints: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('roster_migration_checkpoints')
      .addColumn('project_id', 'text', (c) =>
        c.notNull().references('roster_projects.id').onDelete('cascade'),
      )
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('position', 'text')
      .addColumn('counts', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('roster_migration_checkpoints_pk', ['project_id', 'source'])
      .execute();
  },
};
