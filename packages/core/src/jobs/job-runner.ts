import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import PQueue from 'p-queue';
import { isoNow } from '../clock.js';
import type { StopListening } from '../db/postgres-listener.js';
import type { Db, JobRow } from '../db/schema.js';
import { isRosterError, RosterError } from '../errors.js';
import { isUuid, uuidv7 } from '../ids.js';
import { keysetPage } from '../paging.js';
import type { ServiceDeps } from '../service-deps.js';
import type { JobRunEvent } from '../telemetry.js';
import * as store from './job-store.js';
import type { ResolvedJobsOptions } from './job-types.js';
import {
  type Job,
  type JobContext,
  type JobDefinition,
  JobInterruptedError,
  JobLockLostError,
  type JobStatus,
  rowToJob,
} from './job-types.js';

export interface JobRunnerDeps extends ServiceDeps {
  options: ResolvedJobsOptions;
  /**
   * Named lanes and how many of their jobs run at once (`JobDefinition.lane`): a lane's jobs never
   * take a slot of another lane. Jobs without a lane share `options.concurrency`.
   */
  lanes?: Readonly<Record<string, number>>;
  /**
   * Subscribes to other processes' "jobs queued" notifications while the runner is started (see
   * `DialectInfo.jobsQueuedNotification`); absent, other processes' jobs are found by polling.
   */
  listen?: (onWake: () => void) => Promise<StopListening>;
}

export interface EnqueueOptions {
  /** Overrides `jobs.maxAttempts` for this job. */
  maxAttempts?: number;
  /** Not run before this time. */
  runAt?: Date;
  /** Use this id (a UUID) instead of a new one. */
  id?: string;
  /**
   * Insert within this transaction (e.g. together with the file the job reads). The runner cannot
   * see the commit: call `wake()` after it, or the job waits for the next poll in this process
   * (other processes are notified when it commits).
   */
  db?: Db;
}

/** A page of `jobs.list`. */
export interface JobPage<P = unknown, R = unknown> {
  data: Job<P, R>[];
  /** Pass it as `cursor` for the next page; null on the last page. */
  cursor: string | null;
  hasMore: boolean;
}

const HOST = hostname();

