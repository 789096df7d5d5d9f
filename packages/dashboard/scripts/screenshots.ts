/**
 * Writes screenshots of every page to docs/screenshots/ (1440×900 and 390×844, light; the contacts
 * page also dark), from a fresh build, a real server and Debian's Chromium:
 * `pnpm --filter @roster/dashboard screenshots`.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import {
  buildFreshApp,
  CHROMIUM,
  hasChromium,
  launchChromium,
  startDashboardServer,
} from '../test/browser.js';

const outDir = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));

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
  await roster.contacts.createMany(projectId, {
    contacts: Array.from({ length: 240 }, (_, i) => ({
      email: `${names[i % names.length]}.${i}@example.com`,
      subscribed: i % 9 !== 0,
      firstName: names[i % names.length]!.replace(/^./, (c) => c.toUpperCase()),
      audienceId: i % 3 === 0 ? customers.id : null,
      data: { plan: plans[i % 3], signupSource: i % 2 ? 'website' : 'import' },
    })),
  });
  await roster.keys.create(projectId);

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
        await page.getByText('in total').waitFor();
        await page.locator('tbody input[type=checkbox]').nth(1).check();
        await page.locator('tbody input[type=checkbox]').nth(3).check();
        await shot('contacts');
        if (scheme === 'dark') {
          await context.close();
          continue;
        }
        await page.getByLabel('Search by email').fill('grace.2');
        await page.getByText('matching').waitFor();
        await page.locator('td.email a').first().click();
        await page.getByRole('heading', { name: /^grace\./ }).waitFor();
        await shot('contact');
        await importSample(page);
        await shot('import');
        await page.getByRole('link', { name: 'Audiences' }).click();
        await page.getByRole('cell', { name: 'Customers', exact: true }).waitFor();
        await shot('audiences');
        await page.getByRole('link', { name: 'API keys' }).click();
        await page.getByRole('button', { name: 'Create key' }).click();
        await page.getByTestId('new-key').waitFor();
        await shot('keys');
        await context.close();
      }
    }
  } finally {
    await browser.close();
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
