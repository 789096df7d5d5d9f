import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compiledOnce } from './compiled-query.js';
import type { Db, Database as Schema } from './schema.js';
import { groupCommitWrites, registerBatchRunner } from './write-queue.js';

/**
 * Real SQLite files, two connections: the queue's, and an observer that (WAL) sees only what was
 * committed. Every statement the queue's connection runs is logged, to see the transactions.
 */
let dir: string;
let sqlite: Database.Database;
let db: Kysely<Schema>;
let observer: Database.Database;
let log: string[];
/** The statements the batch runner ran (a subset of `log`). */
let directLog: string[];

/** The same insert compiled once (`compiledOnce`): with a batch runner, it runs on the connection directly. */
const insertOnce = compiledOnce<unknown, [number, string]>(
  2,
  (conn, id, v) => ({ compile: () => sql`insert into t (id, v) values (${id}, ${v})`.compile(conn) }),
  { readOnly: false },
);
let direct = false;
const insert = (conn: Db, id: number, v: string) =>
  direct
    ? insertOnce(conn, id, v).then(() => id)
    : sql`insert into t (id, v) values (${id}, ${v})`.execute(conn).then(() => id);
const committedIds = () =>
  (observer.prepare('select id from t order by id').all() as { id: number }[]).map((r) => r.id);
const statements = (word: string) => log.filter((s) => s.toLowerCase().startsWith(word)).length;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'roster-write-queue-'));
  const path = join(dir, 'db.sqlite');
  sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.exec(
    'create table parent (id integer primary key); create table t (id integer primary key, v text, parent integer references parent(id))',
  );
  log = [];
  directLog = [];
  db = new Kysely<Schema>({
    dialect: new SqliteDialect({ database: sqlite }),
    log: (event) => void log.push(event.query.sql),
  });
  observer = new Database(path, { readonly: true });
});

afterEach(async () => {
  observer.close();
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Through Kysely's driver (any Kysely instance), and with the batch runner `openSqlite` registers
 * for a file roster opened itself: the batch's savepoints and its writes' compiled statements then
 * run on the connection directly (logged here too), with the same transactions and outcomes.
 */
describe.each([
  ['through Kysely', false],
  ['with the direct batch runner', true],
])('group commit (SQLite) %s', (_name, withRunner) => {
  beforeEach(() => {
    direct = withRunner;
    if (!withRunner) return;
    registerBatchRunner(db, (text, parameters) => {
      log.push(text);
      directLog.push(text);
      const statement = sqlite.prepare(text);
      if (statement.reader) return statement.all(parameters) as unknown[];
      statement.run(parameters);
      return [];
    });
  });

  it('puts writes that arrive together in one transaction', async () => {
    const queue = groupCommitWrites(db);
    const ids = await Promise.all(
      Array.from({ length: 10 }, (_, i) => queue.run((conn) => insert(conn, i, `v${i}`))),
    );
    expect(ids).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(statements('begin')).toBe(1);
    expect(statements('commit')).toBe(1);
    expect(committedIds()).toEqual(ids);
  });

  it('answers nobody before the transaction holding the write has committed', async () => {
    const queue = groupCommitWrites(db);
    const seenWhenAnswered: number[][] = [];
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        queue
          .run((conn) => insert(conn, i, 'x'))
          .then(() => {
            // Another connection sees the write as soon as its caller hears of it: it was committed.
            seenWhenAnswered.push(committedIds());
            expect(log.at(-1)?.toLowerCase()).toBe('commit');
          }),
      ),
    );
    expect(seenWhenAnswered).toEqual(Array.from({ length: 5 }, () => [0, 1, 2, 3, 4]));
  });

  it('rolls back a failing write alone: its neighbours commit, it gets its own error', async () => {
    const queue = groupCommitWrites(db);
    const outcomes = await Promise.allSettled([
      queue.run((conn) => insert(conn, 1, 'a')),
      queue.run(async (conn) => {
        await insert(conn, 2, 'partial'); // undone with the rest of this write
        return insert(conn, 1, 'duplicate'); // primary key violation
      }),
      queue.run((conn) => insert(conn, 3, 'c')),
      queue.run(async () => {
        throw new Error('the caller’s own failure');
      }),
      queue.run((conn) => insert(conn, 4, 'd')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({
      code: 'SQLITE_CONSTRAINT_PRIMARYKEY',
    });
    expect((outcomes[3] as PromiseRejectedResult).reason).toEqual(new Error('the caller’s own failure'));
    expect(committedIds()).toEqual([1, 3, 4]);
    expect(statements('begin')).toBe(1);
  });

  it('rejects every write of a batch whose COMMIT fails, and keeps none of them', async () => {
    const queue = groupCommitWrites(db);
    // A deferred foreign key is checked at COMMIT: the batch's commit fails after every write succeeded.
    const outcomes = await Promise.allSettled([
      queue.run((conn) => insert(conn, 1, 'a')),
      queue.run(async (conn) => {
        await sql`pragma defer_foreign_keys = on`.execute(conn);
        return sql`insert into t (id, v, parent) values (2, 'orphan', 99)`.execute(conn).then(() => 2);
      }),
      queue.run((conn) => insert(conn, 3, 'c')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(committedIds()).toEqual([]);
    // The connection is usable again: the next writes commit.
    expect(
      await Promise.all([
        queue.run((conn) => insert(conn, 5, 'e')),
        queue.run((conn) => insert(conn, 6, 'f')),
      ]),
    ).toEqual([5, 6]);
    expect(committedIds()).toEqual([5, 6]);
  });

  it('runs a lone write on its own, autocommitted, and later arrivals in the next batch', async () => {
    const queue = groupCommitWrites(db);
    expect(await queue.run((conn) => insert(conn, 1, 'alone'))).toBe(1);
    expect(statements('begin')).toBe(0);
    expect(committedIds()).toEqual([1]);
    const first = queue.run((conn) => insert(conn, 2, 'x'));
    const second = queue.run((conn) => insert(conn, 3, 'y'));
    await first;
    const third = queue.run((conn) => insert(conn, 4, 'z')); // after the first batch committed
    expect(await Promise.all([second, third])).toEqual([3, 4]);
    expect(statements('begin')).toBe(1); // 2 and 3 together; 4 alone
    expect(committedIds()).toEqual([1, 2, 3, 4]);
  });
});

describe('group commit (SQLite) with the direct batch runner', () => {
  it('runs the savepoints and the compiled writes on the connection, BEGIN and COMMIT through Kysely', async () => {
    direct = true;
    const runner = (text: string, parameters: readonly unknown[]) => {
      log.push(text);
      directLog.push(text);
      sqlite.prepare(text).run(parameters);
      return [];
    };
    registerBatchRunner(db, runner);
    const queue = groupCommitWrites(db);
    await Promise.all([queue.run((conn) => insert(conn, 1, 'a')), queue.run((conn) => insert(conn, 2, 'b'))]);
    expect(directLog.map((s) => s.split(' (')[0])).toEqual([
      'savepoint roster_write',
      'insert into t',
      'release savepoint roster_write',
      'savepoint roster_write',
      'insert into t',
      'release savepoint roster_write',
    ]);
    expect(log.filter((s) => !directLog.includes(s)).map((s) => s.toLowerCase())).toEqual([
      'begin',
      'commit',
    ]);
    // After the commit, a compiled write on the same database runs through Kysely again.
    await insertOnce(db, 3, 'c');
    expect(directLog).toHaveLength(6);
    expect(committedIds()).toEqual([1, 2, 3]);
  });
});
