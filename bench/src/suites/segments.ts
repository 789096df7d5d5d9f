import { join } from 'node:path';
import { contactIdText, createRoster, type FilterCondition, type Roster, uuidv7 } from '@roster/core';
import { startServer } from '@roster/server';
import type Database from 'better-sqlite3';
import type { BenchContext } from '../context.js';
import { emailOf, hash32 } from '../data.js';
import { freshDatabase, openRaw, seedContacts } from '../fixtures.js';
import { type Load, runLoad, startHelloWorld } from '../http-load.js';
import { median, percentile, result } from '../report.js';
import { sample } from './million.js';

/** The clock of the whole suite: contacts and events are spread over the year before it. */
const NOW = Date.parse('2030-01-01T00:00:00.000Z');
const DAY = 86_400_000;
/** Events per contact (3 M on the full 1 M-contact database). */
const EVENTS_PER_CONTACT = 3;
const EVENT_NAMES = ['page_view', 'page_view', 'login', 'signup', 'purchase'] as const;

const iso = (ms: number) => new Date(ms).toISOString();
/** Contact `i` signed up some time in the 365 days before NOW. */
const createdAtOf = (i: number) => iso(NOW - (hash32(i, 12) % 365) * DAY - (hash32(i, 13) % DAY));

/** A DYNAMIC segment of the bench and the same predicate written by hand for SQLite. */
interface BenchSegment {
  name: string;
  condition: FilterCondition;
  /** Hand-written WHERE over `roster_contacts` (after `project_id = ?`, the project's key), and its parameters. */
  where: string;
  params: unknown[];
}

const and = (...filters: FilterCondition['groups'][number]['filters']): FilterCondition => ({
  logic: 'AND',
  groups: [{ filters }],
});
const since = (days: number) => iso(NOW - days * DAY);
const purchasedWithin = (days: number) =>
  `exists (select 1 from roster_events e where e.contact_id = roster_contacts.id and e.name = 'purchase' and e.created_at >= '${since(days)}')`;

/** (a) and (b) of issue 16, then 18 more for the refresh: 20 segments in all. */
export const SEGMENTS: BenchSegment[] = [
  {
    name: '(a) data.plan equals "pro" AND createdAt within 30 days',
    condition: and(
      { field: 'data.plan', operator: 'equals', value: 'pro' },
      { field: 'createdAt', operator: 'within', value: 30, unit: 'days' },
    ),
    where: `json_extract(data, '$.plan') = 'pro' and created_at >= ?`,
    params: [NOW - 30 * DAY],
  },
  {
    name: '(b) email contains "gmail" OR event.purchase triggeredWithin 7 days',
    condition: {
      logic: 'OR',
      groups: [
        { filters: [{ field: 'email', operator: 'contains', value: 'gmail' }] },
        { filters: [{ field: 'event.purchase', operator: 'triggeredWithin', value: 7, unit: 'days' }] },
      ],
    },
    where: `(email like '%gmail%' or ${purchasedWithin(7)})`,
    params: [],
  },
  ...['free', 'starter', 'team', 'enterprise'].map((plan) => ({
    name: `plan ${plan}`,
    condition: and({ field: 'data.plan', operator: 'equals', value: plan }),
    where: `json_extract(data, '$.plan') = ?`,
    params: [plan],
  })),
  ...['Berlin', 'Paris', 'London', 'Tokyo', 'Lima'].map((city) => ({
    name: `city ${city}`,
    condition: and({ field: 'data.city', operator: 'equals', value: city }),
    where: `json_extract(data, '$.city') = ?`,
    params: [city],
  })),
  ...['outlook', 'yahoo', 'icloud', 'acme'].map((word) => ({
    name: `email ${word}`,
    condition: and({ field: 'email', operator: 'contains', value: word }),
    where: `email like ?`,
    params: [`%${word}%`],
  })),
  {
    name: 'purchase within 30 days',
    condition: and({ field: 'event.purchase', operator: 'triggeredWithin', value: 30, unit: 'days' }),
    where: purchasedWithin(30),
    params: [],
  },
  {
    name: 'signed up (event)',
    condition: and({ field: 'signup', operator: 'triggered' }),
    where: `exists (select 1 from roster_events e where e.contact_id = roster_contacts.id and e.name = 'signup')`,
    params: [],
  },
  {
    name: 'no login for 14 days',
    condition: and({ field: 'event.login', operator: 'notTriggeredWithin', value: 14, unit: 'days' }),
    where: `not exists (select 1 from roster_events e where e.contact_id = roster_contacts.id and e.name = 'login' and e.created_at >= '${since(14)}')`,
    params: [],
  },
  {
    name: 'pro in Berlin',
    condition: and(
      { field: 'data.plan', operator: 'equals', value: 'pro' },
      { field: 'data.city', operator: 'equals', value: 'Berlin' },
    ),
    where: `json_extract(data, '$.plan') = 'pro' and json_extract(data, '$.city') = 'Berlin'`,
    params: [],
  },
  {
    name: 'new in 7 days',
    condition: and({ field: 'createdAt', operator: 'within', value: 7, unit: 'days' }),
    where: `created_at >= ?`,
    params: [NOW - 7 * DAY],
  },
];

