import type { Kysely } from 'kysely';
import { type Clock, systemClock } from './clock.js';
import type { ResolvedJobsOptions } from './jobs/job-types.js';
import { type RosterLogger, resolveLogger } from './logger.js';
import type { ResolvedWebhooksOptions } from './webhooks/webhook-options.js';
import {
  DEFAULT_PRIVATE_TARGETS_HINT,
  systemResolver,
  type WebhookResolver,
} from './webhooks/webhook-target.js';

// The resolved options each feature reads live with the feature, which never imports this file.
export type { ResolvedJobsOptions } from './jobs/job-types.js';
export type { ResolvedWebhooksOptions } from './webhooks/webhook-options.js';

/** Options of `createRoster`. Every one is optional; defaults are resolved once and frozen. */
export interface RosterOptions {
  /**
   * Where contacts live: a SQLite file path, `':memory:'`, or a Kysely instance you own
   * (roster then never closes it).
   * @default ':memory:'
   */
  database?: string | Kysely<any>;
  /**
   * Bring the schema up to date when the roster is created.
   * @default true
   */
  migrate?: boolean;
  /**
   * Source of the current time, for tests.
   * @default () => new Date()
   */
  clock?: Clock;
  /** The background job queue (imports, bulk operations). */
  jobs?: JobsOptions;
  /** Limits enforced on every caller (HTTP, CLI, embedding code). */
  limits?: LimitsOptions;
  /** CSV imports. */
  imports?: ImportsOptions;
  /** Email substring search. */
  search?: SearchOptions;
  /** Tuning of a SQLite database roster opens itself (ignored for a Kysely instance or Postgres). */
  sqlite?: SqliteOptions;
  /** Events (`POST /v1/track`) and their Idempotency-Key claims. */
  events?: EventsOptions;
  /** The audit log of administrative actions (`roster.audit`). */
  audit?: AuditOptions;
  /** Segments. */
  segments?: SegmentsOptions;
  /** Signed webhooks (Standard Webhooks) to endpoints of each project. */
  webhooks?: WebhooksOptions;
  /**
   * Where roster logs its background work (a line per job run, per webhook delivery attempt, per
   * migration applied): a pino logger, or anything with pino's `error`, `warn`, `info` and `debug`
   * taking `(fields, message)`. Lines never carry a key, a token or a contact's data.
   * @default a silent logger (nothing is written)
   */
  logger?: RosterLogger;
  /**
   * The public base URL of the consent pages (`/confirm/…`, `/unsubscribe/…`, `/preferences/…`),
   * e.g. `https://lists.example.com` (http or https, no query): the links `roster.consent` builds
   * start with it. Without it, building a link is `validation_failed` naming `publicUrl`.
   * @default undefined
   */
  publicUrl?: string;
}

/** The default delays between attempts of a webhook delivery (8 attempts over ~27.6 hours). */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS = Object.freeze([
  5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
]);

export interface WebhooksOptions {
  /**
   * Allow webhook targets on private, loopback, link-local, unique-local, shared (CGNAT),
   * multicast and unspecified addresses. Off, such targets are refused (server-side request
   * forgery), whether the URL holds the IP or its host name resolves to it. For local
   * development and tests only.
   * @default false
   */
  allowPrivateTargets?: boolean;
  /**
   * How the refusal of a private target tells the reader to allow them (it ends the validation
   * error of `webhooks.create`/`update` and the error of a refused delivery attempt). An app or
   * CLI names its own setting here, e.g. the `roster` CLI its flag and environment variable.
   * @default 'allow them with the webhooks.allowPrivateTargets option'
   */
  privateTargetsHint?: string;
  /**
   * How many delivery attempts run at once in this process. Deliveries have their own lane of the
   * job runner: a slow endpoint never takes a slot of other jobs (`jobs.concurrency`), and other
   * jobs never hold deliveries back.
   * @default 4
   */
  concurrency?: number;
  /**
   * Deadline of one delivery attempt (connect, send, answer), in ms.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * Delays before each retry of a failed delivery, in ms: the first attempt is immediate, retry
   * `n` waits `retryScheduleMs[n - 1]`; after the last one the delivery has failed for good.
   * @default [5000, 300000, 1800000, 7200000, 18000000, 36000000, 36000000] (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h)
   */
  retryScheduleMs?: readonly number[];
  /**
   * An endpoint whose attempts have all failed for this long (since its first failed attempt
   * after its last success) is disabled at its next failed attempt, and its pending deliveries
   * fail. The user re-enables it (`webhooks.update(..., { enabled: true })`) and may replay.
   * @default 86400000 (24 hours)
   */
  disableAfterMs?: number;
  /**
   * After `rotateSecret`, how long the previous secret keeps signing beside the new one.
   * @default 86400000 (24 hours)
   */
  secretOverlapMs?: number;
  /**
   * Finished deliveries (and their attempts) stay listed this long, then are deleted (checked at
   * most every 10 minutes per process, while deliveries are sent).
   * @default 604800000 (7 days)
   */
  retentionMs?: number;
  /**
   * Resolves a host name to its addresses for the SSRF guard (tests may pass a fake).
   * @default dns.lookup with `all: true`
   */
  resolve?: WebhookResolver;
}

