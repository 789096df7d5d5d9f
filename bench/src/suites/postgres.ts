import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contactIdText, createRoster, type Roster, uuidv7 } from '@roster/core';
import { contactTime } from '@roster/core/internal';
import { sql } from 'kysely';
import pg from 'pg';
import type { BenchContext } from '../context.js';
import { dataOf, emailOf, isPreexisting, rowOf } from '../data.js';
import { writeCsv } from '../fixtures.js';
import { median, result } from '../report.js';
import { httpImport } from './imports.js';
import { rareTerm, repeat, sample } from './million.js';

/**
 * `pnpm bench --pg postgres://...`: the HTTP import and the list/search (core) metrics against
 * PostgreSQL, each run in a fresh schema that is dropped afterwards. The import has a raw `pg`
 * baseline (below); list/search compare with the SQLite numbers of the `million` suite.
 */

/** Runs `fn` as the admin connection of `url` (no migrations). */
async function withAdmin(url: string, fn: (db: Roster['db']) => Promise<unknown>): Promise<void> {
  const admin = await createRoster({ database: url, migrate: false });
  try {
    await fn(admin.db);
  } finally {
    await admin.close();
  }
}

/** `url` with the search_path `schema`, then public (where pg_trgm lives). */
export function pgSchemaUrl(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema},public`);
  return u.toString();
}

/** A fresh schema (search_path: it, then public where pg_trgm lives); `drop()` removes it. */
export async function freshPgSchema(
  url: string,
): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const schema = `roster_bench_${randomBytes(6).toString('hex')}`;
  await withAdmin(url, async (db) => {
    await sql`create extension if not exists pg_trgm schema public`.execute(db).catch(() => {});
    await sql`create schema ${sql.id(schema)}`.execute(db);
  });
  return {
    name: schema,
    url: pgSchemaUrl(url, schema),
    drop: () => withAdmin(url, (db) => sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db)),
  };
}

/** Inserts contacts `from..to-1` (those `filter` keeps) with multi-row inserts of 1000. */
export async function seedPg(
  roster: Roster,
  projectId: string,
  from: number,
  to: number,
  filter: (i: number) => boolean = () => true,
  data: (i: number) => Record<string, string> = (i) => dataOf(rowOf(i)),
): Promise<number> {
  const now = new Date('2030-01-01T00:00:00.000Z').toISOString();
  let n = 0;
  for (let start = from; start < to; start += 1000) {
    const values = [];
    for (let i = start; i < Math.min(to, start + 1000); i++) {
      if (!filter(i)) continue;
      values.push({
        id: roster.dialect.contactIdValue(uuidv7()),
        project_id: roster.dialect.contactProject(projectId),
        email: emailOf(i),
        subscribed: roster.dialect.bool(true),
        data: roster.dialect.json(data(i)),
        created_at: contactTime(now),
        updated_at: contactTime(now),
      });
    }
    if (values.length === 0) continue;
    await roster.db.insertInto('roster_contacts').values(values).execute();
    n += values.length;
  }
  return n;
}

/** Opens a migrated roster on a fresh schema with one project, runs `fn`, drops the schema. */
async function inFreshSchema<T>(
  pgUrl: string,
  fn: (url: string, roster: Roster, projectId: string) => Promise<T>,
): Promise<T> {
  const schema = await freshPgSchema(pgUrl);
  try {
    const roster = await createRoster({ database: schema.url });
    try {
      const project = await roster.projects.ensure('bench');
      return await fn(schema.url, roster, project.id);
    } finally {
      await roster.close();
    }
  } finally {
    await schema.drop();
  }
}

/** Rows per statement and per transaction of the raw baseline (roster's import uses the same). */
const RAW_ROWS_PER_STATEMENT = 1000;
const RAW_ROWS_PER_TRANSACTION = 10_000;

/**
 * The raw ceiling of the PostgreSQL import: the same rows (as the CSV holds them, already parsed)
 * upserted with the same jsonb merge by multi-row `INSERT ... ON CONFLICT DO UPDATE` statements of
 * 1 000 rows sent by one plain `pg` client, 10 000 rows per transaction, on a schema migrated by
 * roster (same indexes, including the pg_trgm one). Returns rows per second.
 */
async function rawPgUpsert(url: string, projectId: string, rows: number): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const now = Date.now();
    const head =
      'insert into roster_contacts (id, project_id, email, subscribed, data, created_at, updated_at) values ';
    const tail = ` on conflict (project_id, email) do update set
      data = nullif(coalesce(roster_contacts.data, '{}'::jsonb) || coalesce(excluded.data, '{}'::jsonb), '{}'::jsonb),
      updated_at = excluded.updated_at`;
    const t0 = performance.now();
    for (let tx = 0; tx < rows; tx += RAW_ROWS_PER_TRANSACTION) {
      const txEnd = Math.min(rows, tx + RAW_ROWS_PER_TRANSACTION);
      await client.query('begin');
      for (let start = tx; start < txEnd; start += RAW_ROWS_PER_STATEMENT) {
        const params: unknown[] = [];
        const values: string[] = [];
        for (let i = start; i < Math.min(txEnd, start + RAW_ROWS_PER_STATEMENT); i++) {
          const row = rowOf(i);
          const p = params.length;
          values.push(
            `($${p + 1}, (select seq from roster_projects where id = $${p + 2}), $${p + 3}, true, $${p + 4}, $${p + 5}, $${p + 6})`,
          );
          params.push(uuidv7(), projectId, row.email, JSON.stringify(dataOf(row)), now, now);
        }
        await client.query(head + values.join(', ') + tail, params);
      }
      await client.query('commit');
    }
    return rows / ((performance.now() - t0) / 1000);
  } finally {
    await client.end();
  }
}

/** A fresh schema seeded with the 20 % of the import's emails that exist before it. */
function seededSchema<T>(pgUrl: string, rows: number, fn: (url: string, projectId: string) => Promise<T>) {
  return inFreshSchema(pgUrl, async (url, roster, projectId) => {
    await seedPg(roster, projectId, 0, rows, isPreexisting, (i) => ({
      plan: 'legacy',
      source: `seed-${i % 3}`,
    }));
    return fn(url, projectId);
  });
}

export function pgImportHttpSuite(pgUrl: string) {
  return async (ctx: BenchContext): Promise<void> => {
    const csvPath = join(ctx.dir, 'pg-import.csv');
    const rows = await writeCsv(csvPath, ctx.sizes.importBytes);
    const csv = readFileSync(csvPath);
    ctx.log(`pg import: ${rows} rows, ${(csv.byteLength / 1e6).toFixed(2)} MB, 20 % already present`);
    const rates: number[] = [];
    const raw: number[] = [];
    // Alternating raw and roster runs, so machine noise hits both sides.
    for (let run = 0; run < ctx.runs; run++) {
      raw.push(await seededSchema(pgUrl, rows, (url, projectId) => rawPgUpsert(url, projectId, rows)));
      rates.push(await seededSchema(pgUrl, rows, (url, projectId) => httpImport(url, projectId, csv, rows)));
      ctx.log(
        `  run ${run + 1}: raw pg ${raw.at(-1)!.toFixed(0)} rows/s, roster HTTP on PostgreSQL ${rates.at(-1)!.toFixed(0)} rows/s`,
      );
    }
    ctx.add(
      result({
        name: `PostgreSQL: import HTTP end to end (${rows} rows, ${(csv.byteLength / 1e6).toFixed(1)} MB)`,
        unit: 'rows/s',
        better: 'higher',
        values: rates,
        baseline: { name: 'raw pg multi-row upsert (1000 rows/statement, 10k-row tx)', values: raw },
        minRatio: 0.7,
      }),
    );
  };
}

/**
 * The id that starts page `page` (1-based) of `limit` newest-first contacts, as a cursor (through
 * Kysely, so on either dialect).
 */
export async function pageCursor(roster: Roster, projectId: string, page: number, limit: number) {
  if (page === 1) return undefined;
  const row = await roster.db
    .selectFrom('roster_contacts')
    .select('id')
    .where('project_id', '=', roster.dialect.contactProject(projectId))
    .orderBy('id', 'desc')
    .limit(1)
    .offset((page - 1) * limit - 1)
    .executeTakeFirstOrThrow();
  return contactIdText(row.id);
}

export function pgListSearchSuite(pgUrl: string) {
  return async (ctx: BenchContext): Promise<void> => {
    const n = ctx.sizes.contacts;
    await inFreshSchema(pgUrl, async (_url, roster, projectId) => {
      const t0 = performance.now();
      await seedPg(roster, projectId, 0, n);
      await sql`analyze roster_contacts`.execute(roster.db);
      ctx.log(`pg: seeded ${n} contacts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

      const limit = 100;
      const lastPage = Math.floor(n / limit) - 1;
      const pages = [1, Math.floor(lastPage / 2) + 1, lastPage] as const;
      const p50: Record<number, number[]> = {};
      for (const page of pages) {
        const cursor = await pageCursor(roster, projectId, page, limit);
        p50[page] = (
          await repeat(ctx.runs, () =>
            sample(() => roster.contacts.list(projectId, { limit, cursor }), ctx.sizes.requests, 5000),
          )
        ).p50;
      }
      // The first page with its total (the count slots of migration 0006) against the same page
      // plus the `count(*)` roster answered it with before, interleaved run by run.
      const withTotal = { p50: [] as number[] };
      const withCountAll = { p50: [] as number[] };
      for (let run = 0; run < ctx.runs; run++) {
        withTotal.p50.push(
          median(
            await sample(
              () => roster.contacts.list(projectId, { limit, includeTotal: true }),
              ctx.sizes.requests,
              5000,
            ),
          ),
        );
        withCountAll.p50.push(
          median(
            await sample(
              async () => {
                await roster.contacts.list(projectId, { limit });
                await roster.db
                  .selectFrom('roster_contacts')
                  .select((eb) => eb.fn.countAll().as('n'))
                  .where('project_id', '=', roster.dialect.contactProject(projectId))
                  .executeTakeFirstOrThrow();
              },
              ctx.sizes.requests,
              5000,
            ),
          ),
        );
      }
      for (const page of pages) {
        ctx.add(
          result({
            name: `PostgreSQL: list page ${page} (limit 100) through core p50`,
            unit: 'ms',
            better: 'lower',
            values: p50[page]!,
            ...(page === 1 ? {} : { baseline: { name: 'page 1 through core', values: p50[1]! } }),
          }),
        );
      }
      ctx.add(
        result({
          name: `PostgreSQL: list first page with total on ${n} contacts, core p50`,
          unit: 'ms',
          better: 'lower',
          values: withTotal.p50,
          baseline: { name: 'the same page + count(*) (before 0006)', values: withCountAll.p50 },
        }),
      );

      const rare = rareTerm(n);
      const common = 'gmail';
      const search = async (term: string, includeTotal: boolean) =>
        repeat(ctx.runs, () =>
          sample(
            () => roster.contacts.list(projectId, { search: term, includeTotal }),
            ctx.sizes.requests,
            5000,
          ),
        );
      const rareRun = await search(rare, false);
      const rareTotal = await search(rare, true);
      const commonRun = await search(common, false);
      const commonTotal = await search(common, true);
      const add = (name: string, values: number[]) =>
        ctx.add(result({ name: `PostgreSQL: ${name}`, unit: 'ms', better: 'lower', values }));
      add(`search rare term "${rare}" p50, core`, rareRun.p50);
      add('search rare term p95, core', rareRun.p95);
      add('search rare term with total p50, core', rareTotal.p50);
      add(`search common term "${common}" p50, core`, commonRun.p50);
      add(`search common term "${common}" with total p50, core`, commonTotal.p50);

      // What the count triggers of migration 0006 cost a write: the same creates with the
      // triggers on and off, interleaved run by run (off only here, the counts are not read after).
      let next = n;
      const triggers = async (on: boolean) => {
        for (const name of ['roster_contacts_count_insert', 'roster_contacts_count_delete']) {
          await sql`alter table roster_contacts ${sql.raw(on ? 'enable' : 'disable')} trigger ${sql.id(name)}`.execute(
            roster.db,
          );
        }
      };
      const createOne = () => roster.contacts.create(projectId, { email: emailOf(next++) });
      const createMany = () =>
        roster.contacts.createMany(projectId, {
          contacts: Array.from({ length: 1000 }, () => ({ email: emailOf(next++) })),
        });
      const cases = [
        { name: 'create one contact', write: createOne, count: ctx.sizes.requests },
        { name: 'createMany of 1000 contacts', write: createMany, count: 20 },
      ].map((c) => ({ ...c, on: [] as number[], off: [] as number[] }));
      for (let run = 0; run < ctx.runs; run++) {
        for (const on of [true, false]) {
          await triggers(on);
          for (const c of cases) (on ? c.on : c.off).push(median(await sample(c.write, c.count, 5000)));
        }
      }
      await triggers(true);
      for (const c of cases) {
        ctx.add(
          result({
            name: `PostgreSQL: ${c.name} with the count triggers, core p50`,
            unit: 'ms',
            better: 'lower',
            values: c.on,
            baseline: { name: 'count triggers disabled', values: c.off },
          }),
        );
      }
    });
  };
}
