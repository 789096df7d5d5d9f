import type { Kysely } from 'kysely';
import { type AudienceService, createAudienceService } from './audiences/audience-service.js';
import { type AuditService, auditPruneJob, createAuditService } from './audit/audit-service.js';
import { createBackground } from './background.js';
import { bulkJobDefinition } from './bulk/bulk-job.js';
import { type BulkService, createBulkService } from './bulk/bulk-service.js';
import type { ChangeService } from './changes/change-service.js';
import { type ConsentService, createConsentService } from './consent/consent-service.js';
import { createPersonalDataService, type PersonalDataService } from './consent/personal-data.js';
import { contactIndexFor } from './contacts/contact-index-for.js';
import { createContactService } from './contacts/contact-service.js';
import { isPostgresUrl, openPostgres, openSqlite } from './db/connection.js';
import { type DialectInfo, detectDialect, dialectFor } from './db/dialect.js';
import { migrateToLatest, migrationNames } from './db/migrations.js';
import type { Database } from './db/schema.js';
import { directWrites, groupCommitWrites } from './db/write-queue.js';
import { createEventService, type EventService } from './events/event-service.js';
import {
  createIdempotencyService,
  type IdempotencyService,
  idempotencyCleanupJob,
} from './idempotency/idempotency-service.js';
import { dryRunImport, importJobDefinition, LOCAL_IMPORT_JOB_TYPE } from './imports/import-job.js';
import { createImportService, type ImportService } from './imports/import-service.js';
import type { LiveImportProgress } from './imports/import-types.js';
import type { JobRunner } from './jobs/job-runner.js';
import { createKeyService } from './keys/key-service.js';
import { createMigrationJobs, type MigrationJobs, migrateJobDefinition } from './migrate/migrate-job.js';
import { createMigrateService, type MigrateService } from './migrate/migrate-service.js';
import {
  createOperationsService,
  type ReadinessReport,
  type ReadyOptions,
  type RosterStats,
} from './operations/operations-service.js';
import { type ResolvedRosterOptions, type RosterOptions, resolveOptions } from './options.js';
import { createProjectService } from './projects/project-service.js';
import { createPropertyTypeCache } from './properties/property-check.js';
import { createPropertyService, type PropertyService } from './properties/property-service.js';
import { createRateLimitService, type RateLimitService } from './rate-limits/rate-limit-service.js';
import { createSegmentService, type SegmentService, segmentsRefreshJob } from './segments/segment-service.js';
import type { ServiceDeps } from './service-deps.js';
import { createStatsService, type StatsService } from './stats/stats-service.js';
import { createInboundService, type InboundService } from './suppressions/suppression-inbound.js';
import { createSuppressionService, type SuppressionService } from './suppressions/suppression-service.js';
import { createTelemetry, type TelemetryListener } from './telemetry.js';
import { createTopicService, type TopicService } from './topics/topic-service.js';
import { WEBHOOK_DELIVERY_LANE, WEBHOOKS_CONSUMER } from './webhooks/webhook-delivery.js';
import { projectsWithEndpoints } from './webhooks/webhook-repository.js';
import { createWebhookService, type WebhookService } from './webhooks/webhook-service.js';

