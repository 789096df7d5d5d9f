import type { AddressInfo } from 'node:net';
import { createRoster, type Roster } from '@roster/core';
import { createPlunkRouter } from '@roster/express';
import express from 'express';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildFreshApp,
  type DashboardServer,
  hasChromium,
  launchChromium,
  seriousViolations,
  signedInPage,
  startDashboardServer,
} from './browser.js';

/**
 * The import page's "Move from a provider" form in Chromium, moving a project in from another real
 * roster serving Plunk's API: a dry run, then the move, its counts shown as the job runs.
 */
describe.skipIf(!hasChromium)('dashboard: move from a provider, in Chromium', { timeout: 120_000 }, () => {
  let app: { dir: string; remove(): void };
  let server: DashboardServer;
  let browser: Browser;
  let page: Page;
  let provider: { url: string; roster: Roster; key: string; close(): Promise<void> };

  beforeAll(async () => {
    [app, browser] = await Promise.all([buildFreshApp(), launchChromium()]);
    server = await startDashboardServer(app.dir);
    const source = await createRoster({ database: ':memory:' });
    const from = (await source.projects.ensure('Old Plunk project')).id;
    const sourceKey = (await source.keys.create(from)).key;
    for (let i = 0; i < 230; i++) {
      await source.contacts.create(from, {
        email: `moved${i}@example.com`,
        subscribed: i % 5 !== 0,
        data: { plan: i % 2 === 0 ? 'pro' : 'free', seats: i },
      });
    }
    const providerApp = express();
    providerApp.use(createPlunkRouter(source));
    const http = await new Promise<import('node:http').Server>((resolve) => {
      const s = providerApp.listen(0, '127.0.0.1', () => resolve(s));
    });
    provider = {
      url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
      roster: source,
      key: sourceKey,
      async close() {
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
        await source.close();
      },
    };
    page = await signedInPage(browser, server);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await provider?.close();
    app?.remove();
  });

  it('runs a dry run, then the move, showing the counts; the key is not kept by the page', async () => {
    await page.getByRole('link', { name: 'Import', exact: true }).click();
    await page.getByRole('heading', { name: 'Move from a provider' }).waitFor();
    // The base URL follows the provider while it is the provider's default.
    expect(await page.getByLabel('API base URL').inputValue()).toBe('https://next-api.useplunk.com');
    await page.getByLabel('Provider', { exact: true }).selectOption('resend');
    expect(await page.getByLabel('API base URL').inputValue()).toBe('https://api.resend.com');
    await page.getByLabel('Provider', { exact: true }).selectOption('plunk');
    expect(await page.getByLabel('Plunk API key').getAttribute('type')).toBe('password');
    expect(await page.getByRole('checkbox', { name: /Dry run/ }).isChecked()).toBe(true);
    expect(await seriousViolations(page), 'axe on the import page with the move form').toEqual([]);

    // Without a key: said so, nothing started.
    await page.getByLabel('API base URL').fill(provider.url);
    await page.getByRole('button', { name: 'Start dry run' }).click();
    await page.getByText('Enter the Plunk API key').waitFor();

    await page.getByLabel('Plunk API key').fill(provider.key);
    await page.getByRole('button', { name: 'Start dry run' }).click();
    await page
      .getByRole('heading', { name: 'Dry run of a move from Plunk: finished' })
      .waitFor({ timeout: 60_000 });
    const dryCounts = await page.getByTestId('migration').textContent();
    expect(dryCounts).toContain('230 of 230');
    expect(dryCounts).toMatch(/Would be created\s*230/);
    expect(dryCounts).toContain('Dry run: nothing was written.');
    expect(await server.roster.contacts.count(server.projectId)).toBe(0);

    await page.getByRole('button', { name: 'Start another move' }).click();
    // The form keeps the provider and URL; the key was not kept.
    expect(await page.getByLabel('API base URL').inputValue()).toBe(provider.url);
    expect(await page.getByLabel('Plunk API key').inputValue()).toBe('');
    await page.getByLabel('Plunk API key').fill(provider.key);
    await page.getByRole('checkbox', { name: /Dry run/ }).uncheck();
    await page.getByRole('button', { name: 'Start the move' }).click();
    await page.getByRole('heading', { name: 'Move from Plunk: finished' }).waitFor({ timeout: 60_000 });
    const counts = await page.getByTestId('migration').textContent();
    expect(counts).toMatch(/Created\s*230/);
    expect(counts).toMatch(/Failed\s*0/);
    expect(await seriousViolations(page), 'axe on the finished move').toEqual([]);
    expect(await server.roster.contacts.count(server.projectId)).toBe(230);
    const moved = await server.roster.contacts.findByEmail(server.projectId, 'moved10@example.com');
    expect(moved).toMatchObject({ subscribed: false, data: { plan: 'pro', seats: 10 } });

    // Both are on the Jobs page, titled and counted; no answer the page got carried the key.
    await page.getByRole('link', { name: 'See this move on the Jobs page' }).click();
    await page.getByText('230 of 230 contacts read: 230 created').first().waitFor();
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    const rows = page.locator('tbody tr').filter({ hasText: 'Move from Plunk' });
    await rows.first().waitFor();
    expect(await page.locator('tbody tr').filter({ hasText: 'Dry run of a move from Plunk' }).count()).toBe(
      1,
    );
    const jobs = await server.roster.jobs.list(server.projectId, { types: ['migrate'] });
    expect(jobs.data).toHaveLength(2);
    for (const job of jobs.data) {
      expect(job.status).toBe('completed');
      expect(JSON.stringify(job)).not.toContain(provider.key);
    }
  });
});
