import type { Transaction } from 'kysely';
import { audienceExists } from '../audiences/audience-repository.js';
import { isoNow } from '../clock.js';
import * as repo from '../contacts/contact-batch-repository.js';
import { normaliseEmailSearch } from '../contacts/contact-fields.js';
import type { Database } from '../db/schema.js';
import { RosterError } from '../errors.js';
import { isUuid } from '../ids.js';
import type { JobRunner } from '../jobs/job-runner.js';
import { expectType, type JobStatusView, toJobStatus } from '../jobs/job-status.js';
import type { ServiceDeps } from '../service-deps.js';
import { parseInput } from '../validation.js';
import { BulkChanges } from './bulk-changes.js';
import {
  type BulkApplyInput,
  type BulkQueryInput,
  bulkApplySchema,
  bulkIdsSchema,
  bulkQuerySchema,
} from './bulk-schemas.js';
import {
  BULK_JOB_TYPE,
  type BulkJobPayload,
  type BulkJobResult,
  type BulkOperation,
  type BulkOutcome,
} from './bulk-types.js';

export interface BulkServiceDeps extends ServiceDeps {
  maxBulkIds: number;
}

/**
 * Applies one operation to many contacts in one transaction with set-based statements
 * (chunks of ids, never a query per id). Ids that are malformed, unknown or another project's
 * are reported in `notFound` and never touched.
 */
export async function applyBulk(
  deps: BulkServiceDeps,
  projectId: string,
  input: BulkApplyInput,
  inTransaction: (work: (trx: Transaction<Database>) => Promise<BulkOutcome>) => Promise<BulkOutcome> = (
    work,
  ) => deps.db.transaction().execute(work),
  jobId?: string,
): Promise<BulkOutcome> {
  const valid = parseInput(bulkApplySchema(deps.maxBulkIds), input);
  const { operation } = valid;
  let audienceId: string | null = null;
  if (operation === 'move') {
    if (valid.audienceId === undefined) {
      throw RosterError.validation([
        { field: 'audienceId', message: 'is required for move (null removes from the audience)' },
      ]);
    }
    if (valid.audienceId !== null) {
      if (!isUuid(valid.audienceId)) throw RosterError.notFound('audience');
      audienceId = valid.audienceId.toLowerCase();
    }
  }

  const distinct = [...new Set(valid.contactIds.map((id) => (isUuid(id) ? id.toLowerCase() : id)))];
  const wellFormed = distinct.filter(isUuid);
  const chunks: string[][] = [];
  for (let i = 0; i < wellFormed.length; i += repo.IDS_PER_STATEMENT) {
    chunks.push(wellFormed.slice(i, i + repo.IDS_PER_STATEMENT));
  }
  const now = isoNow(deps.clock);

  return inTransaction(async (trx) => {
    if (audienceId !== null && !(await audienceExists(trx, projectId, audienceId))) {
      throw RosterError.notFound('audience');
    }
    const found = new Set<string>();
    const changes = new BulkChanges(operation, { audienceId, jobId: jobId ?? null });
    for (const chunk of chunks) {
      for (const id of await repo.findExistingContactIds(trx, deps.dialect, projectId, chunk)) found.add(id);
      await changes.apply(deps, trx, projectId, chunk, now);
    }
    const affected = changes.affected;
    await changes.record(deps, trx, projectId, now);
    return {
      operation,
      requested: distinct.length,
      affected,
      unchanged: found.size - affected,
      notFound: distinct.filter((id) => !found.has(id)),
      suppressed: changes.suppressed.size,
    };
  });
}

export interface BulkServiceWithJobsDeps extends BulkServiceDeps {
  jobs: JobRunner;
}

export function createBulkService(deps: BulkServiceWithJobsDeps) {
  return {
    /**
     * Applies `operation` to up to `limits.maxBulkIds` contacts at once, synchronously, in one
     * transaction. `move` needs `audienceId` (an audience of the project, or null to remove
     * contacts from their audience).
     */
    async apply(projectId: string, input: BulkApplyInput): Promise<BulkOutcome> {
      const outcome = await applyBulk(deps, projectId, input);
      deps.changes?.committed();
      return outcome;
    },

    /**
     * Queues the operation as a job and returns its id. Every id must be a UUID
     * (`validation_failed` on `contactIds.N` otherwise); unknown ids are reported in the result.
     */
    async enqueue(
      projectId: string,
      operation: BulkOperation,
      contactIds: string[],
      options: { audienceId?: string | null } = {},
    ): Promise<string> {
      const valid = parseInput(bulkIdsSchema(deps.maxBulkIds), { contactIds });
      parseInput(bulkApplySchema(deps.maxBulkIds), { operation, contactIds, ...options });
      if (operation === 'move' && options.audienceId === undefined) {
        throw RosterError.validation([
          { field: 'audienceId', message: 'is required for move (null removes from the audience)' },
        ]);
      }
      const payload: BulkJobPayload = { operation, contactIds: valid.contactIds, ...options };
      const job = await deps.jobs.enqueue(projectId, BULK_JOB_TYPE, payload);
      return job.id;
    },

    /**
     * Queues `operation` (subscribe, unsubscribe or delete) for every contact of the project that
     * matches `filter` (`search`: substring of the email, any case; `subscribed`), except the
     * `excludeIds` (at most 10 000), and returns the job id. Not capped: the job walks the matches
     * in batches, each committed with its progress, so it resumes after a crash.
     */
    async enqueueQuery(projectId: string, input: BulkQueryInput): Promise<string> {
      const valid = parseInput(bulkQuerySchema, input);
      const search = normaliseEmailSearch(valid.filter?.search);
      const payload: BulkJobPayload = {
        operation: valid.operation,
        contactIds: [],
        query: {
          filter: {
            ...(search === undefined ? {} : { search }),
            ...(valid.filter?.subscribed === undefined ? {} : { subscribed: valid.filter.subscribed }),
          },
          excludeIds: [...new Set((valid.excludeIds ?? []).map((id) => id.toLowerCase()))],
        },
      };
      const job = await deps.jobs.enqueue(projectId, BULK_JOB_TYPE, payload);
      return job.id;
    },

    /** The bulk job's status. `not_found` for an unknown id or another project's job. */
    async status(projectId: string, jobId: string): Promise<JobStatusView<BulkJobResult>> {
      return toJobStatus(
        expectType(await deps.jobs.get<BulkJobPayload, BulkJobResult>(projectId, jobId), BULK_JOB_TYPE),
      );
    },
  };
}

export type BulkService = ReturnType<typeof createBulkService>;
