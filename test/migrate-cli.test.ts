import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRoster } from '@roster/core';
import { type RosterFixture, startRoster } from '@roster/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../packages/server/test/cli-helpers.js';

// Each CLI process starts Node and the TypeScript loader: slow on a loaded 2-core machine.
vi.setConfig({ testTimeout: 120_000 });

let dir: string;
let provider: RosterFixture;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'roster-migrate-cli-'));
  provider = await startRoster({ onError: (e) => console.error(e) });
  await provider.roster.contacts.createMany(provider.projectId, {
    dataMode: 'verbatim',
    contacts: Array.from({ length: 250 }, (_, i) => ({
      email: `cli.${i}@example.com`,
      subscribed: i % 3 !== 0,
      data: { i, nested: { tags: ['a', null], ok: i % 2 === 0 }, none: null },
    })),
  });
});
afterAll(async () => {
  await provider.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('roster migrate (CLI)', () => {
  it('dry-runs, migrates, and reruns to all unchanged, with the key from the environment', async () => {
    const db = join(dir, 'target.db');
    const base = ['migrate', '--from', 'plunk', '--url', provider.plunkUrl, '--db', db, '--project', 'moved'];
    const env = { ROSTER_MIGRATE_KEY: provider.secretKey };

    // The project does not exist yet: a dry run creates nothing, not even it.
    const dryNoProject = await runCli([...base, '--dry-run'], env);
    expect(dryNoProject.code).toBe(1);
    expect(dryNoProject.stderr).toContain('No project named "moved"');

    const missingKey = await runCli([...base, '--json'], { ROSTER_MIGRATE_KEY: '' });
    expect(missingKey.code).toBe(1);
    expect(JSON.parse(missingKey.stdout).error.message).toContain('ROSTER_MIGRATE_KEY');

    const badKey = await runCli([...base, '--key', 'sk_not_a_key_of_this_roster']);
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toContain('answered 401');
    expect(badKey.stderr).not.toContain('sk_not_a_key_of_this_roster');

    const first = await runCli([...base, '--json'], env);
    expect(first.stderr).not.toContain(provider.secretKey);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      fetched: 250,
      created: 250,
      updated: 0,
      unchanged: 0,
      skipped: 0,
      failed: 0,
      resumed: false,
      dryRun: false,
    });

    const dry = await runCli([...base, '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(
      /^Dry run: read 250 contacts from plunk in [\d.]+ s: would be 0 created, 0 updated, 250 unchanged, 0 skipped, 0 failed\.\n$/,
    );

    const again = await runCli([...base, '--no-progress'], { ...env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Read 250 contacts from plunk');
    expect(again.stdout).toContain('0 created, 0 updated, 250 unchanged');

    const target = await createRoster({ database: db });
    try {
      const project = (await target.projects.findByName('moved'))!;
      const got = await target.contacts.findByEmail(project.id, 'cli.3@example.com');
      expect(got).toMatchObject({
        subscribed: false,
        data: { i: 3, nested: { tags: ['a', null], ok: false }, none: null },
      });
    } finally {
      await target.close();
    }
  });

  it('refuses an unknown provider and a bad concurrency by name', async () => {
    const db = join(dir, 'bad.db');
    const unknown = await runCli(['migrate', '--from', 'mailchimp', '--key', 'k', '--db', db]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("argument 'mailchimp' is invalid");
    const concurrency = await runCli([
      'migrate',
      '--from',
      'plunk',
      '--key',
      'k',
      '--db',
      db,
      '--concurrency',
      '0',
    ]);
    expect(concurrency.code).toBe(1);
    expect(concurrency.stderr).toContain('Invalid --concurrency "0"');
  });
});
