import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRoster, type ImportProgress, type ImportResult } from '@roster/core';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ROSTER_CLI_ARGS, runCli, startServe } from './cli-helpers.js';

// Each CLI process starts Node and the TypeScript loader: slow on a loaded 2-core machine.
vi.setConfig({ testTimeout: 120_000 });

const dir = mkdtempSync(join(tmpdir(), 'roster-cli-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every contact of the default project as sorted [email, subscribed, data] rows. */
async function contactsOf(db: string): Promise<[string, boolean, unknown][]> {
  const roster = await createRoster({ database: db });
  try {
    const project = await roster.projects.findByName('default');
    const rows = await roster.db
      .selectFrom('roster_contacts')
      .select(['email', 'subscribed', 'data'])
      .where('project_id', '=', roster.dialect.contactProject(project!.id))
      .orderBy('email')
      .execute();
    return rows.map((r) => [r.email, Boolean(r.subscribed), r.data ? JSON.parse(String(r.data)) : null]);
  } finally {
    await roster.close();
  }
}

async function writeCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('email,First Name,plan,subscribed\n');
  for (let i = 0; i < rows; i++) {
    // Repeats (every 10th row updates an earlier contact), invalid rows, and a subscribed column.
    const email =
      i % 10 === 9 ? `user${i - 5}@example.com` : i % 1000 === 500 ? `broken${i}` : `user${i}@example.com`;
    const line = `${email},"Name ${i}",${i % 3 ? 'pro' : ''},${i % 7 === 0 ? 'no' : ''}\n`;
    if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  out.end();
  await new Promise<void>((resolve) => out.once('finish', () => resolve()));
}

describe('roster import / export', () => {
  it('imports a CSV with a summary, exports it, and the export re-imported gives the same contacts', async () => {
    const csv = join(dir, 'small.csv');
    writeFileSync(
      csv,
      'email;City;subscribed\r\nada@example.com;"Paris, FR";yes\r\nbob@example.com;"say ""hi""";no\r\nbad;x;\r\ncy@example.com;;\r\n',
    );
    const db = join(dir, 'small.db');
    const imported = await runCli(['import', csv, '--db', db]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(
      /^Imported 4 rows in [\d.]+ s \([\d,]+ rows\/s\): 3 created, 0 updated, 1 failed\n {2}line 4: Invalid email \(bad\)\n$/,
    );

    // Header names are lowercased (`City` → `city`), as Plunk does. A data key in another case,
    // written through the API, is exported as a `data.<key>` column so that it reads back as is.
    const roster = await createRoster({ database: db });
    try {
      const project = await roster.projects.findByName('default');
      await roster.contacts.upsert(project!.id, { email: 'dee@example.com', data: { Plan: 'pro' } });
    } finally {
      await roster.close();
    }
    const exported = await runCli(['export', '--db', db]);
    expect(exported.code).toBe(0);
    const lines = exported.stdout.split('\n');
    expect(lines[0]).toMatch(/^email,subscribed,(city,data\.Plan|data\.Plan,city)$/);
    const cityFirst = lines[0]!.endsWith('city,data.Plan');
    const row = (city: string, plan: string) => (cityFirst ? `${city},${plan}` : `${plan},${city}`);
    expect(lines.slice(1).sort()).toEqual(
      [
        '',
        `ada@example.com,true,${row('"Paris, FR"', '')}`,
        `bob@example.com,false,${row('"say ""hi"""', '')}`,
        `cy@example.com,true,${row('', '')}`,
        `dee@example.com,true,${row('', 'pro')}`,
      ].sort(),
    );
    const out = join(dir, 'export.csv');
    expect((await runCli(['export', '--db', db, '--out', out])).code).toBe(0);
    const db2 = join(dir, 'reimport.db');
    const again = await runCli(['import', out, '--db', db2, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ totalRows: 4, createdCount: 4, failureCount: 0 });
    expect(await contactsOf(db2)).toEqual(await contactsOf(db));

    const json = await runCli(['export', '--db', db, '--format', 'json']);
    const contacts = JSON.parse(json.stdout) as { email: string; data: unknown }[];
    expect(contacts.map((c) => c.email).sort()).toEqual([
      'ada@example.com',
      'bob@example.com',
      'cy@example.com',
      'dee@example.com',
    ]);
    expect(contacts.find((c) => c.email === 'ada@example.com')?.data).toEqual({ city: 'Paris, FR' });
    expect(contacts.find((c) => c.email === 'dee@example.com')?.data).toEqual({ Plan: 'pro' });
  }, 90_000); // seven CLI processes: slow on a loaded 2-core machine

  it('runs import and bulk jobs inside `roster serve --concurrency N`', async () => {
    const db = join(dir, 'serve.db');
    const key = 'sk_test_jobs_key_1';
    const bad = await runCli(['serve', '--db', db, '--concurrency', '0']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Invalid concurrency "0"');
    const server = await startServe([
      '--db',
      db,
      '--api-key',
      key,
      '--concurrency',
      '1',
      '--webhook-concurrency',
      '2',
    ]);
    try {
      const form = new FormData();
      form.append('file', new Blob(['email,plan\na@example.com,pro\nb@example.com,free\n']), 'c.csv');
      const auth = { authorization: `Bearer ${key}` };
      const queued = await fetch(`${server.url}/contacts/import`, {
        method: 'POST',
        headers: auth,
        body: form,
      });
      expect(queued.status).toBe(202);
      const { jobId } = (await queued.json()) as { jobId: string };
      let status: { state: string; result: unknown } = { state: 'waiting', result: null };
      for (let i = 0; i < 200 && status.state !== 'completed' && status.state !== 'failed'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        status = (await (
          await fetch(`${server.url}/contacts/import/${jobId}`, { headers: auth })
        ).json()) as typeof status;
      }
      expect(status).toMatchObject({ state: 'completed', result: { createdCount: 2, failureCount: 0 } });
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
  });

  it('exits non-zero when the file cannot be imported', async () => {
    const csv = join(dir, 'noemail.csv');
    writeFileSync(csv, 'name\nAda\n');
    const res = await runCli(['import', csv, '--db', join(dir, 'fail.db')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('The CSV file has no email column');
    const missing = await runCli(['import', join(dir, 'missing.csv'), '--db', join(dir, 'fail.db')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('is not a readable file');
  });

  it('resumes an import killed with SIGKILL mid-way: nothing lost, nothing doubled, counters equal a clean run', async () => {
    const csv = join(dir, 'large.csv');
    await writeCsv(csv, 200_000);
    const cleanDb = join(dir, 'clean.db');
    const clean = await runCli(['import', csv, '--db', cleanDb]);
    expect(clean.code).toBe(0);
    // Off a terminal, progress is a plain line every 2 s (this import takes longer than that).
    expect(clean.stderr).toMatch(
      /^import: \d+% \| [\d,]+ rows \| [\d,]+ rows\/s \| ETA [\d:?]+ \| [\d,]+ errors$/m,
    );
    expect(clean.stderr).not.toContain('\r');
    const cleanSummary =
      /^Imported ([\d,]+) rows in [\d.]+ s \([\d,]+ rows\/s\): ([\d,]+) created, ([\d,]+) updated, ([\d,]+) failed$/m.exec(
        clean.stdout,
      );
    expect(cleanSummary).not.toBeNull();
    const [totalRows, createdCount, updatedCount, failureCount] = cleanSummary!
      .slice(1)
      .map((n) => Number(n.replace(/,/g, '')));

    const db = join(dir, 'crash.db');
    const child = spawn(process.execPath, [...ROSTER_CLI_ARGS, 'import', csv, '--db', db, '--no-progress'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((resolve) => child.on('close', resolve));
    // Wait until some batches are committed, then kill the process without warning.
    const watcher = await createRoster({ database: db });
    let reached = 0;
    try {
      for (let i = 0; i < 2400 && reached === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        const job = await watcher.db
          .selectFrom('roster_jobs')
          .select('progress')
          .executeTakeFirst()
          .catch(() => undefined);
        const progress = job?.progress ? (JSON.parse(String(job.progress)) as ImportProgress) : null;
        if (progress && progress.counts.totalRows >= 20_000) reached = progress.counts.totalRows;
      }
      child.kill('SIGKILL');
      await exited;
    } finally {
      await watcher.close();
    }
    expect(reached).toBeGreaterThanOrEqual(20_000);
    const afterKill = await contactsOf(db);
    expect(afterKill.length).toBeGreaterThan(0);
    expect(afterKill.length).toBeLessThan((await contactsOf(cleanDb)).length);

    const resumed = await runCli(['import', csv, '--db', db, '--json']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/^Resuming import job [0-9a-f-]{36} of .* after [\d,]+ rows\n/);
    const result = JSON.parse(resumed.stdout) as ImportResult & { jobId: string };
    expect({ totalRows, createdCount, updatedCount, failureCount }).toEqual({
      totalRows: 200_000,
      createdCount: 179_800,
      updatedCount: 20_000,
      failureCount: 200,
    });
    expect(result).toMatchObject({ totalRows, createdCount, updatedCount, failureCount });
    expect(await contactsOf(db)).toEqual(await contactsOf(cleanDb));

    const roster = await createRoster({ database: db });
    const job = await roster.db.selectFrom('roster_jobs').selectAll().executeTakeFirstOrThrow();
    await roster.close();
    expect(job).toMatchObject({ status: 'completed', attempts: 2 });
  }, 300_000);
});
