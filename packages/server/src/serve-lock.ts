import { readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * How `roster restore` knows a server is using a SQLite file: every `roster serve` on a file keeps
 * `<file>.serve-<pid>.lock` beside it (JSON: pid, host, start time) while it runs and removes it when
 * it stops. A lock of this host whose process is gone (a server killed with SIGKILL) is stale.
 */
export interface ServeLock {
  path: string;
  pid: number;
  host: string;
  startedAt: string;
}

function lockPrefix(database: string): string {
  return `${basename(database)}.serve-`;
}

/** Whether `database` is a SQLite file (not `:memory:`, not a URL). */
export function isSqliteFile(database: string): boolean {
  return database !== '' && database !== ':memory:' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(database);
}

/** Writes this process's lock beside `database`; returns the function that removes it. */
export function holdServeLock(database: string): () => void {
  const path = join(dirname(resolve(database)), `${lockPrefix(database)}${process.pid}.lock`);
  writeFileSync(
    path,
    `${JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() })}\n`,
  );
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  };
  process.once('exit', release);
  return release;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The servers using `database`: the locks beside it whose process runs (or runs on another host,
 * where it cannot be checked). Stale locks of this host are removed.
 */
export function liveServeLocks(database: string): ServeLock[] {
  const dir = dirname(resolve(database));
  const prefix = lockPrefix(database);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const live: ServeLock[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.lock')) continue;
    const path = join(dir, name);
    let lock: { pid?: unknown; host?: unknown; startedAt?: unknown };
    try {
      lock = JSON.parse(readFileSync(path, 'utf8')) as typeof lock;
    } catch {
      continue; // removed meanwhile, or not ours
    }
    const pid = Number(lock.pid);
    const host = String(lock.host ?? '');
    if (host === hostname() && !alive(pid)) {
      try {
        unlinkSync(path);
      } catch {
        // removed meanwhile
      }
      continue;
    }
    live.push({ path, pid, host, startedAt: String(lock.startedAt ?? '') });
  }
  return live;
}
