import { z } from 'zod';
import { isUuid } from '../ids.js';
import { BULK_OPERATIONS } from './bulk-types.js';

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
