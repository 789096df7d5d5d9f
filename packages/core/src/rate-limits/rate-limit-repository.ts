import { sql } from 'kysely';
import type { Db } from '../db/schema.js';

export interface BucketTake {
  /** Tokens left after this take (fractional). */
  tokens: number;
  /** Whether this take got a token. */
  allowed: boolean;
}

/**
 * Refills `project`'s `bucket` up to `nowMs` and takes one token if there is one, in one atomic
 * upsert (`INSERT … ON CONFLICT DO UPDATE … RETURNING`): concurrent requests of every process on the
 * database serialise on the row, so together they never take more than the bucket gives. A clock
 * behind the stored one refills nothing (it never takes tokens back).
 */
export async function takeToken(
  db: Db,
  projectId: string,
  bucket: string,
  burst: number,
  perSecond: number,
  nowMs: number,
): Promise<BucketTake> {
  const now = sql`cast(${nowMs} as bigint)`;
  const rate = sql`cast(${perSecond} as double precision)`;
  const cap = sql`cast(${burst} as double precision)`;
  const elapsed = sql`(case when ${now} > roster_rate_limit_buckets.updated_ms then ${now} - roster_rate_limit_buckets.updated_ms else 0 end)`;
  const grown = sql`(roster_rate_limit_buckets.tokens + ${elapsed} * ${rate} / 1000.0)`;
  const refilled = sql`(case when ${grown} > ${cap} then ${cap} else ${grown} end)`;
  const row = await db
    .insertInto('roster_rate_limit_buckets')
    .values({ project_id: projectId, bucket, tokens: burst - 1, updated_ms: nowMs, allowed: 1 })
    .onConflict((oc) =>
      oc.columns(['project_id', 'bucket']).doUpdateSet({
        tokens: sql`case when ${refilled} >= 1 then ${refilled} - 1 else ${refilled} end`,
        updated_ms: sql`case when ${now} > roster_rate_limit_buckets.updated_ms then ${now} else roster_rate_limit_buckets.updated_ms end`,
        allowed: sql`case when ${refilled} >= 1 then 1 else 0 end`,
      }),
    )
    .returning(['tokens', 'allowed'])
    .executeTakeFirstOrThrow();
  return { tokens: Number(row.tokens), allowed: Number(row.allowed) === 1 };
}
