import { type Clock, isoNow } from '../clock.js';
import type { DialectInfo } from '../db/dialect.js';
import type { Db } from '../db/schema.js';
import { appendBatch, appendChanges } from './outbox-repository.js';
import type { ChangeNotifier, JobChangeType, NewChange, OutboxBatch } from './outbox-types.js';

/** What recording changes needs from a service's deps. */
export interface ChangeDeps {
  dialect: DialectInfo;
  /** Told about appends and commits (absent: nobody dispatches in-process; polling still finds them). */
  changes?: ChangeNotifier | undefined;
}

/** Appends change events in `trx` and tells the feed. */
export async function recordChanges(
  deps: ChangeDeps,
  trx: Db,
  projectId: string,
  changes: readonly NewChange[],
  now: string,
): Promise<void> {
  const first = await appendChanges(trx, deps.dialect, projectId, changes, now);
  if (first !== null) deps.changes?.appended(first);
}

/**
 * Appends a job's own change event (`bulk.completed`, `import.failed`, ...: of no contact) in
 * `trx`, stamped now, its data the job's id followed by `data`.
 */
export async function recordJobChange(
  deps: ChangeDeps & { clock: Clock },
  trx: Db,
  job: { id: string; projectId: string },
  type: JobChangeType,
  data: Record<string, unknown>,
): Promise<void> {
  await recordChanges(
    deps,
    trx,
    job.projectId,
    [{ type, contactId: null, data: { jobId: job.id, ...data } }],
    isoNow(deps.clock),
  );
}

/** Appends a batch row (many contacts' events, see `OutboxBatch`) in `trx` and tells the feed. */
export async function recordBatch(
  deps: ChangeDeps,
  trx: Db,
  projectId: string,
  batch: OutboxBatch,
  now: string,
): Promise<void> {
  const seq = await appendBatch(trx, deps.dialect, projectId, batch, now);
  if (seq !== null) deps.changes?.appended(seq);
}
