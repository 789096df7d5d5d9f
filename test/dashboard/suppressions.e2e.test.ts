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

// The suppressions page, in its own file (and its own server) so it can run alone.
describe.skipIf(!hasChromium)('dashboard suppressions page in Chromium', { timeout: 120_000 }, () => {
  let app: { dir: string; remove(): void };
  let server: DashboardServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    [app, browser] = await Promise.all([buildFreshApp(), launchChromium()]);
    server = await startDashboardServer(app.dir);
    // A bounce reported earlier, and a subscribed contact the page will suppress.
    await server.roster.suppressions.add(server.projectId, {
      email: 'bounced@example.com',
      origin: 'bounce',
    });
    await server.roster.contacts.create(server.projectId, { email: 'grace@example.com' });
    page = await signedInPage(browser, server);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    app?.remove();
  });

  it('adds an address (unsubscribing its contact), filters by origin and removes an entry', async () => {
    await page.getByRole('link', { name: 'Suppressions' }).click();
    await page.getByRole('heading', { name: 'Suppressions', level: 1 }).waitFor();
    await page.locator('tbody tr').first().waitFor();
    expect(await page.locator('tbody tr').allTextContents()).toEqual([
      expect.stringContaining('bounced@example.com'),
    ]);
    expect(await seriousViolations(page), 'axe on the suppressions page').toEqual([]);

    await page.getByLabel('Email').fill('grace@example.com');
    await page.getByLabel('Reason (optional)').fill('asked by phone');
    await page.getByRole('button', { name: 'Suppress', exact: true }).click();
    await page.getByText('grace@example.com suppressed (its contact was unsubscribed)').waitFor();
    await page.locator('tbody tr').nth(1).waitFor();
    const rows = await page.locator('tbody tr').allTextContents();
    expect(rows[0]).toContain('grace@example.com');
    expect(rows[0]).toContain('Added by hand');
    expect(rows[0]).toContain('asked by phone');
    expect(
      (await server.roster.contacts.findByEmail(server.projectId, 'grace@example.com'))?.subscribed,
    ).toBe(false);

    await page.getByLabel('Origin').selectOption('bounce');
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('tbody tr').length === 1);
    expect(await page.locator('tbody tr').first().textContent()).toContain('bounced@example.com');
    await page.getByLabel('Origin').selectOption('complaint');
    await page.getByText('No suppressions').waitFor();
    expect(await seriousViolations(page), 'axe on the empty filtered list').toEqual([]);
    await page.getByLabel('Origin').selectOption('');
    await page.locator('tbody tr').nth(1).waitFor();

    await page.getByRole('button', { name: 'Remove grace@example.com' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await page.getByText('grace@example.com removed from the suppression list').waitFor();
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('tbody tr').length === 1);
    expect(await server.roster.suppressions.check(server.projectId, 'grace@example.com')).toBeNull();
  });

  it('fits 360 px without sideways scrolling and passes axe in the dark scheme', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.locator('table').first().waitFor();
    expect(
      await page.evaluate(() => {
        const root = (globalThis as any).document.documentElement;
        return root.scrollWidth - root.clientWidth;
      }),
    ).toBe(0);
    expect(await seriousViolations(page), 'axe on the suppressions page at 360 px, dark').toEqual([]);
  });
  it('shows 100 entries at a time, then the older ones on "Show older entries"', async () => {
    const emails = Array.from({ length: 120 }, (_, i) => `paged-${String(i).padStart(3, '0')}@example.com`);
    await server.roster.suppressions.addMany(server.projectId, { emails });
    await page.setViewportSize({ width: 1440, height: 900 });
    // Still on the suppressions page: read it again, with the new entries.
    await page.reload();
    await page.locator('tbody tr').nth(99).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(100);
    await page.getByRole('button', { name: 'Show older entries' }).click();
    // The 120 added here and the bounce of the first test, each once.
    await page.waitForFunction(
      () => (globalThis as any).document.querySelectorAll('tbody tr').length === 121,
    );
    const rows = await page.locator('tbody tr td:first-child').allTextContents();
    expect(new Set(rows).size).toBe(121);
    expect(rows).toContain('bounced@example.com');
    expect(await page.getByRole('button', { name: 'Show older entries' }).count()).toBe(0);
  });
});
