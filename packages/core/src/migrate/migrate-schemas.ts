import { z } from 'zod';
import { isHttpUrl } from '../text-rules.js';
import { MAX_MIGRATE_CONCURRENCY, MIGRATE_SOURCES } from './migrate-types.js';

const required = (kind: string) => (i: { input: unknown }) =>
  i.input === undefined ? 'is required' : `must be ${kind}`;

/** An http(s) URL (a provider's API root). */
export const providerUrlSchema = z
  .string({ error: 'must be a string' })
  .refine(isHttpUrl, 'must be an http(s) URL');

/** How many requests a migration keeps in flight at once. */
const concurrencySchema = z
  .number({ error: 'must be an integer' })
  .int('must be an integer')
  .min(1, 'must be at least 1')
  .max(MAX_MIGRATE_CONCURRENCY, `must be at most ${MAX_MIGRATE_CONCURRENCY}`);

/** `roster.migrate.start(projectId, input)` and `POST /roster/migrations`. */
export const startMigrationSchema = z.strictObject({
  from: z.enum(MIGRATE_SOURCES, { error: required(`one of ${MIGRATE_SOURCES.join(', ')}`) }),
  url: providerUrlSchema.optional(),
  key: z
    .string({ error: required('a string') })
    .trim()
    .min(1, 'is required'),
  concurrency: concurrencySchema.optional(),
  dryRun: z.boolean({ error: 'must be a boolean' }).optional(),
});

export type StartMigrationInput = z.input<typeof startMigrationSchema>;

/** The options of a migration run, checked before the source is asked anything. */
export const migrateOptionsSchema = z.object({
  url: providerUrlSchema.optional(),
  key: z
    .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') })
    .min(1, 'is required'),
  projectId: z
    .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a string') })
    .min(1, 'is required'),
  dryRun: z.boolean({ error: 'must be a boolean' }).optional(),
  concurrency: concurrencySchema.optional(),
  restart: z.boolean({ error: 'must be a boolean' }).optional(),
  maxAttempts: z.number().int().min(1, 'must be at least 1').optional(),
  backoffMs: z.number().min(0, 'must not be negative').optional(),
});
