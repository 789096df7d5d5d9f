import { z } from 'zod';
import { isUuid } from '../ids.js';

export const BULK_OPERATIONS = ['subscribe', 'unsubscribe', 'delete', 'move'] as const;
export type BulkOperation = (typeof BULK_OPERATIONS)[number];

/** The default and largest number of ids one bulk call accepts (see `limits.maxBulkIds`). */
export const DEFAULT_MAX_BULK_IDS = 1000;

/**
 * Input of `roster.bulk.apply`. Ids that are malformed, unknown or another project's are
 * reported in `notFound`, never an error (one bad id must not fail the other 999).
 */
export function bulkApplySchema(maxIds: number) {
  return z.object({
    operation: z.enum(BULK_OPERATIONS, { error: `must be one of ${BULK_OPERATIONS.join(', ')}` }),
    contactIds: z
      .array(z.string({ error: 'must be a string' }), { error: 'must be an array of contact ids' })
      .min(1, 'must contain at least 1 id')
      .max(maxIds, `must contain at most ${maxIds} ids`),
    audienceId: z.string({ error: 'must be a string or null' }).nullish(),
  });
}
export type BulkApplyInput = z.input<ReturnType<typeof bulkApplySchema>>;

/** Input of `roster.bulk.enqueue`: every id must be a UUID (the HTTP APIs answer 400 otherwise). */
export function bulkIdsSchema(maxIds: number) {
  return z.object({
    contactIds: z
      .array(z.string({ error: 'must be a string' }).refine(isUuid, 'must be a UUID'), {
        error: 'must be an array of contact ids',
      })
      .min(1, 'must contain at least 1 id')
      .max(maxIds, `must contain at most ${maxIds} ids`),
  });
}

export interface BulkOutcome {
  operation: BulkOperation;
  /** Number of distinct ids asked for. */
  requested: number;
  /** Contacts actually changed (or deleted). */
  affected: number;
  /** Contacts found but already in the requested state. */
  unchanged: number;
  /** Ids that are malformed, unknown or belong to another project. They were not touched. */
  notFound: string[];
}

/** The result a bulk job stores (the shape Plunk's bulk status answers with). */
export interface BulkJobResult {
  operation: BulkOperation;
  totalRequested: number;
  successCount: number;
  unchangedCount: number;
  failureCount: number;
  errors: { contactId: string; error: string }[];
}

export const BULK_JOB_TYPE = 'bulk';

export interface BulkJobPayload {
  operation: BulkOperation;
  contactIds: string[];
  audienceId?: string | null;
}
