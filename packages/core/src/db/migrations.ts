import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { type RosterLogger, silentLogger } from '../logger.js';
import type { DialectInfo } from './dialect.js';
import { migration0001Initial } from './migrations/0001-initial.js';
import { migration0002EventsSegments } from './migrations/0002-events-segments.js';
import { migration0003ContactListOrder } from './migrations/0003-contact-list-order.js';
import { migration0004Outbox } from './migrations/0004-outbox.js';
import { migration0005Webhooks } from './migrations/0005-webhooks.js';
import { migration0006PostgresContactCounts } from './migrations/0006-postgres-contact-counts.js';
import { migration0007ContactAudiencePartialIndex } from './migrations/0007-contact-audience-partial-index.js';
import { migration0009JobsProjectTypeIndex } from './migrations/0009-jobs-project-type-index.js';
import { migration0010JobsQueuedIndex } from './migrations/0010-jobs-queued-index.js';
import { migration0011ContactProperties } from './migrations/0011-contact-properties.js';
import { migration0012Topics } from './migrations/0012-topics.js';
import { migration0013Consent } from './migrations/0013-consent.js';
import { migration0014Suppressions } from './migrations/0014-suppressions.js';
import { migration0015AuditLog } from './migrations/0015-audit-log.js';
import { migration0016RateLimitBuckets } from './migrations/0016-rate-limit-buckets.js';
import { migration0017MigrationCheckpoints } from './migrations/0017-migration-checkpoints.js';
import { migration0019ContactDailyCounts } from './migrations/0019-contact-daily-counts.js';
import { migration0020ContactProjectKeys } from './migrations/0020-contact-project-keys.js';
import { migration0021PostgresContactProjectKeys } from './migrations/0021-postgres-contact-project-keys.js';
import { migration0022ContactTimes } from './migrations/0022-contact-times.js';
import { migration0023PostgresContactUuids } from './migrations/0023-postgres-contact-uuids.js';
import { migration0024SqliteContactRowidIndexes } from './migrations/0024-sqlite-contact-rowid-indexes.js';
import { migration0025SqliteContactIdBlobs } from './migrations/0025-sqlite-contact-id-blobs.js';

/**
 * Migrations are code, in order, one frozen file each in `migrations/` (only `kysely` imports).
 * Every table is prefixed `roster_` so roster can share a database with the application that
 * embeds it. Never edit a migration that has shipped: add one (the schema snapshot test,
 * db/schema-snapshot.test.ts, fails when the migrated schema changes).
 */
export function migrationsOf(dialect: DialectInfo): Record<string, Migration> {
  return {
    '0001_initial': migration0001Initial(dialect.name),
    '0002_events_segments': migration0002EventsSegments(dialect.name),
    '0003_contact_list_order': migration0003ContactListOrder,
    '0004_outbox': migration0004Outbox(dialect.name),
    '0005_webhooks': migration0005Webhooks(dialect.name),
    '0006_postgres_contact_counts': migration0006PostgresContactCounts(dialect.name),
    '0007_contact_audience_partial_index': migration0007ContactAudiencePartialIndex,
    '0009_jobs_project_type_index': migration0009JobsProjectTypeIndex,
    '0010_jobs_queued_index': migration0010JobsQueuedIndex,
    '0011_contact_properties': migration0011ContactProperties(dialect.name),
    '0012_topics': migration0012Topics,
    '0013_consent': migration0013Consent,
    '0014_suppressions': migration0014Suppressions,
    '0015_audit_log': migration0015AuditLog(dialect.name),
    '0016_rate_limit_buckets': migration0016RateLimitBuckets(dialect.name),
    '0017_migration_checkpoints': migration0017MigrationCheckpoints,
    '0019_contact_daily_counts': migration0019ContactDailyCounts(dialect.name),
    '0020_contact_project_keys': migration0020ContactProjectKeys(dialect.name),
    '0021_postgres_contact_project_keys': migration0021PostgresContactProjectKeys(dialect.name),
    '0022_contact_times': migration0022ContactTimes(dialect.name),
    '0023_postgres_contact_uuids': migration0023PostgresContactUuids(dialect.name),
    '0024_sqlite_contact_rowid_indexes': migration0024SqliteContactRowidIndexes(dialect.name),
    '0025_sqlite_contact_id_blobs': migration0025SqliteContactIdBlobs(dialect.name),
  };
}

/** The names of the migrations this build runs on `dialect`, as `roster_migrations` records them. */
export function migrationNames(dialect: DialectInfo): string[] {
  return Object.keys(migrationsOf(dialect));
}

class InCodeProvider implements MigrationProvider {
  constructor(private readonly dialect: DialectInfo) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrationsOf(this.dialect);
  }
}

/** Brings the schema up to date. Safe to call on every start and from several processes. */
export async function migrateToLatest(
  db: Kysely<any>,
  dialect: DialectInfo,
  logger: RosterLogger = silentLogger,
): Promise<void> {
  // Kysely looks for its migration tables in every schema unless told which: on PostgreSQL pin them
  // to the schema roster works in, so another schema's roster (or a parallel test) is not mistaken for ours.
  const schema =
    dialect.name === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
      : undefined;
  const migrator = new Migrator({
    db,
    provider: new InCodeProvider(dialect),
    migrationTableName: 'roster_migrations',
    migrationLockTableName: 'roster_migrations_lock',
    // Each migration stands on its own; a database migrated by a build that lacked one in the
    // middle (numbers are reserved ahead, features land in any order) gets it on the next start.
    allowUnorderedMigrations: true,
    // Names start with a distinct 4-digit number: plain code-unit order is the same order as
    // Kysely's default (`localeCompare`), without loading ICU's collation data (~3 MB of RSS).
    nameComparator: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  let { error, results } = await migrator.migrateToLatest();
  // Kysely checks for its migration table by introspecting every schema of the database, and that
  // query fails (invalid_schema_name, undefined_table or undefined_column on another schema's
  // objects, or an internal error naming a dropped relation's OID) when another schema is dropped
  // at the same moment (parallel test runs, another app's deploy). It fails before running any
  // migration (no results): try again.
  for (let retry = 0; retry < 5 && results === undefined && isOtherSchemaDropped(error, schema); retry++) {
    ({ error, results } = await migrator.migrateToLatest());
  }
  for (const result of results ?? []) {
    if (result.status === 'Success') logger.info({ migration: result.migrationName }, 'migration applied');
  }
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    logger.error({ migration: failed }, 'migration failed');
    throw new Error(
      `roster: database migration ${failed} failed: ${String((error as Error)?.message ?? error)}`,
      {
        cause: error,
      },
    );
  }
}

function isOtherSchemaDropped(error: unknown, ours: string | undefined): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (
    typeof message !== 'string' ||
    (ours && (message.includes(`"${ours}"`) || message.includes(`"${ours}.`)))
  )
    return false;
  if (code === '3F000' || code === '42P01' || code === '42703') return true;
  // The same race met inside the catalog scan (e.g. by a parallel worker): a dropped relation's OID.
  return (
    code === 'XX000' && /could not open relation with OID|cache lookup failed for relation/.test(message)
  );
}
