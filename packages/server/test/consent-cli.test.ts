import { join } from 'node:path';
import { createRoster } from '@roster/core';
import { expect, it, vi } from 'vitest';
import { runCli, tempDirPerTest } from './cli-helpers.js';

// Each CLI process starts Node and the TypeScript loader: slow on a loaded 2-core machine.
vi.setConfig({ testTimeout: 120_000 });

let db: string;
tempDirPerTest('roster-consent-cli-', (dir) => {
  db = join(dir, 'roster.db');
});

it('roster suppressions add|list|remove and personal-data export|erase work on a project', async () => {
  const roster = await createRoster({ database: db });
  const project = await roster.projects.ensure('acme');
  await roster.contacts.upsert(project.id, { email: 'ada@example.com', firstName: 'Ada' });
  await roster.close();
  const at = ['--db', db, '--project', 'acme'];

  const added = await runCli([
    'suppressions',
    'add',
    'Ada@Example.com',
    '--reason',
    'phone',
    '--json',
    ...at,
  ]);
  expect(added.code).toBe(0);
  expect(JSON.parse(added.stdout)).toMatchObject({
    created: true,
    unsubscribed: true,
    suppression: { email: 'ada@example.com' },
  });
  const list = await runCli(['suppressions', 'list', '--json', ...at]);
  expect(
    list.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).email),
  ).toEqual(['ada@example.com']);
  const bad = await runCli(['suppressions', 'add', 'nope', ...at]);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain('email');

  const exported = await runCli(['personal-data', 'export', '--email', 'ada@example.com', ...at]);
  expect(exported.code).toBe(0);
  expect(JSON.parse(exported.stdout)).toMatchObject({
    contact: { firstName: 'Ada', subscribed: false },
    suppressions: [{ origin: 'manual' }],
  });
  const erased = await runCli(['personal-data', 'erase', '--email', 'ada@example.com', ...at]);
  expect(erased.code).toBe(0);
  expect(JSON.parse(erased.stdout)).toMatchObject({
    contactDeleted: true,
    suppression: { origin: 'erasure', email: null },
  });
  const after = await runCli(['suppressions', 'list', ...at]);
  expect(after.stdout).toContain('(erased: hash only)');
  const removed = await runCli(['suppressions', 'remove', 'ada@example.com', ...at]);
  expect(removed.code).toBe(0);
  expect((await runCli(['suppressions', 'list', ...at])).stdout).toContain('No suppressions.');
  const configured = await runCli(['inbound', '--postmark-user', 'pm', '--postmark-password', 'pw', ...at]);
  expect(configured.code).toBe(0);

  // Each change was audited as the /roster API audits it (actor cli), and no entry holds the address.
  const check = await createRoster({ database: db });
  try {
    const entries = (await check.audit.list(project.id, { limit: 100 })).data.reverse();
    const entryId = JSON.parse(added.stdout).suppression.id;
    expect(entries.map((e) => [e.actor, e.action, e.target, e.detail])).toEqual([
      ['cli', 'suppression.added', entryId, { origin: 'manual' }],
      ['cli', 'personal_data.exported', null, null],
      ['cli', 'personal_data.erased', null, null],
      ['cli', 'suppression.removed', entryId, null],
      ['cli', 'inbound_settings.updated', null, { fields: ['postmark'] }],
    ]);
    expect(JSON.stringify(entries).toLowerCase()).not.toContain('ada@example.com');
  } finally {
    await check.close();
  }
});
