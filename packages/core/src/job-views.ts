import { isBulkJob, summarizeBulkJob } from './bulk/bulk-job.js';
import { BULK_JOB_TYPE } from './bulk/bulk-types.js';
import { IMPORT_JOB_TYPES, isImportJob, summarizeImportJob } from './imports/import-job.js';
import { toJobStatus } from './jobs/job-status.js';
import type { Job } from './jobs/job-types.js';
import { isMigrateJob, MIGRATE_JOB_TYPE, summarizeMigrateJob } from './migrate/migrate-job.js';
import type { JobSummary, JobView } from './wire.js';

/**
 * The job types whose work a `JobView` summarises: the ones people start (imports, bulk operations
 * and migrations). `import.local` is a CLI import of a file on its own disk, run only by that CLI process.
 */
export const SUMMARIZED_JOB_TYPES: readonly string[] = [...IMPORT_JOB_TYPES, BULK_JOB_TYPE, MIGRATE_JOB_TYPE];

/** What a job's definition says about its work, by type; null for types without a summary. */
export function summarizeJob(job: Job): JobSummary | null {
  if (isImportJob(job)) return summarizeImportJob(job);
  if (isBulkJob(job)) return summarizeBulkJob(job);
  if (isMigrateJob(job)) return summarizeMigrateJob(job);
  return null;
}

/** A job for people to read (`GET /roster/jobs`): state, progress and its summary, never the payload. */
export function toJobView(job: Job): JobView {
  const status = toJobStatus(job);
  const finished = status.state === 'completed' || status.state === 'failed';
  return {
    id: job.id,
    type: job.type,
    state: status.state,
    progress: status.progress,
    attempts: job.attempts,
    summary: summarizeJob(job),
    ...(status.failedReason === undefined ? {} : { failedReason: status.failedReason }),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    finishedAt: finished ? job.updatedAt : null,
  };
}
