import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestRoster, describeEachDialect, type TestDialect } from '../../test/dialects.js';
import type { Contact } from '../contacts/contact-types.js';
import { FILE_CHUNK_BYTES } from '../files/file-store.js';
import type { RosterOptions } from '../options.js';
import type { Roster } from '../roster.js';
import { IMPORT_JOB_TYPE } from './import-job.js';
import type { ImportResult } from './import-types.js';

let time = Date.parse('2030-01-01T00:00:00.000Z');
const clock = () => new Date(time);
const rosters: Roster[] = [];
let currentDialect: TestDialect = 'sqlite';
let currentParseInWorker = true;

async function setup(options: RosterOptions = {}) {
  const roster = await createTestRoster(currentDialect, {
    clock,
    jobs: { onError: () => {} },
    ...options,
    imports: { parseInWorker: currentParseInWorker, ...options.imports },
  });
  rosters.push(roster);
  return { roster, projectId: (await roster.projects.ensure('p')).id };
}

afterEach(async () => {
  while (rosters.length) await rosters.pop()!.close();
});

async function importCsv(roster: Roster, projectId: string, csv: string | Buffer) {
  const job = await roster.imports.enqueue(projectId, { file: Buffer.from(csv), name: 'contacts.csv' });
  await roster.jobs.runOnce();
  return roster.imports.status(projectId, job.id);
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
  beforeEach(() => {
    currentDialect = dialect;
    currentParseInWorker = parseInWorker;
  });

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
    expect(await all(roster, projectId)).toEqual({
      'ada@example.com': { subscribed: true, data: { 'First Name': 'Ada', Plan: 'pro;annual' } },
      'bob@example.com': { subscribed: false, data: { 'First Name': 'Bob\r\nJr.' } },
    });
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
    await rosters.pop()!.close();

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
    await roster.jobs.runOnce();
    expect((await roster.imports.status(projectId, first.job.id)).result).toMatchObject({ createdCount: 2 });
    expect((await roster.imports.enqueueFromPath(projectId, path)).resumed).toBe(false);
    await expect(roster.imports.enqueueFromPath(projectId, join(dir, 'missing.csv'))).rejects.toMatchObject({
      code: 'validation_failed',
    });
    expect(IMPORT_JOB_TYPE).toBe('import');
  });
}
