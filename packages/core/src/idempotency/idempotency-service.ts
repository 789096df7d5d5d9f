import { isoNow } from '../clock.js';
import type { Db } from '../db/schema.js';
import { directWrites, type WriteQueue } from '../db/write-queue.js';
import { RosterError } from '../errors.js';
import type { JobRunner } from '../jobs/job-runner.js';
import type { JobDefinition } from '../jobs/job-types.js';
import type { ServiceDeps } from '../service-deps.js';
import * as repo from './idempotency-repository.js';

/** Plunk's default: a claimed key blocks reuse for 24 hours. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
export const IDEMPOTENCY_CLEANUP_JOB_TYPE = 'idempotency.cleanup';

const KEY_RE = /^[\x20-\x7e]{1,255}$/;

/** What the first request that used a key looked like (Plunk's 409 `details`). */
export interface IdempotencyClaimHolder {
  key: string;
  /** `POST /v1/track` */
  originalRequest: string;
  originalRequestAt: string;
  /** Null while the first request is still running. */
  originalStatusCode: number | null;
}

export type IdempotencyClaim = { claimed: true } | { claimed: false; holder: IdempotencyClaimHolder };

export interface IdempotencyDeps extends ServiceDeps {
  jobs: JobRunner;
  ttlMs: number;
  /** Where the claim and settle writes run (group commit on SQLite), as the tracked write itself. */
  writes?: WriteQueue;
}

/**
 * Idempotency keys as Plunk implements them on `/v1/track`: a key is claimed (one insert; the
 * primary key decides races) before the work runs, per project and across endpoints, without a
 * body fingerprint. A reused key is refused with the first request's details, never replayed.
 * A 4xx answer releases the key; 2xx and 5xx keep it until it expires. Expired keys are deleted by
 * a durable `idempotency.cleanup` job per project, and (unlike Plunk) also count as free on claim.
 */
export function createIdempotencyService(deps: IdempotencyDeps) {
  const { db, clock, jobs, ttlMs } = deps;
  const writes = deps.writes ?? directWrites(db);
  /** Projects known (by this process, recently) to have a cleanup job queued. */
  const cleanupQueued = new Map<string, number>();

  async function ensureCleanup(projectId: string, expiresAt: string): Promise<void> {
    const known = cleanupQueued.get(projectId);
    if (known !== undefined && known > Date.now()) return;
    cleanupQueued.set(projectId, Date.now() + 60_000);
    await jobs.ensure(projectId, IDEMPOTENCY_CLEANUP_JOB_TYPE, { runAt: new Date(expiresAt) });
  }

  /** Who holds `key` (unexpired), or 'free' when nobody does (an expired holder is deleted). */
  async function heldBy(
    conn: Db,
    projectId: string,
    key: string,
    now: Date,
  ): Promise<IdempotencyClaimHolder | 'free'> {
    const holder = await repo.findKey(conn, projectId, key);
    if (!holder) return 'free'; // released meanwhile: try again
    if (holder.expires_at <= now.toISOString()) {
      await repo.deleteKey(conn, projectId, key, now.toISOString());
      return 'free';
    }
    return {
      key,
      originalRequest: `${holder.method} ${holder.path}`,
      originalRequestAt: holder.created_at,
      originalStatusCode: holder.status_code === null ? null : Number(holder.status_code),
    };
  }

  return {
    /** `validation_failed` unless `key` is 1-255 printable ASCII characters (Plunk's rule). */
    check(key: string): void {
      if (!KEY_RE.test(key)) {
        throw RosterError.validation(
          [{ field: 'Idempotency-Key', message: 'must be 1-255 printable ASCII characters' }],
          'Idempotency-Key must be 1-255 printable ASCII characters',
        );
      }
    },

    /** Claims `key` for a request (`method` and `path` are recorded for the 409 details). */
    async claim(projectId: string, key: string, method: string, path: string): Promise<IdempotencyClaim> {
      this.check(key);
      const now = clock();
      const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
      for (let attempt = 0; attempt < 2; attempt++) {
        const inserted = await writes.run((conn) =>
          repo.insertKeyIfNew(conn, {
            project_id: projectId,
            key,
            method,
            path,
            status_code: null,
            created_at: now.toISOString(),
            expires_at: expiresAt,
          }),
        );
        if (inserted) {
          await ensureCleanup(projectId, expiresAt);
          return { claimed: true };
        }
        const holder = await heldBy(db, projectId, key, now);
        if (holder === 'free') continue;
        return { claimed: false, holder };
      }
      throw RosterError.conflict('idempotency_key', 'Idempotency-Key is being claimed concurrently; retry');
    },

    /**
     * Claims `key` inside `trx`, the transaction of the request's own write, already settled with
     * `statusCode` (the status the request answers when that transaction commits): the claim and
     * the settle of `claim` and `settle` folded into the one write, with the same outcomes (a key
     * held and unexpired is refused with its holder; an expired one is taken over). Nothing is
     * written when the key is held; the caller must then leave its own work undone. Call `claimed`
     * after the transaction committed. `key` must have passed `check`.
     */
    async claimWithin(
      trx: Db,
      projectId: string,
      key: string,
      method: string,
      path: string,
      statusCode: number,
    ): Promise<IdempotencyClaim & { expiresAt: string }> {
      const now = clock();
      const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
      for (let attempt = 0; attempt < 2; attempt++) {
        const inserted = await repo.insertKeyIfNew(trx, {
          project_id: projectId,
          key,
          method,
          path,
          status_code: statusCode,
          created_at: now.toISOString(),
          expires_at: expiresAt,
        });
        if (inserted) return { claimed: true, expiresAt };
        const holder = await heldBy(trx, projectId, key, now);
        if (holder === 'free') continue;
        return { claimed: false, holder, expiresAt };
      }
      throw RosterError.conflict('idempotency_key', 'Idempotency-Key is being claimed concurrently; retry');
    },

    /** After a `claimWithin` that claimed its key committed: its expiry has a cleanup job. */
    async claimed(projectId: string, expiresAt: string): Promise<void> {
      await ensureCleanup(projectId, expiresAt);
    },

    /** Records how the request ended: a 4xx releases the key, anything else keeps it with its status. */
    async settle(projectId: string, key: string, statusCode: number): Promise<void> {
      const q = statusCode >= 400 && statusCode < 500;
      await writes.run((conn) =>
        q ? repo.deleteKey(conn, projectId, key) : repo.setKeyStatus(conn, projectId, key, statusCode),
      );
    },

    /** Deletes the project's expired keys; returns how many. */
    async cleanup(projectId: string): Promise<number> {
      return repo.deleteExpiredKeys(db, projectId, isoNow(clock));
    },
  };
}

export type IdempotencyService = ReturnType<typeof createIdempotencyService>;

/**
 * The cleanup job: deletes the project's expired keys, then queues itself again for when the next
 * key expires (if any), so every claimed key is eventually removed.
 */
export function idempotencyCleanupJob(
  deps: ServiceDeps & { jobs: JobRunner },
): JobDefinition<object, { deleted: number; next: string | null }> {
  return {
    type: IDEMPOTENCY_CLEANUP_JOB_TYPE,
    async run(ctx) {
      const projectId = ctx.job.projectId;
      const deleted = await repo.deleteExpiredKeys(deps.db, projectId, isoNow(deps.clock));
      const next = await repo.nextKeyExpiry(deps.db, projectId);
      if (next)
        await deps.jobs.ensure(projectId, IDEMPOTENCY_CLEANUP_JOB_TYPE, {
          runAt: new Date(next),
          exceptId: ctx.job.id,
        });
      return { deleted, next };
    },
  };
}
