import { sql } from 'kysely';
import { countContacts } from '../contacts/contact-repository.js';
import type { ContactIndex } from './contact-index.js';
import { dialectFor } from './dialect.js';

/**
 * PostgreSQL's contact index:
 *
 * - substring search: a `pg_trgm` GIN index lets `email LIKE '%term%'` use an index, so search
 *   never asks for candidates (the planner picks index or scan). Created on every start outside
 *   the migration transaction, so a missing privilege cannot abort it: without it, search scans.
 * - counts: `count(*)` over the project's index.
 */
export function postgresContactIndex(): ContactIndex {
  return {
    async prepare(db, warn) {
      try {
        await sql`create extension if not exists pg_trgm`.execute(db);
        await sql`create index if not exists roster_contacts_email_trgm on roster_contacts using gin (email gin_trgm_ops)`.execute(
          db,
        );
        return true;
      } catch (error) {
        warn(
          `roster: pg_trgm is not available (${(error as Error).message}); email search will scan instead of using an index`,
        );
        return false;
      }
    },
    countAll: (db, projectId) => countContacts(db, dialectFor('postgres'), projectId),
    search: async () => null,
    afterImportBatch: async () => {},
  };
}
