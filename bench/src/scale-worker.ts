/**
 * One size of the `scale` suite (bench/src/suites/scale.ts), run in its own process so that its
 * peak RSS is the work's alone: builds a project of `contacts` contacts (deterministic rows: contact
 * `i` is always the same), times roster's operations on it and writes the figures as JSON to
 * `spec.out`. Progress goes to stdout, one line at a time.
 *
 * Generation: contacts `0..contacts-importRows-1` are written straight into roster's schema (the
 * million suite's fast paths: raw prepared inserts on SQLite, multi-row inserts on PostgreSQL);
 * the last `importRows` go through roster's own import path, a CSV import job
 * (`imports.enqueueFromPath`, run by `jobs.runOnce()` in this process), which gives the import rate
 * into a table that already holds the rest.
 *
 * With `spec.existing` (PostgreSQL only) the schema already holds such a project, built by an earlier
 * run kept with `--scale-pg-keep`: nothing is generated or imported, only the operations are timed.
 *
 * On PostgreSQL the pg_trgm index's pending list (GIN `fastupdate`: rows inserted since its last
 * merge, up to `gin_pending_list_limit`, 4 MB by default, that every search reads in full) is merged
 * before timing, so every size is measured with the same, empty list instead of whatever the last
 * insert left (0 to 512 pages); the pages merged are reported.
 */
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { contactIdText, createRoster, type FilterCondition, type Roster } from '@roster/core';
import { sql } from 'kysely';
import { emailOf } from './data.js';
import { freshDatabase, openRaw, seedContacts, writeCsvRows } from './fixtures.js';
import { interleave, rareTerm, sample } from './suites/million.js';
import { pageCursor, seedPg } from './suites/postgres.js';
import type { ScaleFigures, ScaleSpec, ScaleTime } from './suites/scale.js';

const PRO: FilterCondition = {
  logic: 'AND',
  groups: [{ filters: [{ field: 'data.plan', operator: 'equals', value: 'pro' }] }],
};

const log = (line: string) => process.stdout.write(`${line}\n`);
const since = (t0: number) => (performance.now() - t0) / 1000;

/** Ids of the contacts `offset`, `offset + step`, ... (`count` of them, spread over `n`), by email. */
async function idsOf(roster: Roster, projectId: string, n: number, count: number, offset: number) {
  const step = Math.max(1, Math.floor(n / count));
  const emails = Array.from({ length: count }, (_, k) => emailOf((offset + k * step) % n));
  const rows = await roster.db
    .selectFrom('roster_contacts')
    .select('id')
    .where('project_id', '=', roster.dialect.contactProject(projectId))
    .where('email', 'in', emails)
    .execute();
  if (rows.length !== count) throw new Error(`found ${rows.length} of ${count} contacts by email`);
  return rows.map((r) => contactIdText(r.id));
}

/** Seeds, imports the rest, then times every operation; returns the figures (RSS and bytes aside). */
async function build(spec: ScaleSpec, t0: number): Promise<Omit<ScaleFigures, 'maxRssBytes' | 'seconds'>> {
  const n = spec.contacts;
  const seeded = spec.existing ? 0 : n - spec.importRows;
  let roster: Roster;
  let projectId: string;
  let seedSeconds = 0;
  let openSeconds = 0;
  if (spec.existing) {
    if (spec.dialect !== 'postgres') throw new Error('spec.existing: PostgreSQL schemas only');
    roster = await createRoster({ database: spec.database });
    projectId = (await roster.projects.ensure('bench')).id;
    const found = await roster.contacts.count(projectId);
    if (found !== n) throw new Error(`the existing schema holds ${found} contacts, not ${n}`);
    log(`  existing schema: ${found} contacts, nothing generated`);
  } else if (spec.dialect === 'sqlite') {
    ({ projectId } = await freshDatabase(spec.database));
    let t = performance.now();
    const raw = openRaw(spec.database);
    seedContacts(raw, projectId, 0, seeded);
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();
    seedSeconds = since(t);
    log(`  seeded ${seeded} contacts in ${seedSeconds.toFixed(1)} s`);
    t = performance.now();
    roster = await createRoster({ database: spec.database });
    openSeconds = since(t);
    log(`  opened (substring index built) in ${openSeconds.toFixed(1)} s`);
  } else {
    roster = await createRoster({ database: spec.database });
    projectId = (await roster.projects.ensure('bench')).id;
    let t = performance.now();
    await seedPg(roster, projectId, 0, seeded);
    seedSeconds = since(t);
    log(`  seeded ${seeded} contacts in ${seedSeconds.toFixed(1)} s`);
    t = performance.now();
    await sql`analyze roster_contacts`.execute(roster.db);
    openSeconds = since(t);
    log(`  analyzed in ${openSeconds.toFixed(1)} s`);
  }
  try {
    const importRowsPerSecond = spec.existing ? 0 : await importRest(spec, roster, projectId, seeded);
    let ginPendingPages: number | undefined;
    if (spec.dialect === 'postgres') {
      if (!spec.existing) await sql`analyze roster_contacts`.execute(roster.db);
      ginPendingPages = await mergeGinPendingList(roster);
      log(`  merged the pg_trgm index's pending list: ${ginPendingPages} pages`);
    }
    let t: number;

    const limit = 100;
    const deep = await pageCursor(roster, projectId, Math.floor(n / limit / 2) + 1, limit);
    const byId = await idsOf(roster, projectId, n, 1000, 11);
    let k = 0;
    const rare = rareTerm(n);
    const rareMatches = await roster.contacts.count(projectId, { search: rare });
    log(
      `  measuring (${((performance.now() - t0) / 1000).toFixed(0)} s in); rare term "${rare}" matches ${rareMatches}`,
    );
    const list = (options: Parameters<Roster['contacts']['list']>[1]) => () =>
      sample(() => roster.contacts.list(projectId, options), spec.requests, 5000);
    // Slow ones (a count over the whole project, seconds at 10 M): 1 to 10 samples within 3 s a run.
    const slow = (fn: () => Promise<unknown>) => () => sample(fn, 10, 3000, 1);
    // The fast operations interleaved among themselves, then the slow ones (in the first full run,
    // page 1 right after a 17 s scan of 10 M contacts took twice its time in the other rounds).
    const fast = await interleave(spec.runs, {
      page1: list({ limit }),
      pageDeep: list({ limit, cursor: deep }),
      firstWithTotal: list({ limit, includeTotal: true }),
      byId: () => sample(() => roster.contacts.get(projectId, byId[k++ % byId.length]!), spec.requests, 5000),
      rare: list({ search: rare }),
      rareTotal: list({ search: rare, includeTotal: true }),
      common: list({ search: 'gmail' }),
    });
    const slowRuns = await interleave(spec.runs, {
      commonTotal: slow(() => roster.contacts.list(projectId, { search: 'gmail', includeTotal: true })),
      segmentCount: slow(() => roster.contacts.count(projectId, { filter: PRO })),
    });
    const runs = { ...fast, ...slowRuns };
    const bulkUnsubscribe: number[] = [];
    for (let run = 0; run < spec.runs; run++) {
      const ids = await idsOf(roster, projectId, n, 1000, 17 + run * 3);
      t = performance.now();
      await roster.bulk.enqueue(projectId, 'unsubscribe', ids);
      await roster.jobs.runOnce();
      bulkUnsubscribe.push(performance.now() - t);
    }
    const times = { bulkUnsubscribe } as Record<ScaleTime, number[]>;
    for (const [key, value] of Object.entries(runs)) times[key as ScaleTime] = value.p50;
    return {
      dialect: spec.dialect,
      contacts: n,
      seeded,
      seedRowsPerSecond: seeded / seedSeconds,
      openSeconds,
      importRows: spec.importRows,
      importRowsPerSecond,
      rareTerm: rare,
      rareMatches,
      times,
      databaseBytes: 0,
      ...(ginPendingPages === undefined ? {} : { ginPendingPages }),
      ...(spec.existing ? { existing: true } : {}),
    };
  } finally {
    await roster.close();
  }
}