export interface AuditOptions {
  /**
   * Days an audit entry is kept; older ones are deleted by the periodic `audit.prune` job (which
   * runs while the job runner runs).
   * @default 365
   */
  retentionDays?: number;
}

export interface EventsOptions {
  /**
   * How long a claimed Idempotency-Key blocks reuse (Plunk's `IDEMPOTENCY_KEY_TTL_HOURS`).
   * @default 86400000 (24 hours)
   */
  idempotencyTtlMs?: number;
}

export interface SegmentsOptions {
  /**
   * How often the durable `segments.refresh` job recounts every segment's cached `memberCount`
   * (and records entry/exit events of `trackMembership` segments), as Plunk's 5-minute job.
   * @default 300000 (5 minutes)
   */
  refreshIntervalMs?: number;
  /**
   * How much one statement of a refresh or compute does, as they walk every contact of the project.
   * A refresh counts all segments in one pass: each statement evaluates about this many
   * contact × segment conditions (SQLite; PostgreSQL counts in one statement). A compute reads and
   * writes this many contacts per transaction. On SQLite a query holds the whole process while it
   * runs: small chunks, with I/O served between them, keep the API answering during a refresh of a
   * million contacts.
   * @default 5000 conditions per count and 1000 contacts per compute on SQLite; 20000 contacts per compute on PostgreSQL
   */
  scanChunkSize?: number;
}

export interface SqliteOptions {
  /**
   * Size of SQLite's page cache in KiB (`PRAGMA cache_size = -N`). A bigger cache keeps more
   * of the contact indexes in memory for reads; a small one bounds the process memory of a
   * long write-heavy run such as `roster import` (which passes 12288), at some cost in speed.
   * @default 65536 (64 MiB)
   */
  cacheSizeKiB?: number;
  /**
   * Group commit: concurrent single contact writes (upsert, create, update) that arrive together
   * share one transaction, each in its own savepoint; every caller is answered after the COMMIT
   * holding its write, and a failing write fails alone. Off: one transaction per write.
   * @default true
   */
  groupCommit?: boolean;
}

export interface SearchOptions {
  /**
   * SQLite: keep an FTS5 trigram index of the emails so a search for a rare term reads a few
   * index entries instead of scanning the project (~1 ms instead of ~400 ms at 1 M contacts).
   * It costs ~30 MB per million contacts and ~15 % of import throughput. Turning it off drops
   * the index on the next start; turning it on builds it. Postgres uses pg_trgm regardless.
   * @default true
   */
  substringIndex?: boolean;
}

export interface ImportsOptions {
  /**
   * Rows upserted per transaction; the job's position is recorded with each batch. Bigger
   * batches mean fewer commits (a commit writes every touched index page to the WAL: it was the
   * largest single cost of an import), at the price of more memory per batch (~30 MB more
   * peak RSS at 10 000 than at 5 000 rows in the 100 MB `roster import` benchmark).
   * @default 10000
   */
  batchSize?: number;
  /**
   * Parse large CSV files (see `workerMinBytes`) in a worker thread, so parsing overlaps with the
   * database writes. The first batch's records (`batchSize`) are parsed in the calling thread while
   * the worker starts, so the first write does not wait for it. Off: parse in the calling thread.
   * @default true
   */
  parseInWorker?: boolean;
  /**
   * With `parseInWorker`, files (the part still to import) smaller than this are parsed in the
   * calling thread anyway: starting a worker (~0.4 s of CPU on a loaded machine) and copying every
   * record between the threads cost more than the overlap saves on small files. HTTP imports
   * against the raw upsert, parsed in the thread / in a worker (medians, 2026-12-07, loaded
   * machine; docs/performance.md): 1 MiB 0.59× / 0.45×, 2 MiB 1.02× / 0.89×, 4 MiB 0.85× / 0.75×,
   * 5 MB 0.77× / 0.82× and 0.61× / 0.72×. So an HTTP upload near the 5 MiB cap
   * (`limits.maxImportBytes`) is parsed in a worker, smaller ones in the job's thread.
   * @default 4718592 (4.5 MiB)
   */
  workerMinBytes?: number;
}

