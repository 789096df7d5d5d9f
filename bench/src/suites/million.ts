import { statSync } from 'node:fs';
import { join } from 'node:path';
import { contactIdBytes, contactIdText, type Roster } from '@roster/core';
import { startServer } from '@roster/server';
import type { BenchContext } from '../context.js';
import { emailOf } from '../data.js';
import { openRaw, seededRoster } from '../fixtures.js';
import { type Load, runLoad, startHelloWorld } from '../http-load.js';
import { median, percentile, result } from '../report.js';

/** Times `fn` up to `count` times or `maxMs`, whichever comes first (at least `minCount` times). */
export async function sample(
  fn: () => unknown,
  count: number,
  maxMs: number,
  minCount = 5,
): Promise<number[]> {
  const times: number[] = [];
  const stop = performance.now() + maxMs;
  await fn(); // warm: statement caches, pages
  while (times.length < count && (times.length < minCount || performance.now() < stop)) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

/** Per run: the median and the 95th and 99th percentiles of that run's samples. */
export interface Percentiles {
  p50: number[];
  p95: number[];
  p99: number[];
}

/** Runs `measure` `runs` times and returns, per run, the median and the given percentiles. */
export async function repeat(runs: number, measure: () => Promise<number[]>): Promise<Percentiles> {
  const out = await interleave(runs, { only: measure });
  return out.only;
}

/**
 * Runs every measurement once per round, in the given order, for `runs` rounds (A B C, A B C, ...),
 * so that a burst of machine noise hits a baseline and its subject alike instead of one of them
 * whole; returns each measurement's per-run percentiles.
 */
export async function interleave<K extends string>(
  runs: number,
  measures: Record<K, () => Promise<number[]>>,
): Promise<Record<K, Percentiles>> {
  const names = Object.keys(measures) as K[];
  const out = {} as Record<K, Percentiles>;
  for (const name of names) out[name] = { p50: [], p95: [], p99: [] };
  for (let r = 0; r < runs; r++) {
    for (const name of names) {
      const times = await measures[name]();
      out[name].p50.push(median(times));
      out[name].p95.push(percentile(times, 95));
      out[name].p99.push(percentile(times, 99));
    }
  }
  return out;
}

/**
 * One project with `sizes.contacts` contacts (written straight into roster's schema), then:
 * cursor pages, substring search, HTTP throughput against Express hello world, bulk jobs.
 */
export async function millionSuite(ctx: BenchContext): Promise<void> {
  const n = ctx.sizes.contacts;
  const path = join(ctx.dir, 'million.db');
  const { roster, projectId } = await seededRoster(path, n, (line) => ctx.log(line));
  try {
    bytesOnDisk(ctx, path, n);
    ctx.mark(); // the load of seeding is not part of the first timed metric's window
    await listMetrics(ctx, roster, path, projectId);
    await searchMetrics(ctx, roster, path, projectId);
    await httpMetrics(ctx, roster, projectId);
    await bulkMetrics(ctx, roster, path, projectId);
  } finally {
    await roster.close();
  }
}

/**
 * Bytes on disk per contact of the SQLite file (after a checkpoint), with the share of the table,
 * of each index and of the substring index from SQLite's `dbstat` table (where compiled in).
 * Load-independent: measured once.
 */
function bytesOnDisk(ctx: BenchContext, path: string, contacts: number): void {
  const raw = openRaw(path);
  try {
    raw.pragma('wal_checkpoint(TRUNCATE)');
    const file = statSync(path).size;
    let parts: { name: string; bytes: number }[] = [];
    try {
      parts = raw
        .prepare('select name, sum(pgsize) as bytes from dbstat group by name order by bytes desc')
        .all() as { name: string; bytes: number }[];
    } catch {
      // dbstat not compiled in: the file size alone
    }
    const per = (bytes: number) => Math.round(bytes / contacts);
    const breakdown = parts
      .filter((p) => p.bytes / contacts >= 1)
      .map((p) => `${p.name.replace(/^roster_contacts_?/, '') || 'table'} ${per(p.bytes)}`)
      .join(', ');
    ctx.log(`bytes per contact: ${per(file)} (${breakdown})`);
    ctx.add(
      result({
        name: `SQLite file bytes per contact (${contacts} contacts written in id order, substring index on)`,
        unit: 'B',
        better: 'lower',
        values: [file / contacts],
        maxValue: 350,
        note: breakdown ? `B per contact by table/index (dbstat): ${breakdown}` : 'dbstat not available',
      }),
    );
  } finally {
    raw.close();
  }
}

/** The cursor that starts page `page` (1-based) of `limit` newest-first contacts. */
function cursorOf(path: string, projectId: string, page: number, limit: number): string | undefined {
  if (page === 1) return undefined;
  const raw = openRaw(path);
  try {
    const row = raw
      .prepare(
        'select id from roster_contacts where project_id = (select seq from roster_projects where id = ?) order by seq desc limit 1 offset ?',
      )
      .get(projectId, (page - 1) * limit - 1) as { id: unknown };
    return contactIdText(row.id);
  } finally {
    raw.close();
  }
}

async function withServer<T>(
  roster: Roster,
  projectId: string,
  fn: (url: string, auth: Record<string, string>) => Promise<T>,
) {
  const { key } = await roster.keys.create(projectId);
  const server = await startServer({ roster, port: 0, host: '127.0.0.1', onError: () => {} });
  try {
    return await fn(server.url, { Authorization: `Bearer ${key}` });
  } finally {
    await server.close();
  }
}

async function timedFetch(url: string, headers: Record<string, string>): Promise<void> {
  const res = await fetch(url, { headers });
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

async function listMetrics(ctx: BenchContext, roster: Roster, path: string, projectId: string) {
  const n = ctx.sizes.contacts;
  const limit = 100;
  const lastPage = Math.floor(n / limit) - 1;
  const pages = [1, Math.floor(lastPage / 2) + 1, lastPage];
  const cursors = pages.map((p) => cursorOf(path, projectId, p, limit));
  // Page 1 (the baseline), the deep pages and the first page with total, interleaved round by round.
  const coreRuns: Record<string, Percentiles> = await interleave<string>(ctx.runs, {
    ...Object.fromEntries(
      pages.map((page, i) => [
        `page${page}`,
        () =>
          sample(
            () => roster.contacts.list(projectId, { limit, cursor: cursors[i] }),
            ctx.sizes.requests,
            5000,
          ),
      ]),
    ),
    withTotal: () =>
      sample(() => roster.contacts.list(projectId, { limit, includeTotal: true }), ctx.sizes.requests, 5000),
  });
  const core: Record<number, Percentiles> = {};
  for (const page of pages) core[page] = coreRuns[`page${page}`]!;
  const withTotal = coreRuns.withTotal!;
  const http: Record<number, Percentiles> = {};
  await withServer(roster, projectId, async (url, auth) => {
    const httpRuns = await interleave(
      ctx.runs,
      Object.fromEntries(
        pages.map((page, i) => {
          const q = `${url}/contacts?limit=${limit}${cursors[i] ? `&cursor=${cursors[i]}` : ''}`;
          return [`page${page}`, () => sample(() => timedFetch(q, auth), ctx.sizes.requests, 5000)];
        }),
      ),
    );
    for (const page of pages) http[page] = httpRuns[`page${page}`]!;
  });
  const [first, middle, last] = pages as [number, number, number];
  for (const page of [middle, last]) {
    ctx.add(
      result({
        name: `list page ${page} (limit 100) through core vs page 1`,
        unit: 'ms',
        better: 'lower',
        values: core[page]!.p50,
        baseline: { name: 'page 1 through core', values: core[first]!.p50 },
        minRatio: 0.667,
        note: 'deep page <= 1.5 x page 1 means ratio >= 0.667',
      }),
    );
  }
  ctx.add(
    result({
      name: 'list page 1 (limit 100) through core',
      unit: 'ms',
      better: 'lower',
      values: core[first]!.p50,
    }),
  );
  ctx.add(
    result({
      name: `list first page with total on ${n} contacts, core`,
      unit: 'ms',
      better: 'lower',
      values: withTotal.p50,
      baseline: { name: 'first page without total', values: core[first]!.p50 },
      maxValue: 5,
    }),
  );
  for (const page of pages) {
    ctx.add(
      result({
        name: `list page ${page} HTTP p50${page === first ? ' (with total)' : ''}`,
        unit: 'ms',
        better: 'lower',
        values: http[page]!.p50,
        ...(page === first
          ? {}
          : {
              baseline: { name: 'page 1 HTTP p50 (with total)', values: http[first]!.p50 },
              minRatio: 0.667,
            }),
      }),
    );
    ctx.add(
      result({ name: `list page ${page} HTTP p99`, unit: 'ms', better: 'lower', values: http[page]!.p99 }),
    );
  }
}

/** A term matching one contact or a handful (last name + number of a contact in the middle). */
export function rareTerm(n: number): string {
  const i = Math.floor(n * 0.37) + 17;
  const local = emailOf(i).split('@')[0]!;
  return local.slice(local.indexOf('.') + 2).toUpperCase(); // e.g. "OVELACE370017": any case
}

async function searchMetrics(ctx: BenchContext, roster: Roster, path: string, projectId: string) {
  const n = ctx.sizes.contacts;
  const rare = rareTerm(n);
  const common = 'gmail';
  const raw = openRaw(path);
  const scan = raw.prepare(
    `select * from roster_contacts where project_id = (select seq from roster_projects where id = ?) and email like ? escape '\\' order by seq desc limit 21`,
  );
  const scanCount = raw.prepare(
    `select count(*) as n from roster_contacts where project_id = (select seq from roster_projects where id = ?) and email like ? escape '\\'`,
  );
  try {
    const matches = (scanCount.get(projectId, `%${rare.toLowerCase()}%`) as { n: number }).n;
    ctx.log(`search: rare term "${rare}" matches ${matches}, common term "${common}"`);
    // Each baseline scan next to the roster query it is compared with, round by round.
    const runs = await interleave(ctx.runs, {
      scanRare: () => sample(() => scan.all(projectId, `%${rare.toLowerCase()}%`), 10, 3000, 3),
      coreRare: () =>
        sample(() => roster.contacts.list(projectId, { search: rare }), ctx.sizes.requests, 5000),
      coreRareTotal: () =>
        sample(
          () => roster.contacts.list(projectId, { search: rare, includeTotal: true }),
          ctx.sizes.requests,
          5000,
        ),
      scanCommon: () => sample(() => scan.all(projectId, `%${common}%`), ctx.sizes.requests, 3000),
      coreCommon: () =>
        sample(() => roster.contacts.list(projectId, { search: common }), ctx.sizes.requests, 5000),
      scanCommonCount: () => sample(() => scanCount.get(projectId, `%${common}%`), 10, 3000, 3),
      coreCommonTotal: () =>
        sample(
          () => roster.contacts.list(projectId, { search: common, includeTotal: true }),
          ctx.sizes.requests,
          5000,
        ),
    });
    const { scanRare, coreRare, coreRareTotal, scanCommon, coreCommon, scanCommonCount, coreCommonTotal } =
      runs;
    const http = await withServer(roster, projectId, (url, auth) =>
      interleave(ctx.runs, {
        rare: () =>
          sample(() => timedFetch(`${url}/contacts?search=${rare}`, auth), ctx.sizes.requests, 5000),
        common: () =>
          sample(() => timedFetch(`${url}/contacts?search=${common}`, auth), ctx.sizes.requests, 5000),
      }),
    );
    ctx.add(
      result({
        name: `search rare term p95, core (${matches} match${matches === 1 ? '' : 'es'} in ${n})`,
        unit: 'ms',
        better: 'lower',
        values: coreRare.p95,
        baseline: { name: "LIKE '%term%' scan, ORDER BY seq DESC LIMIT 21 (median)", values: scanRare.p50 },
        minRatio: 20,
        maxValue: 10,
      }),
    );
    ctx.add(
      result({
        name: 'search rare term with total p95, core',
        unit: 'ms',
        better: 'lower',
        values: coreRareTotal.p95,
        baseline: { name: "LIKE '%term%' scan (median)", values: scanRare.p50 },
      }),
    );
    ctx.add(
      result({
        name: `search common term "${common}" p50, core`,
        unit: 'ms',
        better: 'lower',
        values: coreCommon.p50,
        baseline: { name: "LIKE '%term%' scan with LIMIT (median)", values: scanCommon.p50 },
      }),
    );
    ctx.add(
      result({
        name: `search common term "${common}" with total p50, core`,
        unit: 'ms',
        better: 'lower',
        values: coreCommonTotal.p50,
        baseline: { name: "count(*) ... LIKE '%term%' scan (median)", values: scanCommonCount.p50 },
      }),
    );
    ctx.add(
      result({
        name: 'search rare term HTTP p50 (with total)',
        unit: 'ms',
        better: 'lower',
        values: http.rare.p50,
      }),
    );
    ctx.add(
      result({
        name: 'search rare term HTTP p99 (with total)',
        unit: 'ms',
        better: 'lower',
        values: http.rare.p99,
      }),
    );
    ctx.add(
      result({
        name: `search common term HTTP p50 (with total)`,
        unit: 'ms',
        better: 'lower',
        values: http.common.p50,
      }),
    );
    ctx.add(
      result({
        name: `search common term HTTP p99 (with total)`,
        unit: 'ms',
        better: 'lower',
        values: http.common.p99,
      }),
    );
  } finally {
    raw.close();
  }
}

/** `count` contact ids spread over the whole table (every `step`-th from `offset`), newest first. */
function idPool(path: string, projectId: string, count: number, offset: number): string[] {
  const raw = openRaw(path);
  try {
    const total = (
      raw
        .prepare(
          'select count(*) as n from roster_contacts where project_id = (select seq from roster_projects where id = ?)',
        )
        .get(projectId) as {
        n: number;
      }
    ).n;
    const step = Math.max(1, Math.floor(total / count));
    const ids: string[] = [];
    const rows = raw
      .prepare(
        'select id from roster_contacts where project_id = (select seq from roster_projects where id = ?) order by seq desc',
      )
      .pluck()
      .iterate(projectId) as IterableIterator<unknown>;
    let k = 0;
    for (const id of rows) {
      if (k >= offset && (k - offset) % step === 0) ids.push(contactIdText(id));
      k++;
      if (ids.length === count) break;
    }
    return ids;
  } finally {
    raw.close();
  }
}

async function httpMetrics(ctx: BenchContext, roster: Roster, projectId: string) {
  const path = roster.options.database as string;
  const ids = idPool(path, projectId, 1000, 0);
  const emails = Array.from({ length: 1000 }, (_, i) =>
    emailOf(i * Math.floor(ctx.sizes.contacts / 1000) + 3),
  );
  let hello: Awaited<ReturnType<typeof startHelloWorld>> | undefined;
  try {
    await withServer(roster, projectId, async (url, auth) => {
      // The read baseline beside hello world: Express answering roster's own answers for these
      // ids, from memory (the same bytes for the load client to parse, no database, no key).
      const answers = new Map<string, unknown>();
      for (const id of ids) {
        const res = await fetch(`${url}/contacts/${id}`, { headers: auth });
        if (!res.ok) throw new Error(`GET /contacts/${id} answered ${res.status}: ${await res.text()}`);
        answers.set(id, await res.json());
      }
      hello = await startHelloWorld(answers);
      const helloUrl = hello.url;
      const base = { connections: 50, seconds: ctx.sizes.loadSeconds, headers: auth };
      const h: Load[] = [];
      const m: Load[] = [];
      const j: Load[] = [];
      const g: Load[] = [];
      const p: Load[] = [];
      // Warm every route once (JIT, statement caches), then interleave the five loads.
      await runLoad(ctx, { ...base, seconds: 1, url: helloUrl, method: 'GET' });
      await runLoad(ctx, { ...base, seconds: 1, url: hello.memoryUrl, method: 'GET', headers: {}, ids });
      await runLoad(ctx, { ...base, seconds: 1, url: hello.jsonUrl, method: 'POST', emails });
      await runLoad(ctx, { ...base, seconds: 1, url: `${url}/contacts`, method: 'GET', ids });
      for (let run = 0; run < ctx.runs; run++) {
        h.push(await runLoad(ctx, { ...base, url: helloUrl, method: 'GET' }));
        m.push(await runLoad(ctx, { ...base, url: hello.memoryUrl, method: 'GET', headers: {}, ids }));
        j.push(await runLoad(ctx, { ...base, url: hello.jsonUrl, method: 'POST', emails }));
        g.push(await runLoad(ctx, { ...base, url: `${url}/contacts`, method: 'GET', ids }));
        p.push(await runLoad(ctx, { ...base, url: `${url}/contacts`, method: 'POST', emails }));
        ctx.log(
          `  run ${run + 1}: hello ${h.at(-1)!.requestsPerSecond.toFixed(0)} req/s, same answers from memory ${m.at(-1)!.requestsPerSecond.toFixed(0)}, JSON echo ${j.at(-1)!.requestsPerSecond.toFixed(0)}, GET /contacts/:id ${g.at(-1)!.requestsPerSecond.toFixed(0)}, POST /contacts ${p.at(-1)!.requestsPerSecond.toFixed(0)}`,
        );
      }
      const helloRps = {
        name: 'Express 5 hello world (same machine, same run)',
        values: h.map((l) => l.requestsPerSecond),
      };
      const jsonRps = {
        name: 'Express 5 JSON echo: express.json() body, contact-sized JSON answer (same run)',
        values: j.map((l) => l.requestsPerSecond),
      };
      ctx.add(
        result({
          name: 'HTTP GET /contacts/:id (autocannon 50 conn)',
          unit: 'req/s',
          better: 'higher',
          values: g.map((l) => l.requestsPerSecond),
          baseline: helloRps,
          minRatio: 0.8,
        }),
      );
      // The same loads against Express answering the same bytes from memory: reported, no target.
      ctx.add(
        result({
          name: 'HTTP GET /contacts/:id vs the same answers from memory (autocannon 50 conn)',
          unit: 'req/s',
          better: 'higher',
          values: g.map((l) => l.requestsPerSecond),
          baseline: {
            name: 'Express 5 answering the same JSON per id from memory with res.json (same run)',
            values: m.map((l) => l.requestsPerSecond),
          },
        }),
      );
      ctx.add(
        result({
          name: 'HTTP POST /contacts upsert (autocannon 50 conn)',
          unit: 'req/s',
          better: 'higher',
          values: p.map((l) => l.requestsPerSecond),
          baseline: jsonRps,
          minRatio: 0.5,
        }),
      );
      // The same loads against hello world, the baseline before the JSON echo: reported, no target.
      ctx.add(
        result({
          name: 'HTTP POST /contacts upsert vs hello world (autocannon 50 conn)',
          unit: 'req/s',
          better: 'higher',
          values: p.map((l) => l.requestsPerSecond),
          baseline: helloRps,
        }),
      );
      ctx.add(
        result({
          name: 'HTTP GET /contacts/:id p99',
          unit: 'ms',
          better: 'lower',
          values: g.map((l) => l.p99),
          baseline: { name: 'hello world p99', values: h.map((l) => l.p99) },
        }),
      );
      ctx.add(
        result({
          name: 'HTTP POST /contacts p99',
          unit: 'ms',
          better: 'lower',
          values: p.map((l) => l.p99),
          baseline: { name: 'hello world p99', values: h.map((l) => l.p99) },
        }),
      );
    });
  } finally {
    await hello?.close();
  }
}

async function bulkMetrics(ctx: BenchContext, roster: Roster, path: string, projectId: string) {
  const runs = ctx.runs;
  // Disjoint pools of 1 000 ids per run and per operation.
  const pools = Array.from({ length: runs * 4 }, (_, k) => idPool(path, projectId, 1000, 17 + k * 3));
  const unsub: number[] = [];
  const del: number[] = [];
  const sync: number[] = [];
  const raw: number[] = [];
  const db = openRaw(path);
  try {
    await withServer(roster, projectId, async (url, auth) => {
      for (let run = 0; run < runs; run++) {
        const [a, b, c, d] = pools.slice(run * 4, run * 4 + 4) as [string[], string[], string[], string[]];
        let t0 = performance.now();
        await roster.bulk.enqueue(projectId, 'unsubscribe', a);
        await roster.jobs.runOnce();
        unsub.push(performance.now() - t0);
        t0 = performance.now();
        await roster.bulk.enqueue(projectId, 'delete', b);
        await roster.jobs.runOnce();
        del.push(performance.now() - t0);
        t0 = performance.now();
        const res = await fetch(`${url}/v1/contacts/bulk`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ operation: 'unsubscribe', contact_ids: c }),
        });
        if (!res.ok) throw new Error(`bulk answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
        sync.push(performance.now() - t0);
        t0 = performance.now();
        const placeholders = d.map(() => '?').join(',');
        db.transaction(() =>
          db
            .prepare(
              `update roster_contacts set subscribed = 0, updated_at = ? where project_id = (select seq from roster_projects where id = ?) and id in (${placeholders})`,
            )
            .run(Date.now(), projectId, ...d.map((id) => contactIdBytes(id))),
        )();
        raw.push(performance.now() - t0);
      }
    });
  } finally {
    db.close();
  }
  const baseline = { name: 'raw UPDATE ... WHERE id IN (1000 ids), one tx', values: raw };
  ctx.add(
    result({
      name: 'bulk unsubscribe job, 1000 ids (enqueue + run)',
      unit: 'ms',
      better: 'lower',
      values: unsub,
      baseline,
    }),
  );
  ctx.add(
    result({
      name: 'bulk delete job, 1000 ids (enqueue + run)',
      unit: 'ms',
      better: 'lower',
      values: del,
      baseline,
    }),
  );
  ctx.add(
    result({
      name: 'Unosend sync bulk unsubscribe, 1000 ids (HTTP)',
      unit: 'ms',
      better: 'lower',
      values: sync,
      baseline,
    }),
  );
}