/** Writes EVENTS_PER_CONTACT events per contact, spread over the 90 days before NOW. */
function seedEvents(raw: Database.Database, projectId: string): number {
  const ids = raw
    .prepare(
      'select id from roster_contacts where project_id = (select seq from roster_projects where id = ?) order by seq',
    )
    .pluck()
    // Stored ids (16 bytes on SQLite), written back into contact_id as they are.
    .all(projectId) as unknown[];
  const insert = raw.prepare(
    'insert into roster_events (id, project_id, contact_id, name, data, created_at) values (?, ?, ?, ?, ?, ?)',
  );
  const batch = raw.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      for (let k = 0; k < EVENTS_PER_CONTACT; k++) {
        const j = i * EVENTS_PER_CONTACT + k;
        const name = EVENT_NAMES[hash32(j, 14) % EVENT_NAMES.length]!;
        const at = iso(NOW - (hash32(j, 15) % (90 * 86_400)) * 1000);
        const data = name === 'purchase' ? JSON.stringify({ amount: hash32(j, 16) % 500 }) : null;
        insert.run(uuidv7(), projectId, ids[i], name, data, at);
      }
    }
  });
  for (let from = 0; from < ids.length; from += 10_000) batch(from, Math.min(ids.length, from + 10_000));
  return ids.length * EVENTS_PER_CONTACT;
}

/** A fresh roster file with `n` contacts (the million suite's builder, created over a year) and 3 events each. */
export async function buildSegmentsDatabase(path: string, n: number) {
  const { projectId } = await freshDatabase(path);
  const raw = openRaw(path);
  try {
    seedContacts(raw, projectId, 0, n, undefined, undefined, createdAtOf);
    const events = seedEvents(raw, projectId);
    raw.pragma('wal_checkpoint(TRUNCATE)');
    return { projectId, events };
  } finally {
    raw.close();
  }
}

/** The suite's roster on `path`: its fixed clock, and no job runner (the refresh is run by hand). */
export function openSegmentsRoster(path: string, options: { scanChunkSize?: number } = {}) {
  return createRoster({
    database: path,
    clock: () => new Date(NOW),
    jobs: { autoStart: false },
    ...(options.scanChunkSize ? { segments: { scanChunkSize: options.scanChunkSize } } : {}),
  });
}

/**
 * Segments and events on the million suite's database shape (`sizes.contacts` contacts written by
 * its builder, created over a year, plus 3 events each): DYNAMIC segment pages and counts against
 * the same predicates written by hand, refreshing 20 segments' memberCount while GET /contacts/:id
 * is under load, and POST /v1/track throughput against Express hello world and against the JSON
 * echo of the same track bodies (`startHelloWorld`'s `POST /track-echo`), interleaved.
 */