/** How the durable job queue runs. The `roster_jobs` table is the source of truth. */
export interface JobsOptions {
  /**
   * How many jobs run at once in this process, webhook deliveries apart (`webhooks.concurrency`).
   * @default 2
   */
  concurrency?: number;
  /**
   * How often the started runner looks for due jobs. It is also woken at once when this process
   * enqueues a job and, on PostgreSQL, when another process does (`LISTEN/NOTIFY`, see
   * `listenUrl`): polling is the fallback (SQLite shared by several processes, a lost
   * notification connection, jobs whose retry time comes).
   * @default 500
   */
  pollIntervalMs?: number;
  /**
   * PostgreSQL only: the connection URL the started runner opens one dedicated connection to, to
   * `LISTEN` for jobs queued by other processes. When roster opens a `postgres://` URL itself it
   * uses that URL; pass this when you give roster a Kysely instance (without it, jobs queued by
   * other processes are found at the next poll). Its search path must reach roster's tables.
   * @default the `database` URL, if it is one
   */
  listenUrl?: string;
  /**
   * A running job whose lock has not been refreshed for this long is considered abandoned (its
   * process died) and is queued again. Running jobs refresh their lock every third of this.
   * @default 30000
   */
  lockTimeoutMs?: number;
  /**
   * Finished (completed or failed) jobs stay queryable this long, then are deleted with their files.
   * @default 604800000 (7 days)
   */
  retentionMs?: number;
  /**
   * Attempts before a job is marked failed (a crashed attempt counts).
   * @default 3
   */
  maxAttempts?: number;
  /**
   * Delay before retry `attempt` (1 = first retry): exponential from `baseMs`, capped at `maxMs`.
   * @default { baseMs: 1000, maxMs: 60000 }
   */
  backoff?: { baseMs?: number; maxMs?: number };
  /**
   * Start the background runner when the roster is created. Off by default so embedding code and
   * tests decide when jobs run (`roster.jobs.start()`, or `roster.jobs.runOnce()`); `roster serve`
   * starts it.
   * @default false
   */
  autoStart?: boolean;
  /**
   * Receives unexpected errors: a job attempt that threw something other than a `RosterError`
   * (it is retried), or background work (polling, cleanup) that failed.
   * @default (error) => console.error('roster jobs:', error)
   */
  onError?: (error: unknown) => void;
}

export interface LimitsOptions {
  /**
   * Largest import file accepted through `roster.imports.enqueue` with bytes or a stream
   * (files read from disk by the CLI have no cap).
   * @default 5242880 (5 MB)
   */
  maxImportBytes?: number;
  /**
   * Most contact ids one bulk operation accepts.
   * @default 1000
   */
  maxBulkIds?: number;
}

export interface ResolvedLimits {
  readonly maxImportBytes: number;
  readonly maxBulkIds: number;
}

export interface ResolvedRosterOptions {
  readonly database: string | Kysely<any>;
  readonly migrate: boolean;
  readonly clock: Clock;
  readonly jobs: ResolvedJobsOptions;
  readonly limits: ResolvedLimits;
  readonly imports: {
    readonly batchSize: number;
    readonly parseInWorker: boolean;
    readonly workerMinBytes: number;
  };
  readonly search: { readonly substringIndex: boolean };
  readonly sqlite: { readonly cacheSizeKiB: number; readonly groupCommit: boolean };
  readonly events: { readonly idempotencyTtlMs: number };
  readonly audit: { readonly retentionDays: number };
  readonly segments: { readonly refreshIntervalMs: number; readonly scanChunkSize?: number };
  readonly webhooks: ResolvedWebhooksOptions;
  readonly logger: RosterLogger;
  /** Without a trailing slash. */
  readonly publicUrl: string | undefined;
}

/** The defaults of `limits`, also stated by the OpenAPI documents of @roster/express. */
export const DEFAULT_LIMITS = Object.freeze({ maxImportBytes: 5 * 1024 * 1024, maxBulkIds: 1000 });

