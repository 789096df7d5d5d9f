import { type ChangeFeed, createChangeFeed } from './changes/change-feed.js';
import { listenForJobs } from './db/postgres-listener.js';
import { createJobRunner, type JobRunner } from './jobs/job-runner.js';
import type { ResolvedJobsOptions } from './options.js';
import { OUTBOX_CHANNEL } from './outbox/outbox-repository.js';
import type { ChangeNotifier } from './outbox/outbox-types.js';
import type { ServiceDeps } from './service-deps.js';

export interface BackgroundDeps extends Omit<ServiceDeps, 'changes'> {
  options: ResolvedJobsOptions;
  /** The job runner's named lanes and their concurrency (see `JobRunnerDeps.lanes`). */
  lanes?: Readonly<Record<string, number>>;
  /**
   * Where to LISTEN for other processes' queued jobs and appended change events (PostgreSQL);
   * absent, or on a dialect without notifications, both are found by polling.
   */
  listenUrl?: string | undefined;
}

/** How often the started owner prunes the outbox (as the runner's job cleanup). */
const pruneEvery = (retentionMs: number) => Math.min(retentionMs, 60 * 60 * 1000);

/**
 * The one owner of roster's background work: the job runner and the change feed (the outbox's
 * durable consumers, e.g. the webhook fan-out, and in-process subscribers). It creates both, wires
 * them together (a consumer's commit may queue jobs: it wakes the runner; a job's commit may
 * append change events: the runner tells the feed through the `ChangeNotifier` every service
 * gets), wires the PostgreSQL listener's channels to each (`roster_jobs` wakes the runner,
 * `roster_outbox` the feed), and starts, stops and drains them together.
 *
 * `jobs` is what `roster.jobs` is: the runner, with `start`, `stop`, `runOnce` and `cleanup` that
 * cover the feed too. The runner itself knows nothing of the feed.
 *
 * Retries are owned where the work is: a job's `attempts` (the runner retries a job that threw,
 * with `jobs.backoff`, and re-runs one whose worker died); a durable consumer's batch (the feed
 * hands it over again, with its own backoff, until it commits); a webhook delivery's schedule
 * (`webhooks/webhook-delivery.ts`).
 */
export function createBackground(deps: BackgroundDeps) {
  const { dialect, clock, options, listenUrl } = deps;
  const feed: ChangeFeed = createChangeFeed({
    ...deps,
    pollIntervalMs: options.pollIntervalMs,
    onError: options.onError,
    // Deliveries (jobs) written by a consumer: run them now, not at the next poll.
    afterConsumerCommit: () => runner.wake(),
  });
  const runner = createJobRunner({
    ...deps,
    changes: feed.notifier,
    options,
    ...(deps.lanes ? { lanes: deps.lanes } : {}),
    ...(listenUrl !== undefined && dialect.jobsQueuedNotification() !== null
      ? {
          listen: (onWake: () => void) =>
            listenForJobs(listenUrl, onWake, options.onError, { [OUTBOX_CHANNEL]: () => feed.wake() }),
        }
      : {}),
  });
  let pruneTimer: NodeJS.Timeout | undefined;
  /** Counts `stop()` calls: a `runOnce` running when the owner stops ends at its next round. */
  let stops = 0;

  /** Deletes change events older than the job retention that every durable consumer has handled. */
  function pruneOutbox(): Promise<number> {
    return feed.prune(new Date(clock().getTime() - options.retentionMs).toISOString());
  }

  const lifecycle = {
    /**
     * Starts the runner (polling, stale-lock release, cleanup, LISTEN) and the feed's durable
     * consumers; prunes the outbox now and then as often as the runner cleans up old jobs.
     */
    async start(): Promise<void> {
      if (runner.running) return;
      await runner.start();
      if (!runner.running) return; // stopped meanwhile
      await pruneOutbox();
      if (!pruneTimer) {
        pruneTimer = setInterval(() => pruneOutbox().catch(options.onError), pruneEvery(options.retentionMs));
        pruneTimer.unref();
      }
      await feed.start();
    },

    /**
     * Stops both: no new jobs are claimed and the consumers stop; resolves when the running jobs
     * and the consumers' current round are done.
     */
    async stop(): Promise<void> {
      stops++;
      clearInterval(pruneTimer);
      pruneTimer = undefined;
      const runnerStopped = runner.stop();
      await feed.stop();
      await runnerStopped;
    },

    /**
     * Drains both in the foreground: hands the durable consumers what is waiting, runs every due
     * job, and again while either found work (a consumer may queue jobs, a job may append change
     * events). Returns how many jobs ran.
     */
    async runOnce(): Promise<number> {
      const epoch = stops;
      let ran = 0;
      while (epoch === stops) {
        const dispatched = await feed.runOnce();
        const jobs = await runner.runOnce();
        ran += jobs;
        if (jobs === 0 && dispatched === 0) break;
      }
      return ran;
    },

    /**
     * Deletes change events as old as `jobs.retentionMs` that every outbox consumer has handled,
     * then the jobs finished that long ago (and their files). Returns how many jobs.
     */
    async cleanup(): Promise<number> {
      await pruneOutbox();
      return runner.cleanup();
    },
  } satisfies Pick<JobRunner, 'start' | 'stop' | 'runOnce' | 'cleanup'>;

  /** `roster.jobs`: the runner's own members, with the lifecycle above. */
  const jobs: JobRunner = {
    ...lifecycle,
    workerId: runner.workerId,
    register: runner.register,
    enqueue: runner.enqueue,
    enqueueMany: runner.enqueueMany,
    ensure: runner.ensure,
    wake: runner.wake,
    get: runner.get,
    unfinished: runner.unfinished,
    withStatus: runner.withStatus,
    list: runner.list,
    cancel: runner.cancel,
    releaseStale: runner.releaseStale,
    runJob: runner.runJob,
    get running() {
      return runner.running;
    },
    get activeCount() {
      return runner.activeCount;
    },
    get lastPollAt() {
      return runner.lastPollAt;
    },
  };

  return {
    jobs,
    feed,
    /** What every service's write path tells the feed (`ServiceDeps.changes`). */
    notifier: feed.notifier satisfies ChangeNotifier,
    /** Reads where the outbox ends and creates the registered consumers' cursors (after migrating). */
    prepare: () => feed.prepare(),
  };
}

export type Background = ReturnType<typeof createBackground>;
