import { RosterError } from '../errors.js';
import { uuidv7 } from '../ids.js';
import type { JobRunner } from '../jobs/job-runner.js';
import type { JobDefinition } from '../jobs/job-types.js';
import type { ServiceDeps } from '../service-deps.js';
import { parseInput } from '../validation.js';
import * as repo from './audit-repository.js';
import {
  type ListAuditInput,
  listAuditSchema,
  type RecordAuditInput,
  recordAuditSchema,
} from './audit-schemas.js';
import { type AuditEntry, rowToAuditEntry } from './audit-types.js';

export const AUDIT_PRUNE_JOB_TYPE = 'audit.prune';
const DAY_MS = 24 * 60 * 60 * 1000;

export interface AuditDeps extends ServiceDeps {
  jobs: JobRunner;
  /** Entries older than this many days are deleted by the `audit.prune` job. */
  retentionDays: number;
}

/** When the prune job should next run: when the oldest entry expires, but at least daily. */
function nextPrune(oldest: string, retentionDays: number, now: number): Date {
  const expires = Date.parse(oldest) + retentionDays * DAY_MS;
  return new Date(Math.min(Math.max(expires, now + 60_000), now + DAY_MS));
}

/**
 * The audit log: administrative actions of a project (who, what, on what, when), append-only: there
 * is no update or delete, only `record` and `list`; entries older than `audit.retentionDays` are
 * deleted by a durable `audit.prune` job per project (queued by the first entry, then by itself).
 */
export function createAuditService(deps: AuditDeps) {
  const { db, dialect, clock, jobs, retentionDays } = deps;
  /** Projects known (by this process, recently) to have a prune job queued. */
  const pruneQueued = new Map<string, number>();

  async function ensurePrune(projectId: string, createdAt: string): Promise<void> {
    const now = Date.now();
    const known = pruneQueued.get(projectId);
    if (known !== undefined && known > now) return;
    pruneQueued.set(projectId, now + 60 * 60 * 1000);
    await jobs.ensure(projectId, AUDIT_PRUNE_JOB_TYPE, {
      runAt: nextPrune(createdAt, retentionDays, clock().getTime()),
    });
  }

  return {
    /**
     * Appends one entry to the project's audit log and returns it. `actor` says who acted (e.g.
     * `key:<key id>`, `dashboard:<key id>`, `cli`), `action` what was done (`key.created`, …),
     * `target` on what, `detail` a small JSON object (at most 4 KiB).
     */
    async record(projectId: string, input: RecordAuditInput): Promise<AuditEntry> {
      const entry = parseInput(recordAuditSchema, input);
      const now = clock();
      const row = {
        id: uuidv7(now.getTime()),
        project_id: projectId,
        created_at: now.toISOString(),
        actor: entry.actor,
        action: entry.action,
        target: entry.target ?? null,
        detail: entry.detail == null ? null : dialect.json(entry.detail),
      };
      await repo.insertAuditEntry(db, row);
      await ensurePrune(projectId, row.created_at);
      return {
        ...rowToAuditEntry({ ...row, detail: null }, dialect.parseJson),
        detail: entry.detail ?? null,
      };
    },

    /**
     * The project's entries, newest first, in pages of `limit` (1–500, default 100): pass the
     * returned `cursor` for older ones. `since` keeps entries at or after a time, `action` one action.
     */
    async list(
      projectId: string,
      input: ListAuditInput = {},
    ): Promise<{ data: AuditEntry[]; cursor: string | null; hasMore: boolean }> {
      const options = parseInput(listAuditSchema, input);
      const limit = options.limit ?? 100;
      if (options.cursor !== undefined && !/^[0-9a-f-]{36}$/.test(options.cursor)) {
        throw new RosterError('invalid_cursor', 'Invalid cursor: it is not one this list returned', {
          issues: [{ field: 'cursor', message: 'is not a cursor of this list' }],
        });
      }
      const rows = await repo.listAuditEntries(db, projectId, {
        since: options.since === undefined ? undefined : new Date(options.since).toISOString(),
        action: options.action,
        before: options.cursor,
        limit,
      });
      const hasMore = rows.length > limit;
      const data = (hasMore ? rows.slice(0, limit) : rows).map((row) =>
        rowToAuditEntry(row, dialect.parseJson),
      );
      return { data, cursor: hasMore ? data[data.length - 1]!.id : null, hasMore };
    },

    /** Deletes the project's entries older than the retention; returns how many. */
    async prune(projectId: string): Promise<number> {
      const before = new Date(clock().getTime() - retentionDays * DAY_MS).toISOString();
      return repo.deleteAuditEntriesBefore(db, projectId, before);
    },

    /** How many days entries are kept. */
    retentionDays,
  };
}

export type AuditService = ReturnType<typeof createAuditService>;

/**
 * The prune job: deletes the project's entries past the retention, then queues itself again for
 * when the oldest left expires (at least daily, so a shorter retention takes effect within a day).
 */
export function auditPruneJob(
  deps: AuditDeps,
  audit: () => AuditService,
): JobDefinition<object, { deleted: number; next: string | null }> {
  return {
    type: AUDIT_PRUNE_JOB_TYPE,
    async run(ctx) {
      const projectId = ctx.job.projectId;
      const deleted = await audit().prune(projectId);
      const oldest = await repo.oldestAuditEntry(deps.db, projectId);
      let next: string | null = null;
      if (oldest) {
        const runAt = nextPrune(oldest, deps.retentionDays, deps.clock().getTime());
        next = runAt.toISOString();
        await deps.jobs.ensure(projectId, AUDIT_PRUNE_JOB_TYPE, { runAt, exceptId: ctx.job.id });
      }
      return { deleted, next };
    },
  };
}
