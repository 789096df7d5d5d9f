import { isoNow } from '../clock.js';
import { ensureConsentSecret, findConsentSettings } from '../consent/consent-repository.js';
import { generateConsentSecret } from '../consent/consent-tokens.js';
import type { Db } from '../db/schema.js';
import { RosterError } from '../errors.js';
import type { JobRunner } from '../jobs/job-runner.js';
import type { Job, JobDefinition } from '../jobs/job-types.js';
import type { createProjectService } from '../projects/project-service.js';
import type { ServiceDeps } from '../service-deps.js';
import { parseInput } from '../validation.js';
import { decideWebhookTarget, type WebhookResolver } from '../webhooks/webhook-target.js';
import type { JobSummary } from '../wire.js';
import { MigrateSourceError } from './migrate-http.js';
import { openProviderKey, sealProviderKey } from './migrate-key.js';
import { forgetProviderKey } from './migrate-repository.js';
import { type StartMigrationInput, startMigrationSchema } from './migrate-schemas.js';
import type { MigrateService } from './migrate-service.js';
import {
  DEFAULT_MIGRATE_CONCURRENCY,
  MIGRATE_DEFAULT_URLS,
  type MigrateCounts,
  type MigrateSourceName,
  type MigrateSummary,
} from './migrate-types.js';

/** The job type of a migration started with `roster.migrate.start` (`POST /roster/migrations`). */
export const MIGRATE_JOB_TYPE = 'migrate';

/** What a migration job says about itself: never its provider key. */
export interface MigrateJobInfo {
  source: MigrateSourceName;
  /** The provider's API root the job reads. */
  url: string;
  concurrency: number;
  dryRun: boolean;
}

/**
 * The stored payload: the info plus the provider key, sealed with the project's signing secret
 * (see migrate-key.ts); null once the job finished (completed, failed for good or cancelled).
 */
export interface MigrateJobPayload extends MigrateJobInfo {
  sealedKey: string | null;
}

/** The job's progress, saved after each group of contacts written (the checkpoint moves with it). */
export interface MigrateJobProgress {
  percent: number;
  counts: MigrateCounts;
  /** Contacts the provider says it has, when it says (Plunk). */
  total: number | null;
}

/** A migration job as `roster.migrate.start` and `status` return it: the payload without the key. */
export type MigrateJob = Omit<Job<MigrateJobInfo, MigrateSummary>, 'payload'> & { payload: MigrateJobInfo };

/** True for a migration job, typed as one. */
export function isMigrateJob(job: Job): job is Job<MigrateJobPayload, MigrateSummary> {
  return job.type === MIGRATE_JOB_TYPE;
}

/** The job without its sealed key. */
export function toMigrateJob(job: Job<MigrateJobPayload, MigrateSummary>): MigrateJob {
  const { source, url, concurrency, dryRun } = job.payload;
  return { ...job, payload: { source, url, concurrency, dryRun } };
}

/**
 * What a migration says about its work (`GET /roster/jobs`): its source, URL and the counts of its
 * result, or of the contacts written so far while it runs. Never the key.
 */
export function summarizeMigrateJob(
  job: Job<MigrateJobPayload, MigrateSummary>,
): Extract<JobSummary, { kind: 'migrate' }> {
  const result = job.status === 'completed' ? job.result : null;
  const progress = job.progress as Partial<MigrateJobProgress> | null;
  const counts = result ?? progress?.counts ?? null;
  return {
    kind: 'migrate',
    source: job.payload.source,
    url: job.payload.url,
    dryRun: job.payload.dryRun === true,
    total: progress?.total ?? null,
    fetched: counts?.fetched ?? 0,
    created: counts?.created ?? 0,
    updated: counts?.updated ?? 0,
    unchanged: counts?.unchanged ?? 0,
    skipped: counts?.skipped ?? 0,
    failed: counts?.failed ?? 0,
    errors: result?.errors ?? [],
  };
}

export interface MigrateJobDeps extends ServiceDeps {
  jobs: JobRunner;
  projects: ReturnType<typeof createProjectService>;
  /**
   * The webhooks' SSRF rule applies to a migration's `url` too (`webhooks.allowPrivateTargets`):
   * whoever may start one must not make the server read from its private network.
   */
  targets: { allowPrivate: boolean; resolve: WebhookResolver; hint?: string | undefined };
}

/** How long `start` waits for DNS when checking a provider's host. */
const TARGET_DNS_TIMEOUT_MS = 2000;

/** Refuses (`validation_failed` naming `url`) a provider URL on a private network, unless allowed. */
async function checkTarget(deps: MigrateJobDeps, url: string): Promise<void> {
  if (deps.targets.allowPrivate) return;
  const { resolve } = deps.targets;
  const decision = await decideWebhookTarget(url, {
    allowPrivate: false,
    resolve: (hostname) =>
      Promise.race([
        resolve(hostname),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('DNS timeout')), TARGET_DNS_TIMEOUT_MS).unref(),
        ),
      ]),
    ...(deps.targets.hint === undefined ? {} : { hint: deps.targets.hint }),
  });
  // A name that does not resolve now is left to the job (it fails there, naming the provider).
  if (decision.allowed || decision.refusal === 'unresolved') return;
  throw RosterError.validation([
    { field: 'url', message: `must not point to a private network: ${decision.reason}` },
  ]);
}

/** The project's signing secrets (current, then the previous one while kept), the current created on first use. */
async function secretsOf(deps: ServiceDeps, db: Db, projectId: string): Promise<string[]> {
  const row =
    (await findConsentSettings(db, projectId)) ??
    (await ensureConsentSecret(db, projectId, generateConsentSecret(), isoNow(deps.clock)));
  return row.previous_secret ? [row.secret, row.previous_secret] : [row.secret];
}

