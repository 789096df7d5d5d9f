import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeEachDialect, openTestRosters, type TestDialect } from '@roster/test-harness';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Contact } from '../contacts/contact-types.js';
import { FILE_CHUNK_BYTES } from '../files/file-store.js';
import type { RosterOptions } from '../options.js';
import type { Roster } from '../roster.js';
import { IMPORT_JOB_TYPE, LOCAL_IMPORT_JOB_TYPE } from './import-job.js';
import type { ImportResult } from './import-types.js';

let time = Date.parse('2030-01-01T00:00:00.000Z');
const clock = () => new Date(time);
async function importCsv(
  roster: Roster,
  projectId: string,
  csv: string | Buffer,
  options: { nameColumns?: boolean; typedColumns?: boolean } = {},
) {
  const job = await roster.imports.enqueue(projectId, {
    file: Buffer.from(csv),
    name: 'contacts.csv',
    ...options,
  });
  await roster.jobs.runOnce();
  return roster.imports.status(projectId, job.id);
}

/** An import as the Unosend dialect runs it: name columns fill the contacts' names. */
function importCsvWithNames(roster: Roster, projectId: string, csv: string | Buffer) {
  return importCsv(roster, projectId, csv, { nameColumns: true });
}

async function all(
  roster: Roster,
  projectId: string,
): Promise<Record<string, Pick<Contact, 'subscribed' | 'data'>>> {
  const out: Record<string, Pick<Contact, 'subscribed' | 'data'>> = {};
  let cursor: string | null = null;
  do {
    const page = await roster.contacts.list(projectId, { limit: 100, cursor });
    for (const c of page.data) out[c.email] = { subscribed: c.subscribed, data: c.data };
    cursor = page.cursor;
  } while (cursor);
  return out;
}

async function names(
  roster: Roster,
  projectId: string,
): Promise<Record<string, Pick<Contact, 'firstName' | 'lastName' | 'audienceId'>>> {
  const out: Record<string, Pick<Contact, 'firstName' | 'lastName' | 'audienceId'>> = {};
  let cursor: string | null = null;
  do {
    const page = await roster.contacts.list(projectId, { limit: 100, cursor });
    for (const c of page.data) {
      out[c.email] = { firstName: c.firstName, lastName: c.lastName, audienceId: c.audienceId };
    }
    cursor = page.cursor;
  } while (cursor);
  return out;
}

/** Makes every insert of `email` fail with 'injected fault' until the returned function is called. */
async function injectFault(roster: Roster, email: string): Promise<() => Promise<void>> {
  if (roster.dialect.name === 'sqlite') {
    await sql`create temp trigger fault before insert on roster_contacts when new.email = ${sql.lit(email)}
      begin select raise(abort, 'injected fault'); end`.execute(roster.db);
    return async () => {
      await sql`drop trigger fault`.execute(roster.db);
    };
  }
  await sql`create function roster_fault() returns trigger language plpgsql as $$
    begin if new.email = ${sql.lit(email)} then raise exception 'injected fault'; end if; return new; end $$`.execute(
    roster.db,
  );
  await sql`create trigger fault before insert on roster_contacts for each row execute function roster_fault()`.execute(
    roster.db,
  );
  return async () => {
    await sql`drop trigger fault on roster_contacts`.execute(roster.db);
    await sql`drop function roster_fault()`.execute(roster.db);
  };
}

const counts = (r: Partial<ImportResult>) => ({ errors: [], ...r });

describeEachDialect('CSV import', (dialect) => importSuite(dialect, true));
describe('CSV import [sqlite, parsed in the calling thread]', () => importSuite('sqlite', false));

