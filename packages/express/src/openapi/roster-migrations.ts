import { MIGRATE_DEFAULT_URLS, MIGRATE_SOURCES, startMigrationSchema } from '@roster/core/schemas';
import { z } from 'zod';
import type { OperationSpec } from './document.js';
import { AT, JOB_ID, plunkErrorResponse, plunkFieldError, plunkUnauthorized } from './examples.js';

/** The management API's migrations: `roster migrate` as a background job. */

/** The `summary` of a migration job in `GET /jobs` (never its key). */
export const migrateJobSummarySchema = z.object({
  kind: z.literal('migrate'),
  source: z.enum(MIGRATE_SOURCES),
  url: z.string().describe('The provider’s API root the job reads'),
  dryRun: z.boolean(),
  total: z.int().min(0).nullable().describe('Contacts the provider says it has, when it says (Plunk)'),
  fetched: z.int().min(0),
  created: z.int().min(0),
  updated: z.int().min(0),
  unchanged: z.int().min(0),
  skipped: z.int().min(0).describe('An email the provider listed twice'),
  failed: z.int().min(0),
  errors: z
    .array(z.object({ email: z.string(), error: z.string() }))
    .describe('Once completed: the first 20 contacts roster refused, with the reason'),
});

export const migrationRequests = {
  RosterStartMigrationBody: { schema: startMigrationSchema },
};

export const migrationTags = [
  {
    name: 'Migrations',
    description: 'Moving in from Plunk, Unosend or Resend through their public APIs, as a background job',
  },
];

export const migrationOperations: OperationSpec[] = [
  {
    method: 'post',
    path: '/migrations',
    operationId: 'startMigration',
    summary: 'Move every contact of a Plunk, Unosend or Resend account in, as a background job',
    description:
      '`roster migrate` as a job (type `migrate`): reads every contact through the provider’s API with `key` ' +
      `and writes it into the project (docs/moving-to-roster.md). \`url\` defaults to the provider’s public root ` +
      `(${MIGRATE_SOURCES.map((s) => `${s}: ${MIGRATE_DEFAULT_URLS[s]}`).join(', ')}). ` +
      'Poll `GET /jobs/{id}`: its `summary` counts the contacts fetched, created, updated, unchanged, skipped and ' +
      'failed so far. A job stopped by a restart continues from its checkpoint. The key is stored encrypted ' +
      'and removed when the job ends; it is never returned, logged nor written to the audit log.',
    tags: ['Migrations'],
    body: {
      schema: 'RosterStartMigrationBody',
      example: { from: 'plunk', key: 'sk_your_plunk_secret_key', dryRun: true },
    },
    responses: {
      202: {
        description: 'The migration is queued',
        schema: 'RosterJob',
        example: {
          id: JOB_ID,
          type: 'migrate',
          state: 'waiting',
          progress: 0,
          attempts: 0,
          summary: {
            kind: 'migrate',
            source: 'plunk',
            url: MIGRATE_DEFAULT_URLS.plunk,
            dryRun: true,
            total: null,
            fetched: 0,
            created: 0,
            updated: 0,
            unchanged: 0,
            skipped: 0,
            failed: 0,
            errors: [],
          },
          createdAt: AT,
          updatedAt: AT,
          finishedAt: null,
        },
      },
      400: plunkFieldError(
        'A missing or unknown `from`, a missing `key`, a `url` that is not http(s), or a `concurrency` out of range',
        'from',
        'must be one of plunk, unosend, resend',
      ),
      401: plunkUnauthorized,
      409: plunkErrorResponse(
        'A migration (not a dry run) from the same source and URL is queued or running in the project',
        'CONFLICT',
        409,
        `A migration from plunk at ${MIGRATE_DEFAULT_URLS.plunk} is already running as job ${JOB_ID}: wait for it, or cancel it first`,
      ),
    },
  },
];