/**
 * `roster migrate` as a durable job: runs `roster.migrate.run` with the job's source, in the
 * background, saving its counts as the job's progress. A job stopped midway (the runner stopped,
 * the process died) continues on its next attempt from the migration's checkpoint
 * (`roster_migration_checkpoints`), like a second run of the CLI command. A provider that refuses
 * the request (4xx other than 429: a wrong key, a wrong URL) fails the job at once; one that keeps
 * failing (429, 5xx, unreachable) is retried with the job's backoff, each attempt resuming.
 */
export function migrateJobDefinition(
  deps: MigrateJobDeps,
  service: () => MigrateService,
): JobDefinition<MigrateJobPayload, MigrateSummary> {
  const forget = async (trx: Db, job: Job<MigrateJobPayload>) => {
    const { sealedKey: _sealed, ...info } = job.payload;
    await forgetProviderKey(trx, deps.dialect, job.id, { ...info, sealedKey: null });
  };
  return {
    type: MIGRATE_JOB_TYPE,
    async run(ctx) {
      const { job } = ctx;
      const { source, url, concurrency, dryRun, sealedKey } = job.payload;
      if (sealedKey === null) {
        throw new RosterError('job_failed', 'This migration has no provider key any more: start it again');
      }
      const key = openProviderKey(await secretsOf(deps, ctx.db, job.projectId), job.projectId, sealedKey);
      if (key === null) {
        throw new RosterError(
          'job_failed',
          'The provider key of this migration can no longer be read (the project’s signing secret was rotated since it started): start the migration again',
        );
      }
      let saving: Promise<void> = Promise.resolve();
      let lost: { error: unknown } | null = null;
      try {
        const summary = await service().run(source, {
          projectId: job.projectId,
          url,
          key,
          concurrency,
          dryRun,
          signal: ctx.signal,
          onProgress({ total, ...counts }) {
            const percent = total ? Math.min(99, Math.floor((counts.fetched / total) * 100)) : 0;
            const progress: MigrateJobProgress = { percent, counts, total };
            saving = saving
              .then(() => ctx.transaction((_trx, save) => save(progress)))
              .catch((error: unknown) => {
                lost ??= { error };
              });
          },
        });
        await saving;
        if (lost) throw (lost as { error: unknown }).error;
        return summary;
      } catch (error) {
        await saving;
        // The provider refused the request (a wrong key, URL or source): retrying cannot help.
        if (
          error instanceof MigrateSourceError &&
          error.status !== undefined &&
          error.status >= 400 &&
          error.status < 500 &&
          error.status !== 429
        ) {
          throw new RosterError('job_failed', error.message);
        }
        throw error;
      }
    },
    completedIn: (trx, job) => forget(trx, job),
    failedIn: (trx, job) => forget(trx, job),
  };
}

export function createMigrationJobs(deps: MigrateJobDeps) {
  const { db, jobs } = deps;
  return {
    /**
     * Starts a migration as a background job (type `migrate`): the same work as `run(from, ...)`,
     * with its counts as the job's progress, continued after a restart. The key is stored sealed
     * (AES-256-GCM, a key derived from the project's signing secret) and removed from the job when
     * it finishes; the job returned (and `status`) never carries it. `validation_failed` names `from`,
     * `url` (also a private network's address, unless `webhooks.allowPrivateTargets`), `key`,
     * `concurrency` or `dryRun`; `not_found` for an unknown project; `conflict` while another (not dry)
     * migration from the same source and URL is queued or running in the project.
     */
    async start(projectId: string, input: StartMigrationInput): Promise<MigrateJob> {
      const valid = parseInput(startMigrationSchema, input);
      const project = await deps.projects.get(projectId);
      const info: MigrateJobInfo = {
        source: valid.from,
        url: (valid.url ?? MIGRATE_DEFAULT_URLS[valid.from]).replace(/\/+$/, ''),
        concurrency: valid.concurrency ?? DEFAULT_MIGRATE_CONCURRENCY,
        dryRun: valid.dryRun === true,
      };
      await checkTarget(deps, info.url);
      // Two real runs from one source share its checkpoint: one at a time.
      if (!info.dryRun) {
        for (const other of await jobs.unfinished<MigrateJobPayload>(project.id, MIGRATE_JOB_TYPE)) {
          const p = other.payload;
          if (!p.dryRun && p.source === info.source && p.url === info.url) {
            throw RosterError.conflict(
              'migration',
              `A migration from ${info.source} at ${info.url} is already running as job ${other.id}: wait for it, or cancel it first`,
            );
          }
        }
      }
      const [secret] = await secretsOf(deps, db, project.id);
      const payload: MigrateJobPayload = {
        ...info,
        sealedKey: sealProviderKey(secret!, project.id, valid.key),
      };
      const job = await jobs.enqueue<MigrateJobPayload>(project.id, MIGRATE_JOB_TYPE, payload);
      return toMigrateJob(job as Job<MigrateJobPayload, MigrateSummary>);
    },

    /** A migration job of the project (`not_found` for another job type). */
    async status(projectId: string, jobId: string): Promise<MigrateJob> {
      const job = await jobs.get<MigrateJobPayload, MigrateSummary>(projectId, jobId);
      if (!isMigrateJob(job)) throw RosterError.notFound('job');
      return toMigrateJob(job);
    },
  };
}

export type MigrationJobs = ReturnType<typeof createMigrationJobs>;
