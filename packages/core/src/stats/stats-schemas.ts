import { z } from 'zod';

/** Most days the overview covers (today included). */
export const MAX_OVERVIEW_DAYS = 90;
/** The days the overview covers when none are asked for. */
export const DEFAULT_OVERVIEW_DAYS = 30;

/** The options of `stats.overview`: errors name the `days` field. */
export const overviewSchema = z
  .object({
    days: z
      .number({ error: 'must be an integer' })
      .int('must be an integer')
      .min(1, `must be from 1 to ${MAX_OVERVIEW_DAYS}`)
      .max(MAX_OVERVIEW_DAYS, `must be from 1 to ${MAX_OVERVIEW_DAYS}`)
      .optional(),
  })
  .strict();
export type OverviewInput = z.input<typeof overviewSchema>;
