import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRoster, type Roster } from '@roster/core';
import { createConsentPages } from '@roster/express';
import express from 'express';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, hasChromium, launchChromium, seriousViolations } from './browser.js';

if (!hasChromium) {
  console.warn(`[consent pages e2e] SKIPPED: no Chromium at ${CHROMIUM} (set ROSTER_CHROMIUM).`);
}

/**
 * The public consent pages (confirm, unsubscribe, preferences) in Chromium: with and without
 * JavaScript, at 360 px in the dark scheme, and with axe (no serious or critical violation).
 */
describe.skipIf(!hasChromium)('consent pages in Chromium', { timeout: 120_000 }, () => {
  let browser: Browser;
  let server: Server;
  let url: string;
  let roster: Roster;
  let projectId: string;
  let newsId: string;

  const tokenOf = (link: string) => link.slice(link.lastIndexOf('/') + 1).replace(/>$/, '');

  async function accessible(page: Page, name: string) {
    expect(await seriousViolations(page), `axe on ${name}`).toEqual([]);
  }

  async function overflow(page: Page): Promise<number> {
    return page.evaluate(() => {
      const root = (globalThis as any).document.documentElement;
      return root.scrollWidth - root.clientWidth;
    });
  }

  async function contact(email: string, pending = false) {
    return roster.contacts.create(projectId, { email, ...(pending ? { pending } : {}) });
  }

  beforeAll(async () => {
    browser = await launchChromium();
    const app = express();
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    roster = await createRoster({ database: ':memory:', publicUrl: url });
    projectId = (await roster.projects.ensure('acme')).id;
    await roster.consent.updateSettings(projectId, {
      displayName: 'Acme <News>',
      logoUrl: `${url}/logo.svg`,
    });
    newsId = (
      await roster.topics.create(projectId, {
        name: 'Product news',
        description: 'What we shipped, monthly',
        defaultSubscription: 'opt_in',
        visibility: 'public',
      })
    ).id;
    await roster.topics.create(projectId, {
      name: 'Events',
      defaultSubscription: 'opt_out',
      visibility: 'public',
    });
    app.get('/logo.svg', (_req, res) => {
      res.type('image/svg+xml').send('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"/>');
    });
    app.get('/welcome', (_req, res) => {
      res
        .type('html')
        .send('<!doctype html><html lang="en"><title>Welcome</title><h1>Welcome aboard</h1></html>');
    });
    app.use(createConsentPages(roster));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await roster?.close();
  });

  it('saves preferences without JavaScript (a plain form post), readable at 360 px in the dark scheme', async () => {
    const ada = await contact('ada@example.com');
    const link = await roster.consent.preferencesUrl(projectId, ada.id);
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 360, height: 740 },
      colorScheme: 'dark',
    });
    try {
      const page = await context.newPage();
      await page.goto(link);
      await page.getByRole('heading', { name: 'Email preferences' }).waitFor();
      await page.getByText('For a***@e***.com').waitFor();
      await page.getByText('Acme <News>', { exact: true }).waitFor();
      expect(await overflow(page)).toBe(0);
      expect(await page.getByLabel('Product news').isChecked()).toBe(true);
      expect(await page.getByLabel('Events').isChecked()).toBe(false);

      await page.getByLabel('Product news').uncheck();
      await page.getByLabel('Events').check();
      await page.getByRole('button', { name: 'Save preferences' }).click();
      await page.getByRole('status').filter({ hasText: 'Your preferences are saved.' }).waitFor();
      expect(page.url()).toMatch(/\?saved=1$/);
      const topics = await roster.topics.contactTopics(projectId, ada.id);
      expect(Object.fromEntries(topics.map((t) => [t.name, t.subscription]))).toEqual({
        'Product news': 'opt_out',
        Events: 'opt_in',
      });
      expect(await page.getByLabel('Product news').isChecked()).toBe(false);
    } finally {
      await context.close();
    }
  });

  it('saves with JavaScript without leaving the page, and unsubscribes from everything', async () => {
    const bob = await contact('bob@example.com');
    const link = await roster.consent.preferencesUrl(projectId, bob.id);
    const context = await browser.newContext({ bypassCSP: true });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(link);
      await page.getByRole('heading', { name: 'Email preferences' }).waitFor();
      await accessible(page, 'preferences');
      await page.getByRole('button', { name: 'Unsubscribe from everything' }).click();
      await page.getByRole('status').filter({ hasText: 'You are unsubscribed from everything.' }).waitFor();
      expect(page.url()).toBe(link);
      expect(await page.getByLabel(/Receive email from/).isChecked()).toBe(false);
      expect((await roster.contacts.get(projectId, bob.id)).subscribed).toBe(false);
      const [event] = await roster.events.list(projectId, bob.id);
      expect(event).toMatchObject({ name: 'contact.unsubscribed', data: { source: 'preferences' } });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('confirms a double opt-in on the page’s button and follows the redirect', async () => {
    const cy = await contact('cy@example.com', true);
    const { url: link } = await roster.consent.requestConfirmation(projectId, cy.id, {
      redirectUrl: `${url}/welcome`,
    });
    const context = await browser.newContext({ bypassCSP: true, colorScheme: 'dark' });
    try {
      const page = await context.newPage();
      await page.goto(link);
      await page.getByRole('heading', { name: 'Confirm your subscription' }).waitFor();
      await accessible(page, 'confirm (dark)');
      expect((await roster.contacts.get(projectId, cy.id)).subscribed).toBe(false);
      await page.getByRole('button', { name: 'Confirm subscription' }).click();
      await page.getByRole('heading', { name: 'Welcome aboard' }).waitFor();
      expect((await roster.contacts.get(projectId, cy.id)).subscribed).toBe(true);
    } finally {
      await context.close();
    }
  });

  it('unsubscribes from one topic on the unsubscribe page, which links to the preferences', async () => {
    const dee = await contact('dee@example.com');
    const headers = await roster.consent.unsubscribeHeaders(projectId, dee.id, { topicId: newsId });
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 360, height: 740 } });
    try {
      const page = await context.newPage();
      await page.goto(headers['List-Unsubscribe'].slice(1, -1));
      await page.getByRole('heading', { name: 'Unsubscribe' }).waitFor();
      await accessible(page, 'unsubscribe at 360 px');
      expect(await overflow(page)).toBe(0);
      await page.getByRole('button', { name: 'Unsubscribe' }).click();
      await page.getByRole('heading', { name: 'You are unsubscribed' }).waitFor();
      await accessible(page, 'unsubscribed');
      const topics = await roster.topics.contactTopics(projectId, dee.id);
      expect(topics.find((t) => t.id === newsId)?.subscription).toBe('opt_out');
      expect((await roster.contacts.get(projectId, dee.id)).subscribed).toBe(true);
      await page.getByRole('link', { name: 'Manage your email preferences' }).click();
      await page.getByRole('heading', { name: 'Email preferences' }).waitFor();
      expect(await page.getByLabel('Product news').isChecked()).toBe(false);
      expect(tokenOf(page.url())).toBe(tokenOf(headers['List-Unsubscribe']));
    } finally {
      await context.close();
    }
  });
});
