/**
 * Writes screenshots of every page to docs/screenshots/ (1440×900 and 390×844, light; the contacts
 * and jobs pages also dark), from a fresh build, a real server and Debian's Chromium:
 * `pnpm --filter @roster/dashboard screenshots`.
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { buildFreshApp, CHROMIUM, hasChromium, launchChromium, startDashboardServer } from './browser.js';

const outDir = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

const SIZES = [
  { name: 'desktop', width: 1440, height: 900 },
  { name: 'mobile', width: 390, height: 844 },
] as const;

async function main() {
  if (!hasChromium) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium`);
  mkdirSync(outDir, { recursive: true });
  const app = await buildFreshApp();
  const server = await startDashboardServer(app.dir);
  const { roster, projectId } = server;
  const customers = await roster.audiences.create(projectId, { name: 'Customers' });
  await roster.audiences.create(projectId, { name: 'Newsletter' });
  const plans = ['free', 'pro', 'team'];
  const names = [
    'ada',
    'grace',
    'linus',
    'margaret',
    'ken',
    'barbara',
    'dennis',
    'frances',
    'alan',
    'edsger',
  ];
  const people = Array.from({ length: 240 }, (_, i) => ({
    email: `${names[i % names.length]}.${i}@example.com`,
    subscribed: i % 9 !== 0,
    firstName: names[i % names.length]!.replace(/^./, (c) => c.toUpperCase()),
    data: { plan: plans[i % 3], signupSource: i % 2 ? 'website' : 'import' },
  }));
  // Every third one is a customer (createMany puts a whole batch in one audience).
  await roster.contacts.createMany(projectId, { contacts: people.filter((_, i) => i % 3 !== 0) });
  await roster.contacts.createMany(projectId, {
    contacts: people.filter((_, i) => i % 3 === 0),
    audienceId: customers.id,
  });
  await roster.keys.create(projectId);
  // A finished bulk job and a dynamic segment, for the Jobs page and the segment filter.
  const { data: some } = await roster.contacts.list(projectId, { limit: 12 });
  await roster.bulk.enqueue(
    projectId,
    'unsubscribe',
    some.map((c) => c.id),
  );
  await roster.segments.create(projectId, {
    name: 'Website sign-ups',
    condition: {
      logic: 'AND',
      groups: [{ filters: [{ field: 'data.signupSource', operator: 'equals', value: 'website' }] }],
    },
  });

  // A local endpoint that accepts every webhook, for the Webhooks page.
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end('ok'));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/roster-events`;
  await roster.webhooks.create(projectId, {
    url: hookUrl,
    eventTypes: ['*'],
    description: 'CRM sync',
  });

  const browser: Browser = await launchChromium();
  try {
    for (const size of SIZES) {
      for (const scheme of ['light', 'dark'] as const) {
        const context = await browser.newContext({
          viewport: { width: size.width, height: size.height },
          colorScheme: scheme,
        });
        const page = await context.newPage();
        page.setDefaultTimeout(10_000);
        const shot = (name: string) =>
          page.screenshot({ path: `${outDir}${name}-${size.name}${scheme === 'dark' ? '-dark' : ''}.png` });
        await page.goto(`${server.url}/dashboard/`);
        await page.getByLabel('Secret key').waitFor();
        if (scheme === 'light') await shot('sign-in');
        await page.getByLabel('Secret key').fill(server.key);
        await page.getByRole('button', { name: 'Sign in' }).click();
        // The Overview is the home page.
        await page.getByRole('heading', { name: 'Contacts over time' }).waitFor();
        await shot('overview');
        await page.getByRole('link', { name: 'Contacts', exact: true }).click();
        await page.getByText('in total').waitFor();
        await page.locator('tbody input[type=checkbox]').nth(1).check();
        await page.locator('tbody input[type=checkbox]').nth(3).check();
        await shot('contacts');
        if (scheme === 'dark') {
          await page.getByRole('link', { name: 'Jobs', exact: true }).click();
          await page.getByText('Bulk unsubscribe').first().waitFor();
          await shot('jobs');
          await context.close();
          continue;
        }
        await page.getByLabel('Audience', { exact: true }).selectOption({ label: 'Customers' });
        await page.getByLabel('Segment', { exact: true }).selectOption({ label: 'Website sign-ups' });
        await page.locator('p.count', { hasText: 'matching' }).waitFor();
        await shot('contacts-filtered');
        await page.getByRole('button', { name: 'New segment…' }).click();
        const dialog = page.getByRole('dialog', { name: 'New segment' });
        await dialog.getByLabel('Name', { exact: true }).fill('Recent pro sign-ups');
        await dialog.getByLabel('Field 1').selectOption('data');
        await dialog.getByLabel('Data key 1').fill('plan');
        await dialog.getByLabel('Value 1').fill('pro');
        await dialog.getByRole('button', { name: 'Add row' }).click();
        await dialog.getByLabel('Field 2').selectOption('createdAt');
        await dialog.getByLabel('Value 2').fill('30');
        await shot('segment-builder');
        await dialog.getByRole('button', { name: 'Cancel' }).click();
        await page.getByLabel('Audience', { exact: true }).selectOption('');
        await page.getByLabel('Segment', { exact: true }).selectOption('');
        await page.getByText('in total').waitFor();
        await page.getByLabel('Search by email').fill('grace.2');
        await page.locator('p.count', { hasText: 'matching' }).waitFor();
        await page.locator('td.email a').first().click();
        await page.getByRole('heading', { name: /^grace\./ }).waitFor();
        await shot('contact');
        await importSample(page);
        await shot('import');
        await page.getByRole('link', { name: 'Jobs', exact: true }).click();
        await page.getByText('Import of people.csv').first().waitFor();
        await shot('jobs');
        await page.getByRole('link', { name: 'Import of people.csv' }).first().click();
        await page.getByRole('table', { name: 'Rows that were not imported' }).waitFor();
        await shot('job');
        await page.getByRole('link', { name: 'Audiences' }).click();
        await page.getByRole('cell', { name: 'Customers', exact: true }).waitFor();
        await shot('audiences');
        await page.getByRole('link', { name: 'API keys' }).click();
        await page.getByRole('button', { name: 'Create key' }).click();
        await page.getByTestId('new-key').waitFor();
        await shot('keys');
        await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
        await page.getByRole('button', { name: `Send test to ${hookUrl}` }).click();
        await page
          .getByRole('region', { name: `Recent deliveries to ${hookUrl}` })
          .getByText('Delivered')
          .first()
          .waitFor();
        await shot('webhooks');
        await context.close();
      }
    }
  } finally {
    await browser.close();
    receiver.closeAllConnections();
    receiver.close();
    await server.close();
    app.remove();
  }
  console.log(`screenshots written to ${outDir}`);
}

async function importSample(page: Page) {
  await page.getByRole('link', { name: 'Import', exact: true }).click();
  const rows = ['email,company,subscribed'];
  for (let i = 0; i < 1500; i++) rows.push(`new.person${i}@example.org,Company ${i % 7},true`);
  rows.push('not-an-email,Broken Inc,true', 'also wrong,Nope,true');
  await page.locator('input[type=file]').setInputFiles({
    name: 'people.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(`${rows.join('\n')}\n`),
  });
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByRole('heading', { name: 'Import finished' }).waitFor({ timeout: 30_000 });
}

await main();
