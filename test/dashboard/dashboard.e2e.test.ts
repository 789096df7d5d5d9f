import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LISTMONK_EXPORT } from '@roster/test-harness';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildFreshApp,
  CHROMIUM,
  type DashboardServer,
  hasChromium,
  launchChromium,
  seriousViolations,
  startDashboardServer,
} from './browser.js';

if (!hasChromium) {
  console.warn(
    `[dashboard e2e] SKIPPED: no Chromium at ${CHROMIUM}. Install it with "apt-get install -y chromium" (or set ROSTER_CHROMIUM).`,
  );
}

const SEEDED = 60;

/** One browser, one server and one signed-in page for the whole file; the tests run in order. */
// Generous timeouts: CI runs this file beside the rest of the suite on 2 cores.
describe.skipIf(!hasChromium)('dashboard in Chromium', { timeout: 120_000 }, () => {
  let app: { dir: string; remove(): void };
  let server: DashboardServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  async function apiGet(path: string, key = server.key) {
    const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    return { status: response.status, body: (await response.json()) as any };
  }

  async function expectAccessible(name: string) {
    expect(await seriousViolations(page), `axe on ${name}`).toEqual([]);
  }

  beforeAll(async () => {
    [app, browser] = await Promise.all([buildFreshApp(), launchChromium()]);
    server = await startDashboardServer(app.dir);
    // Oldest first, so user060 is the newest and shows first.
    await server.roster.contacts.createMany(server.projectId, {
      contacts: Array.from({ length: SEEDED }, (_, i) => ({
        email: `user${String(i + 1).padStart(3, '0')}@example.com`,
        data: { plan: i % 2 ? 'pro' : 'free' },
      })),
    });
    await server.roster.contacts.create(server.projectId, { email: 'zebra.rare@wild.example', data: {} });
    // The page's own CSP forbids inline scripts; axe is injected as one.
    context = await browser.newContext({
      viewport: { width: 1440, height: 900 },
      bypassCSP: true,
      acceptDownloads: true,
    });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
  }, 180_000); // builds the app and starts Chromium

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    app?.remove();
  });

  it('opens on the sign-in page without a console error', async () => {
    const errors: string[] = [];
    const onConsole = (message: { type(): string; text(): string }) => {
      if (message.type() === 'error') errors.push(message.text());
    };
    page.on('console', onConsole);
    try {
      await page.goto(`${server.url}/dashboard`);
      await page.getByRole('heading', { name: 'Sign in to roster' }).waitFor();
      await page.waitForLoadState('networkidle');
      expect(errors).toEqual([]);
    } finally {
      page.off('console', onConsole);
    }
  });

  it('refuses a wrong key in words, then signs in with a secret key into an HttpOnly SameSite=Strict cookie', async () => {
    await page.goto(`${server.url}/dashboard`);
    await page.getByRole('heading', { name: 'Sign in to roster' }).waitFor();
    await expectAccessible('sign-in');
    await page.getByLabel('Secret key').fill('sk_not_a_real_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('This key is not valid');

    await page.getByLabel('Secret key').fill(server.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The Overview is the home page.
    await page.getByRole('heading', { name: 'Overview', exact: true }).waitFor();
    await page.getByRole('link', { name: 'Contacts', exact: true }).click();
    await page.getByRole('heading', { name: 'Contacts' }).waitFor();
    await page.getByText(`${SEEDED + 1} in total`).waitFor();
    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({
      name: 'roster_session',
      httpOnly: true,
      sameSite: 'Strict',
      path: '/dashboard',
    });
    expect(cookies[0]!.value).not.toContain(server.key);
    expect(
      await page.evaluate(() => {
        const w = globalThis as any;
        return JSON.stringify(w.localStorage) + w.document.cookie;
      }),
    ).not.toContain('sk_');
    expect(await page.locator('tbody tr').count()).toBe(25);
    await expectAccessible('contacts');
  });

  it('pages forward and back through keyset pages', async () => {
    const firstRow = page.locator('tbody tr').first().locator('td.email');
    expect(await firstRow.textContent()).toBe('zebra.rare@wild.example');
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByText('Page 2 · rows 26–50').waitFor();
    expect(await firstRow.textContent()).toBe('user036@example.com');
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByText('Page 3 · rows 51–61').waitFor();
    expect(await page.getByRole('button', { name: 'Next →' }).isDisabled()).toBe(true);
    expect(await page.locator('tbody tr').count()).toBe(11);
    await page.getByRole('button', { name: '← Previous' }).click();
    await page.getByText('Page 2 · rows 26–50').waitFor();
    await page.getByRole('button', { name: '← Previous' }).click();
    await page.getByText('Page 1 · rows 1–25').waitFor();
    expect(await firstRow.textContent()).toBe('zebra.rare@wild.example');
  });

  it('searches by any part of the email, with an empty state that says what to do', async () => {
    await page.getByLabel('Search by email').fill('rare@wi');
    // exact: a substring match also finds "61 matching", shown while the search is still on its way.
    await page.getByText('1 matching', { exact: true }).waitFor();
    await expect
      .poll(() => page.locator('tbody tr td.email').allTextContents())
      .toEqual(['zebra.rare@wild.example']);
    await page.getByLabel('Search by email').fill('nobody-has-this');
    await page.getByText('No contact’s email contains “nobody-has-this”').waitFor();
    await page.getByLabel('Search by email').fill('');
    await page.getByText(`${SEEDED + 1} in total`).waitFor();
  });

  it('edits a contact and the change is visible over the API', async () => {
    await page.getByRole('link', { name: 'user058@example.com' }).click();
    await page.getByRole('heading', { name: 'user058@example.com' }).waitFor();
    await expectAccessible('contact');
    await page.getByLabel('Value of plan').fill('enterprise');
    await page.getByRole('button', { name: 'Add data row' }).click();
    await page.getByLabel('Key 2').fill('seats');
    await page.getByLabel('Type of seats').selectOption('number');
    await page.getByLabel('Value of seats').fill('12');
    await page.getByLabel('First name').fill('Ada');
    await page.getByLabel('Subscribed').uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    // The activity timeline shows the change with its source and client address (the consent record).
    const activity = page.getByRole('list', { name: 'Activity, newest first' });
    await activity.getByText('Unsubscribed', { exact: true }).waitFor();
    await activity.getByText(/^via dashboard · from .*127\.0\.0\.1$/).waitFor();
    await expectAccessible('contact with its activity');

    const id = page.url().split('/').pop()!;
    const { status, body } = await apiGet(`/contacts/${id}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      email: 'user058@example.com',
      subscribed: false,
      data: { plan: 'enterprise', seats: 12 },
    });
    expect((await server.roster.contacts.get(server.projectId, id)).firstName).toBe('Ada');

    // A wrong value is refused in words before anything is sent.
    await page.getByLabel('Value of seats').fill('twelve');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('Data “seats” must be a number');
    await page.getByRole('link', { name: '← Contacts' }).click();
    await page.getByText(`${SEEDED + 1} in total`).waitFor();
  });

  it('selects 3 rows and unsubscribes them after a confirmation', async () => {
    const emails = ['user060@example.com', 'user059@example.com', 'user057@example.com'];
    for (const email of emails) await page.getByLabel(`Select ${email}`).check();
    await page.getByText('3 selected').waitFor();
    await page
      .getByRole('region', { name: 'Bulk actions' })
      .getByRole('button', { name: 'Unsubscribe' })
      .click();
    const dialog = page.getByRole('dialog', { name: 'Unsubscribe 3 contact(s)?' });
    await dialog.waitFor();
    await expectAccessible('confirm dialog');
    await dialog.getByRole('button', { name: 'Unsubscribe' }).click();
    await page.getByRole('status').filter({ hasText: '3 contact(s) unsubscribed' }).waitFor();
    for (const email of emails) {
      const { body } = await apiGet(`/contacts?search=${encodeURIComponent(email)}`);
      expect(body.data).toHaveLength(1);
      expect(body.data[0]).toMatchObject({ email, subscribed: false });
    }
    const { body } = await apiGet('/contacts?search=user056@');
    expect(body.data[0].subscribed).toBe(true);
  });

  it('filters by subscription and sorts by email', async () => {
    await page.getByLabel('Subscription').selectOption('false');
    // The three just unsubscribed and user058, unsubscribed on its page.
    await page.getByText('4 matching', { exact: true }).waitFor();
    expect((await page.locator('tbody td.email').allTextContents()).sort()).toEqual([
      'user057@example.com',
      'user058@example.com',
      'user059@example.com',
      'user060@example.com',
    ]);
    await page.getByLabel('Subscription').selectOption('');
    await page.getByLabel('Sort').selectOption('email:asc');
    await page.getByText(`${SEEDED + 1} in total`).waitFor();
    await page.locator('tbody tr').first().getByText('user001@example.com').waitFor();
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.locator('tbody tr').first().getByText('user026@example.com').waitFor();
    await page.getByLabel('Sort').selectOption('createdAt:desc');
    await page.locator('tbody tr').first().getByText('zebra.rare@wild.example').waitFor();
  });

  it('exports the contacts as CSV', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^contacts-.*\.csv$/);
    const stream = await download.createReadStream();
    let text = '';
    for await (const chunk of stream) text += chunk.toString();
    const lines = text.trim().split(/\r?\n/);
    expect(lines[0]).toContain('email');
    expect(lines).toHaveLength(SEEDED + 2);
    expect(text).toContain('zebra.rare@wild.example');
  });

  it('imports a CSV with a preview and a progress bar that reaches 100 %', async () => {
    await page.getByRole('link', { name: 'Import', exact: true }).click();
    await page.getByRole('heading', { name: 'Import contacts' }).waitFor();
    await expectAccessible('import');
    const rows = ['Mail,Company,subscribed'];
    for (let i = 0; i < 3000; i++) rows.push(`imported${i}@example.org,Company ${i % 7},true`);
    rows.push('not-an-email,Broken,true');
    await page.locator('input[type=file]').setInputFiles({
      name: 'people.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`${rows.join('\n')}\n`),
    });
    await page.getByRole('heading', { name: /people\.csv/ }).waitFor();
    // No column is named email: the user picks it, and the header is rewritten on upload.
    await page.getByLabel('Column with the email address').selectOption({ label: 'Mail' });
    expect(await page.locator('thead th').first().textContent()).toBe('Mailemail');
    // The preview names the key the column is stored under: Plunk-style headers are lowercased.
    expect(await page.locator('thead th .role').allTextContents()).toEqual([
      'email',
      'data: company',
      'subscribed',
    ]);
    expect(await page.locator('tbody tr').count()).toBe(5);
    await expectAccessible('import preview');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('heading', { name: 'Import finished' }).waitFor({ timeout: 60_000 });
    expect(await page.locator('#import-progress').getAttribute('value')).toBe('100');
    expect(await page.getByTestId('percent').textContent()).toBe('100 %');
    const counts = await page.locator('.counts dd').allTextContents();
    expect(counts.slice(0, 4)).toEqual(['3,001', '3,000', '0', '1']);
    expect(
      await page
        .getByRole('table', { name: /Rows that were not imported/ })
        .locator('tbody tr')
        .count(),
    ).toBe(1);
    await expectAccessible('import finished');
    expect(
      await page.getByRole('link', { name: 'See this import on the Jobs page' }).getAttribute('href'),
    ).toMatch(/^#\/jobs\/[0-9a-f-]{36}$/);
    const { body } = await apiGet('/contacts?search=imported2999@');
    expect(body.data[0]).toMatchObject({ email: 'imported2999@example.org', data: { company: 'Company 3' } });
  });

  it('imports a listmonk subscriber export with the File format preset', async () => {
    await page.getByRole('link', { name: 'Import', exact: true }).click();
    await page.getByRole('heading', { name: 'Import contacts' }).waitFor();
    await page.getByLabel('File format').selectOption({ label: 'listmonk subscriber export' });
    await page.locator('input[type=file]').setInputFiles({
      name: 'subscribers.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(LISTMONK_EXPORT),
    });
    await page.getByRole('heading', { name: /subscribers\.csv/ }).waitFor();
    // The preset knows its email column: no column to choose.
    expect(await page.getByLabel('Column with the email address').count()).toBe(0);
    expect(await page.locator('thead th .role').first().textContent()).toBe('read by the listmonk preset');
    await expectAccessible('import preview with a preset');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('heading', { name: 'Import finished' }).waitFor({ timeout: 60_000 });
    const counts = await page.locator('.counts dd').allTextContents();
    expect(counts.slice(0, 4)).toEqual(['5', '3', '0', '2']);
    await expectAccessible('import finished with a preset');
    const { body } = await apiGet('/contacts?search=kim@example.com');
    expect(body.data[0]).toMatchObject({
      email: 'kim@example.com',
      data: { city: 'Zürich', plan: { seats: 5, tags: ['a', null, true] } },
    });
    await page.getByRole('button', { name: 'Import another file' }).click();
    await page.getByLabel('File format').selectOption({ value: '' });
  });

  it('creates a key that is shown once and works, then revokes it', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await expectAccessible('keys');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('new-key').textContent())!;
    expect(key).toMatch(/^sk_[0-9a-f]{48}$/);
    expect((await apiGet('/contacts?limit=1', key)).status).toBe(200);
    await expectAccessible('keys with a new key');
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByText(key).count()).toBe(0);

    const label = `${key.slice(0, 3)}…${key.slice(-4)}`;
    await page.getByRole('button', { name: `Revoke key ${label}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Key ${label} revoked` })
      .waitFor();
    expect((await apiGet('/contacts?limit=1', key)).status).toBe(401);
    expect((await apiGet('/contacts?limit=1')).status).toBe(200);
  });

  it('manages audiences', async () => {
    await page.getByRole('link', { name: 'Audiences' }).click();
    await page.getByText('No audiences yet').waitFor();
    await expectAccessible('audiences (empty)');
    await page.getByLabel('New audience').fill('Customers');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('cell', { name: 'Customers', exact: true }).waitFor();
    await expectAccessible('audiences');
  });

  it('manages topics: creates, edits, and shows why a topic a segment uses cannot be deleted', async () => {
    await page.getByRole('link', { name: 'Topics', exact: true }).click();
    await page.getByText('No topics yet').waitFor();
    await expectAccessible('topics (empty)');
    await page.getByLabel('Name', { exact: true }).fill('Product news');
    await page.getByLabel('Description', { exact: true }).fill('What we shipped');
    await page.getByRole('button', { name: 'Create topic' }).click();
    await page.getByRole('cell', { name: 'Product news', exact: true }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Offers');
    await page.getByLabel('Default for contacts that have not chosen').selectOption('opt_out');
    await page.getByRole('button', { name: 'Create topic' }).click();
    await page.getByRole('cell', { name: 'Offers', exact: true }).waitFor();
    await expectAccessible('topics');

    await page.getByRole('button', { name: 'Edit Product news' }).click();
    await page.getByLabel('Name of Product news').fill('Product updates');
    await page.getByLabel('Visibility of Product news').selectOption('public');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('cell', { name: 'Product updates', exact: true }).waitFor();
    const topics = await server.roster.topics.list(server.projectId);
    const updates = topics.find((t) => t.name === 'Product updates')!;
    expect(updates).toMatchObject({ visibility: 'public', description: 'What we shipped' });

    // A segment's filter uses the topic: the refusal shows in the dialog, and the topic stays.
    await server.roster.segments.create(server.projectId, {
      name: 'Update readers',
      condition: {
        logic: 'AND',
        groups: [{ filters: [{ field: `topic.${updates.id}`, operator: 'equals', value: 'opt_in' }] }],
      },
    } as never);
    await page.getByRole('button', { name: 'Delete Product updates' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete topic “Product updates”?' });
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await expect(dialog.getByRole('alert').textContent()).resolves.toContain('Update readers');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await server.roster.topics.get(server.projectId, updates.id)).toMatchObject({
      name: 'Product updates',
    });

    await page.getByRole('button', { name: 'Delete Offers' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('status').filter({ hasText: 'Topic “Offers” deleted' }).waitFor();
    expect((await server.roster.topics.list(server.projectId)).map((t) => t.name)).toEqual([
      'Product updates',
    ]);
  });

  it('shows a contact’s topics with the default applied and switches one', async () => {
    const contact = (await server.roster.contacts.findByEmail(server.projectId, 'user057@example.com'))!;
    const [topic] = await server.roster.topics.list(server.projectId);
    await page.goto(`${server.url}/dashboard#/contacts/${contact.id}`);
    await page.getByRole('heading', { name: 'user057@example.com' }).waitFor();
    const select = page.getByLabel('Product updates', { exact: true });
    await expect.poll(() => select.inputValue()).toBe('opt_in');
    await page.getByText('the topic’s default', { exact: true }).waitFor();
    await expectAccessible('contact with topics');

    await select.selectOption('opt_out');
    await page.getByRole('status').filter({ hasText: 'Opted out of “Product updates”' }).waitFor();
    await page.getByText('the contact’s choice', { exact: true }).waitFor();
    const activity = page.getByRole('list', { name: 'Activity, newest first' });
    await activity.getByText('Topics changed', { exact: true }).waitFor();
    await activity.getByText(/Product updates: opted out/).waitFor();
    expect(await server.roster.topics.contactTopics(server.projectId, contact.id)).toEqual([
      {
        id: topic!.id,
        name: 'Product updates',
        description: 'What we shipped',
        subscription: 'opt_out',
        explicit: true,
      },
    ]);
    // Saved on the server: a reload shows the choice.
    await page.reload();
    await expect.poll(() => page.getByLabel('Product updates', { exact: true }).inputValue()).toBe('opt_out');
  });

  it('declares a property, changes its fallback and deletes it', async () => {
    await page.getByRole('link', { name: 'Properties', exact: true }).click();
    await page.getByText('No properties declared').waitFor();
    await expectAccessible('properties (empty)');
    await page.getByLabel('Key', { exact: true }).fill('seats');
    await page.getByLabel('Type', { exact: true }).selectOption('number');
    await page.getByLabel('Fallback value (optional)').fill('1');
    await page.getByRole('button', { name: 'Declare property' }).click();
    await page.getByRole('cell', { name: 'seats', exact: true }).waitFor();
    await page.getByLabel('Key', { exact: true }).fill('region');
    await page.getByRole('button', { name: 'Declare property' }).click();
    await page.getByRole('cell', { name: 'region', exact: true }).waitFor();
    await expectAccessible('properties');

    await page.getByRole('button', { name: 'Change fallback of seats' }).click();
    await page.getByLabel('Fallback value of seats').fill('five');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('is not a number');
    await page.getByLabel('Fallback value of seats').fill('5');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Fallback of “seats” saved' }).waitFor();
    expect(await server.roster.properties.get(server.projectId, 'seats')).toMatchObject({
      type: 'number',
      fallbackValue: 5,
    });

    await page.getByRole('button', { name: 'Delete region' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('status').filter({ hasText: 'Property “region” deleted' }).waitFor();
    expect((await server.roster.properties.list(server.projectId)).map((p) => p.key)).toEqual(['seats']);
  });

  /** The text of a download started by clicking the link `name`. */
  async function downloadText(name: string): Promise<{ name: string; text: string }> {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name, exact: true }).click(),
    ]);
    let text = '';
    for await (const chunk of await download.createReadStream()) text += chunk.toString();
    return { name: download.suggestedFilename(), text };
  }

  const shownEmails = () => page.locator('tbody td.email').allTextContents();

  it('filters by audience, combined with search and subscription, and the total follows', async () => {
    const customers = (await server.roster.audiences.list(server.projectId)).find(
      (a) => a.name === 'Customers',
    )!;
    for (const email of ['user051@example.com', 'user052@example.com', 'user060@example.com']) {
      const contact = await server.roster.contacts.findByEmail(server.projectId, email);
      await server.roster.contacts.update(server.projectId, contact!.id, { audienceId: customers.id });
    }
    await page.getByRole('link', { name: 'Contacts', exact: true }).click();
    await page.getByRole('heading', { name: 'Contacts' }).waitFor();
    await page.getByText(/^[\d,]+ in total$/).waitFor();
    await page.getByLabel('Audience', { exact: true }).selectOption({ label: 'Customers' });
    await page.getByText('3 matching', { exact: true }).waitFor();
    await expect
      .poll(async () => (await shownEmails()).sort())
      .toEqual(['user051@example.com', 'user052@example.com', 'user060@example.com']);
    await page.getByLabel('Subscription').selectOption('false');
    await page.getByText('1 matching', { exact: true }).waitFor();
    await expect.poll(shownEmails).toEqual(['user060@example.com']);
    await page.getByLabel('Subscription').selectOption('');
    await page.getByLabel('Search by email').fill('user051');
    await page.getByText('1 matching', { exact: true }).waitFor();
    await expect.poll(shownEmails).toEqual(['user051@example.com']);
    await page.getByLabel('Search by email').fill('user059');
    await page.getByText('No contacts match these filters').waitFor();
    await expectAccessible('contacts, nothing matches');
    await page.getByLabel('Search by email').fill('');
    await page.getByLabel('Audience', { exact: true }).selectOption('');
    await page.getByText(/^[\d,]+ in total$/).waitFor();
  });

  it('filters by an existing segment, and builds a dynamic segment that saves and filters', async () => {
    await server.roster.segments.create(server.projectId, {
      name: 'Wild ones',
      condition: {
        logic: 'AND',
        groups: [{ filters: [{ field: 'email', operator: 'contains', value: 'wild' }] }],
      },
    });
    await page.reload(); // the segments are read when the page opens
    await page.getByRole('heading', { name: 'Contacts' }).waitFor();
    await page.getByLabel('Segment', { exact: true }).selectOption({ label: 'Wild ones' });
    await page.getByText('1 matching', { exact: true }).waitFor();
    await expect.poll(shownEmails).toEqual(['zebra.rare@wild.example']);

    await page.getByRole('button', { name: 'New segment…' }).click();
    const dialog = page.getByRole('dialog', { name: 'New segment' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Save segment' }).click();
    await expect(dialog.getByRole('alert').textContent()).resolves.toBe('Name the segment');
    await dialog.getByLabel('Name', { exact: true }).fill('Pro in the 50s');
    await dialog.getByLabel('Field 1').selectOption('data');
    await dialog.getByLabel('Data key 1').fill('plan');
    await dialog.getByLabel('Operator 1').selectOption('equals');
    await dialog.getByRole('button', { name: 'Add row' }).click();
    await dialog.getByRole('button', { name: 'Save segment' }).click();
    await expect(dialog.getByRole('alert').textContent()).resolves.toBe(
      'Row 1: type a value to compare “plan” with',
    );
    await dialog.getByLabel('Value 1').fill('pro');
    await dialog.getByLabel('Value 2').fill('user05');
    await expectAccessible('segment builder');
    await dialog.getByRole('button', { name: 'Save segment' }).click();
    await page.getByRole('status').filter({ hasText: 'Segment “Pro in the 50s” saved' }).waitFor();
    // plan is pro for the even users; user058's plan was edited to enterprise.
    await page.getByText('4 matching', { exact: true }).waitFor();
    await expect
      .poll(async () => (await shownEmails()).sort())
      .toEqual(['user050@example.com', 'user052@example.com', 'user054@example.com', 'user056@example.com']);
    const { body } = await apiGet('/segments');
    expect(body.find((segment: { name: string }) => segment.name === 'Pro in the 50s')).toMatchObject({
      type: 'DYNAMIC',
      condition: {
        logic: 'AND',
        groups: [
          {
            filters: [
              { field: 'data.plan', operator: 'equals', value: 'pro' },
              { field: 'email', operator: 'contains', value: 'user05' },
            ],
          },
        ],
      },
    });
  });

  it('exports only the rows the filters keep, as CSV and JSON', async () => {
    const user050 = await server.roster.contacts.findByEmail(server.projectId, 'user050@example.com');
    await server.roster.contacts.update(server.projectId, user050!.id, { subscribed: false });
    await page.getByLabel('Subscription').selectOption('true');
    await page.getByText('3 matching', { exact: true }).waitFor();
    const wanted = ['user052@example.com', 'user054@example.com', 'user056@example.com'];
    const csv = await downloadText('Export matching CSV');
    expect(csv.name).toMatch(/^contacts-.*\.csv$/);
    const lines = csv.text.trim().split(/\r?\n/);
    expect(lines[0]).toMatch(/^email,first_name,last_name,subscribed,audience,created_at/);
    expect(
      lines
        .slice(1)
        .map((line) => line.split(',')[0]!.replaceAll('"', ''))
        .sort(),
    ).toEqual(wanted);
    const json = await downloadText('Export matching JSON');
    expect(json.name).toBe('contacts.json');
    const exported = JSON.parse(json.text) as { data: { email: string; subscribed: boolean }[] };
    expect(exported.data.map((c) => c.email).sort()).toEqual(wanted);
    expect(exported.data.every((c) => c.subscribed)).toBe(true);
    await page.getByLabel('Subscription').selectOption('');
    await page.getByLabel('Segment', { exact: true }).selectOption('');
    await page.getByText(/^[\d,]+ in total$/).waitFor();
  });

  it('lists jobs: a finished import with its counts, and a running one whose progress updates live', async () => {
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    const finished = page.locator('tbody tr').filter({ hasText: 'Import of people.csv' });
    await finished.getByText('Finished', { exact: true }).waitFor();
    expect(await finished.locator('td.result').textContent()).toBe(
      '3,001 rows: 3,000 created, 0 updated, 1 failed',
    );
    await expectAccessible('jobs');

    // A second import, held in the queue while the runner is stopped.
    await server.roster.jobs.stop();
    const rows = Array.from({ length: 500 }, (_, i) => `later${i}@example.net`);
    const job = await server.roster.imports.enqueue(server.projectId, {
      file: Buffer.from(`email\n${rows.join('\n')}\n`),
      name: 'later.csv',
    });
    await page.reload();
    const row = page.locator(`tr[data-job="${job.id}"]`);
    await row.getByText('Waiting', { exact: true }).waitFor();
    expect(await row.locator('.percent').textContent()).toBe('0 %');
    // What a worker stores between two batches (progress committed with the first 200 rows).
    const { db } = server.roster;
    await db
      .updateTable('roster_jobs')
      .set({
        status: 'running',
        locked_by: server.roster.jobs.workerId,
        locked_at: new Date().toISOString(),
        progress: JSON.stringify({
          percent: 40,
          counts: { totalRows: 200, successCount: 200, createdCount: 200, updatedCount: 0, failureCount: 0 },
        }),
      })
      .where('id', '=', job.id)
      .execute();
    await row.getByText('Running', { exact: true }).waitFor();
    await expect.poll(() => row.locator('.percent').textContent()).toBe('40 %');
    expect(await row.locator('td.result').textContent()).toBe('200 rows: 200 created, 0 updated, 0 failed');
    await page.getByText('Updating while jobs run…').waitFor();
    await expectAccessible('jobs, one running');
    // Given back to the queue (as a graceful stop does) and run for real: the page follows it to the end.
    await db
      .updateTable('roster_jobs')
      .set({ status: 'queued', locked_by: null, locked_at: null, progress: null })
      .where('id', '=', job.id)
      .execute();
    await server.roster.jobs.start();
    await row.getByText('Finished', { exact: true }).waitFor({ timeout: 60_000 });
    expect(await row.locator('.percent').textContent()).toBe('100 %');
    expect(await row.locator('td.result').textContent()).toBe('500 rows: 500 created, 0 updated, 0 failed');

    await finished.getByRole('link', { name: 'Import of people.csv' }).click();
    await page.getByRole('heading', { name: 'Import of people.csv' }).waitFor();
    await page.getByRole('table', { name: 'Rows that were not imported' }).waitFor();
    expect(await page.getByTestId('job-result').textContent()).toBe(
      '3,001 rows: 3,000 created, 0 updated, 1 failed',
    );
    await expectAccessible('job');
  });

  it('adds a webhook endpoint (its secret shown once), sends a signed test, disables it and lists deliveries', async () => {
    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    try {
      await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
      await page.getByText('No webhook endpoints yet').waitFor();
      await expectAccessible('webhooks (empty)');
      await page.getByLabel('URL', { exact: true }).fill('ftp://files.example.com/hooks');
      await page.getByRole('button', { name: 'Add endpoint' }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toBe('url must use http:// or https://');
      await page.getByLabel('URL', { exact: true }).fill(hookUrl);
      await page.getByLabel('All events').uncheck();
      await page.getByLabel('contact.created').check();
      await page.getByRole('button', { name: 'Add endpoint' }).click();
      const secret = (await page.getByTestId('webhook-secret').textContent())!;
      expect(secret).toMatch(/^whsec_/);
      const row = page.locator('tbody tr').filter({ hasText: hookUrl });
      await row.getByText('Enabled', { exact: true }).waitFor();
      expect(await row.locator('td.wide').textContent()).toBe('contact.created');
      await expectAccessible('webhooks with a new secret');

      await page.getByRole('button', { name: `Send test to ${hookUrl}` }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `Test event delivered to ${hookUrl}: HTTP 200` })
        .waitFor();
      // Signed with the secret the page showed (Standard Webhooks: HMAC-SHA256 of id.timestamp.body).
      expect(received).toHaveLength(1);
      const { headers, body } = received[0]!;
      const expected = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
        .update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`)
        .digest('base64');
      expect(String(headers['webhook-signature']).split(' ')).toContain(`v1,${expected}`);
      const deliveries = page.getByRole('region', { name: `Recent deliveries to ${hookUrl}` });
      await deliveries.getByText('webhook.test').waitFor();
      await deliveries.getByText('Delivered', { exact: true }).waitFor();
      expect(await deliveries.getByText('HTTP 200', { exact: true }).count()).toBe(1);

      await page.getByRole('button', { name: `Disable ${hookUrl}` }).click();
      await row.getByText('Disabled', { exact: true }).waitFor();
      const { body: list } = await apiGet('/roster/webhooks');
      expect(list.data).toEqual([expect.objectContaining({ url: hookUrl, enabled: false })]);
      await page.getByRole('button', { name: 'Done' }).click();
      expect(await page.getByText(secret).count()).toBe(0);
      await expectAccessible('webhooks');
    } finally {
      receiver.closeAllConnections();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });

  it('opens the Overview: contacts, subscribed share, growth by source, jobs and webhook health, each with its numbers in words and a table', async () => {
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    await page.getByRole('heading', { name: 'Overview', exact: true }).waitFor();
    await page.getByRole('heading', { name: 'Contacts over time' }).waitFor();
    const { status, body } = await apiGet('/roster/overview?days=30');
    expect(status).toBe(200);
    // As the page writes numbers: 3,561.
    const sum = (key: string, list: any[] = body.daily) =>
      list.reduce((n: number, d: any) => n + d[key], 0).toLocaleString('en-US');
    const n = (value: number) => value.toLocaleString('en-US');
    const { total, subscribed } = body.contacts;
    // The import and the jobs of the tests above are in the numbers.
    expect(body.daily.some((d: any) => d.imported > 0)).toBe(true);
    expect(body.jobs.some((d: any) => d.imports > 0)).toBe(true);
    const captions = await page.locator('figcaption').allTextContents();
    expect(captions[0]).toContain(`${n(total)} contacts on `);
    expect(captions[0]).toContain(`${n(subscribed)} of them subscribed`);
    expect(captions[1]).toContain(
      `${n(subscribed)} of ${n(total)} contacts (${n(total - subscribed)} unsubscribed)`,
    );
    expect(captions[2]).toBe(
      `${sum('added')} contacts added in 30 days: ${sum('api')} through the API, ${sum('imported')} by imports; ${sum('removed')} deleted.`,
    );
    expect(captions[3]).toContain(
      `${sum('imports', body.jobs)} imports and ${sum('bulk', body.jobs)} bulk jobs in 30 days, ${sum('failed', body.jobs)} failed.`,
    );
    // Screen readers get every number: a table per chart, one row a day.
    const rows = page.getByRole('table', { name: 'Contacts at the end of each day' }).locator('tbody tr');
    expect(await rows.count()).toBe(30);
    const today = body.daily[29];
    expect(await rows.last().locator('th, td').allTextContents()).toEqual([
      today.day,
      String(today.total),
      String(today.subscribed),
    ]);
    const growth = page
      .getByRole('table', { name: 'Contacts added and deleted each day' })
      .locator('tbody tr');
    expect(await growth.last().locator('td').allTextContents()).toEqual([
      String(today.api),
      String(today.imported),
      String(today.removed),
    ]);
    // The endpoint of the webhooks test, with its test delivery.
    const health = page.getByRole('table', { name: 'Deliveries of the last 30 days per endpoint' });
    expect(await health.locator('tbody tr').count()).toBe(body.webhooks.length);
    expect(body.webhooks.length).toBeGreaterThan(0);
    await expectAccessible('overview');
    await page.getByLabel('Period').selectOption('7');
    await page
      .getByRole('table', { name: 'Contacts at the end of each day' })
      .locator('tbody tr')
      .nth(6)
      .waitFor({ state: 'attached' });
    await expect
      .poll(() =>
        page.getByRole('table', { name: 'Contacts at the end of each day' }).locator('tbody tr').count(),
      )
      .toBe(7);
    await page.getByLabel('Period').selectOption('30');
  });

  it('fits 360 px without sideways scrolling and passes axe in the dark scheme', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.emulateMedia({ colorScheme: 'dark' });
    try {
      for (const [link, heading] of [
        ['Overview', 'Overview'],
        ['Contacts', 'Contacts'],
        ['Jobs', 'Jobs'],
        ['Webhooks', 'Webhooks'],
        ['Audiences', 'Audiences'],
        ['Topics', 'Topics'],
        ['Properties', 'Properties'],
      ] as const) {
        await page.getByRole('link', { name: link, exact: true }).click();
        await page.getByRole('heading', { name: heading, exact: true }).waitFor();
        // The Overview's charts are figures (their tables are for screen readers only).
        await page
          .locator(link === 'Overview' ? 'figure' : 'table')
          .first()
          .waitFor();
        // Wide tables scroll inside their own box; the page itself does not.
        expect(
          await page.evaluate(() => {
            const root = (globalThis as any).document.documentElement;
            return root.scrollWidth - root.clientWidth;
          }),
          `${link} overflows sideways`,
        ).toBe(0);
        await expectAccessible(`${link} at 360 px, dark`);
      }
    } finally {
      await page.emulateMedia({ colorScheme: 'light' });
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  it('re-imports its own CSV export into an empty project as the same contacts, same fields, same data', async () => {
    const { roster } = server;
    const source = await roster.projects.ensure('Round trip source');
    const target = await roster.projects.ensure('Round trip target');
    const contacts = [
      {
        email: 'ada@trip.example',
        firstName: 'Ada',
        lastName: 'Lovelace',
        subscribed: true,
        data: { plan: 'pro' },
      },
      {
        email: 'bob@trip.example',
        firstName: null,
        lastName: 'Béla',
        subscribed: false,
        data: {
          Plan: 'Mixed Case',
          first_name: 'a data key named like a column',
          note: 'commas, "quotes"\nand a line break',
          formula: '=1+1',
          created_at: 'a key named like an export column',
        },
      },
      { email: 'cy@trip.example', firstName: 'Cy', lastName: null, subscribed: true, data: {} },
    ];
    for (const contact of contacts) await roster.contacts.create(source.id, contact);

    /** A new browser context signed in with a key of `projectId`. */
    async function signedInPage(projectId: string): Promise<{ page: Page; close(): Promise<void> }> {
      const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
      const p = await ctx.newPage();
      p.setDefaultTimeout(30_000);
      await p.goto(`${server.url}/dashboard`);
      await p.getByLabel('Secret key').fill((await roster.keys.create(projectId)).key);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByRole('heading', { name: 'Overview', exact: true }).waitFor();
      await p.getByRole('link', { name: 'Contacts', exact: true }).click();
      await p.getByRole('heading', { name: 'Contacts' }).waitFor();
      return { page: p, close: () => ctx.close() };
    }

    const exporter = await signedInPage(source.id);
    let csv: Buffer;
    try {
      await exporter.page.getByText('3 in total').waitFor();
      const [download] = await Promise.all([
        exporter.page.waitForEvent('download'),
        exporter.page.getByRole('link', { name: 'Export CSV' }).click(),
      ]);
      const chunks: Buffer[] = [];
      for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
      csv = Buffer.concat(chunks);
    } finally {
      await exporter.close();
    }

    const importer = await signedInPage(target.id);
    try {
      const p = importer.page;
      await p.getByRole('link', { name: 'Import', exact: true }).click();
      await p
        .locator('input[type=file]')
        .setInputFiles({ name: 'export-café.csv', mimeType: 'text/csv', buffer: csv });
      await p.getByRole('heading', { name: /export-café\.csv/ }).waitFor();
      // The preview says where each column of the export goes, under the stored key.
      const roles = await p.locator('thead th .role').allTextContents();
      expect(roles.slice(0, 6)).toEqual([
        'email',
        'first name',
        'last name',
        'subscribed',
        'not imported',
        'not imported',
      ]);
      expect(roles.slice(6).sort()).toEqual(
        [
          'data: Plan',
          'data: created_at',
          'data: first_name',
          'data: formula',
          'data: note',
          'data: plan',
        ].sort(),
      );
      await p.getByRole('button', { name: 'Import', exact: true }).click();
      await p.getByRole('heading', { name: 'Import finished' }).waitFor({ timeout: 60_000 });
      expect(await p.getByTestId('import-file').textContent()).toBe('export-café.csv');
      expect(await p.locator('.counts dd').allTextContents()).toEqual(['3', '3', '0', '0']);
      // A 3-row import takes well under the seconds a rate needs to mean anything.
      expect(await p.locator('.counts dt').allTextContents()).not.toContain('Rows per second');
      const hint = await p
        .getByRole('link', { name: 'See this import on the Jobs page' })
        .locator('..')
        .textContent();
      expect(hint).not.toContain('keeps running');
      await p.getByRole('link', { name: 'See this import on the Jobs page' }).click();
      await p.getByRole('heading', { name: 'Import of export-café.csv' }).waitFor();
    } finally {
      await importer.close();
    }

    const shape = async (projectId: string) => {
      const rows = [];
      for await (const c of roster.contacts.stream(projectId, {})) {
        rows.push({
          email: c.email,
          firstName: c.firstName,
          lastName: c.lastName,
          subscribed: c.subscribed,
          data: c.data ?? {},
        });
      }
      return rows.sort((a, b) => a.email.localeCompare(b.email));
    };
    const copied = await shape(target.id);
    expect(copied).toEqual(await shape(source.id));
    expect(copied).toEqual(
      contacts.map(({ email, firstName, lastName, subscribed, data }) => ({
        email,
        firstName,
        lastName,
        subscribed,
        data,
      })),
    );
  });

  it('signs out when its key is revoked elsewhere, and says so', async () => {
    const [info] = await server.roster.keys.list(server.projectId);
    await server.roster.keys.revoke(info!.id);
    await page.getByRole('link', { name: 'Contacts' }).click();
    await page.getByRole('heading', { name: 'Sign in to roster' }).waitFor();
    await page.getByText('Your session ended').waitFor();
  });
});
