import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isDashboardBuilt } from '@roster/dashboard';
import { startServer } from '@roster/server';
import { chromium } from 'playwright-core';
import type { BenchContext } from '../context.js';
import { emailOf } from '../data.js';
import { openRaw, seededRoster } from '../fixtures.js';
import { result } from '../report.js';
import { interleave, sample } from './million.js';

/** Debian's Chromium, as the dashboard's e2e tests use it. */
const CHROMIUM = process.env.ROSTER_CHROMIUM ?? '/usr/bin/chromium';

/** A term that matches one contact of `n` (the million suite's rare term, in lower case). */
function rareTerm(n: number): string {
  const i = Math.floor(n * 0.37) + 17;
  const local = emailOf(i).split('@')[0]!;
  return local.slice(local.indexOf('.') + 2);
}

/**
 * The web dashboard on `sizes.contacts` contacts, in headless Chromium (issue 18's targets): the
 * time from navigating to the contacts page to its first table rows on screen (the app loads, asks
 * `GET api/session` and `GET api/roster/contacts` with the total, and renders), and from typing a
 * rare search term to its results on screen (this includes the table's 200 ms typing pause). Also
 * the two API calls alone over HTTP, to tell the server's share from the browser's.
 */
export async function dashboardSuite(ctx: BenchContext): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    ctx.log(`SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set ROSTER_CHROMIUM)`);
    return;
  }
  if (!isDashboardBuilt()) {
    // The build script through this Node and tsx (no package manager on PATH needed).
    ctx.log('building the dashboard app (tsx packages/dashboard/scripts/build-app.ts)');
    const script = join(ctx.root, 'packages/dashboard/scripts/build-app.ts');
    const built = spawnSync(process.execPath, ['--import', 'tsx', script], {
      cwd: ctx.root,
      stdio: 'inherit',
    });
    if (built.status !== 0) throw new Error('the dashboard app did not build');
  }
  const n = ctx.sizes.contacts;
  const path = join(ctx.dir, 'dashboard.db');
  const { roster, projectId } = await seededRoster(path, n, (line) => ctx.log(line));
  const { key } = await roster.keys.create(projectId);
  const server = await startServer({ roster, port: 0, host: '127.0.0.1', onError: () => {} });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
  });
  try {
    const signIn = await fetch(`${server.url}/dashboard/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-roster-dashboard': '1' },
      body: JSON.stringify({ key }),
    });
    if (!signIn.ok) throw new Error(`sign-in answered ${signIn.status}`);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const [name, value] = cookie.split('=') as [string, string];
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await context.addCookies([{ name, value, domain: '127.0.0.1', path: '/dashboard' }]);
    const page = await context.newPage();
    page.setDefaultTimeout(60_000);
    const contactsUrl = `${server.url}/dashboard/#/contacts`;
    const term = rareTerm(n);
    const raw = openRaw(path);
    const matches = (
      raw
        .prepare(
          `select count(*) as n from roster_contacts where project_id = (select seq from roster_projects where id = ?) and email like ?`,
        )
        .get(projectId, `%${term}%`) as { n: number }
    ).n;
    raw.close();
    ctx.log(`rare search term "${term}" matches ${matches}`);
    const wantCount = `${matches.toLocaleString('en-US')} matching`;

    const rowsShown = () =>
      page.waitForFunction(
        () => (globalThis as any).document.querySelectorAll('tbody tr').length > 0,
        undefined,
        {
          polling: 'raf',
        },
      );
    const firstRows = async () => {
      await page.goto('about:blank');
      const start = performance.now();
      await page.goto(contactsUrl, { waitUntil: 'commit' });
      await rowsShown();
      return performance.now() - start;
    };
    const rareSearch = async () => {
      const box = page.getByLabel('Search by email');
      await box.fill('');
      await page.locator('p.count', { hasText: 'in total' }).waitFor();
      const start = performance.now();
      await box.fill(term);
      await page.waitForFunction(
        ([count, t]) => {
          const doc = (globalThis as any).document; // runs in the page
          return (
            doc.querySelector('p.count')?.textContent === count &&
            (doc.querySelector('tbody td.email')?.textContent ?? '').includes(t as string)
          );
        },
        [wantCount, term],
        { polling: 'raf' },
      );
      return performance.now() - start;
    };
    // `sample` times a function; these measure themselves, so each sample records its own time.
    const timed = (measure: () => Promise<number>, count: number) => async () => {
      const times: number[] = [];
      await measure(); // warm
      for (let i = 0; i < count; i++) times.push(await measure());
      return times;
    };
    await page.goto(contactsUrl);
    await rowsShown();
    ctx.mark();
    const browserRuns = await interleave(ctx.runs, {
      firstRows: timed(firstRows, 10),
      rareSearch: timed(rareSearch, 10),
    });
    const headers = { cookie };
    const api = (query: string) => async () => {
      const res = await fetch(`${server.url}/dashboard/api/roster/contacts?${query}`, { headers });
      if (!res.ok) throw new Error(`GET roster/contacts?${query} answered ${res.status}`);
      await res.arrayBuffer();
    };
    const apiRuns = await interleave(ctx.runs, {
      firstPage: () => sample(api('limit=25&sort=createdAt&dir=desc'), ctx.sizes.requests, 5000),
      rare: () => sample(api(`limit=25&sort=createdAt&dir=desc&search=${term}`), ctx.sizes.requests, 5000),
    });
    const label = `${n.toLocaleString('en-US')} contacts`;
    ctx.add(
      result({
        name: `dashboard: navigation to first table rows, ${label} (Chromium, p50)`,
        unit: 'ms',
        better: 'lower',
        values: browserRuns.firstRows.p50,
        maxValue: 1000,
        note: 'app load + GET api/session + GET api/roster/contacts (first page with total) + render',
      }),
    );
    ctx.add(
      result({
        name: `dashboard: typing a rare search to its results, ${label} (Chromium, p50)`,
        unit: 'ms',
        better: 'lower',
        values: browserRuns.rareSearch.p50,
        maxValue: 300,
        note: 'includes the table’s 200 ms pause after typing',
      }),
    );
    ctx.add(
      result({
        name: `dashboard API: first page with total, ${label} (HTTP p50)`,
        unit: 'ms',
        better: 'lower',
        values: apiRuns.firstPage.p50,
      }),
    );
    ctx.add(
      result({
        name: `dashboard API: rare search with total, ${label} (HTTP p50)`,
        unit: 'ms',
        better: 'lower',
        values: apiRuns.rare.p50,
      }),
    );
    await context.close();
  } finally {
    await browser.close();
    await server.close();
    await roster.close();
  }
}
