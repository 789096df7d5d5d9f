import type { ExpressionBuilder, Insertable, UpdateObject } from 'kysely';
import { sql } from 'kysely';
import type { DialectInfo } from '../db/dialect.js';
import type { Database, Db, JobRow, JobsTable } from '../db/schema.js';

/**
 * The job table's statements, one each. Every change to a claimed job is conditioned on
 * `locked_by`, so a worker that lost its lock (released as stale) cannot overwrite the new owner.
 */

export async function insertJob(db: Db, row: Insertable<JobsTable>): Promise<void> {
  await db.insertInto('roster_jobs').values(row).execute();
}

/** Inserts several jobs in one statement. */
export async function insertJobs(db: Db, rows: Insertable<JobsTable>[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('roster_jobs').values(rows).execute();
}

/**
 * Tells other processes' runners that jobs were queued (on `db`'s transaction, if it is one: they
 * hear it when it commits). Nothing where the dialect has no notifications.
 */
export async function notifyJobsQueued(db: Db, dialect: DialectInfo): Promise<void> {
  const statement = dialect.jobsQueuedNotification();
  if (statement) await statement.execute(db);
}

/** The project's queued or running jobs of `type`, oldest first. */
export async function findUnfinishedJobs(db: Db, projectId: string, type: string): Promise<JobRow[]> {
  return db
    .selectFrom('roster_jobs')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('type', '=', type)
    .where('status', 'in', ['queued', 'running'])
    .orderBy('id')
    .execute();
}

export async function findJob(db: Db, id: string): Promise<JobRow | undefined> {
  return db.selectFrom('roster_jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

/** What a claim sets on the queued job: running, locked by the worker now, one more attempt. */
function claimed(eb: ExpressionBuilder<Database, 'roster_jobs'>, claim: { workerId: string; now: string }) {
  return {
    status: 'running',
    attempts: eb('attempts', '+', 1),
    locked_at: claim.now,
    locked_by: claim.workerId,
    updated_at: claim.now,
  } as const;
}

/**
 * Atomically claims a due queued job of one of `types` (one lane's types): marks it running,
 * locked by `workerId`, and counts the attempt. Fair between projects: the job comes from the
 * project with the fewest jobs running right now (oldest due job first within that), so one
 * project's backlog of hundreds of jobs delays another project's job by at most the jobs already
 * running, not the whole backlog.
 *
 * Its cost does not grow with the number of queued jobs: `pickClaimGroup` reads only the head of
 * each (type, project) group from the `roster_jobs_queued` partial index, and the claim takes the
 * oldest due job of the chosen group from the same index. On dialects with `SKIP LOCKED`,
 * concurrent claimers never wait on or get the same row (a group whose due jobs are all being
 * claimed by others right now is looked at again, a few times); on SQLite the single writer makes
 * the statement atomic.
 */
export async function claimNextJob(
  db: Db,
  dialect: DialectInfo,
  claim: { workerId: string; now: string; types: string[] },
): Promise<JobRow | undefined> {
  if (claim.types.length === 0) return undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const group = await pickClaimGroup(db, dialect, claim);
    if (!group) return undefined;
    const row = await db
      .updateTable('roster_jobs')
      .set((eb) => claimed(eb, claim))
      .where('id', '=', (eb) => {
        let next = eb
          .selectFrom('roster_jobs as queued')
          .select('queued.id')
          .where('queued.status', '=', QUEUED)
          .where('queued.type', '=', group.type)
          .where('queued.project_id', '=', group.project_id)
          .where('queued.run_at', '<=', claim.now)
          .orderBy('queued.run_at')
          .orderBy('queued.id')
          .limit(1);
        if (dialect.supportsSkipLocked) next = next.forUpdate().skipLocked();
        return next;
      })
      .where('status', '=', 'queued')
      .returningAll()
      .executeTakeFirst();
    if (row) return row;
  }
  return undefined;
}

/**
 * `'queued'` as a literal, not a bound parameter: a partial index (`where status = 'queued'`)
 * serves a query only when the planner sees the value (SQLite never looks at parameters).
 */
const QUEUED = sql<'queued'>`'queued'`;

/**
 * The (type, project) group the next claim takes its job from: of the groups of `types` with a
 * due job, the one whose project has the fewest jobs running, then whose oldest due job is
 * oldest. The same order as sorting every due job by (running jobs of its project, run_at, id),
 * read from the `roster_jobs_queued` index (type, project_id, run_at, id) where status = 'queued':
 * a skip scan finds each type's projects with queued jobs (one index seek each), one more seek
 * finds each group's oldest due job, and only these heads are sorted. The cost grows with the
 * number of projects with queued jobs, never with the number of jobs.
 *
 * On PostgreSQL: the heads are never joined back to roster_jobs (`j.id = <head subquery>` cannot
 * use an index, and with a lane of five types and no statistics the planner hashed the whole table:
 * 50–150 ms at 100 000 queued jobs); the head's run_at is looked up by primary key in the ORDER BY
 * instead. The group seeks order by the whole index key (project_id, run_at, id), which only
 * `roster_jobs_queued` delivers presorted: once analysed with one type dominant, ordering by
 * project_id alone let the planner walk (project_id, type, id) for a type with no queued job.
 */
async function pickClaimGroup(
  db: Db,
  dialect: DialectInfo,
  claim: { now: string; types: string[] },
): Promise<{ type: string; project_id: string } | undefined> {
  const types = sql.join(
    [...new Set(claim.types)].map((type) => sql`select cast(${type} as text) as type`),
    sql` union all `,
  );
  // Running jobs are few (the runners' concurrency), and found through the (status, run_at) index.
  // On SQLite the planner is kept off the (project_id, type, id) index for this count: through it,
  // every count read all the project's jobs, finished ones included.
  const runningProject = dialect.withoutIndex(sql.ref('r.project_id'));
  const { rows } = await sql<{ type: string; project_id: string }>`
    with recursive
      lane_types (type) as (${types}),
      groups (type, project_id) as (
        select t.type, (
          select q.project_id from roster_jobs q
          where q.status = ${QUEUED} and q.type = t.type
          order by q.project_id, q.run_at, q.id limit 1)
        from lane_types t
        union all
        select g.type, (
          select q.project_id from roster_jobs q
          where q.status = ${QUEUED} and q.type = g.type and q.project_id > g.project_id
          order by q.project_id, q.run_at, q.id limit 1)
        from groups g where g.project_id is not null
      ),
      heads (type, project_id, id) as (
        select g.type, g.project_id, (
          select q.id from roster_jobs q
          where q.status = ${QUEUED} and q.type = g.type and q.project_id = g.project_id
            and q.run_at <= ${claim.now}
          order by q.run_at, q.id limit 1)
        from groups g where g.project_id is not null
      )
    select h.type, h.project_id from heads h
    where h.id is not null
    order by (
      select count(*) from roster_jobs r where r.status = 'running' and ${runningProject} = h.project_id
    ), (select j.run_at from roster_jobs j where j.id = h.id), h.id
    limit 1`.execute(db);
  return rows[0];
}

/** Atomically claims one specific job if it is queued and due (as `claimNextJob` does). */
export async function claimJob(
  db: Db,
  claim: { id: string; workerId: string; now: string },
): Promise<JobRow | undefined> {
  return db
    .updateTable('roster_jobs')
    .set((eb) => claimed(eb, claim))
    .where('id', '=', claim.id)
    .where('status', '=', 'queued')
    .where('run_at', '<=', claim.now)
    .returningAll()
    .executeTakeFirst();
}

/** Refreshes the lock of a job this worker runs. False if the worker no longer owns it. */
export async function touchJob(db: Db, id: string, workerId: string, now: string): Promise<boolean> {
  return updateOwnedJob(db, id, workerId, { locked_at: now });
}

/** Stores progress (and refreshes the lock). False if the worker no longer owns the job. */
export async function saveJobProgress(
  db: Db,
  dialect: DialectInfo,
  id: string,
  workerId: string,
  progress: unknown,
  now: string,
): Promise<boolean> {
  return updateOwnedJob(db, id, workerId, {
    progress: dialect.json(progress),
    locked_at: now,
    updated_at: now,
  });
}

/** Completes the job; `locked_by` stays as the worker that finished it (the lock itself is gone). */
export async function completeJob(
  db: Db,
  dialect: DialectInfo,
  id: string,
  workerId: string,
  result: unknown,
  now: string,
): Promise<boolean> {
  return updateOwnedJob(db, id, workerId, {
    status: 'completed',
    result: dialect.json(result),
    locked_at: null,
    last_error: null,
    updated_at: now,
  });
}

/**
 * Fails the attempt: queued again at `retryAt` (unlocked), or failed for good when `retryAt` is
 * null (then `locked_by` stays as the worker that finished it).
 */
export async function failJob(
  db: Db,
  id: string,
  workerId: string,
  error: string,
  retryAt: string | null,
  now: string,
): Promise<boolean> {
  return updateOwnedJob(db, id, workerId, {
    status: retryAt === null ? 'failed' : 'queued',
    ...(retryAt === null ? {} : { run_at: retryAt }),
    last_error: error,
    locked_at: null,
    ...(retryAt === null ? {} : { locked_by: null }),
    updated_at: now,
  });
}

/** Gives a job back unfinished (graceful stop): queued again, and this attempt is not counted. */
export async function releaseJob(db: Db, id: string, workerId: string, now: string): Promise<boolean> {
  return updateOwnedJob(db, id, workerId, {
    status: 'queued',
    attempts: sql<number>`attempts - 1`,
    locked_at: null,
    locked_by: null,
    updated_at: now,
  });
}

/**
 * Releases running jobs whose worker is gone: lock older than `lockedBefore`, or held by one of
 * `deadWorkers`. They are queued again to run at once, or failed when their attempts are used up
 * (a job that crashes its process every time must not crash it forever).
 *
 * With `SKIP LOCKED`, a row that an open transaction still holds (its worker is alive, e.g. in a
 * long batch, or another process is releasing it right now) is skipped instead of waited for:
 * a frozen worker's open transaction must not block every other process's release loop.
 *
 * Returns the released rows as they are now (status `queued`, or `failed` for those failed for
 * good), so the caller can run the failed ones' `failedIn` in the same transaction.
 */
export async function releaseStaleJobs(
  db: Db,
  dialect: DialectInfo,
  stale: { lockedBefore: string; deadWorkers: string[] },
  now: string,
): Promise<JobRow[]> {
  return db
    .updateTable('roster_jobs')
    .set({
      status: sql<JobsTable['status']>`case when attempts >= max_attempts then 'failed' else 'queued' end`,
      last_error: sql<string>`case when attempts >= max_attempts then ${'The job was interrupted too many times (its worker stopped responding)'} else last_error end`,
      run_at: now,
      locked_at: null,
      locked_by: null,
      updated_at: now,
    })
    .where('status', '=', 'running')
    .where((eb) =>
      stale.deadWorkers.length > 0
        ? eb.or([eb('locked_at', '<', stale.lockedBefore), eb('locked_by', 'in', stale.deadWorkers)])
        : eb('locked_at', '<', stale.lockedBefore),
    )
    .$if(dialect.supportsSkipLocked, (qb) =>
      qb.where('id', 'in', (eb) =>
        eb.selectFrom('roster_jobs').select('id').where('status', '=', 'running').forUpdate().skipLocked(),
      ),
    )
    .returningAll()
    .execute();
}

/** The locks of running jobs (worker and time), to find the stale ones without a write. */
export async function listLocks(db: Db): Promise<{ lockedBy: string | null; lockedAt: string | null }[]> {
  const rows = await db
    .selectFrom('roster_jobs')
    .select(['locked_by', 'locked_at'])
    .where('status', '=', 'running')
    .execute();
  return rows.map((r) => ({ lockedBy: r.locked_by, lockedAt: r.locked_at }));
}

/** Deletes jobs finished before `before`, returning them (their files are deleted by the caller). */
export async function deleteFinishedJobs(db: Db, before: string): Promise<JobRow[]> {
  return db
    .deleteFrom('roster_jobs')
    .where('status', 'in', ['completed', 'failed'])
    .where('updated_at', '<', before)
    .returningAll()
    .execute();
}

/**
 * Applies `changes` to a running job only while `workerId` still holds it: false when the lock was
 * lost (released as stale and maybe claimed by another worker), so a late worker changes nothing.
 */
async function updateOwnedJob(
  db: Db,
  id: string,
  workerId: string,
  changes: UpdateObject<Database, 'roster_jobs'>,
): Promise<boolean> {
  return updateJobIf(db, id, { lockedBy: workerId, status: 'running' }, changes);
}

/** Applies `changes` to the job only while it is as `expected`; false (nothing changed) otherwise. */
async function updateJobIf(
  db: Db,
  id: string,
  expected: { lockedBy?: string; status: JobsTable['status'] },
  changes: UpdateObject<Database, 'roster_jobs'>,
): Promise<boolean> {
  const updated = await db
    .updateTable('roster_jobs')
    .set(changes)
    .where('id', '=', id)
    .$if(expected.lockedBy !== undefined, (q) => q.where('locked_by', '=', expected.lockedBy!))
    .where('status', '=', expected.status)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

/** The project's jobs of `type` with `status`, newest first, at most `limit`. */
export async function findJobsByStatus(
  db: Db,
  projectId: string,
  type: string,
  status: JobsTable['status'],
  limit: number,
): Promise<JobRow[]> {
  return db
    .selectFrom('roster_jobs')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('type', '=', type)
    .where('status', '=', status)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** Fails a queued (not running) job for good with `error`; false if it is not queued any more. */
export async function failQueuedJob(db: Db, id: string, error: string, now: string): Promise<boolean> {
  return updateJobIf(
    db,
    id,
    { status: 'queued' },
    { status: 'failed', last_error: error, locked_at: null, updated_at: now },
  );
}

/**
 * One page of the project's jobs, newest first (by id: UUIDv7, creation order), optionally only of
 * `types`, continuing after the job `beforeId`.
 */
export async function listProjectJobs(
  db: Db,
  query: { projectId: string; types?: string[]; beforeId?: string; limit: number },
): Promise<JobRow[]> {
  let q = db.selectFrom('roster_jobs').selectAll().where('project_id', '=', query.projectId);
  if (query.types && query.types.length > 0) q = q.where('type', 'in', query.types);
  if (query.beforeId) q = q.where('id', '<', query.beforeId);
  return q.orderBy('id', 'desc').limit(query.limit).execute();
}

/**
 * The project's jobs of `types` queued at or after `since`, counted per UTC day (`YYYY-MM-DD`),
 * type and state. Reads the `(project_id, type, id)` index's range of each type.
 */
export async function jobCountsByDay(
  db: Db,
  projectId: string,
  types: readonly string[],
  since: string,
): Promise<{ day: string; type: string; status: string; count: number }[]> {
  if (types.length === 0) return [];
  const rows = await db
    .selectFrom('roster_jobs')
    .select((eb) => [
      eb.fn<string>('substr', ['created_at', eb.val(1), eb.val(10)]).as('day'),
      'type',
      'status',
      eb.fn.countAll<string | number>().as('n'),
    ])
    .where('project_id', '=', projectId)
    .where('type', 'in', [...types])
    .where('created_at', '>=', since)
    .groupBy(['day', 'type', 'status'])
    .execute();
  return rows.map((row) => ({ day: row.day, type: row.type, status: row.status, count: Number(row.n) }));
}
