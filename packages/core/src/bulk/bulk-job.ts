import type { JobDefinition } from '../jobs/job-types.js';
import { applyBulk, type BulkServiceDeps } from './bulk-service.js';
import { BULK_JOB_TYPE, type BulkJobPayload, type BulkJobResult } from './bulk-types.js';

/**
 * Runs a queued bulk operation. `apply` is one transaction, so a retry after a crash either
 * finds nothing done or everything done; in the latter case the contacts now count as
 * unchanged (or, for delete, as not found), which is the truthful answer for that attempt.
 */
export function bulkJobDefinition(deps: BulkServiceDeps): JobDefinition<BulkJobPayload, BulkJobResult> {
  return {
    type: BULK_JOB_TYPE,
    async run({ job }) {
      const { operation, contactIds, audienceId } = job.payload;
      const outcome = await applyBulk(deps, job.projectId, {
        operation,
        contactIds,
        ...(audienceId === undefined ? {} : { audienceId }),
      });
      return {
        operation: outcome.operation,
        totalRequested: outcome.requested,
        successCount: outcome.affected,
        unchangedCount: outcome.unchanged,
        failureCount: outcome.notFound.length,
        errors: outcome.notFound.map((contactId) => ({ contactId, error: 'Contact not found' })),
      };
    },
  };
}
