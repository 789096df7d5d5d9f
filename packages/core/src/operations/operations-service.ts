import type { ContactIndex, ProjectContactCounts } from '../contacts/contact-index.js';
import type { Db } from '../db/schema.js';
import {
  countJobsByTypeAndStatus,
  executedMigrationNames,
  outboxBacklog,
  pingDatabase,
} from './operations-repository.js';

/** One check of `roster.health.ready()`. */
export interface ReadinessCheck {
  ok: boolean;
  /** Why it failed (absent when ok). */
  message?: string;
}

/** The answer of `roster.health.ready()`. */
export interface ReadinessReport {
  /** True when every check passed. */
  ready: boolean;
  checks: {
    /** The database answered a `select 1` within `timeoutMs`. */
    database: ReadinessCheck;
    /** Every migration this build knows has run on the database. */
    migrations: ReadinessCheck;
    /** Only when asked for (`jobRunner: true`): the job runner is started and polling. */
    jobRunner?: ReadinessCheck;
  };
  /** The names of the failed checks, e.g. `['database']` (empty when ready). */
  failed: string[];
}

export interface ReadyOptions {
  /**
   * Also require the job runner to be alive: started (`roster.jobs.start()`) and its last look for
   * due jobs recent. A server that runs the jobs asks for it; an app that runs them elsewhere does not.
   * @default false
   */
  jobRunner?: boolean;
  /** How long the database may take to answer. @default 2000 */
  timeoutMs?: number;
}

/** What the job runner tells the readiness check. */
export interface RunnerLiveness {
  readonly running: boolean;
  /** When (ms since the epoch) the runner last finished a look for due jobs; 0 before the first. */
  readonly lastPollAt: number;
}

/** `roster.stats`: numbers about the whole database, for metrics (each one or two cheap queries). */
export interface RosterStats {
  /** Jobs per type and status (one grouped query over `roster_jobs`). */
  jobs(): Promise<{ type: string; status: string; jobs: number }[]>;
  /**
   * How far the slowest change-event consumer (the webhook fan-out) is behind: events not handled
   * yet and the age in seconds of the oldest of them (0 when caught up).
   */
  outboxLag(): Promise<{ rows: number; seconds: number }>;
  /** The `top` projects with the most contacts, and the totals of all projects (from the kept counts). */
  contactsByProject(top: number): Promise<ProjectContactCounts>;
}

export interface OperationsDeps {
  db: Db;
  contactIndex: ContactIndex;
  /** The migrations this build runs (their names as recorded). */
  migrationNames: readonly string[];
  runner: RunnerLiveness;
  pollIntervalMs: number;
  now: () => number;
}

/** Past this, without a finished look for jobs, the runner counts as stuck. */
export function runnerStallMs(pollIntervalMs: number): number {
  return Math.max(30_000, pollIntervalMs * 10);
}

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

const failure = (error: unknown): ReadinessCheck => ({
  ok: false,
  message: error instanceof Error ? error.message : String(error),
});

export function createOperationsService(deps: OperationsDeps) {
  const { db, contactIndex } = deps;

  async function ready(options: ReadyOptions = {}): Promise<ReadinessReport> {
    const timeoutMs = options.timeoutMs ?? 2000;
    const checks: ReadinessReport['checks'] = {
      database: { ok: true },
      migrations: { ok: true },
    };
    try {
      await withTimeout(pingDatabase(db), timeoutMs, `the database did not answer within ${timeoutMs} ms`);
    } catch (error) {
      checks.database = failure(error);
    }
    if (checks.database.ok) {
      try {
        const executed = new Set(
          await withTimeout(
            executedMigrationNames(db),
            timeoutMs,
            `the migrations table did not answer within ${timeoutMs} ms`,
          ),
        );
        const pending = deps.migrationNames.filter((name) => !executed.has(name));
        if (pending.length > 0)
          checks.migrations = { ok: false, message: `migrations not run yet: ${pending.join(', ')}` };
      } catch (error) {
        checks.migrations = failure(error);
      }
    } else checks.migrations = { ok: false, message: 'not checked: the database did not answer' };
    if (options.jobRunner) {
      const { running, lastPollAt } = deps.runner;
      const stall = runnerStallMs(deps.pollIntervalMs);
      const idleMs = deps.now() - lastPollAt;
      checks.jobRunner = !running
        ? { ok: false, message: 'the job runner is not started' }
        : lastPollAt > 0 && idleMs > stall
          ? {
              ok: false,
              message: `the job runner has not looked for jobs for ${Math.round(idleMs / 1000)} s`,
            }
          : { ok: true };
    }
    const failed = Object.entries(checks)
      .filter(([, check]) => !check.ok)
      .map(([name]) => name);
    return { ready: failed.length === 0, checks, failed };
  }

  const stats: RosterStats = {
    jobs: () => countJobsByTypeAndStatus(db),
    async outboxLag() {
      const { rows, oldestAt } = await outboxBacklog(db);
      const seconds = oldestAt === null ? 0 : Math.max(0, (deps.now() - Date.parse(oldestAt)) / 1000);
      return { rows, seconds };
    },
    contactsByProject: (top) => contactIndex.topProjects(db, top),
  };

  return { health: { ready }, stats };
}
