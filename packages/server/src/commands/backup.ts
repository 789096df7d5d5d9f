import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError, type CommonFlags, dbPath, userPath } from '../config.js';
import { isSqliteFile, liveServeLocks } from '../serve-lock.js';

const PG_HINT = 'for PostgreSQL use pg_dump and pg_restore (see docs/operations.md#backups)';

/** Pages per backup step: all of them. */
const ALL_PAGES = 0x7fffffff;

type SqliteDatabase = import('better-sqlite3').Database;

async function openSqliteFile(path: string, what: string): Promise<SqliteDatabase> {
  const { default: Database } = await import('better-sqlite3');
  try {
    return new Database(path, { fileMustExist: true });
  } catch (error) {
    throw new CliError(`Cannot open ${what} ${path}: ${(error as Error).message}`);
  }
}

/** `PRAGMA integrity_check` and roster's migration table: a CliError naming `what` otherwise. */
function checkRosterDatabase(db: SqliteDatabase, path: string, what: string): { contacts: number } {
  let integrity: string;
  try {
    integrity = (db.pragma('integrity_check', { simple: true }) as string) ?? '';
  } catch (error) {
    throw new CliError(`${what} ${path} is not a SQLite database: ${(error as Error).message}`);
  }
  if (integrity !== 'ok') throw new CliError(`${what} ${path} fails integrity_check: ${integrity}`);
  const tables = db
    .prepare(
      `select name from sqlite_master where type = 'table' and name in ('roster_migrations', 'roster_contacts')`,
    )
    .all() as { name: string }[];
  if (tables.length < 2) throw new CliError(`${what} ${path} is not a roster database (no roster tables)`);
  const row = db.prepare('select count(*) as n from roster_contacts').get() as { n: number };
  return { contacts: Number(row.n) };
}

export function registerBackupCommands(program: Command): void {
  program
    .command('backup')
    .description(
      'Copy a SQLite database consistently while roster serve keeps running (SQLite online backup), then check the copy',
    )
    .requiredOption('--out <file>', 'where to write the copy (must not exist)')
    .option('--db <path>', 'the SQLite database file to copy (env ROSTER_DB, default ./roster.db)')
    .option('--json', 'print one JSON line {"db","out","pages","contacts"}')
    .action(async (flags: CommonFlags & { out: string; json?: boolean }) => {
      const source = dbPath(flags);
      if (!isSqliteFile(source)) throw new CliError(`roster backup copies SQLite files; ${PG_HINT}`);
      const out = userPath(flags.out);
      if (existsSync(out)) throw new CliError(`${out} exists: choose a new file for the copy`);
      const db = await openSqliteFile(source, 'database');
      let pages: number;
      try {
        // All pages in one step of SQLite's online backup, inside one read transaction: the copy is
        // the database as of one moment, whatever the server writes meanwhile (in WAL mode the
        // server's writers are not blocked). Smaller steps would restart whenever it writes.
        pages = (await db.backup(out, { progress: () => ALL_PAGES })).totalPages;
      } catch (error) {
        throw new CliError(`Backup of ${source} to ${out} failed: ${(error as Error).message}`);
      } finally {
        db.close();
      }
      const copy = await openSqliteFile(out, 'copy');
      let contacts: number;
      try {
        ({ contacts } = checkRosterDatabase(copy, out, 'The copy'));
      } finally {
        copy.close();
      }
      if (flags.json) console.log(JSON.stringify({ db: source, out, pages, contacts }));
      else console.log(`Backed up ${source} to ${out}: ${pages} pages, integrity ok, ${contacts} contacts`);
    });

  program
    .command('restore')
    .description(
      'Replace a SQLite database with a copy made by roster backup; refused while roster serve uses it',
    )
    .requiredOption('--from <file>', 'the copy to restore')
    .option('--db <path>', 'the SQLite database file to replace (env ROSTER_DB, default ./roster.db)')
    .action(async (flags: CommonFlags & { from: string }) => {
      const target = dbPath(flags);
      if (!isSqliteFile(target)) throw new CliError(`roster restore writes SQLite files; ${PG_HINT}`);
      const from = userPath(flags.from);
      const servers = liveServeLocks(target);
      if (servers.length > 0) {
        const who = servers.map((s) => `pid ${s.pid} on ${s.host} since ${s.startedAt}`).join(', ');
        throw new CliError(
          `${target} is in use by roster serve (${who}): stop the server first (if it is surely gone, remove ${servers[0]!.path})`,
        );
      }
      const copy = await openSqliteFile(from, 'copy');
      try {
        const { contacts } = checkRosterDatabase(copy, from, 'The copy');
        // Written through SQLite (the online backup API into the target): the target's own WAL is
        // taken into account, never replayed over the restored pages.
        await copy.backup(target, { progress: () => ALL_PAGES });
        console.log(`Restored ${target} from ${from}: ${contacts} contacts`);
      } catch (error) {
        if (error instanceof CliError) throw error;
        throw new CliError(`Restore of ${target} from ${from} failed: ${(error as Error).message}`);
      } finally {
        copy.close();
      }
    });
}
