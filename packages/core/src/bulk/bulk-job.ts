import { isoNow } from '../clock.js';
import * as writes from '../contacts/contact-batch-repository.js';
import type { Job, JobContext, JobDefinition } from '../jobs/job-types.js';
import { recordJobChange } from '../outbox/outbox-writes.js';
import type { JobSummary } from '../wire.js';
import { BulkChanges } from './bulk-changes.js';
import * as repo from './bulk-query-repository.js';
import { applyBulk, type BulkServiceDeps } from './bulk-service.js';
import {
  BULK_JOB_TYPE,
  type BulkJobPayload,
  type BulkJobResult,
  type BulkOutcome,
  type BulkQuerySelector,
} from './bulk-types.js';

/** Contacts per transaction of a query-mode job. */
export const BULK_QUERY_BATCH = 1000;

/** What a bulk job stores as its progress, in the transaction of its work. */
interface BulkJobProgress {
  percent: number;
  /** The result of the committed work: a re-run after a crash reports it instead of redoing the work. */
  result: BulkJobResult;
  /**
   * Query mode: the last contact id processed (contacts are walked newest first), or null before
   * the first batch, and whether the walk is done. A re-run continues below `lastId`.
   */
  query?: { lastId: string | null; done: boolean };
}

/** True for a bulk job, typed as one. */
export function isBulkJob(job: Job): job is Job<BulkJobPayload, BulkJobResult> {
  return job.type === BULK_JOB_TYPE;
}

/**
 * What a bulk job says about its work (`GET /roster/jobs`): its operation and the counts of its
 * result, or of the work committed so far while it runs. Never the ids.
 */
export function summarizeBulkJob(
  job: Job<BulkJobPayload, BulkJobResult>,
): Extract<JobSummary, { kind: 'bulk' }> {
  const result =
    (job.status === 'completed' ? job.result : null) ??
    (job.progress as Partial<BulkJobProgress> | null)?.result ??
    null;
  const operation: unknown = job.payload?.operation;
  return {
    kind: 'bulk',
    operation: typeof operation === 'string' ? operation : (result?.operation ?? 'unknown'),
    requested: result?.totalRequested ?? 0,
    succeeded: result?.successCount ?? 0,
    unchanged: result?.unchangedCount ?? 0,
    failed: result?.failureCount ?? 0,
  };
}

function toResult(outcome: BulkOutcome): BulkJobResult {
  return {
    operation: outcome.operation,
    totalRequested: outcome.requested,
    successCount: outcome.affected,
    unchangedCount: outcome.unchanged,
    failureCount: outcome.notFound.length,
    ...(outcome.suppressed > 0 ? { suppressedCount: outcome.suppressed } : {}),
    errors: outcome.notFound.map((contactId) => ({ contactId, error: 'Contact not found' })),
  };
}

/**
 * Runs a queued bulk operation. The work and its result are committed in one transaction (the
 * result is saved as the job's progress), so a process killed after that commit but before the
 * job row is completed re-runs into the stored result and reports what was done: the same answer
 * as if it had not crashed, never "unchanged" or "not found" for its own work.
 */
export function bulkJobDefinition(deps: BulkServiceDeps): JobDefinition<BulkJobPayload, BulkJobResult> {
  return {
    type: BULK_JOB_TYPE,
    async run(ctx) {
      const { job, transaction } = ctx;
      if (job.payload.query) return runQuery(deps, ctx, job.payload.query);
      const saved = (job.progress as Partial<BulkJobProgress> | null)?.result;
      if (saved) return saved;
      const { operation, contactIds, audienceId } = job.payload;
      let result: BulkJobResult | undefined;
      await applyBulk(
        deps,
        job.projectId,
        { operation, contactIds, ...(audienceId === undefined ? {} : { audienceId }) },
        (work) =>
          transaction(async (trx, saveProgress) => {
            const outcome = await work(trx);
            result = toResult(outcome);
            await saveProgress({ percent: 100, result } satisfies BulkJobProgress);
            return outcome;
          }),
        job.id,
      );
      return result!;
    },
    async completedIn(trx, job, result) {
      const { errors: _errors, ...counts } = result;
      await recordJobChange(deps, trx, job, 'bulk.completed', counts);
    },
  };
}

/**
 * Query mode, as Plunk's bulk processor walks it: `totalRequested` is the number of matches when
 * the job starts (excluded ids not counted), then the matches are visited newest first by id in
 * batches of `BULK_QUERY_BATCH`, each batch re-reading the filter below the last id seen (so a
 * delete never shifts the walk). Every batch commits its changes together with the last id and the
 * counters, so a job killed at any point resumes after the last committed batch: nothing is done
 * twice and the final counters equal those of an uninterrupted run. Contacts created after the job
 * started have higher ids and are not visited.
 */
async function runQuery(
  deps: BulkServiceDeps,
  ctx: JobContext<BulkJobPayload>,
  selector: BulkQuerySelector,
): Promise<BulkJobResult> {
  const { job } = ctx;
  const operation = job.payload.operation;
  const excluded = new Set(selector.excludeIds);
  const saved = job.progress as BulkJobProgress | null;
  let progress: BulkJobProgress;
  if (saved?.query) {
    progress = saved;
  } else {
    const total = await repo.countQueryMatches(deps.db, deps.dialect, job.projectId, selector);
    progress = {
      percent: 0,
      result: {
        operation,
        totalRequested: total,
        successCount: 0,
        unchangedCount: 0,
        failureCount: 0,
        errors: [],
      },
      query: { lastId: null, done: false },
    };
  }
  while (!progress.query!.done) {
    ctx.throwIfStopping();
    progress = await ctx.transaction(async (trx, saveProgress) => {
      const batch = await repo.findQueryBatch(
        trx,
        deps.dialect,
        job.projectId,
        selector.filter,
        progress.query!.lastId,
        BULK_QUERY_BATCH,
      );
      const ids = batch.filter((id) => !excluded.has(id));
      const now = isoNow(deps.clock);
      const changes = new BulkChanges(operation, { audienceId: null, jobId: job.id });
      for (let i = 0; i < ids.length; i += writes.IDS_PER_STATEMENT) {
        await changes.apply(deps, trx, job.projectId, ids.slice(i, i + writes.IDS_PER_STATEMENT), now);
      }
      const changed = changes.affected;
      const result = { ...progress.result };
      result.successCount += changed;
      result.unchangedCount += ids.length - changed;
      if (changes.suppressed.size > 0) {
        result.suppressedCount = (result.suppressedCount ?? 0) + changes.suppressed.size;
      }
      const processed = result.successCount + result.unchangedCount;
      const done = batch.length < BULK_QUERY_BATCH;
      const next: BulkJobProgress = {
        percent: done
          ? 100
          : Math.min(99, Math.floor((processed / Math.max(result.totalRequested, 1)) * 100)),
        result,
        query: { lastId: batch.length > 0 ? batch[batch.length - 1]! : progress.query!.lastId, done },
      };
      await saveProgress(next);
      await changes.record(deps, trx, job.projectId, now);
      return next;
    });
  }
  return progress.result;
}
