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

// The audit log page, in its own file (and its own server) so it can run alone.
describe.skipIf(!hasChromium)('dashboard audit log page in Chromium', { timeout: 120_000 }, () => {
  let app: { dir: string; remove(): void };
  let server: DashboardServer;
  let browser: Browser;
  let page: Page;
  let keyId: string;

  beforeAll(async () => {
    [app, browser] = await Promise.all([buildFreshApp(), launchChromium()]);
    server = await startDashboardServer(app.dir);
    keyId = (await server.roster.keys.list(server.projectId))[0]!.id;
    // An entry of the command line, older than anything the test does.
    await server.roster.audit.record(server.projectId, {
      actor: 'cli',
      action: 'contacts.exported',
      target: '/backups/contacts.csv',
      detail: { format: 'csv', filters: {} },
    });
    page = await signedInPage(browser, server);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    app?.remove();
  });

  it('lists what the dashboard did, newest first, with the session as actor, and filters by action', async () => {
    // An administrative action through the dashboard itself.
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByTestId('new-key').waitFor();
    const created = (await server.roster.keys.list(server.projectId)).find((k) => k.id !== keyId)!;

    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await page.locator('tbody tr').nth(1).waitFor();
    const rows = await page.locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('key.created');
    expect(rows[0]).toContain(`Dashboard (key …${keyId.slice(-6)})`);
    expect(rows[0]).toContain(created.id);
    expect(rows[0]).toContain('prefix: sk_');
    expect(rows[1]).toContain('Command line');
    expect(rows[1]).toContain('contacts.exported');
    expect(await seriousViolations(page), 'axe on the audit log').toEqual([]);

    await page.getByLabel('Action').selectOption('contacts.exported');
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('tbody tr').length === 1);
    expect(await page.locator('tbody tr').first().textContent()).toContain('/backups/contacts.csv');

    await page.getByLabel('Action').selectOption('webhook.deleted');
    await page.getByText('No entries').waitFor();
    expect(await seriousViolations(page), 'axe on the empty audit log').toEqual([]);
    await page.getByLabel('Action').selectOption('');
    await page.locator('tbody tr').nth(1).waitFor();
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
    expect(await seriousViolations(page), 'axe on the audit log at 360 px, dark').toEqual([]);
  });
});