export async function segmentsSuite(ctx: BenchContext): Promise<void> {
  const n = ctx.sizes.contacts;
  const path = join(ctx.dir, 'segments.db');
  let t0 = performance.now();
  const { projectId, events } = await buildSegmentsDatabase(path, n);
  ctx.log(`seeded ${n} contacts and ${events} events in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  t0 = performance.now();
  const roster = await openSegmentsRoster(path);
  ctx.log(`opened in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const raw = openRaw(path);
  try {
    const ids: string[] = [];
    for (const segment of SEGMENTS) {
      const created = await roster.segments.create(projectId, {
        name: segment.name,
        condition: segment.condition,
      });
      ids.push(created.id);
      ctx.log(`  segment ${segment.name}: ${created.memberCount} members`);
    }
    await filterMetrics(ctx, roster, raw, projectId, ids);
    await refreshMetrics(ctx, roster, raw, projectId);
    await trackMetrics(ctx, roster, projectId);
  } finally {
    raw.close();
    await roster.close();
  }
}

async function filterMetrics(
  ctx: BenchContext,
  roster: Roster,
  raw: Database.Database,
  projectId: string,
  ids: string[],
) {
  for (const [k, segment] of SEGMENTS.slice(0, 2).entries()) {
    const id = ids[k]!;
    const page = raw.prepare(
      `select * from roster_contacts where project_id = (select seq from roster_projects where id = ?) and ${segment.where} order by created_at desc, seq desc limit 20`,
    );
    const count = raw.prepare(
      `select count(*) as n from roster_contacts where project_id = (select seq from roster_projects where id = ?) and ${segment.where}`,
    );
    const params = [projectId, ...segment.params];
    const handTotal = (count.get(...params) as { n: number }).n;
    const core = await roster.segments.contacts(projectId, id, { page: 1, pageSize: 20 });
    if (core.total !== handTotal) {
      throw new Error(`${segment.name}: roster counts ${core.total}, the hand-written SQL ${handTotal}`);
    }
    // Interleaved per run (core, then hand-written), so machine noise hits both sides.
    const corePage: number[] = [];
    const handPage: number[] = [];
    const coreCount: number[] = [];
    const handCount: number[] = [];
    for (let run = 0; run < ctx.runs; run++) {
      const requests = ctx.sizes.requests;
      const p50 = async (fn: () => unknown) => median(await sample(fn, requests, 4000, 3));
      corePage.push(await p50(() => roster.segments.contacts(projectId, id, { page: 1, pageSize: 20 })));
      handPage.push(
        await p50(() => {
          page.all(...params);
          count.get(...params);
        }),
      );
      coreCount.push(await p50(() => roster.contacts.count(projectId, { filter: segment.condition })));
      handCount.push(await p50(() => count.get(...params)));
    }
    const label = segment.name.slice(0, 3);
    ctx.add(
      result({
        name: `segment ${segment.name}: first page (20) + total through core, p50 (${handTotal} of ${ctx.sizes.contacts})`,
        unit: 'ms',
        better: 'lower',
        values: corePage,
        baseline: {
          name: `hand-written SQL ${label}: page query + count(*), better-sqlite3`,
          values: handPage,
        },
        minRatio: 0.833,
        note: 'within 1.2 x of hand-written SQL means ratio >= 0.833',
      }),
    );
    ctx.add(
      result({
        name: `segment ${label} count through core (contacts.count with the filter), p50`,
        unit: 'ms',
        better: 'lower',
        values: coreCount,
        baseline: { name: `hand-written count(*) ${label}`, values: handCount },
        minRatio: 0.833,
        note: 'within 1.2 x of hand-written SQL means ratio >= 0.833',
      }),
    );
  }
}

async function withServer<T>(
  roster: Roster,
  projectId: string,
  fn: (url: string, auth: Record<string, string>, publicAuth: Record<string, string>) => Promise<T>,
) {
  const { key } = await roster.keys.create(projectId);
  const { key: publicKey } = await roster.keys.create(projectId, { prefix: 'pk_' });
  // The load generator is one client: the per-client limits of /v1/track would measure the limiter.
  const server = await startServer({
    roster,
    port: 0,
    host: '127.0.0.1',
    onError: () => {},
    trackRateLimit: false,
  });
  try {
    return await fn(server.url, { Authorization: `Bearer ${key}` }, { Authorization: `Bearer ${publicKey}` });
  } finally {
    await server.close();
  }
}

async function refreshMetrics(ctx: BenchContext, roster: Roster, raw: Database.Database, projectId: string) {
  const counts = SEGMENTS.map((s) =>
    raw.prepare(
      `select count(*) as n from roster_contacts where project_id = (select seq from roster_projects where id = ?) and ${s.where}`,
    ),
  );
  const ids = raw
    .prepare(
      'select id from roster_contacts where project_id = (select seq from roster_projects where id = ?) order by seq limit 1000',
    )
    .pluck()
    .all(projectId)
    .map(contactIdText);
  const refresh: number[] = [];
  const refreshUnderLoad: number[] = [];
  const hand: number[] = [];
  const idle: Load[] = [];
  const busy: Load[] = [];
  const refreshAll = async () => {
    const t0 = performance.now();
    const { failed } = await roster.segments.refreshAll(projectId);
    if (failed.length) throw new Error(`refresh failed: ${JSON.stringify(failed)}`);
    return (performance.now() - t0) / 1000;
  };
  await withServer(roster, projectId, async (url, auth) => {
    const load = { url: `${url}/contacts`, method: 'GET', headers: auth, connections: 50, ids };
    await runLoad(ctx, { ...load, seconds: 1 });
    for (let run = 0; run < ctx.runs; run++) {
      // Alone: the refresh, then the same 20 counts written by hand.
      refresh.push(await refreshAll());
      const t0 = performance.now();
      for (const [k, s] of SEGMENTS.entries()) counts[k]!.get(projectId, ...s.params);
      hand.push((performance.now() - t0) / 1000);
      idle.push(await runLoad(ctx, { ...load, seconds: ctx.sizes.loadSeconds }));
      // The worst case: the load runs in another process while this one refreshes back to back
      // until it ends (the job refreshes once every 5 minutes).
      let loading = true;
      const during = runLoad(ctx, { ...load, seconds: ctx.sizes.loadSeconds }).finally(() => {
        loading = false;
      });
      const times: number[] = [];
      while (loading) times.push(await refreshAll());
      busy.push(await during);
      refreshUnderLoad.push(percentile(times, 50));
      ctx.log(
        `  run ${run + 1}: refresh alone ${refresh.at(-1)!.toFixed(2)} s, under load ${times.map((t) => t.toFixed(2)).join(', ')} s; GET p99 idle ${idle.at(-1)!.p99} ms, during refresh ${busy.at(-1)!.p99} ms`,
      );
    }
  });
  ctx.add(
    result({
      name: `refresh memberCount of ${SEGMENTS.length} segments on ${ctx.sizes.contacts} contacts (segments.refreshAll)`,
      unit: 's',
      better: 'lower',
      values: refresh,
      baseline: { name: `${SEGMENTS.length} hand-written count(*), better-sqlite3`, values: hand },
      note: 'one pass over the contacts for all 20, in statements that yield to I/O between them',
    }),
  );
  ctx.add(
    result({
      name: `refresh of ${SEGMENTS.length} segments while GET /contacts/:id is under load (the API served between chunks)`,
      unit: 's',
      better: 'lower',
      values: refreshUnderLoad,
      baseline: { name: 'the same refresh alone', values: refresh },
    }),
  );
  ctx.add(
    result({
      name: 'HTTP GET /contacts/:id p99 during the refresh (autocannon 50 conn)',
      unit: 'ms',
      better: 'lower',
      values: busy.map((l) => l.p99),
      baseline: { name: 'same load, no refresh running', values: idle.map((l) => l.p99) },
      minRatio: 0.333,
      note: 'p99 during <= 3 x idle p99 means ratio >= 0.333',
    }),
  );
}

async function trackMetrics(ctx: BenchContext, roster: Roster, projectId: string) {
  const n = ctx.sizes.contacts;
  // Existing contacts: every call merges data into one and records an event.
  const emails = Array.from({ length: 1000 }, (_, i) => emailOf(i * Math.floor(n / 1000) + 5));
  const hello = await startHelloWorld();
  const h: Load[] = [];
  const echo: Load[] = [];
  const track: Load[] = [];
  const keyed: Load[] = [];
  try {
    await withServer(roster, projectId, async (url, _auth, publicAuth) => {
      const base = { method: 'POST', headers: publicAuth, connections: 50, emails, event: 'page_view' };
      // The JSON echo of the same track bodies (express.json(), an answer of track's shape, no database).
      const echoBase = { ...base, headers: {}, url: hello.trackJsonUrl };
      const trackUrl = `${url}/v1/track`;
      await runLoad(ctx, { url: hello.url, method: 'GET', headers: {}, connections: 50, seconds: 1 });
      await runLoad(ctx, { ...echoBase, seconds: 1 });
      await runLoad(ctx, { ...base, url: trackUrl, seconds: 1 });
      for (let run = 0; run < ctx.runs; run++) {
        const seconds = ctx.sizes.loadSeconds;
        h.push(await runLoad(ctx, { url: hello.url, method: 'GET', headers: {}, connections: 50, seconds }));
        echo.push(await runLoad(ctx, { ...echoBase, seconds }));
        track.push(await runLoad(ctx, { ...base, url: trackUrl, seconds }));
        keyed.push(await runLoad(ctx, { ...base, url: trackUrl, seconds, idempotencyKeys: true }));
        ctx.log(
          `  run ${run + 1}: hello ${h.at(-1)!.requestsPerSecond.toFixed(0)} req/s, JSON echo of the track bodies ${echo.at(-1)!.requestsPerSecond.toFixed(0)}, track ${track.at(-1)!.requestsPerSecond.toFixed(0)}, track with Idempotency-Key ${keyed.at(-1)!.requestsPerSecond.toFixed(0)}`,
        );
      }
    });
  } finally {
    await hello.close();
  }
  const rps = (loads: Load[]) => loads.map((l) => l.requestsPerSecond);
  const baseline = { name: 'Express 5 hello world (same run, interleaved)', values: rps(h) };
  const echoBaseline = {
    name: 'Express 5 JSON echo of the track bodies: express.json(), track-shaped answer (same run, interleaved)',
    values: rps(echo),
  };
  ctx.add(
    result({
      name: 'HTTP POST /v1/track, pk_ key (autocannon 50 conn)',
      unit: 'req/s',
      better: 'higher',
      values: rps(track),
      baseline,
      minRatio: 0.5,
    }),
  );
  ctx.add(
    result({
      name: 'HTTP POST /v1/track with a fresh Idempotency-Key each (autocannon 50 conn)',
      unit: 'req/s',
      better: 'higher',
      values: rps(keyed),
      baseline,
      minRatio: 0.5,
    }),
  );
  // The same loads against the JSON echo of the same bodies, as POST /contacts is measured.
  ctx.add(
    result({
      name: 'HTTP POST /v1/track, pk_ key vs JSON echo (autocannon 50 conn)',
      unit: 'req/s',
      better: 'higher',
      values: rps(track),
      baseline: echoBaseline,
      minRatio: 0.5,
    }),
  );
  ctx.add(
    result({
      name: 'HTTP POST /v1/track with a fresh Idempotency-Key each vs JSON echo (autocannon 50 conn)',
      unit: 'req/s',
      better: 'higher',
      values: rps(keyed),
      baseline: echoBaseline,
      minRatio: 0.5,
    }),
  );
  ctx.add(
    result({
      name: 'HTTP POST /v1/track p99',
      unit: 'ms',
      better: 'lower',
      values: track.map((l) => l.p99),
      baseline: { name: 'hello world p99', values: h.map((l) => l.p99) },
    }),
  );
}
