/**
 * What `gin_pending_list_limit` on `roster_contacts_email_trgm` costs writes and saves searches (not
 * part of `pnpm bench`; issue #30):
 *
 *   node --conditions=@roster/source --import tsx bench/src/pg-gin-pending.ts <url> [contacts] [writes] [pairs] [limits] [importRows]
 *
 * On a fresh schema of `url` seeded with `contacts` contacts (default 300 000, the pending list then
 * merged), runs `pairs` rounds; each round, for each limit (kB; default "4096,256", in that order:
 * interleaved A/B): sets the limit, merges the list, then
 * - `writes` single-contact upserts of new emails through `roster.contacts.upsert`, one at a time:
 *   wall, this process's CPU and the PostgreSQL backends' CPU (its connections, found by
 *   `application_name`, read from /proc) per write, counted over the writes only; every 500 writes
 *   one rare-term search is timed (outside the counted writes) with the pending pages it found;
 * - then 40 rare-term searches as the writes left the list (p50 / p95, pending pages);
 * - the merge of what the writes left pending (wall and CPU: that work is theirs, deferred);
 * - an import job of `importRows` (default 20 000) new rows from a CSV (enqueue + `jobs.runOnce`):
 *   wall and backend CPU (its end merges the list, `afterImport`).
 * Pending pages come from `pgstatginindex` (pgstattuple, created in the schema and dropped with it).
 * Autovacuum's work is not counted. Commits do not wait for the WAL flush (`synchronous_commit = off`). Prints one line per run and the medians per limit.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRoster } from '@roster/core';
import pg from 'pg';
import { CSV_HEADER, csvLineOf, emailOf } from './data.js';
import { freshPgSchema, seedPg } from './suites/postgres.js';

const [urlArg, contactsArg, writesArg, pairsArg, limitsArg, importArg] = process.argv.slice(2);
if (!urlArg)
  throw new Error('usage: pg-gin-pending.ts <url> [contacts] [writes] [pairs] [limits] [importRows]');
const contacts = Number(contactsArg ?? 300_000);
const writes = Number(writesArg ?? 20_000);
const pairs = Number(pairsArg ?? 3);
const limits = (limitsArg ?? '4096,256').split(',').map(Number);
const importRows = Number(importArg ?? 20_000);
const INDEX = 'roster_contacts_email_trgm';
const TICK_MS = 10; // USER_HZ = 100

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))] ?? NaN;
};
const median = (xs: number[]) => pct(xs, 0.5);

const schema = await freshPgSchema(urlArg);
const app = `ginpending_${randomBytes(4).toString('hex')}`;
const url = new URL(schema.url);
url.searchParams.set('application_name', app);
// Commits do not wait for the WAL flush: the same for every limit, and the wall of 20 000 writes is
// then not mostly the disk of a shared machine. CPU per write is the measure.
url.searchParams.set('options', `${url.searchParams.get('options')} -c synchronous_commit=off`);
const admin = new pg.Client({ connectionString: schema.url });
await admin.connect();
const roster = await createRoster({ database: url.toString(), jobs: { onError: () => {} } });

function procCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}
const adminPid = (await admin.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;

/** CPU ms of roster's PostgreSQL backends so far (by pid; a pid seen before keeps its last value). */
const backendCpu = new Map<number, number>();
async function backendsCpuMs(): Promise<number> {
  const { rows } = await admin.query<{ pid: number }>(
    'select pid from pg_stat_activity where application_name = $1',
    [app],
  );
  for (const { pid } of rows) {
    try {
      backendCpu.set(pid, procCpuMs(pid));
    } catch {
      // ended meanwhile: its last value stays
    }
  }
  let sum = 0;
  for (const v of backendCpu.values()) sum += v;
  return sum;
}
const pendingPages = async () => {
  const { rows } = await admin.query<{ pending_pages: number }>(
    `select pending_pages from pgstatginindex('${INDEX}'::regclass)`,
  );
  return Number(rows[0]!.pending_pages);
};