/** Delay before retry number `attempt` (1 = the first retry): exponential, capped. */
export function backoffDelay(attempt: number, backoff: { baseMs: number; maxMs: number }): number {
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `roster:<host>:<pid>:<random>`: the host and pid let a restarted process see that a lock's owner died. */
function parseWorkerId(id: string): { host: string; pid: number } | null {
  const match = /^roster:(.*):(\d+):[0-9a-f]+$/.exec(id);
  return match ? { host: match[1]!, pid: Number(match[2]) } : null;
}

/** Jobs of one lane run in its own p-queue, bounded by its concurrency. */
interface Lane {
  readonly concurrency: number;
  readonly queue: PQueue;
}

/**
 * Runs jobs from `roster_jobs`. The table is the source of truth; the p-queues (one per lane)
 * only bound how many run at once in this process. Several processes may share a database.
 */
export function createJobRunner(deps: JobRunnerDeps) {
  const { db, dialect, clock, options } = deps;
  const onError = options.onError;
  const workerId = `roster:${HOST}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const definitions = new Map<string, JobDefinition<any, any>>();
  const newLane = (concurrency: number): Lane => ({ concurrency, queue: new PQueue({ concurrency }) });
  const defaultLane = newLane(options.concurrency);
  const lanes = new Map(Object.entries(deps.lanes ?? {}).map(([name, n]) => [name, newLane(n)]));
  const laneOf = (type: string) => {
    const name = definitions.get(type)?.lane;
    return name === undefined ? defaultLane : lanes.get(name)!;
  };
  const allLanes = () => [defaultLane, ...lanes.values()];
  const active = new Map<string, Job>();
  let abort = new AbortController();
  let started = false;
  let stopping = false;
  let filling = false;
  /** A wake-up arrived while `fill` was claiming: it looks again before it returns. */
  let wanted = false;
  let timers: NodeJS.Timeout[] = [];
  /** One-shot wake-ups at the `run_at` of jobs due before the next poll. */
  const alarms = new Set<NodeJS.Timeout>();
  let stopListening: StopListening | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  /** When (Date.now) the started runner last finished a look for due jobs (readiness). */
  let lastPollAt = 0;

  const now = () => isoNow(clock);
  /**
   * The registered types of `lane`: each lane claims its own jobs; never the `byIdOnly` types, which
   * only `runJob` runs.
   */
  const typesOf = (lane: Lane) =>
    [...definitions.entries()]
      .filter(([type, definition]) => !definition.byIdOnly && laneOf(type) === lane)
      .map(([type]) => type);

  /**
   * Claims jobs for the lanes that pass `room`, one job per lane in turn, until every lane is full
   * or has no due job; `take` gets each job. A claim per lane: with one claim serving every lane,
   * a backlog of one lane (thousands of failing webhook deliveries, older than everything else)
   * took every claim while its lane had room, and a job of another lane queued behind it waited
   * for the whole backlog. A lane that found no due job is skipped until the others are done too,
   * unless `rescan` says that jobs may have been queued since (a wake-up): a lane that keeps
   * claiming must not keep a drained lane from seeing its new job.
   */
  async function claimPerLane(
    room: (lane: Lane) => boolean,
    take: (lane: Lane, job: Job) => void,
    rescan: () => boolean = () => false,
  ) {
    const drained = new Set<Lane>();
    for (let claimed = true; claimed; ) {
      if (rescan()) drained.clear();
      claimed = false;
      for (const lane of allLanes()) {
        if (drained.has(lane) || !room(lane)) continue;
        const job = await claim(typesOf(lane));
        if (!job) drained.add(lane);
        else {
          claimed = true;
          take(lane, job);
        }
      }
    }
  }

  function background(promise: Promise<unknown>): void {
    promise.catch(onError);
  }

  /** Makes the started runner look for due jobs right away (a no-op when not started). */
  function wake(): void {
    if (!started || stopping) return;
    wanted = true;
    if (!filling) setImmediate(() => background(fill()));
  }

  /** Wakes the runner at `runAt` if that comes before the next poll would find the job. */
  function wakeAt(runAt: string): void {
    const delay = Date.parse(runAt) - clock().getTime();
    if (!started || stopping || delay >= options.pollIntervalMs) return;
    if (delay <= 0) {
      wake();
      return;
    }
    // A timer can fire a few ms before `runAt` by the clock (libuv measures from its cached loop
    // time, which lags when the process was busy): look again then, rather than claim too early,
    // find nothing due, and leave the job to the next poll.
    const alarm = setTimeout(() => {
      alarms.delete(alarm);
      wakeAt(runAt);
    }, delay);
    alarm.unref();
    alarms.add(alarm);
  }

  /** The row of a job queued at `at` (due then unless `runAt`), for `enqueue` and `enqueueMany`. */
  function queuedJobRow(
    type: string,
    job: { projectId: string; payload: unknown; id?: string | undefined; runAt?: Date | undefined },
    maxAttempts: number | undefined,
    at: string,
  ) {
    return {
      id: job.id ?? uuidv7(),
      project_id: job.projectId,
      type,
      status: 'queued' as const,
      payload: dialect.json(job.payload),
      attempts: 0,
      max_attempts: maxAttempts ?? options.maxAttempts,
      run_at: job.runAt ? job.runAt.toISOString() : at,
      locked_at: null,
      locked_by: null,
      progress: null,
      result: null,
      last_error: null,
      created_at: at,
      updated_at: at,
    };
  }

  /** Tells the other processes (where the dialect can) and this runner that jobs are queued. */
  async function announce(): Promise<void> {
    await store.notifyJobsQueued(db, dialect);
    wake();
  }

  async function claim(types: string[]): Promise<Job | undefined> {
    const row = await store.claimNextJob(db, dialect, { workerId, now: now(), types });
    return row ? rowToJob(row, dialect) : undefined;
  }

  function startHeartbeat(): void {
    if (heartbeat) return;
    heartbeat = setInterval(
      () => {
        for (const id of active.keys()) background(store.touchJob(db, id, workerId, now()));
      },
      Math.max(10, Math.floor(options.lockTimeoutMs / 3)),
    );
    heartbeat.unref();
  }

  function stopHeartbeatIfIdle(): void {
    if (active.size === 0 && heartbeat) {
      clearInterval(heartbeat);
      heartbeat = undefined;
    }
  }

  function contextFor(job: Job, signal: AbortSignal): JobContext {
    return {
      job,
      signal,
      db,
      throwIfStopping() {
        if (signal.aborted) throw new JobInterruptedError(job.id);
      },
      async transaction(work) {
        const result = await db.transaction().execute((trx) =>
          work(trx, async (progress) => {
            if (!(await store.saveJobProgress(trx, dialect, job.id, workerId, progress, now()))) {
              throw new JobLockLostError(job.id);
            }
          }),
        );
        deps.changes?.committed(); // the work may have appended change events
        return result;
      },
    };
  }

  async function finished(definition: JobDefinition<any, any>, job: Job): Promise<void> {
    if (definition.onFinished) await definition.onFinished(db, job);
  }

  async function execute(job: Job): Promise<void> {
    const definition = definitions.get(job.type);
    if (!definition) return; // only registered types are claimed
    active.set(job.id, job);
    startHeartbeat();
    const signal = abort.signal;
    const startedAt = performance.now();
    const report = (outcome: JobRunEvent['outcome'], error?: string) => {
      const event: JobRunEvent = {
        kind: 'job',
        type: job.type,
        jobId: job.id,
        projectId: job.projectId,
        outcome,
        durationMs: performance.now() - startedAt,
      };
      const telemetry = deps.telemetry;
      if (!telemetry) return;
      telemetry.emit(event);
      const fields = {
        job: { id: job.id, type: job.type, attempt: job.attempts, outcome },
        projectId: job.projectId,
        durationMs: Math.round(event.durationMs),
      };
      if (outcome === 'failed') telemetry.logger.warn({ ...fields, error }, 'job failed');
      else if (outcome === 'retrying') telemetry.logger.warn({ ...fields, error }, 'job failed, will retry');
      else telemetry.logger.info(fields, `job ${outcome}`);
    };
    try {
      const result = await definition.run(contextFor(job, signal));
      const completed = definition.completedIn
        ? await db.transaction().execute(async (trx) => {
            const done = await store.completeJob(trx, dialect, job.id, workerId, result ?? null, now());
            if (done) await definition.completedIn!(trx, job, result);
            return done;
          })
        : await store.completeJob(db, dialect, job.id, workerId, result ?? null, now());
      report(completed ? 'completed' : 'interrupted');
      if (completed) {
        deps.changes?.committed();
        await finished(definition, job);
      }
    } catch (error) {
      if (error instanceof JobLockLostError) {
        report('interrupted');
        return; // another worker owns it now
      }
      if (error instanceof JobInterruptedError || (signal.aborted && !isRosterError(error))) {
        report('interrupted');
        // Another process may take it over at once.
        if (await store.releaseJob(db, job.id, workerId, now())) await store.notifyJobsQueued(db, dialect);
        return;
      }
      const permanent = isRosterError(error) || job.attempts >= job.maxAttempts;
      const retryAt = permanent
        ? null
        : new Date(clock().getTime() + backoffDelay(job.attempts, options.backoff)).toISOString();
      const message = error instanceof Error ? error.message : String(error);
      if (!isRosterError(error)) onError(error);
      const failed =
        retryAt === null && definition.failedIn
          ? await db.transaction().execute(async (trx) => {
              const done = await store.failJob(trx, job.id, workerId, message, retryAt, now());
              if (done) await definition.failedIn!(trx, job, message);
              return done;
            })
          : await store.failJob(db, job.id, workerId, message, retryAt, now());
      report(retryAt === null ? 'failed' : 'retrying', message);
      if (failed && retryAt === null) {
        deps.changes?.committed();
        if (definition.failedIn) wake(); // its failedIn may have queued jobs in its transaction
        await finished(definition, job);
      } else if (failed && retryAt !== null) wakeAt(retryAt);
    } finally {
      active.delete(job.id);
      stopHeartbeatIfIdle();
    }
  }

  const hasRoom = ({ queue, concurrency }: Lane) => !stopping && queue.size + queue.pending < concurrency;

  /**
   * Claims due jobs while there is room in the queue (started mode). A wake-up that arrives while
   * it claims is not lost: it claims again before returning (the job may have been queued after
   * its last empty claim).
   */
  async function fill(): Promise<void> {
    if (stopping || !started) return;
    if (filling) {
      wanted = true;
      return;
    }
    filling = true;
    try {
      do {
        wanted = false;
        await claimPerLane(
          hasRoom,
          ({ queue }, job) => background(queue.add(() => execute(job)).then(() => fill())),
          () => {
            const woken = wanted;
            wanted = false;
            return woken;
          },
        );
      } while (wanted && allLanes().some(hasRoom));
      lastPollAt = Date.now();
    } finally {
      filling = false;
    }
  }

  /** Workers on this host whose process no longer exists. */
  function deadWorkers(holders: Iterable<string>): string[] {
    const dead: string[] = [];
    for (const holder of holders) {
      const parsed = parseWorkerId(holder);
      if (parsed && parsed.host === HOST && parsed.pid !== process.pid && !pidAlive(parsed.pid))
        dead.push(holder);
    }
    return dead;
  }

  const runner = {
    /** This process's worker id, as stored in `locked_by`. */
    workerId,

    /** Registers a job type (core registers `import` and `bulk`). */
    register<P, R>(definition: JobDefinition<P, R>): void {
      if (definitions.has(definition.type))
        throw new Error(`roster: job type ${definition.type} is already registered`);
      if (definition.lane !== undefined && !lanes.has(definition.lane))
        throw new Error(`roster: job type ${definition.type} names an unknown lane ${definition.lane}`);
      definitions.set(definition.type, definition as JobDefinition<any, any>);
    },

    /**
     * Stores a job to run as soon as a worker is free; returns it. The started runner of this
     * process is woken at once, and on PostgreSQL the runners of other processes are notified
     * (`LISTEN/NOTIFY`), so the job starts within milliseconds when a worker is free; polling
     * (`jobs.pollIntervalMs`) remains the fallback.
     */
    async enqueue<P>(
      projectId: string,
      type: string,
      payload: P,
      opts: EnqueueOptions = {},
    ): Promise<Job<P>> {
      if (!definitions.has(type)) throw new Error(`roster: unknown job type ${type}`);
      const row = queuedJobRow(
        type,
        { projectId, payload, id: opts.id, runAt: opts.runAt },
        opts.maxAttempts,
        now(),
      );
      await store.insertJob(opts.db ?? db, row);
      await store.notifyJobsQueued(opts.db ?? db, dialect);
      if (!opts.db) wakeAt(row.run_at);
      return { ...rowToJob<P>({ ...row, payload: null } as JobRow, dialect), payload };
    },

    /**
     * Stores many jobs of one type at once (multi-row inserts, one notification), e.g. inside the
     * transaction that creates what they work on (`db`). Returns their ids, in order.
     */
    async enqueueMany<P>(
      type: string,
      jobs: { projectId: string; payload: P; id?: string; runAt?: Date }[],
      opts: Pick<EnqueueOptions, 'db' | 'maxAttempts'> = {},
    ): Promise<string[]> {
      if (!definitions.has(type)) throw new Error(`roster: unknown job type ${type}`);
      if (jobs.length === 0) return [];
      const at = now();
      const rows = jobs.map((job) => queuedJobRow(type, job, opts.maxAttempts, at));
      for (let i = 0; i < rows.length; i += 500)
        await store.insertJobs(opts.db ?? db, rows.slice(i, i + 500));
      await store.notifyJobsQueued(opts.db ?? db, dialect);
      if (!opts.db) wake();
      return rows.map((row) => row.id);
    },

    /**
     * Makes the started runner look for due jobs now (e.g. after committing a transaction that
     * enqueued one with `EnqueueOptions.db`). A no-op when the runner is not started.
     */
    wake,

    /** The job, if it exists and belongs to the project; `not_found` otherwise. */
    async get<P = unknown, R = unknown>(projectId: string, id: string): Promise<Job<P, R>> {
      const row = isUuid(id) ? await store.findJob(db, id.toLowerCase()) : undefined;
      if (!row || row.project_id !== projectId) throw RosterError.notFound('job');
      return rowToJob<P, R>(row, dialect);
    },

    /** The project's queued or running jobs of `type`, oldest first. */
    async unfinished<P = unknown, R = unknown>(projectId: string, type: string): Promise<Job<P, R>[]> {
      return (await store.findUnfinishedJobs(db, projectId, type)).map((row) => rowToJob<P, R>(row, dialect));
    },

    /**
     * Queues a job of `type` for the project (payload `{}`) at `runAt`, unless one is already queued
     * or running (other than `exceptId`, the job asking): a periodic job that queues itself again
     * at its end keeps a single chain per project. Two callers racing may both queue one; the
     * periodic jobs that use this tolerate a second run.
     */
    async ensure(projectId: string, type: string, opts: { runAt: Date; exceptId?: string }): Promise<void> {
      const pending = await store.findUnfinishedJobs(db, projectId, type);
      if (pending.some((row) => row.id !== opts.exceptId)) return;
      await runner.enqueue(projectId, type, {}, { runAt: opts.runAt });
    },

    /** The project's jobs of `type` with `status`, newest first (at most `limit`, default 100). */
    async withStatus<P = unknown, R = unknown>(
      projectId: string,
      type: string,
      status: JobStatus,
      limit = 100,
    ): Promise<Job<P, R>[]> {
      return (await store.findJobsByStatus(db, projectId, type, status, limit)).map((row) =>
        rowToJob<P, R>(row, dialect),
      );
    },

    /**
     * The project's jobs, newest first, in pages of `limit` (1–100, default 20): pass the returned
     * `cursor` to get the next page. `types` keeps only jobs of those types (e.g. `['import',
     * 'bulk']`). Finished jobs are kept for `jobs.retentionMs`. An unknown or malformed cursor is
     * `invalid_cursor`.
     */
    async list<P = unknown, R = unknown>(
      projectId: string,
      opts: { limit?: number; cursor?: string | null; types?: string[] } = {},
    ): Promise<JobPage<P, R>> {
      const limit = opts.limit ?? 20;
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
        throw RosterError.validation([{ field: 'limit', message: 'must be an integer from 1 to 100' }]);
      }
      if (opts.types !== undefined && !opts.types.every((t) => typeof t === 'string' && t.length > 0)) {
        throw RosterError.validation([{ field: 'types', message: 'must be a list of job types' }]);
      }
      let beforeId: string | undefined;
      if (opts.cursor) {
        const row = isUuid(opts.cursor) ? await store.findJob(db, opts.cursor.toLowerCase()) : undefined;
        if (!row || row.project_id !== projectId) {
          throw RosterError.invalidCursor('cursor', 'a job of this project');
        }
        beforeId = row.id;
      }
      const rows = await store.listProjectJobs(db, {
        projectId,
        types: opts.types,
        beforeId,
        limit: limit + 1,
      });
      return keysetPage(rows, limit, (row) => rowToJob<P, R>(row, dialect));
    },

    /**
     * Fails a queued job for good with `reason` (it will not run), e.g. one that is replaced by a
     * new job. `conflict` if it is running or already finished; `not_found` as `get`.
     */
    async cancel(projectId: string, id: string, reason: string): Promise<Job> {
      const job = await runner.get(projectId, id);
      const definition = definitions.get(job.type);
      const cancelled = definition?.failedIn
        ? await db.transaction().execute(async (trx) => {
            const done = await store.failQueuedJob(trx, job.id, reason, now());
            if (done) await definition.failedIn!(trx, job, reason);
            return done;
          })
        : await store.failQueuedJob(db, job.id, reason, now());
      if (cancelled) {
        deps.changes?.committed();
        if (definition?.failedIn) wake(); // its failedIn may have queued jobs in its transaction
      }
      if (!cancelled) {
        throw RosterError.conflict(
          'job',
          `Job ${job.id} is ${(await runner.get(projectId, id)).status}: only a queued job can be cancelled`,
        );
      }
      const failed = await runner.get(projectId, id);
      if (definition) await finished(definition, failed);
      return failed;
    },

    /**
     * Queues again the running jobs whose worker is gone: the lock is older than
     * `jobs.lockTimeoutMs`, or the worker was a process on this host that no longer exists.
     * Returns how many were released. Runs on start, on an interval, and before `runOnce`.
     */
    async releaseStale(): Promise<number> {
      const cutoff = new Date(clock().getTime() - options.lockTimeoutMs).toISOString();
      // A read first: the common case (nothing stale) costs no write transaction.
      const locks = await store.listLocks(db);
      if (locks.length === 0) return 0;
      const dead = deadWorkers(new Set(locks.flatMap((l) => (l.lockedBy ? [l.lockedBy] : []))));
      if (dead.length === 0 && !locks.some((l) => l.lockedAt === null || l.lockedAt < cutoff)) return 0;
      // A job failed for good here (its attempts used up by workers that died) runs its
      // `failedIn` in the same transaction, as if its last attempt had failed in `execute`.
      const released = await db.transaction().execute(async (trx) => {
        const rows = await store.releaseStaleJobs(
          trx,
          dialect,
          { lockedBefore: cutoff, deadWorkers: dead },
          now(),
        );
        const failed: { definition: JobDefinition<any, any>; job: Job }[] = [];
        for (const row of rows) {
          const definition = definitions.get(row.type);
          if (row.status !== 'failed' || !definition) continue;
          const job = rowToJob(row, dialect);
          if (definition.failedIn) await definition.failedIn(trx, job, job.lastError ?? 'failed');
          failed.push({ definition, job });
        }
        return { count: rows.length, failed };
      });
      if (released.failed.length > 0) deps.changes?.committed();
      for (const { definition, job } of released.failed) await finished(definition, job);
      if (released.count > 0) await announce();
      return released.count;
    },

    /**
     * Deletes jobs finished longer than `jobs.retentionMs` ago (and their files). Returns how many.
     * (`roster.jobs.cleanup()` also prunes the change events as old: see `background.ts`.)
     */
    async cleanup(): Promise<number> {
      const before = new Date(clock().getTime() - options.retentionMs).toISOString();
      const rows = await store.deleteFinishedJobs(db, before);
      for (const row of rows) {
        const definition = definitions.get(row.type);
        if (definition) await finished(definition, rowToJob(row, dialect));
      }
      return rows.length;
    },

    /**
     * Runs every due job (up to each lane's concurrency at once) until none is due, in the
     * foreground, without timers. Jobs waiting for a retry later than now are left. Returns how
     * many ran.
     */
    async runOnce(): Promise<number> {
      await runner.releaseStale();
      const signal = abort.signal;
      let ran = 0;
      while (!signal.aborted) {
        const batch = new Map<Lane, Job[]>(allLanes().map((lane) => [lane, []]));
        const batchRoom = (lane: Lane) => batch.get(lane)!.length < lane.concurrency;
        await claimPerLane(batchRoom, (lane, job) => batch.get(lane)!.push(job));
        const jobs = [...batch].flatMap(([lane, laneJobs]) => laneJobs.map((job) => ({ lane, job })));
        if (jobs.length === 0) return ran;
        await Promise.all(jobs.map(({ lane, job }) => lane.queue.add(() => execute(job))));
        ran += jobs.length;
      }
      return ran;
    },

    /**
     * Runs one job now, in the foreground, if it is queued and due (after releasing stale locks).
     * Returns the job as it is afterwards: completed, failed, queued for a retry later, or
     * running in another worker. Used by the CLI to run exactly the job it queued.
     */
    async runJob(projectId: string, id: string): Promise<Job> {
      const current = await runner.get(projectId, id);
      await runner.releaseStale();
      if (definitions.has(current.type)) {
        const row = await store.claimJob(db, { id: current.id, workerId, now: now() });
        if (row) await laneOf(row.type).queue.add(() => execute(rowToJob(row, dialect)));
      }
      return runner.get(projectId, id);
    },

    /** Starts running jobs in the background: polls, releases stale locks, cleans old jobs. */
    async start(): Promise<void> {
      if (started) return;
      started = true;
      stopping = false;
      lastPollAt = Date.now();
      abort = new AbortController();
      await runner.releaseStale();
      await runner.cleanup();
      if (deps.listen) {
        const stop = await deps.listen(wake);
        if (started) stopListening = stop;
        else await stop(); // stopped meanwhile
      }
      const every = (ms: number, task: () => Promise<unknown>) => {
        const timer = setInterval(() => background(task()), ms);
        timer.unref();
        timers.push(timer);
      };
      every(options.pollIntervalMs, fill);
      every(Math.max(10, Math.floor(options.lockTimeoutMs / 2)), runner.releaseStale);
      every(Math.min(options.retentionMs, 60 * 60 * 1000), runner.cleanup);
      await fill();
    },

    /**
     * Stops gracefully: no new jobs are claimed, running handlers are asked to stop (an import
     * stops after its current batch and is queued again), and this resolves when all are done.
     */
    async stop(): Promise<void> {
      stopping = true;
      started = false;
      for (const timer of timers) clearInterval(timer);
      timers = [];
      for (const alarm of alarms) clearTimeout(alarm);
      alarms.clear();
      abort.abort();
      const listening = stopListening;
      stopListening = undefined;
      await listening?.();
      await Promise.all(allLanes().map((lane) => lane.queue.onIdle()));
      abort = new AbortController();
    },

    /** True while started (background mode). */
    get running(): boolean {
      return started;
    },

    /** When (ms since the epoch) the started runner last finished a look for due jobs. */
    get lastPollAt(): number {
      return lastPollAt;
    },

    /** Number of jobs this process is running right now. */
    get activeCount(): number {
      return active.size;
    },
  };
  return runner;
}

export type JobRunner = ReturnType<typeof createJobRunner>;
