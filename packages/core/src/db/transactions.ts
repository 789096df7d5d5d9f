import type { Kysely } from 'kysely';
import type { DialectInfo } from './dialect.js';
import type { Database, Db } from './schema.js';

/** How many times a transaction the database aborted for a concurrent one is run in all. */
const TRANSIENT_ATTEMPTS = 3;

/**
 * Runs `fn` in a transaction: `db`'s own if it is one (e.g. the write queue's savepoint: its owner
 * decides what a failure means), else a new one. A new transaction that the database aborted only
 * because of a concurrent one (`dialect.isTransientConflict`: PostgreSQL's deadlock victim, a
 * serialization failure) rolled back whole, so it is run again, up to 3 times in all, after a short
 * random pause; `fn` must therefore keep its effects inside the transaction. A change and its
 * events are always written together.
 */
export async function atomically<T>(
  db: Db,
  dialect: Pick<DialectInfo, 'isTransientConflict'>,
  fn: (trx: Db) => Promise<T>,
): Promise<T> {
  if (db.isTransaction) return fn(db);
  for (let attempt = 1; ; attempt++) {
    try {
      return await (db as Kysely<Database>).transaction().execute(fn);
    } catch (error) {
      if (attempt >= TRANSIENT_ATTEMPTS || !dialect.isTransientConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
    }
  }
}