try {
  await admin.query(`create extension if not exists pgstattuple schema ${schema.name}`);
  const projectId = (await roster.projects.ensure('bench')).id;
  const t0 = Date.now();
  await seedPg(roster, projectId, 0, contacts);
  await admin.query(`select gin_clean_pending_list('${INDEX}'::regclass)`);
  await admin.query('analyze roster_contacts');
  console.log(`seeded ${contacts} in ${((Date.now() - t0) / 1000).toFixed(0)} s, load ${loadavg()}`);
  // As the scale suite's rareTerm: one contact's local part without its first letters, 8 contacts.
  const terms = Array.from({ length: 8 }, (_, k) => {
    const local = emailOf(Math.floor(contacts * (0.1 + k * 0.1)) + 17).split('@')[0]!;
    return local.slice(local.indexOf('.') + 2).toUpperCase();
  });
  let term = 0;
  const search = async () => {
    const t = performance.now();
    const page = await roster.contacts.list(projectId, { search: terms[term++ % terms.length]!, limit: 20 });
    if (page.data.length === 0) throw new Error('a rare term matched no contact');
    return performance.now() - t;
  };
  let next = contacts + 1_000_000; // new emails, never seeded

  const results = new Map<number, { line: Record<string, number>[] }>();
  for (const limit of limits) results.set(limit, { line: [] });
  for (let pair = 0; pair < pairs; pair++) {
    for (const limit of limits) {
      await admin.query(`alter index ${INDEX} set (gin_pending_list_limit = ${limit})`);
      await admin.query(`select gin_clean_pending_list('${INDEX}'::regclass)`);
      const loadBefore = loadavg();
      let wallMs = 0;
      let nodeUs = 0;
      let pgMs = 0;
      const during: number[] = [];
      const duringPages: number[] = [];
      for (let done = 0; done < writes; done += 500) {
        const pg0 = await backendsCpuMs();
        const cpu0 = process.cpuUsage();
        const w0 = performance.now();
        for (let i = 0; i < Math.min(500, writes - done); i++) {
          await roster.contacts.upsert(projectId, { email: emailOf(next++), data: { plan: 'pro' } });
        }
        wallMs += performance.now() - w0;
        const cpu = process.cpuUsage(cpu0);
        nodeUs += cpu.user + cpu.system;
        pgMs += (await backendsCpuMs()) - pg0;
        duringPages.push(await pendingPages());
        during.push(await search());
      }
      const pagesAfter = await pendingPages();
      const after: number[] = [];
      for (let i = 0; i < 40; i++) after.push(await search());
      // What the writes left pending is merged by some later write (or autovacuum): its CPU belongs
      // to them, so it is merged and counted here (the admin connection's backend).
      const adminCpu0 = procCpuMs(adminPid);
      const m0 = performance.now();
      await admin.query(`select gin_clean_pending_list('${INDEX}'::regclass)`);
      const leftoverMs = performance.now() - m0;
      const leftoverPgMs = procCpuMs(adminPid) - adminCpu0;
      // The import: new rows, as a CSV.
      let csv = CSV_HEADER;
      for (let i = 0; i < importRows; i++) csv += csvLineOf(next++);
      const ipg0 = await backendsCpuMs();
      const i0 = performance.now();
      const job = await roster.imports.enqueue(projectId, { file: Buffer.from(csv) });
      await roster.jobs.runOnce();
      const importMs = performance.now() - i0;
      const importPgMs = (await backendsCpuMs()) - ipg0;
      const state = (await roster.imports.status(projectId, job.id)).state;
      if (state !== 'completed') throw new Error(`import ${state}`);
      const row = {
        limit,
        wallUsPerWrite: (wallMs * 1000) / writes,
        nodeCpuUsPerWrite: nodeUs / writes,
        pgCpuUsPerWrite: (pgMs * 1000) / writes,
        leftoverMs,
        leftoverPgMs,
        pgCpuUsPerWriteWithLeftover: ((pgMs + leftoverPgMs) * 1000) / writes,
        duringP50: median(during),
        duringP95: pct(during, 0.95),
        duringPagesMedian: median(duringPages),
        duringPagesMax: Math.max(...duringPages),
        pagesAfter,
        afterP50: median(after),
        afterP95: pct(after, 0.95),
        importS: importMs / 1000,
        importPgCpuS: importPgMs / 1000,
      };
      results.get(limit)!.line.push(row);
      console.log(
        `pair ${pair + 1} limit ${limit} kB | load ${loadBefore} -> ${loadavg()} | per write: wall ${row.wallUsPerWrite.toFixed(0)} us, node CPU ${row.nodeCpuUsPerWrite.toFixed(0)} us, pg CPU ${row.pgCpuUsPerWrite.toFixed(0)} us (${row.pgCpuUsPerWriteWithLeftover.toFixed(0)} with the leftover merge: ${row.leftoverMs.toFixed(0)} ms, ${row.leftoverPgMs} ms CPU) | search during writes p50 ${row.duringP50.toFixed(2)} p95 ${row.duringP95.toFixed(2)} ms (pending pages median ${row.duringPagesMedian}, max ${row.duringPagesMax}) | after: ${pagesAfter} pending pages, p50 ${row.afterP50.toFixed(2)} p95 ${row.afterP95.toFixed(2)} ms | import ${importRows} rows ${row.importS.toFixed(2)} s, pg CPU ${row.importPgCpuS.toFixed(2)} s | backends ${backendCpu.size}`,
      );
    }
  }
  console.log('\nmedians over the pairs:');
  for (const [limit, { line }] of results) {
    const m = (k: string) => median(line.map((r) => r[k]!));
    console.log(
      `limit ${limit} kB: per write wall ${m('wallUsPerWrite').toFixed(0)} us, node CPU ${m('nodeCpuUsPerWrite').toFixed(0)} us, pg CPU ${m('pgCpuUsPerWrite').toFixed(0)} us (${m('pgCpuUsPerWriteWithLeftover').toFixed(0)} with the leftover merge, ${m('leftoverPgMs').toFixed(0)} ms CPU); search during writes p50 ${m('duringP50').toFixed(2)} p95 ${m('duringP95').toFixed(2)} ms (pending median ${m('duringPagesMedian')}, max ${m('duringPagesMax')}); after writes ${m('pagesAfter')} pages, p50 ${m('afterP50').toFixed(2)} p95 ${m('afterP95').toFixed(2)} ms; import ${m('importS').toFixed(2)} s, pg CPU ${m('importPgCpuS').toFixed(2)} s`,
    );
  }
  console.log(`load ${loadavg()}`);
} finally {
  await roster.close();
  await admin.end();
  await schema.drop();
}
