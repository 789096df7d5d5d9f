import { join } from 'node:path';
import { createRoster } from '@roster/core';
import type { BenchContext } from '../context.js';
import { hash32 } from '../data.js';
import { freshDatabase, openRaw, seedContacts } from '../fixtures.js';
import { result } from '../report.js';
import { interleave, sample } from './million.js';

const DAY = 86_400_000;

/**
 * The dashboard's Overview at `sizes.contacts` contacts (1 M full, 100 k quick) created over the
 * last 365 days (the daily-count triggers of migration 0019 kept while seeding):
 * `roster.stats.overview(projectId, { days: 30 })`, against the same numbers counted from the
 * contacts themselves (one `group by` day over the project: what the page would cost without the
 * daily counts). Target: ≤ 50 ms p50.
 */
export async function overviewSuite(ctx: BenchContext): Promise<void> {
  const path = join(ctx.dir, 'overview.db');
  const { projectId } = await freshDatabase(path);
  const n = ctx.sizes.contacts;
  const now = Date.now();
  const raw = openRaw(path);
  const seedStart = performance.now();
  seedContacts(
    raw,
    projectId,
    0,
    n,
    () => true,
    () => ({}),
    (i) => new Date(now - (hash32(i, 21) % 365) * DAY - (hash32(i, 22) % DAY)).toISOString(),
  );
  // A tenth of them unsubscribed (the subscription trigger counts it).
  raw
    .prepare(
      `update roster_contacts set subscribed = 0 where project_id = (select seq from roster_projects where id = ?) and seq % 10 = 0`,
    )
    .run(projectId);
  raw.exec('analyze');
  ctx.log(
    `overview: ${n.toLocaleString('en-US')} contacts seeded in ${Math.round(performance.now() - seedStart)} ms`,
  );

  const roster = await createRoster({ database: path });
  try {
    await roster.webhooks.create(projectId, {
      url: 'https://example.com/hook',
      eventTypes: ['contact.created'],
    });
    const overview = await roster.stats.overview(projectId, { days: 30 });
    if (overview.contacts.total !== n) {
      throw new Error(`overview counts ${overview.contacts.total} contacts, the project has ${n}`);
    }
    const scan =
      raw.prepare(`select strftime('%Y-%m-%d', created_at / 1000, 'unixepoch') as day, count(*) as n, sum(subscribed) as s
      from roster_contacts where project_id = (select seq from roster_projects where id = ?) group by day`);
    ctx.mark();
    const runs = await interleave(ctx.runs, {
      overview: () => sample(() => roster.stats.overview(projectId, { days: 30 }), ctx.sizes.requests, 5000),
      scan: () => sample(() => scan.all(projectId), 5, 30_000, 3),
    });
    ctx.add(
      result({
        name: `overview: roster.stats.overview (30 days), ${n.toLocaleString('en-US')} contacts (p50)`,
        unit: 'ms',
        better: 'lower',
        values: runs.overview.p50,
        baseline: { name: 'the same per-day counts by a scan of the contacts', values: runs.scan.p50 },
        maxValue: 50,
        note: 'daily counts (migration 0019) + jobs per day + each endpoint’s deliveries by status',
      }),
    );
  } finally {
    await roster.close();
    raw.close();
  }
}
