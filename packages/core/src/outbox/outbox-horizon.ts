import type { DialectInfo } from '../db/dialect.js';
import type { Db } from '../db/schema.js';
import { OUTBOX_CHANNEL } from './outbox-repository.js';

/**
 * Where the final part of the outbox ends: every row with `seq <= safeSeq()` has committed or
 * rolled back, and no transaction will ever append one, so a reader that reads `seq` order up to
 * it (and moves its cursor only that far) skips nothing and hands nothing over twice.
 *
 * On SQLite (one writer at a time) rows commit in `seq` order: everything committed is final.
 *
 * On PostgreSQL appenders do not serialise: `seq` comes from a sequence at the append, so a
 * transaction that took seq 10 may commit after one that took seq 11. Each appender first takes a
 * shared marker lock (`ConcurrentAppends.marker`, held until it ends), then its seqs. A probe reads
 * (1) the sequence's last value L, then (2) the transactions holding the marker, V. Every
 * transaction with a seq <= L took the marker before its seq, so before (1): at (2) it has ended or
 * is in V. Once no transaction of V holds the marker any more (seen by a later probe, or V was
 * empty), every seq <= L has committed (visible to any later statement: locks are released after
 * the commit is visible) or rolled back, and the sequence hands out only values above L: L is safe.
 * Writers never wait for each other; a reader waits only for appenders that were in flight at its
 * probe, however long they take (a transaction that commits late holds the horizon back, it is
 * never skipped).
 *
 * Order: a change is appended after the write it describes, in the write's transaction, so when two
 * transactions write the same contact, the second one's write, and so its append, comes after the
 * first one's commit: `seq` order keeps each contact's order. (An order by transaction id would
 * not: a long transaction gets its id at its first write, possibly before the other one's.)
 */
export interface OutboxHorizon {
  safeSeq(): Promise<number>;
}

/** Probes still waiting for their appenders to end, at most (the newest one is replaced beyond). */
const MAX_PENDING = 32;

export function createOutboxHorizon(db: Db, dialect: DialectInfo): OutboxHorizon {
  const { concurrentAppends } = dialect;
  if (concurrentAppends === null) return { safeSeq: async () => Number.MAX_SAFE_INTEGER };
  const appends = concurrentAppends;
  let safe = 0;
  let pending: { seq: number; holders: Set<string> }[] = [];
  // One probe at a time: a probe's holders are compared with those of earlier probes only.
  let chain: Promise<unknown> = Promise.resolve();
  async function probe(): Promise<number> {
    const last = Number(
      (await appends.lastSequenceValue('roster_outbox', 'seq').execute(db)).rows[0]?.value ?? 0,
    );
    const { rows } = await appends.markerHolders(OUTBOX_CHANNEL).execute(db);
    const holding = new Set(rows.map((row) => row.holder));
    // Earlier probes whose appenders have all ended are safe now (they end in any order).
    pending = pending.filter((entry) => {
      for (const holder of entry.holders) if (holding.has(holder)) return true;
      safe = Math.max(safe, entry.seq);
      return false;
    });
    if (last > safe) {
      if (holding.size === 0) safe = last;
      else if (pending.length < MAX_PENDING) pending.push({ seq: last, holders: holding });
      else pending[pending.length - 1] = { seq: last, holders: holding };
    }
    return safe;
  }
  return {
    safeSeq() {
      const next = chain.then(probe, probe);
      chain = next.catch(() => {});
      return next;
    },
  };
}
