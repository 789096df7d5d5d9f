import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createRoster } from '@roster/core';
import { createPgTestSchema, PG_URL } from '@roster/test-harness';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, type ServeProcess, startServe, tempDirPerTest } from './cli-helpers.js';

const KEY = 'sk_backup_test_key_000000000001';

async function contactCount(database: string): Promise<number> {
  const roster = await createRoster({ database });
  try {
    const project = await roster.projects.ensure('default');
    return await roster.contacts.count(project.id);
  } finally {
    await roster.close();
  }
}

describe('roster backup and roster restore (SQLite)', () => {
  let dir = '';
  tempDirPerTest('roster-backup-', (d) => {
    dir = d;
  });
  let server: ServeProcess | undefined;
  afterEach(async () => {
    if (server) {
      server.child.kill('SIGTERM');
      await server.exited;
      server = undefined;
    }
  });

  it('copies a database consistently while the server keeps writing, and restores it once the server stopped', async () => {
    const db = join(dir, 'live.db');
    const copy = join(dir, 'copy.db');
    server = await startServe(['--db', db, '--api-key', KEY]);
    const url = server.url;
    // Write load: four writers creating contacts until told to stop.
    let accepted = 0;
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const res = await fetch(`${url}/contacts`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ email: `w${w}-${i}@example.com`, data: { pad: 'x'.repeat(200) } }),
        });
        expect(res.status).toBe(201);
        accepted++;
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    while (accepted < 200) await new Promise((r) => setTimeout(r, 20));
    const before = accepted;
    const backup = await runCli(['backup', '--db', db, '--out', copy, '--json']);
    const during = accepted;
    stop = true;
    await Promise.all(writers);
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    const line = JSON.parse(backup.stdout) as { pages: number; contacts: number };
    // The server went on writing while the copy was made.
    expect(during).toBeGreaterThan(before);
    expect(line.contacts).toBeGreaterThanOrEqual(before);

    // The copy passes integrity_check and opens as a roster database with its contacts.
    const check = new Database(copy, { readonly: true });
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    check.close();
    expect(await contactCount(copy)).toBe(line.contacts);

    // A second backup never overwrites a file.
    const again = await runCli(['backup', '--db', db, '--out', copy]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('exists: choose a new file');

    // Restore is refused while the server uses the file, naming the process.
    const refused = await runCli(['restore', '--from', copy, '--db', db]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`is in use by roster serve (pid ${server.child.pid}`);
    expect(await contactCount(db)).toBe(accepted);

    server.child.kill('SIGTERM');
    await server.exited;
    server = undefined;
    expect(readdirSync(dir).filter((f) => f.endsWith('.lock'))).toEqual([]);
    const restored = await runCli(['restore', '--from', copy, '--db', db]);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain(`${line.contacts} contacts`);
    expect(await contactCount(db)).toBe(line.contacts);
  }, 180_000);

  it('ignores the lock of a server that died without removing it, and refuses a copy that is no roster database', async () => {
    const db = join(dir, 'live.db');
    const copy = join(dir, 'copy.db');
    await contactCount(db); // creates and migrates it
    expect((await runCli(['backup', '--db', db, '--out', copy])).code).toBe(0);
    // A pid that is surely not running (above Linux's pid_max).
    const stale = join(dir, 'live.db.serve-99999999.lock');
    writeFileSync(
      stale,
      JSON.stringify({ pid: 99999999, host: hostname(), startedAt: '2026-01-01T00:00:00Z' }),
    );
    const restored = await runCli(['restore', '--from', copy, '--db', db]);
    expect(restored.code).toBe(0);
    expect(existsSync(stale)).toBe(false);

    const notRoster = join(dir, 'other.db');
    new Database(notRoster).exec('create table t (x)');
    const refused = await runCli(['restore', '--from', notRoster, '--db', db]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is not a roster database');
  }, 60_000);

  it('points PostgreSQL users to pg_dump', async () => {
    const run = await runCli(['backup', '--db', 'postgres://localhost/x', '--out', join(dir, 'x.db')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('use pg_dump and pg_restore');
  });
});

const hasPgDump = (() => {
  try {
    execFileSync('pg_dump', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!PG_URL || !hasPgDump)('PostgreSQL backup with pg_dump and pg_restore', () => {
  tempDirPerTest('roster-pgdump-', (d) => {
    dir = d;
  });
  let dir = '';

  it('round-trips a roster schema (the documented commands)', async () => {
    const schema = await createPgTestSchema();
    try {
      const roster = await createRoster({ database: schema.url });
      const project = await roster.projects.ensure('default');
      for (let i = 0; i < 25; i++) await roster.contacts.upsert(project.id, { email: `p${i}@example.com` });
      await roster.audit.record(project.id, { actor: 'cli', action: 'key.created' });
      await roster.close();
      const name = new URL(schema.url).searchParams.get('options')?.match(/search_path=([^\s&,]+)/)?.[1];
      expect(name).toBeTruthy();
      const dump = join(dir, 'roster.dump');
      // As docs/operations.md shows: a custom-format dump of roster's schema, then pg_restore.
      execFileSync('pg_dump', ['--format=custom', `--schema=${name}`, `--file=${dump}`, PG_URL!]);
      await createRoster({ database: PG_URL!, migrate: false }).then(async (admin) => {
        await admin.db.schema.dropSchema(name!).cascade().execute();
        await admin.close();
      });
      execFileSync('pg_restore', ['--dbname', PG_URL!, dump]);
      const back = await createRoster({ database: schema.url });
      const again = await back.projects.ensure('default');
      expect(again.id).toBe(project.id);
      expect(await back.contacts.count(project.id)).toBe(25);
      expect((await back.audit.list(project.id)).data).toHaveLength(1);
      await back.close();
    } finally {
      await schema.drop();
    }
  }, 60_000);
});
