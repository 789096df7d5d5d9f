import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRoster, type Roster } from '@roster/core';
import { createPlunkRouter, createRosterRouter, dashboard } from '@roster/express';
import express from 'express';
import { type Browser, chromium, type Page } from 'playwright-core';
// The app's own build script, from its package (vite resolves from there).
import { buildApp } from '../../packages/dashboard/scripts/build-app.js';

/** Debian's Chromium (`apt-get install chromium`); the e2e tests skip with a note when it is missing. */
export const CHROMIUM = process.env.ROSTER_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

/** The flags the tests run Chromium with (playwright adds --headless and a fresh --user-data-dir itself). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** Builds the app from its sources into a fresh directory, so no test ever sees a stale build. */
export async function buildFreshApp(): Promise<{ dir: string; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'roster-dashboard-'));
  await buildApp({ outDir: dir, quiet: true });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface DashboardServer {
  url: string;
  roster: Roster;
  projectId: string;
  key: string;
  close(): Promise<void>;
}

/**
 * A real roster (SQLite in memory, job runner started) behind a real HTTP server: the dashboard at
 * `/dashboard`, Plunk's API at `/` and roster's management API at `/roster` with Bearer keys.
 */
export async function startDashboardServer(assetsDir: string): Promise<DashboardServer> {
  const roster = await createRoster({
    database: ':memory:',
    jobs: { pollIntervalMs: 50 },
    // The tests' webhook receivers listen on loopback.
    webhooks: { allowPrivateTargets: true },
  });
  await roster.jobs.start();
  const project = await roster.projects.ensure('Acme newsletter');
  const { key } = await roster.keys.create(project.id);
  const app = express();
  app.use('/dashboard', dashboard(roster, { assetsDir }));
  app.use('/roster', createRosterRouter(roster));
  app.use(createPlunkRouter(roster));
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    roster,
    projectId: project.id,
    key,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await roster.close();
    },
  };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * A new desktop-sized page (CSP bypassed for axe) signed in to the dashboard of `server` with its
 * secret key, on the Contacts page.
 */
export async function signedInPage(browser: Browser, server: DashboardServer): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  await page.goto(`${server.url}/dashboard`);
  await page.getByLabel('Secret key').fill(server.key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Contacts' }).waitFor();
  return page;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const result = await (
      globalThis as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }
    ).axe.run();
    return result.violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')})`,
    );
}
