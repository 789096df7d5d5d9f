import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contactIdBytes, createRoster, type Roster, uuidv7 } from '@roster/core';
import { contactTime } from '@roster/core/internal';
import Database from 'better-sqlite3';
import { CSV_HEADER, csvLineOf, dataOf, isPreexisting, rowOf } from './data.js';

/** A temp directory for one run's fixtures, removed by `cleanup()` (also on Ctrl-C). */
export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'roster-bench-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', cleanup);
  return { dir, cleanup };
}

/** Resolves once no job is queued or running (the started runner drains them), polling every 2 ms. */
export async function untilJobsDrained(roster: Roster): Promise<void> {
  for (;;) {
    const left = await roster.db
      .selectFrom('roster_jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirstOrThrow();
    if (Number(left.n) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * A fresh roster database at `path` with one project of `n` contacts written straight into its
 * schema, then opened by roster (which brings the substring index up to date, as an import does
 * batch by batch). Logs how long both took.
 */
export async function seededRoster(
  path: string,
  n: number,
  log: (line: string) => void,
): Promise<{ roster: Roster; projectId: string }> {
  const { projectId } = await freshDatabase(path);
  let t0 = performance.now();
  const raw = openRaw(path);
  seedContacts(raw, projectId, 0, n);
  raw.pragma('wal_checkpoint(TRUNCATE)');
  raw.close();
  log(`seeded ${n} contacts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  t0 = performance.now();
  const roster = await createRoster({ database: path });
  log(`opened (substring index built) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { roster, projectId };
}

export function removeDb(path: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
}

/** Opens a roster SQLite file with exactly the pragmas roster itself uses (see core's openSqlite). */
export function openRaw(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536');
  db.pragma('temp_store = MEMORY');
  return db;
}

/** A fresh database file migrated by roster itself (same schema, indexes and triggers), with one project. */
export async function freshDatabase(path: string): Promise<{ projectId: string }> {
  removeDb(path);
  const roster = await createRoster({ database: path });
  const project = await roster.projects.ensure('bench');
  await roster.close();
  return { projectId: project.id };
}

const INSERT_SQL = `insert into roster_contacts
  (id, project_id, email, subscribed, data, created_at, updated_at) values (?, (select seq from roster_projects where id = ?), ?, 1, ?, ?, ?)`;

/**
 * Writes contacts `from..to-1` (or only those `filter` keeps) straight into the roster schema with
 * one prepared statement in 10 000-row transactions: the fast way to build big fixtures. Every
 * contact is created at 2030-01-01 unless `createdAt` says otherwise.
 */
export function seedContacts(
  db: Database.Database,
  projectId: string,
  from: number,
  to: number,
  filter: (i: number) => boolean = () => true,
  data: (i: number) => Record<string, string> = (i) => dataOf(rowOf(i)),
  createdAt?: (i: number) => string,
): number {
  const insert = db.prepare(INSERT_SQL);
  const now = new Date('2030-01-01T00:00:00.000Z').toISOString();
  let n = 0;
  const batch = db.transaction((start: number, end: number) => {
    for (let i = start; i < end; i++) {
      if (!filter(i)) continue;
      // Contact times are stored as milliseconds (core's contact-time.ts).
      const at = contactTime(createdAt ? createdAt(i) : now);
      // As roster stores a contact id on SQLite: its 16 bytes (core migration 0025).
      insert.run(contactIdBytes(uuidv7()), projectId, rowOf(i).email, JSON.stringify(data(i)), at, at);
      n++;
    }
  });
  for (let start = from; start < to; start += 10_000) batch(start, Math.min(to, start + 10_000));
  return n;
}

/**
 * Adds contacts written since the last call to roster's substring index (what roster does in each
 * import batch: see core's syncSearchIndex). A no-op when the index is turned off.
 */
export function syncFts(db: Database.Database): void {
  const hasIndex = db.prepare("select 1 from sqlite_master where name = 'roster_contacts_fts'").get();
  if (!hasIndex) return;
  db.prepare(`insert into roster_contacts_fts (rowid, email)
    select seq, email from roster_contacts where seq > (select indexed_seq from roster_search_state)`).run();
  db.prepare('update roster_search_state set indexed_seq = (select max(seq) from roster_contacts)').run();
}

/** The 20 % of an import's emails that exist before it runs, with other data (so the import merges). */
export function seedPreexisting(path: string, projectId: string, rows: number): void {
  const db = openRaw(path);
  try {
    seedContacts(db, projectId, 0, rows, isPreexisting, (i) => ({ plan: 'legacy', source: `seed-${i % 3}` }));
    db.transaction(() => syncFts(db))();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

/**
 * Streams a CSV: the header, then `lineAt(0)`, `lineAt(1)`, ... until it returns null, or until the
 * next line would take the file past `maxBytes`; returns the number of rows written.
 */
async function streamCsv(path: string, lineAt: (k: number) => string | null, maxBytes = Infinity) {
  const out = createWriteStream(path);
  let size = Buffer.byteLength(CSV_HEADER);
  out.write(CSV_HEADER);
  let rows = 0;
  let chunk = '';
  while (true) {
    const line = lineAt(rows);
    if (line === null) break;
    const len = Buffer.byteLength(line);
    if (size + len > maxBytes) break;
    size += len;
    chunk += line;
    rows++;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return rows;
}

/** Writes a CSV of rows 0.. until it reaches `bytes`; returns its row count. */
export function writeCsv(path: string, bytes: number): Promise<number> {
  return streamCsv(path, csvLineOf, bytes);
}

/** Writes a CSV of contacts `from..to-1` (the same lines as `writeCsv`); returns its row count. */
export function writeCsvRows(path: string, from: number, to: number): Promise<number> {
  return streamCsv(path, (k) => (from + k < to ? csvLineOf(from + k) : null));
}

const UPSERT_SQL = `insert into roster_contacts
  (id, project_id, email, subscribed, data, created_at, updated_at) values (?, (select seq from roster_projects where id = ?), ?, 1, ?, ?, ?)
  on conflict (project_id, email) do update set
    data = nullif(json_patch(coalesce(roster_contacts.data, '{}'), coalesce(excluded.data, '{}')), '{}'),
    updated_at = excluded.updated_at`;

/**
 * The raw baseline of every import metric: the same rows (as the CSV holds them, already parsed)
 * upserted by one better-sqlite3 prepared statement with the same merge, 10 000 rows per
 * transaction, on a file migrated by roster (so with the same indexes, triggers and substring
 * index, which it keeps up to date per transaction as roster does). Returns rows per second.
 */
export function rawUpsert(path: string, projectId: string, rows: number): number {
  const db = openRaw(path);
  try {
    const upsert = db.prepare(UPSERT_SQL);
    const now = Date.now();
    const batch = db.transaction((start: number, end: number) => {
      for (let i = start; i < end; i++) {
        const row = rowOf(i);
        upsert.run(contactIdBytes(uuidv7()), projectId, row.email, JSON.stringify(dataOf(row)), now, now);
      }
      syncFts(db);
    });
    const t0 = performance.now();
    for (let start = 0; start < rows; start += 10_000) batch(start, Math.min(rows, start + 10_000));
    const seconds = (performance.now() - t0) / 1000;
    return rows / seconds;
  } finally {
    db.close();
  }
}
