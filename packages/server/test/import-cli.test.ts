import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRoster, LOCAL_IMPORT_JOB_TYPE } from '@roster/core';
import { createPgTestSchema, PG_URL, type PgTestSchema } from '@roster/test-harness';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { contactsOf, runCli, type ServeProcess, startServe, tempDirPerTest } from './cli-helpers.js';

// Each CLI process starts Node and the TypeScript loader: slow on a loaded 2-core machine.
vi.setConfig({ testTimeout: 120_000 });

/** `node --require` this and `pg` cannot be found, as when it is not installed. */
const NO_PG = fileURLToPath(new URL('./no-pg.cjs', import.meta.url));

let dir: string;
let db: string;
tempDirPerTest('roster-import-cli-', (created) => {
  dir = created;
  db = join(dir, 'roster.db');
});

function csvFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('roster import', () => {
  it('reads the emails from the column named by --email-column', async () => {
    const file = csvFile('people.csv', 'Name,Work Email\nAda,ada@example.com\nBob,bob@example.com\n');
    const res = await runCli(['import', file, '--db', db, '--email-column', 'work email', '--json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ totalRows: 2, createdCount: 2, failureCount: 0 });
    expect(await contactsOf(db)).toEqual({
      'ada@example.com': { name: 'Ada' },
      'bob@example.com': { name: 'Bob' },
    });
  });

  it('prints one JSON error line on stdout with --json when it fails, naming the field', async () => {
    const file = csvFile('people.csv', 'Name,Work Email\nAda,ada@example.com\n');
    const noColumn = await runCli(['import', file, '--db', db, '--json']);
    expect(noColumn.code).toBe(1);
    expect(noColumn.stderr).toBe('');
    expect(noColumn.stdout.endsWith('\n')).toBe(true);
    expect(noColumn.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(noColumn.stdout)).toEqual({
      error: {
        code: 'validation_failed',
        message: 'The CSV file has no email column (its header is: Name, Work Email)',
        details: { issues: [{ field: 'file', message: 'has no email column in its header line' }] },
      },
    });

    const wrongColumn = await runCli(['import', file, '--db', db, '--email-column', 'mail', '--json']);
    expect(wrongColumn.code).toBe(1);
    expect(JSON.parse(wrongColumn.stdout)).toEqual({
      error: {
        code: 'validation_failed',
        message: 'The CSV file has no column "mail" to read emails from (its header is: Name, Work Email)',
        details: {
          issues: [{ field: 'emailColumn', message: 'names no column of the header line ("mail")' }],
        },
      },
    });

    // Without --json the same failure is one line of text on stderr.
    const text = await runCli(['import', file, '--db', db, '--email-column', 'mail']);
    expect(text).toMatchObject({
      code: 1,
      stdout: '',
      stderr:
        'roster: The CSV file has no column "mail" to read emails from (its header is: Name, Work Email)\n' +
        '  emailColumn: names no column of the header line ("mail")\n',
    });
  });

  it('prints every count of its summary in one number format', async () => {
    const rows = Array.from({ length: 1500 }, (_, i) => (i < 1234 ? `u${i}@example.com` : `broken-${i}`));
    const file = csvFile('many.csv', `email\n${rows.join('\n')}\n`);
    const res = await runCli(['import', file, '--db', db, '--no-progress']);
    expect(res.code).toBe(0);
    expect(res.stdout.split('\n')[0]).toMatch(
      /^Imported 1,500 rows in \d+\.\d s \([\d,]+ rows\/s\): 1,234 created, 0 updated, 266 failed$/,
    );
    expect(res.stdout).toContain('  ... and 246 more rejected rows');
    const again = await runCli(['import', file, '--db', db]);
    expect(again.stdout).toMatch(/: 1,500 rows, 1,234 created, 0 updated, 266 failed\. Nothing to do/);
  });

  it('says in one line, without a stack trace, that a postgres:// database needs pg (every command)', async () => {
    const file = csvFile('people.csv', 'email\nada@example.com\n');
    const url = 'postgres://127.0.0.1:1/nowhere';
    const line =
      'roster: the database needs the `pg` package, which is not installed: install it next to roster (npm install pg)\n';
    const env = { NODE_OPTIONS: `--require ${NO_PG}` };
    for (const args of [
      ['import', file, '--db', url],
      ['keys', 'create', '--db', url],
    ]) {
      const res = await runCli(args, env);
      expect(res).toMatchObject({ code: 1, stdout: '', stderr: line });
    }
    const json = await runCli(['import', file, '--db', url, '--json'], env);
    expect(JSON.parse(json.stdout)).toEqual({
      error: {
        code: 'missing_driver',
        message: line.slice('roster: '.length, -1),
        details: { driver: 'pg' },
      },
    });
  });
});

describe.skipIf(!PG_URL)('roster import beside roster serve on one PostgreSQL database', () => {
  let schema: PgTestSchema;
  let server: ServeProcess | undefined;
  afterEach(async () => {
    if (server && server.child.exitCode === null) server.child.kill('SIGTERM');
    await server?.exited;
    await schema?.drop();
  });

  it('runs the import of its local file itself: the server never claims it', async () => {
    schema = await createPgTestSchema();
    // A server that looks for due jobs every 20 ms (and is woken by NOTIFY when one is queued).
    server = await startServe(['--db', schema.url, '--poll-interval', '20']);
    const file = csvFile('local.csv', 'email,plan\nada@example.com,pro\nbob@example.com,free\n');

    // Queued as `roster import` queues it, but not run: the server has every chance to claim it.
    const roster = await createRoster({ database: schema.url });
    try {
      const project = await roster.projects.ensure('default');
      const { job } = await roster.imports.enqueueFromPath(project.id, file);
      expect(job.type).toBe(LOCAL_IMPORT_JOB_TYPE);
      await new Promise((r) => setTimeout(r, 1500));
      expect(await roster.jobs.get(project.id, job.id)).toMatchObject({ status: 'queued', attempts: 0 });

      // The CLI resumes that job and runs it in its own process.
      const res = await runCli(['import', file, '--db', schema.url, '--json']);
      expect(res.stderr).toContain(`Resuming import job ${job.id} of ${file} after 0 rows`);
      expect(res.code).toBe(0);
      expect(JSON.parse(res.stdout)).toMatchObject({ jobId: job.id, totalRows: 2, createdCount: 2 });
      const finished = await roster.jobs.get(project.id, job.id);
      expect(finished).toMatchObject({ status: 'completed', attempts: 1 });
      expect(finished.lockedBy).toContain(`:${res.pid}:`);
      expect(finished.lockedBy).not.toContain(`:${server.child.pid}:`);
    } finally {
      await roster.close();
    }
    expect(await contactsOf(schema.url)).toEqual({
      'ada@example.com': { plan: 'pro' },
      'bob@example.com': { plan: 'free' },
    });
  });
});
