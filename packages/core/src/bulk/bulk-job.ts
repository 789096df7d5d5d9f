import type { JobDefinition } from '../jobs/job-types.js';
import { applyBulk, type BulkServiceDeps } from './bulk-service.js';
import { BULK_JOB_TYPE, type BulkJobPayload, type BulkJobResult, type BulkOutcome } from './bulk-types.js';

/** What a bulk job stores as its progress, in the transaction of its work. */
interface BulkJobProgress {
  percent: number;
  /** The result of the committed work: a re-run after a crash reports it instead of redoing the work. */
  result: BulkJobResult;
}

function toResult(outcome: BulkOutcome): BulkJobResult {
  return {
    operation: outcome.operation,
    totalRequested: outcome.requested,
    successCount: outcome.affected,
    unchangedCount: outcome.unchanged,
    failureCount: outcome.notFound.length,
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
    async run({ job, transaction }) {
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
      );
      return result!;
    },
  };
}