/** Writes contacts `seeded..contacts-1` to a CSV and imports them with a CSV import job; rows/s. */
async function importRest(
  spec: ScaleSpec,
  roster: Roster,
  projectId: string,
  seeded: number,
): Promise<number> {
  const csv = join(spec.dir, `scale-${spec.dialect}-${spec.contacts}.csv`);
  await writeCsvRows(csv, seeded, spec.contacts);
  const t = performance.now();
  const { job } = await roster.imports.enqueueFromPath(projectId, csv);
  // As `roster import` runs it: in this process, until it ends.
  let done = await roster.jobs.runJob(projectId, job.id);
  while (done.status === 'queued' || done.status === 'running') {
    if (done.lastError) throw new Error(`import job attempt failed: ${done.lastError}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    done = await roster.jobs.runJob(projectId, job.id);
  }
  const imported = done.result as { successCount: number } | null;
  const importSeconds = since(t);
  if (done.status !== 'completed' || imported?.successCount !== spec.importRows) {
    throw new Error(`import job ended ${done.status}: ${JSON.stringify(done.result)} ${done.lastError}`);
  }
  const rate = spec.importRows / importSeconds;
  log(`  imported ${spec.importRows} rows (CSV import job) at ${rate.toFixed(0)} rows/s`);
  return rate;
}

/**
 * Merges the pending list of the pg_trgm index (`gin_clean_pending_list`, what VACUUM does to it)
 * and answers how many pages it held; 0 without the index.
 */
async function mergeGinPendingList(roster: Roster): Promise<number> {
  const { rows } = await sql<{ pages: string | null }>`
    select gin_clean_pending_list(to_regclass('roster_contacts_email_trgm')) as pages
    where to_regclass('roster_contacts_email_trgm') is not null`.execute(roster.db);
  return Number(rows[0]?.pages ?? 0);
}

async function databaseBytes(spec: ScaleSpec): Promise<number> {
  if (spec.dialect === 'sqlite') {
    const raw = openRaw(spec.database);
    try {
      raw.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      raw.close();
    }
    return statSync(spec.database).size;
  }
  const roster = await createRoster({ database: spec.database, migrate: false });
  try {
    const { rows } = await sql<{
      bytes: string;
    }>`select coalesce(sum(pg_total_relation_size(c.oid)), 0) as bytes
      from pg_class c join pg_namespace s on s.oid = c.relnamespace
      where s.nspname = current_schema() and c.relkind in ('r', 'm')`.execute(roster.db);
    return Number(rows[0]!.bytes);
  } finally {
    await roster.close();
  }
}

const spec = JSON.parse(process.argv[2]!) as ScaleSpec;
const t0 = performance.now();
const figures = await build(spec, t0);
figures.databaseBytes = await databaseBytes(spec);
const result: ScaleFigures = {
  ...figures,
  maxRssBytes: process.resourceUsage().maxRSS * 1024,
  seconds: Math.round(since(t0)),
};
writeFileSync(spec.out, `${JSON.stringify(result, null, 2)}\n`);
