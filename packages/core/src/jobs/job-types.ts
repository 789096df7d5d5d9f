import type { Kysely, Transaction } from 'kysely';
import type { DialectInfo } from '../db/dialect.js';
import type { Database, JobRow } from '../db/schema.js';

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed';

/** A job as core returns it. */
export interface Job<P = unknown, R = unknown> {
  id: string;
  projectId: string;
  type: string;
  status: JobStatus;
  payload: P;
  /** Attempts started so far (a crashed attempt counts). */
  attempts: number;
  maxAttempts: number;
  /** Not claimed before this time (ISO); later than `createdAt` while waiting for a retry. */
  runAt: string;
  /** When the running attempt last refreshed its lock; null unless running. */
  lockedAt: string | null;
  /**
   * The worker running the job; once completed or failed for good, the worker that finished it
   * (so a finished job tells which process ran it). Null while queued.
   */
  lockedBy: string | null;
  /** What the handler recorded so far (type-specific), or null. */
  progress: unknown;
  /** The handler's result once completed, else null. */
  result: R | null;
  /** Why the last attempt failed, if it did. */
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface JobContext<P = unknown> {
  /** The claimed job (status `running`, `attempts` already counts this attempt). */
  readonly job: Job<P>;
  /**
   * Aborted when the runner stops. Long handlers check it between units of work and return
   * by throwing `JobInterruptedError` (or calling `throwIfStopping()`); the job is then queued
   * again without counting the attempt.
   */
  readonly signal: AbortSignal;
  throwIfStopping(): void;
  /**
   * Runs `work` in one transaction. `saveProgress` stores the job's progress in that same
   * transaction (and refreshes its lock); if this worker has lost the job (its lock was released
   * as stale and someone else claimed it) it throws `JobLockLostError` and everything rolls back.
   */
  transaction<T>(
    work: (trx: Transaction<Database>, saveProgress: (progress: unknown) => Promise<void>) => Promise<T>,
  ): Promise<T>;
  /** The database, for reads outside a transaction. */
  readonly db: Kysely<Database>;
}

/** One kind of job: its type name and idempotent handler. */
export interface JobDefinition<P = unknown, R = unknown> {
  type: string;
  /**
   * The runner lane (`JobRunnerDeps.lanes`) its jobs run in, with that lane's own concurrency, so
   * they never take a slot of other jobs nor wait for one. Absent, the jobs share `jobs.concurrency`.
   */
  lane?: string;
  /**
   * Jobs of this type are never claimed by a runner looking for work (`start()`, `runOnce()`):
   * only `runJob(id)` runs them, in the process that calls it. For work tied to one process's
   * machine, e.g. the CLI's import of a file on its local disk, which a server on another host
   * sharing the database could not read.
   * @default false
   */
  byIdOnly?: boolean;
  /**
   * Does the work and returns the result to store. Must be idempotent: it may run again after a
   * crash, starting from the progress it saved. Throwing a `RosterError` fails the job at once
   * (the input is wrong, retrying cannot help); any other error is retried with backoff until
   * `maxAttempts`.
   */
  run(ctx: JobContext<P>): Promise<R>;
  /**
   * Runs in the transaction that marks the job completed (e.g. to append its change event), so
   * both happen or neither does.
   */
  completedIn?(trx: Transaction<Database>, job: Job<P>, result: R): Promise<void>;
  /**
   * Runs in the transaction that fails the job for good (not for attempts that will be retried):
   * its last attempt threw, its attempts were used up by workers that died (released as stale,
   * `error` is then the job's `lastError`), or it was cancelled. Jobs it queues in `trx` are
   * picked up when that transaction commits (the runner wakes).
   */
  failedIn?(trx: Transaction<Database>, job: Job<P>, error: string): Promise<void>;
  /** Called once when the job is finished for good (completed or finally failed), e.g. to delete its file. */
  onFinished?(db: Kysely<Database>, job: Job<P>): Promise<void>;
}

/** Thrown by a handler's `saveProgress` when another worker owns the job now. */
export class JobLockLostError extends Error {
  constructor(jobId: string) {
    super(`roster: lost the lock of job ${jobId} (it was released as stale)`);
    this.name = 'JobLockLostError';
  }
}

/** Thrown by a handler that stops early because the runner is stopping. */
export class JobInterruptedError extends Error {
  constructor(jobId: string) {
    super(`roster: job ${jobId} interrupted by stop()`);
    this.name = 'JobInterruptedError';
  }
}

/** Maps a stored row; JSON columns are text on SQLite (parsed here) and already parsed on Postgres. */
export function rowToJob<P = unknown, R = unknown>(row: JobRow, dialect: DialectInfo): Job<P, R> {
  return {
    id: row.id,
    projectId: row.project_id,
    type: row.type,
    status: row.status,
    payload: dialect.parseJson(row.payload) as P,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    runAt: row.run_at,
    lockedAt: row.locked_at,
    lockedBy: row.locked_by,
    progress: dialect.parseJson(row.progress),
    result: dialect.parseJson(row.result) as R | null,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The job runner's options, resolved by `createRoster` (see `JobsOptions` in options.ts). */
export interface ResolvedJobsOptions {
  readonly concurrency: number;
  readonly pollIntervalMs: number;
  readonly listenUrl: string | undefined;
  readonly lockTimeoutMs: number;
  readonly retentionMs: number;
  readonly maxAttempts: number;
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
  readonly autoStart: boolean;
  readonly onError: (error: unknown) => void;
}