export function resolveOptions(options: RosterOptions = {}): ResolvedRosterOptions {
  return Object.freeze({
    database: options.database ?? ':memory:',
    migrate: options.migrate ?? true,
    clock: options.clock ?? systemClock,
    jobs: resolveJobs(options.jobs ?? {}),
    limits: Object.freeze({
      maxImportBytes: positiveInt(
        'limits.maxImportBytes',
        options.limits?.maxImportBytes,
        DEFAULT_LIMITS.maxImportBytes,
      ),
      maxBulkIds: positiveInt('limits.maxBulkIds', options.limits?.maxBulkIds, DEFAULT_LIMITS.maxBulkIds),
    }),
    imports: Object.freeze({
      batchSize: positiveInt('imports.batchSize', options.imports?.batchSize, 10_000),
      parseInWorker: options.imports?.parseInWorker ?? true,
      workerMinBytes: nonNegativeInt(
        'imports.workerMinBytes',
        options.imports?.workerMinBytes,
        4.5 * 1024 * 1024,
      ),
    }),
    search: Object.freeze({ substringIndex: options.search?.substringIndex ?? true }),
    sqlite: Object.freeze({
      cacheSizeKiB: positiveInt('sqlite.cacheSizeKiB', options.sqlite?.cacheSizeKiB, 65_536),
      groupCommit: options.sqlite?.groupCommit ?? true,
    }),
    events: Object.freeze({
      idempotencyTtlMs: positiveInt('events.idempotencyTtlMs', options.events?.idempotencyTtlMs, 86_400_000),
    }),
    audit: Object.freeze({
      retentionDays: positiveInt('audit.retentionDays', options.audit?.retentionDays, 365),
    }),
    segments: Object.freeze({
      refreshIntervalMs: positiveInt(
        'segments.refreshIntervalMs',
        options.segments?.refreshIntervalMs,
        300_000,
      ),
      ...(options.segments?.scanChunkSize === undefined
        ? {}
        : { scanChunkSize: positiveInt('segments.scanChunkSize', options.segments.scanChunkSize, 1) }),
    }),
    webhooks: resolveWebhooks(options.webhooks ?? {}),
    logger: resolveLogger(options.logger),
    publicUrl: resolvePublicUrl(options.publicUrl),
  });
}

/** An http(s) URL without query or fragment, its trailing slashes dropped. */
export function resolvePublicUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new TypeError(
      `roster: publicUrl must be an http or https URL without query or fragment (got ${value})`,
    );
  }
  return url.href.replace(/\/+$/, '');
}

function nonEmptyHint(hint: string | undefined): string {
  if (hint === undefined) return DEFAULT_PRIVATE_TARGETS_HINT;
  if (typeof hint !== 'string' || hint.trim() === '')
    throw new TypeError('roster: webhooks.privateTargetsHint must be a non-empty string');
  return hint;
}

function resolveWebhooks(webhooks: WebhooksOptions): ResolvedWebhooksOptions {
  const schedule = webhooks.retryScheduleMs ?? DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS;
  if (!Array.isArray(schedule) || schedule.some((ms) => !Number.isInteger(ms) || ms < 0))
    throw new TypeError('roster: webhooks.retryScheduleMs must be an array of non-negative integers');
  return Object.freeze({
    allowPrivateTargets: webhooks.allowPrivateTargets ?? false,
    privateTargetsHint: nonEmptyHint(webhooks.privateTargetsHint),
    concurrency: positiveInt('webhooks.concurrency', webhooks.concurrency, 4),
    timeoutMs: positiveInt('webhooks.timeoutMs', webhooks.timeoutMs, 10_000),
    retryScheduleMs: Object.freeze([...schedule]),
    disableAfterMs: nonNegativeInt('webhooks.disableAfterMs', webhooks.disableAfterMs, 86_400_000),
    secretOverlapMs: nonNegativeInt('webhooks.secretOverlapMs', webhooks.secretOverlapMs, 86_400_000),
    retentionMs: positiveInt('webhooks.retentionMs', webhooks.retentionMs, 7 * 86_400_000),
    resolve: webhooks.resolve ?? systemResolver,
  });
}

function resolveJobs(jobs: JobsOptions): ResolvedJobsOptions {
  return Object.freeze({
    concurrency: positiveInt('jobs.concurrency', jobs.concurrency, 2),
    pollIntervalMs: positiveInt('jobs.pollIntervalMs', jobs.pollIntervalMs, 500),
    listenUrl: postgresUrl('jobs.listenUrl', jobs.listenUrl),
    lockTimeoutMs: positiveInt('jobs.lockTimeoutMs', jobs.lockTimeoutMs, 30_000),
    retentionMs: positiveInt('jobs.retentionMs', jobs.retentionMs, 7 * 24 * 60 * 60 * 1000),
    maxAttempts: positiveInt('jobs.maxAttempts', jobs.maxAttempts, 3),
    backoff: Object.freeze({
      baseMs: nonNegativeInt('jobs.backoff.baseMs', jobs.backoff?.baseMs, 1000),
      maxMs: nonNegativeInt('jobs.backoff.maxMs', jobs.backoff?.maxMs, 60_000),
    }),
    autoStart: jobs.autoStart ?? false,
    onError: jobs.onError ?? ((error: unknown) => console.error('roster jobs:', error)),
  });
}

function postgresUrl(name: string, value: string | undefined): string | undefined {
  if (value !== undefined && !/^postgres(ql)?:\/\//i.test(value))
    throw new TypeError(`roster: ${name} must be a postgres:// URL`);
  return value;
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1)
    throw new TypeError(`roster: ${name} must be a positive integer`);
  return value;
}

function nonNegativeInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0)
    throw new TypeError(`roster: ${name} must be a non-negative integer`);
  return value;
}
