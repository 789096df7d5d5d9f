import { z } from 'zod';

export const listChangesSchema = z.object({
  /** Only events after this one (an event id from an earlier page). */
  after: z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(100).optional(),
  /** Only these event types (exact names). */
  types: z.array(z.string().min(1).max(255)).max(100).optional(),
  /** @default 100 */
  limit: z.number({ error: 'must be a number' }).int().min(1).max(1000).optional(),
});
export type ListChangesInput = z.input<typeof listChangesSchema>;
