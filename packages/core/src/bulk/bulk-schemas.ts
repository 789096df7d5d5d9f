import { z } from 'zod';
import { isUuid } from '../ids.js';
import { BULK_OPERATIONS, BULK_QUERY_OPERATIONS } from './bulk-types.js';

/** Most ids `excludeIds` of a query-mode bulk call may list (Plunk's limit). */
export const MAX_BULK_EXCLUDE_IDS = 10_000;
/** Longest `filter.search` of a query-mode bulk call (Plunk's limit). */
export const MAX_BULK_SEARCH_LENGTH = 255;

/**
 * Input of `roster.bulk.enqueueQuery` (Plunk's `{mode: "query"}` bulk body without `mode`): the
 * operation applies to every contact of the project matching `filter`, except `excludeIds`.
 */
export const bulkQuerySchema = z.object({
  operation: z.enum(BULK_QUERY_OPERATIONS, { error: `must be one of ${BULK_QUERY_OPERATIONS.join(', ')}` }),
  filter: z
    .object(
      {
        /** Case-insensitive substring of the email. */
        search: z
          .string({ error: 'must be a string' })
          .max(MAX_BULK_SEARCH_LENGTH, `must be at most ${MAX_BULK_SEARCH_LENGTH} characters`)
          .optional(),
        subscribed: z.boolean({ error: 'must be a boolean' }).optional(),
      },
      { error: 'must be an object' },
    )
    .strict()
    .optional(),
  excludeIds: z
    .array(z.string({ error: 'must be a string' }).refine(isUuid, 'must be a UUID'), {
      error: 'must be an array of contact ids',
    })
    .max(MAX_BULK_EXCLUDE_IDS, `must contain at most ${MAX_BULK_EXCLUDE_IDS} ids`)
    .optional(),
});
export type BulkQueryInput = z.input<typeof bulkQuerySchema>;

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
