import { type Kysely, sql } from 'kysely';
import { type DirectRunner, registerDirectRunner } from './compiled-query.js';
import type { Database, Db } from './schema.js';

/**
 * A write to run in the queue's shared transaction. It must use only the connection it is given
 * (on SQLite, touching the roster's own `db` from inside would wait for the connection the batch
 * holds), and it must not commit or roll back.
 */
export type QueuedWrite<T> = (db: Db) => Promise<T>;

export interface WriteQueue {
  /**
   * Runs `write` and resolves with its result once the transaction holding it has committed, or
   * rejects with its own error (its changes rolled back, its neighbours' kept).
   */
  run<T>(write: QueuedWrite<T>): Promise<T>;
}

interface Entry {
  write: QueuedWrite<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

const batchRunners = new WeakMap<object, DirectRunner>();

/**
 * For a SQLite file roster opened itself (`openSqlite`): `run` executes a statement straight on the
 * connection behind `db`. `groupCommitWrites(db)` then runs its batch's SAVEPOINT / RELEASE
 * statements, and the compiled queries of its writes (`compiledOnce`, `compiledPerShape`), with it
 * instead of through Kysely's driver (a connection mutex and several promise turns per statement),
 * only while the batch's own transaction holds the single connection: the same SQL, parameters and
 * rows, in the same order.
 */
export function registerBatchRunner(db: object, run: DirectRunner): void {
  batchRunners.set(db, run);
}

/** Each write on its own, as before (PostgreSQL: concurrent writers have their own connections). */
export function directWrites(db: Db): WriteQueue {
  return { run: (write) => write(db) };
}

/**
 * Group commit for SQLite's single writer. Writes that arrive together (in one turn of the event
 * loop, e.g. the requests one poll of the sockets delivered, or while a batch is being written)
 * share one transaction, so their pages are written to the WAL, and the commit paid, once.
 *
 * - Nobody is answered before the transaction holding their write has committed: results are
 *   handed out after COMMIT returns.
 * - A failing write does not fail its neighbours: each write runs inside its own SAVEPOINT, and a
 *   write that throws is rolled back to it (and rejected with its own error) while the others go on.
 * - If COMMIT itself fails, every write of the batch is rejected with that error: nothing of the
 *   batch was committed, and nobody was told otherwise.
 * - A crash at any point loses only writes nobody was answered for: SQLite discards a transaction
 *   that did not commit (its WAL frames without a commit record are ignored on recovery).
 *
 * A lone write runs as before, autocommitted on its own (no BEGIN, no savepoint).
 */
export function groupCommitWrites(db: Kysely<Database>): WriteQueue {
  let pending: Entry[] = [];
  let scheduled = false;

  async function writeBatch(batch: Entry[]): Promise<void> {
    if (batch.length === 1) {
      const [entry] = batch as [Entry];
      await entry.write(db).then(entry.resolve, entry.reject);
      return;
    }
    const done: { entry: Entry; value: unknown }[] = [];
    const direct = batchRunners.get(db);
    try {
      await db.transaction().execute(async (trx) => {
        const exec = direct
          ? (text: string) => direct(text, [])
          : (text: string) => sql.raw(text).execute(trx);
        if (direct) registerDirectRunner(trx, direct);
        try {
          for (const entry of batch) {
            await exec('savepoint roster_write');
            try {
              const value = await entry.write(trx);
              await exec('release savepoint roster_write');
              done.push({ entry, value });
            } catch (error) {
              await exec('rollback to savepoint roster_write');
              await exec('release savepoint roster_write');
              entry.reject(error); // nothing of it stays, whatever happens to the others
            }
          }
        } finally {
          // COMMIT (or ROLLBACK) goes through Kysely; nothing runs directly on `trx` after it.
          if (direct) registerDirectRunner(trx, undefined);
        }
      });
    } catch (error) {
      for (const { entry } of done) entry.reject(error); // COMMIT failed: none of them happened
      return;
    }
    for (const { entry, value } of done) entry.resolve(value);
  }

  async function drain(): Promise<void> {
    scheduled = false;
    const batch = pending;
    pending = [];
    await writeBatch(batch);
  }

  let writing: Promise<void> = Promise.resolve();
  /**
   * The next batch starts after the current one and after I/O has had a turn (`setImmediate`), so
   * every write that arrives meanwhile joins it.
   */
  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      writing = writing.then(drain, drain);
    });
  }

  return {
    run<T>(write: QueuedWrite<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        pending.push({ write, resolve: resolve as (value: unknown) => void, reject });
        schedule();
      });
    },
  };
}