export interface Roster {
  readonly options: ResolvedRosterOptions;
  /** The Kysely instance roster works on (for advanced use and tests). */
  readonly db: Kysely<Database>;
  readonly dialect: DialectInfo;
  readonly projects: ReturnType<typeof createProjectService>;
  readonly keys: ReturnType<typeof createKeyService>;
  readonly contacts: ReturnType<typeof createContactService>;
  /** Audiences of a project: named lists, each contact in at most one. */
  readonly audiences: AudienceService;
  /**
   * Declared contact properties (Resend's): a key, a type (`string` | `number`) and a fallback
   * value per project. Every write that sets `data.<key>` must give a value of the declared type.
   */
  readonly properties: PropertyService;
  /** Operations on many contacts at once: synchronous `apply`, or queued as a job. */
  readonly bulk: BulkService;
  /** CSV imports, run as durable jobs. */
  readonly imports: ImportService;
  /**
   * The durable job queue. Not started by default (see `jobs.autoStart`): call `start()` to run
   * jobs in the background, or `runOnce()` to run the due ones now.
   */
  readonly jobs: JobRunner;
  /**
   * Events of contacts: `track` (Plunk's `POST /v1/track`) and `list` (a contact's tracked events),
   * and `subscribe` to the change events (`contact.created`, ...) of this roster.
   */
  readonly events: EventService;
  /**
   * Change events (the transactional outbox): every write appends its events (`contact.created`,
   * `contact.updated`, `contact.deleted`, `contact.subscribed`, `contact.unsubscribed`,
   * `import.completed`, `import.failed`, `bulk.completed`, `segment.<slug>.entry|exit`) in the same
   * transaction as the change.
   */
  readonly changes: ChangeService;
  /** Segments: Plunk's DYNAMIC (filter tree) and STATIC (member list) segments. */
  readonly segments: SegmentService;
  /**
   * Topics (Resend's): per-topic opt-in / opt-out of a project's contacts, with each topic's
   * default for contacts that have not chosen.
   */
  readonly topics: TopicService;
  /**
   * Moving in: `fromPlunk`, `fromUnosend`, `fromResend` pull every contact of an account through
   * the provider's public API into a project (re-runnable, resumable, `dryRun`); `start` runs the
   * same as a durable background job (its key sealed at rest), `status` reads that job.
   */
  readonly migrate: MigrateService & MigrationJobs;
  /** Idempotency-Key claims (used by `POST /v1/track`). */
  readonly idempotency: IdempotencyService;
  /**
   * Signed webhooks (Standard Webhooks): endpoints per project, deliveries of change events as
   * durable jobs with retries, replay, secret rotation, test events.
   */
  readonly webhooks: WebhookService;
  /** Readiness: whether this roster can serve (`ready()`: the database, the migrations, the job runner). */
  readonly health: {
    ready(options?: ReadyOptions): Promise<ReadinessReport>;
  };
  /**
   * Numbers about the database: for metrics (jobs by type and state, outbox lag, contacts per
   * project) and a project's numbers over time (the dashboard's Overview: `overview(projectId, {
   * days })`, read from daily counts kept with every contact write, so it stays fast at any size).
   */
  readonly stats: RosterStats & StatsService;
  /**
   * What the background work reports as it goes (a job run finished, a webhook delivery attempt
   * was recorded): `subscribe(listener)` returns the unsubscribe function. Metrics listen here.
   */
  readonly telemetry: {
    subscribe(listener: TelemetryListener): () => void;
  };
  /**
   * The audit log: administrative actions (keys, webhooks, bulk deletes, exports, imports, …) with
   * time, actor, action, target and detail. Append-only: `record` and `list`; entries past
   * `audit.retentionDays` are deleted by a periodic job.
   */
  readonly audit: AuditService;
  /**
   * Per-project token buckets kept in the database, shared by every process on it (the opt-in
   * rate limits of `roster serve --rate-limit`): `take(projectId, bucket, { perSecond, burst })`.
   */
  readonly rateLimits: RateLimitService;
  /**
   * Consent: signed links (confirm, one-click unsubscribe, preferences) verified without a
   * database query, double opt-in (`requestConfirmation`, `confirm`), RFC 8058 headers
   * (`unsubscribeHeaders`), the preference page's content and saving, the signing secret's rotation;
   * personal data: `exportPersonalData` (one JSON document) and `erase` of one address.
   */
  readonly consent: ConsentService & PersonalDataService;
  /**
   * The suppression list: addresses no write can make subscribed (`add`, `list`, `get`, `check`,
   * `remove`), and `inbound`, the bounce and complaint webhooks of Resend and Postmark that feed it
   * (credentials set with `configureInbound`).
   */
  readonly suppressions: SuppressionService & { readonly inbound: InboundService };
  /**
   * Stops the background work gracefully (the job runner and the change feed's consumers), then
   * closes the database if roster opened it. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Creates a roster: opens (or adopts) the database, migrates it, and returns the services.
 *
 * ```ts
 * const roster = await createRoster({ database: './roster.db' });
 * const project = await roster.projects.ensure('default');
 * await roster.contacts.upsert(project.id, { email: 'ada@example.com', data: { plan: 'pro' } });
 * ```
 */
export async function createRoster(options: RosterOptions = {}): Promise<Roster> {
  const resolved = resolveOptions(options);
  let db: Kysely<Database>;
  let owned: boolean;
  let dialect: DialectInfo;
  /** Where the job runner LISTENs for jobs queued by other processes (PostgreSQL). */
  let listenUrl = resolved.jobs.listenUrl;
  if (typeof resolved.database === 'string') {
    const postgres = isPostgresUrl(resolved.database);
    ({ db, owned } = postgres
      ? openPostgres(resolved.database)
      : openSqlite(resolved.database, resolved.sqlite.cacheSizeKiB));
    dialect = dialectFor(postgres ? 'postgres' : 'sqlite');
    if (postgres) listenUrl ??= resolved.database;
  } else {
    db = resolved.database as Kysely<Database>;
    owned = false;
    dialect = detectDialect(db);
  }
  const contactIndex = contactIndexFor(dialect, { substringIndex: resolved.search.substringIndex });
  const telemetry = createTelemetry(resolved.logger);
  if (resolved.migrate) {
    await migrateToLatest(db as Kysely<any>, dialect, resolved.logger);
    await contactIndex.prepare(db as Kysely<any>, (message) => console.warn(message));
  }

  // Background work (the job runner and the change feed) has one owner: see background.ts.
  const background = createBackground({
    db,
    dialect,
    clock: resolved.clock,
    options: resolved.jobs,
    lanes: { [WEBHOOK_DELIVERY_LANE]: resolved.webhooks.concurrency },
    listenUrl,
    telemetry,
  });
  const { feed, jobs } = background;
  const deps: ServiceDeps = {
    db,
    dialect,
    clock: resolved.clock,
    changes: background.notifier,
    telemetry,
  };
  const operations = createOperationsService({
    db,
    contactIndex,
    migrationNames: migrationNames(dialect),
    runner: jobs,
    pollIntervalMs: resolved.jobs.pollIntervalMs,
    now: Date.now,
  });
  // The declared property types every write path checks data against, cached per project.
  const propertyTypes = createPropertyTypeCache();
  // One queue for every single-row write path (contacts, track, idempotency keys), so writes of
  // concurrent requests share a transaction whatever route they came by.
  const writes =
    dialect.singleWriter && resolved.sqlite.groupCommit ? groupCommitWrites(db) : directWrites(db);
  const bulkDeps = { ...deps, maxBulkIds: resolved.limits.maxBulkIds, jobs };
  jobs.register(bulkJobDefinition(bulkDeps));
  const liveImports = new Map<string, LiveImportProgress>();
  const importDeps = { ...deps, ...resolved.imports, contactIndex, live: liveImports, propertyTypes };
  jobs.register(importJobDefinition(importDeps));
  jobs.register(importJobDefinition(importDeps, LOCAL_IMPORT_JOB_TYPE));
  jobs.register(idempotencyCleanupJob({ ...deps, jobs }));
  // Also folded into track's own write (events.trackWithKey).
  const idempotency = createIdempotencyService({
    ...deps,
    jobs,
    writes,
    ttlMs: resolved.events.idempotencyTtlMs,
  });
  const segmentDeps = {
    ...deps,
    jobs,
    refreshIntervalMs: resolved.segments.refreshIntervalMs,
    scanChunkSize: resolved.segments.scanChunkSize,
  };
  const segments = createSegmentService(segmentDeps);
  jobs.register(segmentsRefreshJob(segmentDeps, () => segments));
  const webhooks = createWebhookService({ ...deps, jobs, options: resolved.webhooks });
  jobs.register(webhooks.deliveryJob);
  const auditDeps = { ...deps, jobs, retentionDays: resolved.audit.retentionDays };
  const audit = createAuditService(auditDeps);
  jobs.register(auditPruneJob(auditDeps, () => audit));
  // The migrate service is built after the runner may start: the job reads it when it runs.
  let migrate: MigrateService | undefined;
  const projectService = createProjectService(deps);
  const migrateJobDeps = {
    ...deps,
    jobs,
    projects: projectService,
    targets: {
      allowPrivate: resolved.webhooks.allowPrivateTargets,
      resolve: resolved.webhooks.resolve,
      hint: resolved.webhooks.privateTargetsHint,
    },
  };
  jobs.register(migrateJobDefinition(migrateJobDeps, () => migrate!));
  // The webhook fan-out: deliveries are written in the consumer's transaction, with its cursor.
  // Only projects with an endpoint: the others' events are not expanded (an import without any
  // endpoint reads none of its contacts back).
  feed.registerConsumer(
    WEBHOOKS_CONSUMER,
    async (trx, changes) => {
      await webhooks.fanOut(trx, changes);
    },
    { projects: projectsWithEndpoints },
  );
  // Without `migrate` the tables may not exist yet: consumers then create their cursors when they first run.
  if (resolved.migrate) await background.prepare();
  if (resolved.jobs.autoStart) await jobs.start();
  let closed = false;
  const projects = projectService;
  const contacts = createContactService({ ...deps, contactIndex, writes, propertyTypes });
  const audiences = createAudienceService(deps);
  const properties = createPropertyService({ ...deps, propertyTypes });
  const topics = createTopicService(deps);
  const consent = createConsentService({ ...deps, contacts, topics, publicUrl: resolved.publicUrl });
  // The link keys in memory from the start, so no link's verification waits for a query.
  if (resolved.migrate) await consent.prepare();
  const migrateService = createMigrateService({
    ...deps,
    contacts,
    audiences,
    segments,
    topics,
    properties,
    projects,
  });
  migrate = migrateService;
  return {
    options: resolved,
    db,
    dialect,
    projects,
    keys: createKeyService(deps),
    contacts,
    audiences,
    properties,
    changes: {
      list: feed.list,
      registerConsumer: feed.registerConsumer,
      subscribe: feed.subscribe,
    },
    bulk: createBulkService(bulkDeps),
    imports: createImportService({
      ...deps,
      jobs,
      maxImportBytes: resolved.limits.maxImportBytes,
      live: liveImports,
      propertyTypes,
      dryRun: (projectId, payload) => dryRunImport(importDeps, projectId, payload),
    }),
    jobs,
    events: createEventService({ ...deps, contactIndex, writes, feed, propertyTypes, idempotency }),
    segments,
    topics,
    migrate: Object.assign(migrateService, createMigrationJobs(migrateJobDeps)),
    consent: Object.assign(consent, createPersonalDataService(deps)),
    idempotency,
    webhooks: webhooks.service,
    health: operations.health,
    stats: { ...operations.stats, ...createStatsService(deps) },
    telemetry: { subscribe: telemetry.subscribe },
    audit,
    rateLimits: createRateLimitService(deps),
    suppressions: { ...createSuppressionService(deps), inbound: createInboundService(deps) },
    async close() {
      if (closed) return;
      closed = true;
      await jobs.stop();
      if (owned) await db.destroy();
    },
  };
}
