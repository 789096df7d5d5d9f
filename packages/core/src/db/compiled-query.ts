import type { Compilable, CompiledQuery } from 'kysely';
import type { Db } from './schema.js';

/**
 * Runs a read-only SQL text now and synchronously, or answers undefined when it cannot (the
 * connection is inside a transaction): registered by `openSqlite` for the databases roster opens
 * itself, whose Kysely instance has no plugins, so skipping Kysely's driver changes no result.
 */
export type DirectReader = (sql: string, parameters: readonly unknown[]) => unknown[] | undefined;

const directReaders = new WeakMap<object, DirectReader>();

export function registerDirectReader(db: object, reader: DirectReader): void {
  directReaders.set(db, reader);
}

/** Stands for argument `i` while the query is built once; replaced by the real value on every run. */
const SLOT = '\u0000roster-slot-';

interface Compiled<R> {
  query: CompiledQuery<R>;
  /** For each parameter of `query`: the argument it takes, or -1 for a constant of the query. */
  slots: number[];
}

/**
 * A query of the hot paths (e.g. a contact by id, on every `GET /contacts/:id`) built and compiled
 * once per database handle, then run with fresh argument values: building and compiling a Kysely
 * query costs about as much as SQLite's point lookup itself. `build` receives one stand-in per
 * argument and must use each only as a parameter value (never in a condition on its value).
 * For a read-only query on a SQLite database roster opened itself, outside transactions, the
 * statement runs directly on the connection (`DirectReader`), without Kysely's driver and its
 * connection mutex (several promise turns per query); `readOnly: false` turns that off.
 */
export function compiledOnce<R, Args extends unknown[]>(
  arity: Args['length'],
  build: (db: Db, ...args: string[]) => Compilable<R>,
  options: { readOnly: boolean } = { readOnly: true },
): (db: Db, ...args: Args) => Promise<R[]> {
  const cache = new WeakMap<Db, Compiled<R>>();
  return async (db, ...args) => {
    let compiled = cache.get(db);
    if (!compiled) {
      const stand = Array.from({ length: arity }, (_, i) => `${SLOT}${i}`);
      const query = build(db, ...stand).compile();
      const slots = query.parameters.map((p) =>
        typeof p === 'string' && p.startsWith(SLOT) ? Number(p.slice(SLOT.length)) : -1,
      );
      if (new Set(slots.filter((s) => s !== -1)).size !== arity)
        throw new Error('roster: compiledOnce: every argument must appear as a parameter');
      compiled = { query, slots };
      cache.set(db, compiled);
    }
    const { query, slots } = compiled;
    const parameters = query.parameters.map((p, i) => (slots[i] === -1 ? p : args[slots[i]!]));
    if (options.readOnly) {
      const rows = directReaders.get(db)?.(query.sql, parameters);
      if (rows) return rows as R[];
    }
    const result = await db.executeQuery<R>({ ...query, parameters });
    return result.rows;
  };
}
