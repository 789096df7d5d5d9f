import type { Kysely } from 'kysely';
import { createContactService } from './contacts/contact-service.js';
import { isPostgresUrl, openSqlite } from './db/connection.js';
import { type DialectInfo, detectDialect, dialectFor } from './db/dialect.js';
import { migrateToLatest } from './db/migrations.js';
import type { Database } from './db/schema.js';
import { type ResolvedRosterOptions, type RosterOptions, resolveOptions } from './options.js';
import { createKeyService, createProjectService } from './projects/project-service.js';

export interface Roster {
  readonly options: ResolvedRosterOptions;
  /** The Kysely instance roster works on (for advanced use and tests). */
  readonly db: Kysely<Database>;
  readonly dialect: DialectInfo;
  readonly projects: ReturnType<typeof createProjectService>;
  readonly keys: ReturnType<typeof createKeyService>;
  readonly contacts: ReturnType<typeof createContactService>;
  /** Closes the database if roster opened it. Idempotent. */
  close(): Promise<void>;
}

/**
 * Creates a roster: opens (or adopts) the database, migrates it, and returns the services.
 *
 * ```ts
 * const roster = await createRoster({ database: './roster.db' });
 * const project = await roster.projects.ensure('default');
 * await roster.contacts.upsert(project.id, { email: 'ada@example.com', data: { plan: 'pro' } });
 * ```
 */
export async function createRoster(options: RosterOptions = {}): Promise<Roster> {
  const resolved = resolveOptions(options);
  let db: Kysely<Database>;
  let owned: boolean;
  let dialect: DialectInfo;
  if (typeof resolved.database === 'string') {
    if (isPostgresUrl(resolved.database)) {
      throw new Error(
        'roster: PostgreSQL URLs are not supported yet; pass a SQLite path or a Kysely instance',
      );
    }
    ({ db, owned } = openSqlite(resolved.database));
    dialect = dialectFor('sqlite');
  } else {
    db = resolved.database as Kysely<Database>;
    owned = false;
    dialect = detectDialect(db);
  }
  if (resolved.migrate) await migrateToLatest(db as Kysely<any>, dialect);

  const clock = resolved.clock;
  let closed = false;
  return {
    options: resolved,
    db,
    dialect,
    projects: createProjectService(db, clock),
    keys: createKeyService(db, clock),
    contacts: createContactService(db, dialect, clock),
    async close() {
      if (closed) return;
      closed = true;
      if (owned) await db.destroy();
    },
  };
}
