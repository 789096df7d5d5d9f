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

/**
 * Runs any SQL text now and synchronously on the connection that holds a transaction (the rows of
 * a statement that returns rows, else none), as Kysely's SQLite driver would, without its
 * connection mutex and promise turns: registered by the group commit (`groupCommitWrites`) for
 * its batch's transaction while the batch's writes run, on a database roster opened itself.
 */
export type DirectRunner = (sql: string, parameters: readonly unknown[]) => unknown[];

const directRunners = new WeakMap<object, DirectRunner>();

/** `runner` runs the compiled queries on `trx` from now on; `undefined` ends that (before the commit). */
export function registerDirectRunner(trx: object, runner: DirectRunner | undefined): void {
  if (runner) directRunners.set(trx, runner);
  else directRunners.delete(trx);
}

/** Stands for argument `i` while the query is built once; replaced by the real value on every run. */
const SLOT = '\u0000roster-slot-';

function slot(i: number): string {
  return `${SLOT}${i}`;
}

interface Compiled<R> {
  query: CompiledQuery<R>;
  /** For each parameter of `query`: the argument it takes, or -1 for a constant of the query. */
  slots: number[];
  /** How many arguments a run passes. */
  arity: number;
}

/**
 * What compiles a query to the same SQL: the Kysely instance's dialect adapter and its plugins, in
 * order. A transaction has its own `Db` object but the adapter and plugins of the database it runs
 * on, so it reuses that database's compiled queries (a `withSchema` or `withPlugin` copy does not).
 */
interface CompilerKey {
  next: WeakMap<object, CompilerKey>;
}

const compilerKeys = new WeakMap<object, CompilerKey>();

function compilerKeyOf(db: Db): CompilerKey {
  const executor = db.getExecutor();
  let key: CompilerKey | undefined = compilerKeys.get(executor.adapter);
  if (!key) {
    key = { next: new WeakMap() };
    compilerKeys.set(executor.adapter, key);
  }
  for (const plugin of executor.plugins) {
    let next: CompilerKey | undefined = key.next.get(plugin);
    if (!next) {
      next = { next: new WeakMap() };
      key.next.set(plugin, next);
    }
    key = next;
  }
  return key;
}

/** Compiles a query built with stand-ins; checks that arguments `0 … n-1` each appear as a parameter. */
function compileWithSlots<R>(compilable: Compilable<R>): Compiled<R> {
  const query = compilable.compile();
  const slots = query.parameters.map((p) =>
    typeof p === 'string' && p.startsWith(SLOT) && /^\d+$/.test(p.slice(SLOT.length))
      ? Number(p.slice(SLOT.length))
      : -1,
  );
  const used = slots.filter((s) => s !== -1);
  const arity = used.length === 0 ? 0 : Math.max(...used) + 1;
  if (new Set(used).size !== arity)
    throw new Error('roster: compiled query: every argument must appear as a parameter');
  return { query, slots, arity };
}

async function runCompiled<R>(
  db: Db,
  { query, slots, arity }: Compiled<R>,
  args: readonly unknown[],
  readOnly: boolean,
): Promise<R[]> {
  if (args.length !== arity)
    throw new Error(`roster: compiled query: ${args.length} arguments given, ${arity} expected`);
  const parameters = query.parameters.map((p, i) => (slots[i] === -1 ? p : args[slots[i]!]));
  const runner = directRunners.get(db);
  if (runner) return runner(query.sql, parameters) as R[];
  if (readOnly) {
    const rows = directReaders.get(db)?.(query.sql, parameters);
    if (rows) return rows as R[];
  }
  const result = await db.executeQuery<R>({ ...query, parameters });
  return result.rows;
}

/**
 * A query of the hot paths (e.g. a contact by id, on every `GET /contacts/:id`) built and compiled
 * once per database (its transactions included, see `CompilerKey`), then run with fresh argument
 * values: building and compiling a Kysely query costs about as much as SQLite's point lookup
 * itself. `build` receives one stand-in per argument and must use each only as a parameter value
 * (never in a condition on its value, never encoded: pass `dialect.bool(x)` or `dialect.json(x)`
 * as the argument, not the stand-in through them).
 * For a read-only query on a SQLite database roster opened itself, outside transactions, the
 * statement runs directly on the connection (`DirectReader`), without Kysely's driver and its
 * connection mutex (several promise turns per query); `readOnly: false` turns that off. Inside a
 * group-commit batch of such a database (`groupCommitWrites`), every compiled query of its writes,
 * reads and writes alike, runs directly on the connection the batch's transaction holds.
 */
export function compiledOnce<R, Args extends unknown[]>(
  arity: Args['length'],
  build: (db: Db, ...args: string[]) => Compilable<R>,
  options: { readOnly: boolean } = { readOnly: true },
): (db: Db, ...args: Args) => Promise<R[]> {
  const cache = new WeakMap<CompilerKey, Compiled<R>>();
  return async (db, ...args) => {
    const key = compilerKeyOf(db);
    let compiled = cache.get(key);
    if (!compiled) {
      compiled = compileWithSlots(build(db, ...Array.from({ length: arity }, (_, i) => slot(i))));
      if (compiled.arity !== arity)
        throw new Error('roster: compiledOnce: every argument must appear as a parameter');
      cache.set(key, compiled);
    }
    return runCompiled(db, compiled, args, options.readOnly);
  };
}

/**
 * As `compiledOnce`, for a statement whose SQL takes one of a few shapes (which optional columns
 * an update sets, how a JSON merge is written): each shape is built and compiled once per
 * database, then run with fresh arguments. `key(shape)` names the shape (equal keys must build
 * equal SQL); `build(db, shape, slot)` builds it with `slot(i)` as the stand-in of argument `i`,
 * using each of `0 … n-1` once as a parameter value; a run passes exactly those `n` arguments.
 * Runs through Kysely (no direct read): these are writes, or reads inside a write's transaction;
 * inside a group-commit batch on a SQLite file roster opened itself, on the connection directly
 * (`DirectRunner`), as `compiledOnce`.
 */
export function compiledPerShape<R, S>(
  key: (shape: S) => string,
  build: (db: Db, shape: S, slot: (i: number) => string) => Compilable<R>,
): (db: Db, shape: S, args: readonly unknown[]) => Promise<R[]> {
  /** Shapes kept per database; past this, the oldest is dropped (e.g. many distinct object keys). */
  const MAX_SHAPES = 64;
  const cache = new WeakMap<CompilerKey, Map<string, Compiled<R>>>();
  return async (db, shape, args) => {
    const compiler = compilerKeyOf(db);
    let shapes = cache.get(compiler);
    if (!shapes) {
      shapes = new Map();
      cache.set(compiler, shapes);
    }
    const name = key(shape);
    let compiled = shapes.get(name);
    if (!compiled) {
      compiled = compileWithSlots(build(db, shape, slot));
      if (shapes.size >= MAX_SHAPES) shapes.delete(shapes.keys().next().value!);
      shapes.set(name, compiled);
    }
    return runCompiled(db, compiled, args, false);
  };
}
