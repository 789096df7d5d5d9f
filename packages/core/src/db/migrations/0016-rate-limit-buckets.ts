import { type Kysely, type Migration, sql } from 'kysely';

/**
 * FROZEN once shipped: never edit it (the schema snapshot test fails if its result changes): add a
 * new migration instead. It imports nothing but `kysely`.
 */

// Token buckets of the opt-in rate limits, one row per project and bucket, shared by every process
// on the database: each request refills and takes in one atomic upsert. `tokens` is fractional;
// `updated_ms` is the epoch millisecond of the last refill; `allowed` says whether the last take
// got a token (read back with RETURNING).
export function migration0016RateLimitBuckets(dialect: 'sqlite' | 'postgres'): Migration {
  const real = dialect === 'sqlite' ? 'real' : 'double precision';
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('roster_rate_limit_buckets')
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('bucket', 'text', (c) => c.notNull())
        .addColumn('tokens', sql.raw(real), (c) => c.notNull())
        .addColumn('updated_ms', 'bigint', (c) => c.notNull())
        .addColumn('allowed', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('roster_rate_limit_buckets_pk', ['project_id', 'bucket'])
        .execute();
    },
  };
}