function importSuite(dialect: TestDialect, parseInWorker: boolean) {
  const openRoster = openTestRosters(dialect);

  async function setup(options: RosterOptions = {}) {
    const roster = await openRoster({
      clock,
      jobs: { onError: () => {} },
      ...options,
      // workerMinBytes 0: the worker variant parses even these small files in a worker.
      imports: { parseInWorker, workerMinBytes: 0, ...options.imports },
    });
    return { roster, projectId: (await roster.projects.ensure('p')).id };
  }

  it('imports an Excel-style file: BOM, CRLF, semicolons, quoted newlines, header case and spaces', async () => {
    const { roster, projectId } = await setup();
    const csv =
      '\ufeff EMAIL ; First Name ;Plan;Subscribed\r\n' +
      'Ada@Example.com;Ada;"pro;annual";yes\r\n' +
      'bob@example.com;"Bob\r\nJr.";;no\r\n';
    const status = await importCsv(roster, projectId, csv);
    expect(status).toMatchObject({ state: 'completed', progress: 100 });
    expect(status.result).toEqual(
      counts({ totalRows: 2, successCount: 2, createdCount: 2, updatedCount: 0, failureCount: 0 }),
    );
    // Without nameColumns (Plunk imports), ' First Name ' is data like any other column; header
    // names are lowercased, as Plunk does.
    expect(await all(roster, projectId)).toEqual({
      'ada@example.com': { subscribed: true, data: { 'first name': 'Ada', plan: 'pro;annual' } },
      'bob@example.com': { subscribed: false, data: { 'first name': 'Bob\r\nJr.' } },
    });
  });

  it('completes when an invalid email holds a NUL: the row error shows it as U+FFFD (PostgreSQL cannot store NUL)', async () => {
    const { roster, projectId } = await setup();
    const status = await importCsv(
      roster,
      projectId,
      'email,plan\nx\u0000@example.com,w\nok@example.com,pro\n',
    );
    expect(status.state).toBe('completed');
    expect(status.result).toMatchObject({ totalRows: 2, successCount: 1, failureCount: 1 });
    expect(status.result!.errors).toEqual([
      { row: 2, email: 'x\uFFFD@example.com', error: expect.any(String) },
    ]);
  });

  it('reads tab-separated files', async () => {
    const { roster, projectId } = await setup();
    const status = await importCsv(roster, projectId, 'email\tcity\na@example.com\tParis, France\n');
    expect(status.result).toMatchObject({ successCount: 1 });
    expect(await all(roster, projectId)).toEqual({
      'a@example.com': { subscribed: true, data: { city: 'Paris, France' } },
    });
  });

  it('reports invalid and missing emails with their file line, counting lines of multi-line rows and blank lines', async () => {
    const { roster, projectId } = await setup();
    const csv = [
      'email,note', // 1
      'good@example.com,"two', // 2
      'lines"', // 3
      'not-an-email,x', // 4
      '', // 5
      ',no email', // 6
      'also good@example.com,y', // 7
      'ok@example.com,z', // 8
    ].join('\n');
    const status = await importCsv(roster, projectId, csv);
    expect(status.result).toEqual({
      totalRows: 5,
      successCount: 2,
      createdCount: 2,
      updatedCount: 0,
      failureCount: 3,
      errors: [
        { row: 4, email: 'not-an-email', error: 'Invalid email' },
        { row: 6, email: '', error: 'Missing email' },
        { row: 7, email: 'also good@example.com', error: 'Invalid email' },
      ],
    });
  });

  it('treats a repeated email as an update where the later row wins, within and across batches', async () => {
    const { roster, projectId } = await setup({ imports: { batchSize: 2 } });
    const csv = [
      'email,plan,city,subscribed',
      'a@example.com,free,Paris,',
      'A@example.com,pro,,no',
      'b@example.com,free,,',
      'a@example.com,,Rome,',
      'a@example.com,team,,yes',
    ].join('\n');
    const status = await importCsv(roster, projectId, csv);
    expect(status.result).toEqual(
      counts({ totalRows: 5, successCount: 5, createdCount: 2, updatedCount: 3, failureCount: 0 }),
    );
    expect(await all(roster, projectId)).toEqual({
      'a@example.com': { subscribed: true, data: { plan: 'team', city: 'Rome' } },
      'b@example.com': { subscribed: true, data: { plan: 'free' } },
    });
  });

  it('merges into existing contacts like the API: empty cells and absent subscribed leave values unchanged', async () => {
    const { roster, projectId } = await setup();
    await roster.contacts.upsert(projectId, {
      email: 'a@example.com',
      subscribed: false,
      data: { plan: 'free', age: 40 },
    });
    await roster.contacts.upsert(projectId, {
      email: 'b@example.com',
      subscribed: false,
      data: { plan: 'free' },
    });
    const csv =
      'email,plan,city,subscribed\na@example.com,,Oslo,\nb@example.com,pro,,TRUE\nc@example.com,,,\n';
    const status = await importCsv(roster, projectId, csv);
    expect(status.result).toEqual(
      counts({ totalRows: 3, successCount: 3, createdCount: 1, updatedCount: 2, failureCount: 0 }),
    );
    expect(await all(roster, projectId)).toEqual({
      'a@example.com': { subscribed: false, data: { plan: 'free', age: 40, city: 'Oslo' } },
      'b@example.com': { subscribed: true, data: { plan: 'pro' } },
      'c@example.com': { subscribed: true, data: null },
    });
  });

  it('accepts true/false, 1/0 and yes/no in the subscribed column and rejects other values', async () => {
    const { roster, projectId } = await setup();
    const csv = 'email,subscribed\na@x.io,1\nb@x.io,0\nc@x.io,No\nd@x.io,maybe\n';
    const status = await importCsv(roster, projectId, csv);
    expect(status.result).toEqual({
      totalRows: 4,
      successCount: 3,
      createdCount: 3,
      updatedCount: 0,
      failureCount: 1,
      errors: [
        {
          row: 5,
          email: 'd@x.io',
          error: 'Invalid subscribed value "maybe" (use true/false, yes/no or 1/0)',
        },
      ],
    });
    const stored = await all(roster, projectId);
    expect([
      stored['a@x.io']?.subscribed,
      stored['b@x.io']?.subscribed,
      stored['c@x.io']?.subscribed,
    ]).toEqual([true, false, false]);
  });

  it('skips rows whose cells are all empty and drops reserved data keys', async () => {
    const { roster, projectId } = await setup();
    const status = await importCsv(
      roster,
      projectId,
      'email;id;plunk_id;tag\n;;;\na@x.io;123;p;t\n ; ; ; \n',
    );
    expect(status.result).toMatchObject({ totalRows: 1, successCount: 1, failureCount: 0 });
    expect(await all(roster, projectId)).toEqual({ 'a@x.io': { subscribed: true, data: { tag: 't' } } });
  });

  it('reads typed data headers only with typedColumns: other imports keep `seats:number` as a string key', async () => {
    const { roster, projectId } = await setup();
    const csv =
      'email,data.seats:number,data.vip:boolean,data.tags:json,data.plan\na@x.io,12,true,"[1,{""b"":null}]",Pro\n';
    await importCsv(roster, projectId, csv);
    expect((await all(roster, projectId))['a@x.io']!.data).toEqual({
      'seats:number': '12',
      'vip:boolean': 'true',
      'tags:json': '[1,{"b":null}]',
      plan: 'Pro',
    });
    const other = (await roster.projects.ensure('typed')).id;
    await importCsv(roster, other, csv, { typedColumns: true });
    expect((await all(roster, other))['a@x.io']!.data).toEqual({
      seats: 12,
      vip: true,
      tags: [1, { b: null }],
      plan: 'Pro',
    });
  });

  it('keeps the first 1000 row errors and counts the rest', async () => {
    const { roster, projectId } = await setup();
    const rows = ['email', ...Array.from({ length: 1203 }, (_, i) => `bad${i}`), 'fine@example.com'];
    const status = await importCsv(roster, projectId, rows.join('\n'));
    expect(status.result).toMatchObject({ totalRows: 1204, successCount: 1, failureCount: 1203 });
    expect(status.result!.errors).toHaveLength(1000);
    expect(status.result!.errors[999]).toEqual({ row: 1001, email: 'bad999', error: 'Invalid email' });
  });

  it('rejects at upload a header without an email column', async () => {
    const { roster, projectId } = await setup();
    await expect(
      roster.imports.enqueue(projectId, { file: Buffer.from('name,plan\nAda,pro\n') }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
      message: 'The CSV file has no email column (its header is: name, plan)',
      details: { issues: [{ field: 'file', message: 'has no email column in its header line' }] },
    });
    expect(await roster.db.selectFrom('roster_files').selectAll().execute()).toEqual([]);
  });

  it('fails the job with a clear reason for an empty file or a file without an email column', async () => {
    const { roster, projectId } = await setup();
    const empty = await importCsv(roster, projectId, '');
    expect(empty).toMatchObject({ state: 'failed', failedReason: 'The CSV file is empty', result: null });
    const blank = await importCsv(roster, projectId, '\n\n');
    expect(blank).toMatchObject({ state: 'failed', failedReason: 'The CSV file is empty' });

    // A header the upload check cannot read alone (a quoted newline) is checked by the job.
    const status = await importCsv(roster, projectId, '"na\nme",plan\nAda,pro\n');
    expect(status).toMatchObject({
      state: 'failed',
      failedReason: expect.stringContaining('no email column'),
    });
    expect(status.attempts).toBe(1);
  });

  it('fails the job with the line number when the CSV cannot be parsed', async () => {
    const { roster, projectId } = await setup();
    const status = await importCsv(
      roster,
      projectId,
      'email,note\na@example.com,fine\nb@example.com,"never closed\n',
    );
    expect(status).toMatchObject({
      state: 'failed',
      failedReason: expect.stringMatching(/^The CSV file could not be parsed near line 3: .*[Qq]uote/),
    });
    expect(status.attempts).toBe(1);
  });

  it('refuses a file over the size limit and stores nothing', async () => {
    const { roster, projectId } = await setup({ limits: { maxImportBytes: 100 } });
    const big = `email\n${'a@example.com\n'.repeat(10)}`;
    await expect(roster.imports.enqueue(projectId, { file: Buffer.from(big) })).rejects.toMatchObject({
      code: 'payload_too_large',
    });
    async function* stream() {
      yield Buffer.from(big.slice(0, 60));
      yield Buffer.from(big.slice(60));
    }
    await expect(roster.imports.enqueue(projectId, { file: stream() })).rejects.toMatchObject({
      code: 'payload_too_large',
    });
    expect(await roster.db.selectFrom('roster_files').selectAll().execute()).toEqual([]);
    expect(await roster.db.selectFrom('roster_jobs').selectAll().execute()).toEqual([]);
  });

  it('decodes a multi-byte character split across stored chunks and deletes the file when done', async () => {
    const { roster, projectId } = await setup({ limits: { maxImportBytes: 1e7 } });
    const head = 'email,name\nfiller@example.com,';
    const tail = '\nu@example.com,M';
    const filler = 'x'.repeat(FILE_CHUNK_BYTES - 1 - head.length - tail.length);
    const file = Buffer.from(`${head}${filler}${tail}üller\n`);
    // The 'ü' (2 bytes) straddles the boundary between the first two stored chunks.
    expect(file.indexOf(Buffer.from('ü'))).toBe(FILE_CHUNK_BYTES - 1);
    const status = await importCsv(roster, projectId, file);
    expect(status.result).toMatchObject({ successCount: 2, failureCount: 0 });
    expect((await roster.contacts.findByEmail(projectId, 'u@example.com'))?.data).toEqual({ name: 'Müller' });
    expect(await roster.db.selectFrom('roster_files').selectAll().execute()).toEqual([]);
    expect(await roster.db.selectFrom('roster_file_chunks').selectAll().execute()).toEqual([]);
  });

  it("answers not_found for another project's import job and for a bulk job id", async () => {
    const { roster, projectId } = await setup();
    const other = (await roster.projects.ensure('other')).id;
    const job = await roster.imports.enqueue(projectId, { file: Buffer.from('email\na@x.io\n') });
    await expect(roster.imports.status(other, job.id)).rejects.toMatchObject({ code: 'not_found' });
    const bulkId = await roster.bulk.enqueue(projectId, 'delete', [job.id]);
    await expect(roster.imports.status(projectId, bulkId)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('resumes after a failed batch from the last committed position, with counters equal to a clean run', async () => {
    const rows = ['email,n,subscribed'];
    for (let i = 0; i < 250; i++) {
      rows.push(`user${i % 200}@example.com,${i},${i % 7 === 0 ? 'no' : ''}`);
      if (i % 50 === 0) rows.push(`broken${i},x,`);
    }
    const csv = `${rows.join('\r\n')}\r\n`;

    const clean = await setup({ imports: { batchSize: 30 } });
    const cleanStatus = await importCsv(clean.roster, clean.projectId, csv);
    const cleanContacts = await all(clean.roster, clean.projectId);
    // Closed first: two live PostgreSQL test schemas confuse Kysely's migration-table check.
    await clean.roster.close();

    const { roster, projectId } = await setup({
      imports: { batchSize: 30 },
      jobs: { onError: () => {}, backoff: { baseMs: 10 } },
    });
    // Injected fault: the batch containing user150 fails once.
    const removeFault = await injectFault(roster, 'user150@example.com');
    const job = await roster.imports.enqueue(projectId, { file: Buffer.from(csv) });
    await roster.jobs.runOnce();
    const failed = await roster.jobs.get(projectId, job.id);
    expect(failed).toMatchObject({ status: 'queued', attempts: 1, lastError: 'injected fault' });
    const reached = failed.progress as { bytes: number; counts: { totalRows: number } };
    expect(reached.counts.totalRows).toBeGreaterThan(100);
    expect(reached.counts.totalRows).toBeLessThan(160);
    // 5 batches of 30 rows committed: users 0..146 and 3 broken rows; the 6th batch rolled back.
    expect(reached.counts.totalRows).toBe(150);
    expect(await roster.contacts.count(projectId)).toBe(147);

    await removeFault();
    time += 10;
    await roster.jobs.runOnce();
    const resumed = await roster.imports.status(projectId, job.id);
    expect(resumed).toMatchObject({ state: 'completed', attempts: 2 });
    expect(resumed.result).toEqual(cleanStatus.result);
    expect(resumed.result).toMatchObject({
      totalRows: 255,
      createdCount: 200,
      updatedCount: 50,
      failureCount: 5,
    });
    expect(await all(roster, projectId)).toEqual(cleanContacts);
  });

  it('imports a file from disk, and a second call for the unfinished file resumes the same job', async () => {
    const { roster, projectId } = await setup();
    const dir = mkdtempSync(join(tmpdir(), 'roster-import-'));
    const path = join(dir, 'contacts.csv');
    writeFileSync(path, 'email,plan\na@example.com,pro\nb@example.com,free\n');
    const first = await roster.imports.enqueueFromPath(projectId, path);
    expect(first.resumed).toBe(false);
    const again = await roster.imports.enqueueFromPath(projectId, path);
    expect(again).toMatchObject({ resumed: true, job: { id: first.job.id } });
    await roster.jobs.runJob(projectId, first.job.id);
    expect((await roster.imports.status(projectId, first.job.id)).result).toMatchObject({ createdCount: 2 });
    await expect(roster.imports.enqueueFromPath(projectId, join(dir, 'missing.csv'))).rejects.toMatchObject({
      code: 'validation_failed',
    });
    expect(IMPORT_JOB_TYPE).toBe('import');
  });

  it('queues a file from disk as a local import that runOnce never claims, only runJob in this process', async () => {
    const { roster, projectId } = await setup();
    const path = join(mkdtempSync(join(tmpdir(), 'roster-import-')), 'contacts.csv');
    writeFileSync(path, 'email\na@example.com\n');
    const { job } = await roster.imports.enqueueFromPath(projectId, path);
    expect(job.type).toBe(LOCAL_IMPORT_JOB_TYPE);
    expect(await roster.jobs.runOnce()).toBe(0);
    expect(await roster.jobs.get(projectId, job.id)).toMatchObject({ status: 'queued', attempts: 0 });
    await roster.jobs.runJob(projectId, job.id);
    expect(await roster.imports.status(projectId, job.id)).toMatchObject({
      state: 'completed',
      result: { createdCount: 1 },
    });
  });

  it('reads the emails from the column named by emailColumn (any case), ignoring an email column', async () => {
    const { roster, projectId } = await setup();
    const path = join(mkdtempSync(join(tmpdir(), 'roster-import-')), 'contacts.csv');
    writeFileSync(path, 'Name,E-Mail Address,email\nAda,ada@example.com,old@example.com\n');
    const { job } = await roster.imports.enqueueFromPath(projectId, path, {
      emailColumn: ' e-mail address ',
    });
    expect(job.payload.emailColumn).toBe('e-mail address');
    await roster.jobs.runJob(projectId, job.id);
    expect(await all(roster, projectId)).toEqual({
      'ada@example.com': { subscribed: true, data: { name: 'Ada' } },
    });
    // Another email column is another import, not a resume or an "already imported".
    expect(await roster.imports.enqueueFromPath(projectId, path)).toMatchObject({ alreadyImported: false });
    const missing = await roster.imports
      .enqueueFromPath(projectId, path, { emailColumn: 'mail' })
      .catch((e: unknown) => e);
    expect(missing).toMatchObject({
      code: 'validation_failed',
      message:
        'The CSV file has no column "mail" to read emails from (its header is: Name, E-Mail Address, email)',
      details: { issues: [{ field: 'emailColumn', message: 'names no column of the header line ("mail")' }] },
    });
  });

  it('answers the completed job for a file already imported unchanged, and queues a new one only with force', async () => {
    const { roster, projectId } = await setup();
    const path = join(mkdtempSync(join(tmpdir(), 'roster-import-')), 'contacts.csv');
    writeFileSync(path, 'email,plan\na@example.com,pro\n');
    const first = await roster.imports.enqueueFromPath(projectId, path);
    await roster.jobs.runJob(projectId, first.job.id);
    const again = await roster.imports.enqueueFromPath(projectId, path);
    expect(again).toMatchObject({
      resumed: false,
      alreadyImported: true,
      job: { id: first.job.id, status: 'completed', result: { createdCount: 1 } },
    });
    expect(await roster.jobs.unfinished(projectId, LOCAL_IMPORT_JOB_TYPE)).toEqual([]);
    // Other options are another import.
    const named = await roster.imports.enqueueFromPath(projectId, path, { nameColumns: true });
    expect(named).toMatchObject({ resumed: false, alreadyImported: false });
    await roster.jobs.runJob(projectId, named.job.id);
    const forced = await roster.imports.enqueueFromPath(projectId, path, { force: true });
    expect(forced).toMatchObject({ resumed: false, alreadyImported: false, job: { status: 'queued' } });
    expect(forced.job.id).not.toBe(first.job.id);
  });

  it('refuses to import a file changed after its import started, and with force cancels that job and starts afresh', async () => {
    const { roster, projectId } = await setup({ imports: { batchSize: 1 } });
    const path = join(mkdtempSync(join(tmpdir(), 'roster-import-')), 'contacts.csv');
    writeFileSync(path, 'email\na@example.com\n');
    const first = await roster.imports.enqueueFromPath(projectId, path);
    // The file changes before the job ran (as after a killed import).
    writeFileSync(path, 'email\na@example.com\nb@example.com\n');
    const error = await roster.imports.enqueueFromPath(projectId, path).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'conflict', details: { jobId: first.job.id } });
    expect((error as Error).message).toContain(`changed after import job ${first.job.id} started`);
    expect((error as Error).message).toContain('force');
    expect((await roster.jobs.unfinished(projectId, LOCAL_IMPORT_JOB_TYPE)).map((j) => j.id)).toEqual([
      first.job.id,
    ]);

    const forced = await roster.imports.enqueueFromPath(projectId, path, { force: true });
    expect(forced.replaced).toMatchObject({ id: first.job.id, status: 'failed' });
    expect(forced.replaced?.lastError).toContain('changed after the import started');
    expect((await roster.jobs.unfinished(projectId, LOCAL_IMPORT_JOB_TYPE)).map((j) => j.id)).toEqual([
      forced.job.id,
    ]);
    await roster.jobs.runJob(projectId, forced.job.id);
    expect((await roster.imports.status(projectId, forced.job.id)).result).toMatchObject({ createdCount: 2 });
    expect(await roster.jobs.get(projectId, first.job.id)).toMatchObject({ status: 'failed', attempts: 0 });
  });

  it('shows the rows read so far while the job runs in this process (live), and nothing once done', async () => {
    const { roster, projectId } = await setup({ imports: { batchSize: 1000 } });
    const path = join(mkdtempSync(join(tmpdir(), 'roster-import-')), 'contacts.csv');
    const rows = Array.from({ length: 5000 }, (_, i) => `u${i}@example.com`).join('\n');
    writeFileSync(path, `email\n${rows}\n`);
    const { job } = await roster.imports.enqueueFromPath(projectId, path);
    expect(roster.imports.live(job.id)).toBeNull();
    const seen: number[] = [];
    const timer = setInterval(() => {
      const live = roster.imports.live(job.id);
      if (live) seen.push(live.rows);
    }, 1);
    await roster.jobs.runJob(projectId, job.id);
    clearInterval(timer);
    expect(roster.imports.live(job.id)).toBeNull();
    // Timers ran while the job did: several distinct, growing counts were seen.
    expect(new Set(seen).size).toBeGreaterThan(2);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(Math.max(...seen)).toBeLessThanOrEqual(5000);
  });
  it('puts every imported contact, created or updated, in the audience given at enqueue', async () => {
    const { roster, projectId } = await setup({ imports: { batchSize: 2 } });
    const target = await roster.audiences.create(projectId, { name: 'Target' });
    const other = await roster.audiences.create(projectId, { name: 'Other' });
    await roster.contacts.upsert(projectId, {
      email: 'moved@example.com',
      audienceId: other.id,
      data: { a: 1 },
    });
    await roster.contacts.upsert(projectId, { email: 'joined@example.com', subscribed: false });
    await roster.contacts.upsert(projectId, { email: 'untouched@example.com', audienceId: other.id });
    const csv =
      'email,plan\nnew@example.com,pro\nmoved@example.com,team\njoined@example.com,\nNEW@example.com,\n';
    const job = await roster.imports.enqueue(projectId, {
      file: Buffer.from(csv),
      audienceId: target.id.toUpperCase(),
    });
    expect(job.payload).toEqual({
      source: expect.objectContaining({ kind: 'stored' }),
      audienceId: target.id,
    });
    await roster.jobs.runOnce();
    const status = await roster.imports.status(projectId, job.id);
    expect(status.result).toEqual(
      counts({ totalRows: 4, successCount: 4, createdCount: 1, updatedCount: 3, failureCount: 0 }),
    );
    expect(await names(roster, projectId)).toEqual({
      'new@example.com': { firstName: null, lastName: null, audienceId: target.id },
      'moved@example.com': { firstName: null, lastName: null, audienceId: target.id },
      'joined@example.com': { firstName: null, lastName: null, audienceId: target.id },
      'untouched@example.com': { firstName: null, lastName: null, audienceId: other.id },
    });
    // The usual merge rules still apply.
    expect(await all(roster, projectId)).toEqual({
      'new@example.com': { subscribed: true, data: { plan: 'pro' } },
      'moved@example.com': { subscribed: true, data: { a: 1, plan: 'team' } },
      'joined@example.com': { subscribed: false, data: null },
      'untouched@example.com': { subscribed: true, data: null },
    });
    expect(await roster.audiences.list(projectId)).toEqual([
      expect.objectContaining({ id: other.id, contactsCount: 1 }),
      expect.objectContaining({ id: target.id, contactsCount: 3 }),
    ]);
  });

  it('leaves audiences alone when no audience is given', async () => {
    const { roster, projectId } = await setup();
    const other = await roster.audiences.create(projectId, { name: 'Other' });
    await roster.contacts.upsert(projectId, { email: 'in@example.com', audienceId: other.id });
    await importCsv(roster, projectId, 'email\nin@example.com\nout@example.com\n');
    expect(await names(roster, projectId)).toEqual({
      'in@example.com': { firstName: null, lastName: null, audienceId: other.id },
      'out@example.com': { firstName: null, lastName: null, audienceId: null },
    });
  });

  it('fills first and last names from name columns in any accepted spelling, never into data', async () => {
    const { roster, projectId } = await setup();
    await importCsvWithNames(
      roster,
      projectId,
      'email,first_name,LAST_NAME,plan\na@example.com,Ada, Lovelace ,pro\n',
    );
    await importCsvWithNames(
      roster,
      projectId,
      'Email; firstName ;lastname;first name\nb@example.com;Bob;Baker;Ignored\n',
    );
    await importCsvWithNames(roster, projectId, 'email\tFirst Name\tLast Name\nc@example.com\tCy\tYoung\n');
    expect(await names(roster, projectId)).toEqual({
      'a@example.com': { firstName: 'Ada', lastName: 'Lovelace', audienceId: null },
      'b@example.com': { firstName: 'Bob', lastName: 'Baker', audienceId: null },
      'c@example.com': { firstName: 'Cy', lastName: 'Young', audienceId: null },
    });
    expect(await all(roster, projectId)).toEqual({
      'a@example.com': { subscribed: true, data: { plan: 'pro' } },
      'b@example.com': { subscribed: true, data: null },
      'c@example.com': { subscribed: true, data: null },
    });
  });

  it('leaves stored names unchanged where name cells are empty, within and across batches', async () => {
    const { roster, projectId } = await setup({ imports: { batchSize: 2 } });
    await roster.contacts.upsert(projectId, {
      email: 'ada@example.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
    });
    await roster.contacts.upsert(projectId, {
      email: 'bob@example.com',
      firstName: 'Bob',
      lastName: 'Baker',
    });
    await roster.contacts.upsert(projectId, { email: 'cy@example.com', firstName: 'Cy' });
    const csv = [
      'email,first_name,last_name',
      'ada@example.com,,King',
      'bob@example.com, , ',
      'new@example.com,,',
      'cy@example.com,Cyrus,',
      'cy@example.com,,Young',
      'cy@example.com,,',
    ].join('\n');
    const status = await importCsvWithNames(roster, projectId, csv);
    expect(status.result).toEqual(
      counts({ totalRows: 6, successCount: 6, createdCount: 1, updatedCount: 5, failureCount: 0 }),
    );
    // A file without name columns changes no name either.
    await importCsvWithNames(roster, projectId, 'email,plan\nada@example.com,pro\n');
    expect(await names(roster, projectId)).toEqual({
      'ada@example.com': { firstName: 'Ada', lastName: 'King', audienceId: null },
      'bob@example.com': { firstName: 'Bob', lastName: 'Baker', audienceId: null },
      'new@example.com': { firstName: null, lastName: null, audienceId: null },
      'cy@example.com': { firstName: 'Cyrus', lastName: 'Young', audienceId: null },
    });
  });

  it('reads a data.<key> column into data under <key>, even when <key> names a special column', async () => {
    const { roster, projectId } = await setup();
    const csv =
      'email,data.firstName,data.subscribed,data.plan,data.email,data.\na@example.com,Ada,maybe,pro,x,y\n';
    const status = await importCsvWithNames(roster, projectId, csv);
    expect(status.result).toMatchObject({ successCount: 1, failureCount: 0 });
    expect(await all(roster, projectId)).toEqual({
      'a@example.com': {
        subscribed: true,
        data: { firstName: 'Ada', subscribed: 'maybe', plan: 'pro', 'data.': 'y' },
      },
    });
    expect((await names(roster, projectId))['a@example.com']?.firstName).toBeNull();
  });

  it('keeps the first column when two headers give the same data key, also after lowercasing', async () => {
    const { roster, projectId } = await setup();
    const csv =
      'email,Plan,plan,PLAN,city,data.city,data.Tier,data.Tier\n' +
      'a@example.com,first,second,third,Paris,Lyon,gold,silver\n' +
      'b@example.com,,second,third,,Lyon,,silver\n';
    const status = await importCsv(roster, projectId, csv);
    expect(status.result).toMatchObject({ successCount: 2, failureCount: 0 });
    // An empty cell in the first column leaves the key unset: later columns are not a fallback.
    expect(await all(roster, projectId)).toEqual({
      'a@example.com': { subscribed: true, data: { plan: 'first', city: 'Paris', Tier: 'gold' } },
      'b@example.com': { subscribed: true, data: null },
    });
  });

  it('reports a name longer than 256 characters as a row error', async () => {
    const { roster, projectId } = await setup();
    const csv = `email,first_name,last_name\na@x.io,${'a'.repeat(257)},\nb@x.io,,${'b'.repeat(257)}\nc@x.io,${'c'.repeat(256)},\n`;
    const status = await importCsvWithNames(roster, projectId, csv);
    expect(status.result).toEqual({
      totalRows: 3,
      successCount: 1,
      createdCount: 1,
      updatedCount: 0,
      failureCount: 2,
      errors: [
        { row: 2, email: 'a@x.io', error: 'Invalid first name (longer than 256 characters)' },
        { row: 3, email: 'b@x.io', error: 'Invalid last name (longer than 256 characters)' },
      ],
    });
    expect((await roster.contacts.findByEmail(projectId, 'c@x.io'))?.firstName).toBe('c'.repeat(256));
  });

  it("rejects at enqueue an audience that is unknown, another project's or not a UUID, and stores nothing", async () => {
    const { roster, projectId } = await setup();
    const otherProject = (await roster.projects.ensure('other')).id;
    const foreign = await roster.audiences.create(otherProject, { name: 'Theirs' });
    const file = Buffer.from('email\na@example.com\n');
    for (const audienceId of ['0190a6c4-0000-7000-8000-000000000000', foreign.id]) {
      await expect(roster.imports.enqueue(projectId, { file, audienceId })).rejects.toMatchObject({
        code: 'not_found',
        message: 'Audience not found',
      });
    }
    await expect(roster.imports.enqueue(projectId, { file, audienceId: 'x' })).rejects.toMatchObject({
      code: 'validation_failed',
      details: { issues: [{ field: 'audienceId', message: 'must be a UUID' }] },
    });
    await expect(
      roster.imports.enqueueFromPath(projectId, '/nonexistent.csv', { audienceId: foreign.id }),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(await roster.db.selectFrom('roster_files').selectAll().execute()).toEqual([]);
    expect(await roster.db.selectFrom('roster_jobs').selectAll().execute()).toEqual([]);
  });

  it('fails the job with a clear reason when its audience was deleted before it ran', async () => {
    const { roster, projectId } = await setup();
    const audience = await roster.audiences.create(projectId, { name: 'Gone' });
    const job = await roster.imports.enqueue(projectId, {
      file: Buffer.from('email\na@example.com\n'),
      audienceId: audience.id,
    });
    await roster.audiences.delete(projectId, audience.id);
    await roster.jobs.runOnce();
    const status = await roster.imports.status(projectId, job.id);
    expect(status).toMatchObject({
      state: 'failed',
      attempts: 1,
      result: null,
      failedReason: `The audience ${audience.id} no longer exists: it was deleted before the import finished`,
    });
    expect(await roster.contacts.count(projectId)).toBe(0);
  });

  it('fails a resumed import whose audience was deleted after its first batches, keeping those rows', async () => {
    const { roster, projectId } = await setup({
      imports: { batchSize: 2 },
      jobs: { onError: () => {}, backoff: { baseMs: 10 } },
    });
    const audience = await roster.audiences.create(projectId, { name: 'Gone' });
    const removeFault = await injectFault(roster, 'c@example.com');
    const csv = 'email\na@example.com\nb@example.com\nc@example.com\nd@example.com\n';
    const job = await roster.imports.enqueue(projectId, { file: Buffer.from(csv), audienceId: audience.id });
    await roster.jobs.runOnce();
    expect(await roster.jobs.get(projectId, job.id)).toMatchObject({ status: 'queued', attempts: 1 });
    expect((await names(roster, projectId))['a@example.com']?.audienceId).toBe(audience.id);

    await roster.audiences.delete(projectId, audience.id);
    await removeFault();
    time += 10;
    await roster.jobs.runOnce();
    expect(await roster.imports.status(projectId, job.id)).toMatchObject({
      state: 'failed',
      attempts: 2,
      failedReason: `The audience ${audience.id} no longer exists: it was deleted before the import finished`,
    });
    expect(await names(roster, projectId)).toEqual({
      'a@example.com': { firstName: null, lastName: null, audienceId: null },
      'b@example.com': { firstName: null, lastName: null, audienceId: null },
    });
  });

  it('resumes an import into an audience only for the same audience when given a path', async () => {
    const { roster, projectId } = await setup();
    const audience = await roster.audiences.create(projectId, { name: 'A' });
    const dir = mkdtempSync(join(tmpdir(), 'roster-import-'));
    const path = join(dir, 'contacts.csv');
    writeFileSync(path, 'email,first name\na@example.com,Ada\n');
    const first = await roster.imports.enqueueFromPath(projectId, path, {
      audienceId: audience.id,
      nameColumns: true,
    });
    expect(first.job.payload.audienceId).toBe(audience.id);
    expect(
      await roster.imports.enqueueFromPath(projectId, path, { audienceId: audience.id, nameColumns: true }),
    ).toMatchObject({
      resumed: true,
      job: { id: first.job.id },
    });
    const plain = await roster.imports.enqueueFromPath(projectId, path);
    expect(plain.resumed).toBe(false);
    await roster.jobs.runJob(projectId, first.job.id);
    await roster.jobs.runJob(projectId, plain.job.id);
    expect(await names(roster, projectId)).toEqual({
      'a@example.com': { firstName: 'Ada', lastName: null, audienceId: audience.id },
    });
  });
}
