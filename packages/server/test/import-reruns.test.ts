import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRoster } from '@roster/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { progressFrames, ROSTER_CLI_ARGS, runCli, runInPty, startServe } from './cli-helpers.js';

// Each CLI process starts Node and the TypeScript loader: slow on a loaded 2-core machine.
vi.setConfig({ testTimeout: 300_000 });

const dir = mkdtempSync(join(tmpdir(), 'roster-cli-reruns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const large = join(dir, 'large.csv');
const ROWS = 120_000;
beforeAll(async () => {
  const out = createWriteStream(large);
  out.write('email,plan\n');
  for (let i = 0; i < ROWS; i++) {
    if (!out.write(`user${i}@example.com,${i % 2 ? 'pro' : 'free'}\n`)) {
      await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  }
  out.end();
  await new Promise<void>((resolve) => out.once('finish', () => resolve()));
});

/** A database path and a CSV file holding `text`, both named `name` in the shared folder. */
function caseFiles(name: string, text: string) {
  const csv = join(dir, `${name}.csv`);
  writeFileSync(csv, text);
  return { db: join(dir, `${name}.db`), csv };
}

const count = (text: string) => Number(text.replace(/,/g, ''));

describe('roster import in a terminal', () => {
  it('shows a moving progress bar, says on Ctrl-C that rerunning resumes, and the rerun reports both totals', async () => {
    const db = join(dir, 'tty.db');
    const first = runInPty(['import', large, '--db', db]);
    // Several frames with different counts of rows read, while the job runs (not only after it):
    // the bar may redraw a count it already showed, so wait for three distinct ones.
    await first.waitFor(
      (out) =>
        new Set(
          progressFrames(out, 'import')
            .map((f) => f.rows)
            .filter((rows) => rows > 0),
        ).size >= 3,
    );
    first.type('\u0003');
    expect(await first.exited).toBe(130);
    const out = first.output();
    const frames = progressFrames(out, 'import');
    const rows = frames.map((f) => f.rows);
    expect(rows).toEqual([...rows].sort((a, b) => a - b));
    expect(new Set(rows).size).toBeGreaterThanOrEqual(3);
    expect(Math.max(...rows)).toBeLessThan(ROWS);
    expect(out).toMatch(
      /Interrupted after [\d,]+ rows read: stopping import job [0-9a-f-]{36}\. Rerun the same command to resume where it stopped\./,
    );

    const second = runInPty(['import', large, '--db', db]);
    expect(await second.exited).toBe(0);
    const resumed = /Resuming import job [0-9a-f-]{36} of .* after ([\d,]+) rows/.exec(second.output());
    expect(resumed).not.toBeNull();
    const before = count(resumed![1]!);
    expect(before).toBeGreaterThan(0);
    const summary =
      /Imported ([\d,]+) rows in all: ([\d,]+) created, 0 updated, 0 failed\. This run resumed after ([\d,]+) rows and imported ([\d,]+) in [\d.]+ s \([\d,]+ rows\/s\)/.exec(
        second.output(),
      );
    expect(summary).not.toBeNull();
    expect(count(summary![1]!)).toBe(ROWS);
    expect(count(summary![2]!)).toBe(ROWS);
    expect(count(summary![3]!)).toBe(before);
    expect(count(summary![4]!)).toBe(ROWS - before);
    // The final frame shows the whole file.
    expect(progressFrames(second.output(), 'import').at(-1)).toEqual({ percent: 100, rows: ROWS });

    // Export shows its progress too, on the terminal while the contacts go to a file.
    const exported = runInPty(['export', '--db', db, '--out', join(dir, 'tty-export.csv')]);
    expect(await exported.exited).toBe(0);
    expect(progressFrames(exported.output(), 'export').at(-1)).toEqual({ percent: 100, rows: ROWS });
    expect(exported.output()).toContain(`Exported ${ROWS} contacts to`);

    const third = await runCli(['import', large, '--db', db]);
    expect(third.code).toBe(0);
    expect(third.stdout).toMatch(
      new RegExp(
        `was already imported by job [0-9a-f-]{36} \\(completed at [0-9T:.-]+Z\\): ${ROWS.toLocaleString('en-US')} rows, ${ROWS.toLocaleString('en-US')} created, 0 updated, 0 failed\\. Nothing to do; use --force to import it again\\.`,
      ),
    );
  }, 600_000);
});

describe('roster import reruns', () => {
  it('resumes the job of a killed import itself (roster serve never claims it), then reports the file already imported, and imports it again only with --force', async () => {
    const { db, csv } = caseFiles('served', 'email\na@example.com\nb@example.com\n');
    // The import is killed right after queueing its job (before or while running it).
    const child = spawn(process.execPath, [...ROSTER_CLI_ARGS, 'import', csv, '--db', db, '--no-progress'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    const queued = new Promise<string>((resolve) =>
      child.stderr.on('data', (d) => {
        err += d;
        const match = /as job ([0-9a-f-]{36})/.exec(err);
        if (match) resolve(match[1]!);
      }),
    );
    const jobId = await queued;
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));

    // A server on the same database, polling every 20 ms, leaves the CLI's job alone: the file is on
    // the CLI's disk, which a server on another host would not see.
    const server = await startServe(['--db', db, '--api-key', 'sk_test_reruns_key', '--poll-interval', '20']);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const roster = await createRoster({ database: db });
      try {
        const project = await roster.projects.ensure('default');
        expect(await roster.jobs.get(project.id, jobId)).toMatchObject({ status: 'queued', lockedBy: null });
      } finally {
        await roster.close();
      }
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    const resumed = await runCli(['import', csv, '--db', db, '--json']);
    expect(resumed.stderr).toContain(`Resuming import job ${jobId} of ${csv} after `);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ jobId, totalRows: 2, createdCount: 2 });

    const rerun = await runCli(['import', csv, '--db', db]);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toContain(`was already imported by job ${jobId} (completed at `);
    expect(rerun.stdout).toContain('2 rows, 2 created, 0 updated, 0 failed. Nothing to do; use --force');
    const json = await runCli(['import', csv, '--db', db, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ jobId, alreadyImported: true, createdCount: 2 });

    const forced = await runCli(['import', csv, '--db', db, '--force', '--json']);
    expect(forced.code).toBe(0);
    const result = JSON.parse(forced.stdout);
    expect(result.jobId).not.toBe(jobId);
    expect(result).toMatchObject({ totalRows: 2, createdCount: 0, updatedCount: 2 });
  }, 300_000);

  it('fails at once for a file changed after its import was interrupted, and --force starts afresh', async () => {
    const { db, csv } = caseFiles('changed', 'email\na@example.com\n');
    // An interrupted import: queued, never finished.
    const roster = await createRoster({ database: db });
    const project = await roster.projects.ensure('default');
    const { job } = await roster.imports.enqueueFromPath(project.id, csv);
    await roster.close();
    writeFileSync(csv, 'email\na@example.com\nb@example.com\n');
    utimesSync(csv, new Date(), new Date(Date.now() + 5000));

    const refused = await runCli(['import', csv, '--db', db]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(
      `roster: ${csv} changed after import job ${job.id} started, so that import cannot resume. ` +
        `To import the file as it is now from row 1, run the same command with --force (it cancels job ${job.id}).\n`,
    );

    const forced = await runCli(['import', csv, '--db', db, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain(`Cancelled import job ${job.id} of the earlier version of ${csv}`);
    expect(forced.stdout).toMatch(
      /^Imported 2 rows in [\d.]+ s \([\d,]+ rows\/s\): 2 created, 0 updated, 0 failed\n$/,
    );
    const after = await createRoster({ database: db });
    expect(await after.jobs.get(project.id, job.id)).toMatchObject({ status: 'failed' });
    expect(await after.jobs.unfinished(project.id, 'import')).toEqual([]);
    await after.close();
  }, 300_000);
});

describe('roster import options', () => {
  it('imports into an audience given by name or id, with --name-columns', async () => {
    const { db, csv } = caseFiles(
      'audience',
      'email,first_name,Last Name,plan\nada@example.com,Ada,Lovelace,pro\n',
    );
    const roster = await createRoster({ database: db });
    const project = await roster.projects.ensure('default');
    const vip = await roster.audiences.create(project.id, { name: 'VIP' });
    await roster.audiences.create(project.id, { name: 'Twice' });
    await roster.audiences.create(project.id, { name: 'Twice' });
    await roster.close();

    const byName = await runCli(['import', csv, '--db', db, '--audience', 'VIP', '--name-columns', '--json']);
    expect(byName.code).toBe(0);
    expect(JSON.parse(byName.stdout)).toMatchObject({ createdCount: 1 });
    const check = await createRoster({ database: db });
    expect(await check.contacts.findByEmail(project.id, 'ada@example.com')).toMatchObject({
      audienceId: vip.id,
      firstName: 'Ada',
      lastName: 'Lovelace',
      data: { plan: 'pro' },
    });
    await check.close();

    const byId = await runCli(['import', csv, '--db', db, '--audience', vip.id, '--json']);
    expect(JSON.parse(byId.stdout)).toMatchObject({ updatedCount: 1 });

    const unknown = await runCli(['import', csv, '--db', db, '--audience', 'Nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('roster: No audience with the id or name "Nope" in this project\n');
    const ambiguous = await runCli(['import', csv, '--db', db, '--audience', 'Twice']);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(/^roster: 2 audiences are named "Twice": pass the id of one \(/);
  }, 300_000);

  it('prints the error of an unreadable file once', async () => {
    const res = await runCli(['import', join(dir, 'missing.csv'), '--db', join(dir, 'x.db')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(`roster: file: ${join(dir, 'missing.csv')} is not a readable file\n`);
  });
});
