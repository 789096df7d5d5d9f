import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAILCHIMP_CLEANED, MAILCHIMP_SUBSCRIBED, MAILCHIMP_UNSUBSCRIBED, zipOf } from '@roster/test-harness';
import { describe, expect, it, vi } from 'vitest';
import { contactsOf, runCli, tempDirPerTest } from './cli-helpers.js';

// Each CLI process starts Node and the TypeScript loader: slow on a loaded 2-core machine.
vi.setConfig({ testTimeout: 120_000 });

let dir: string;
let db: string;
tempDirPerTest('roster-import-presets-cli-', (created) => {
  dir = created;
  db = join(dir, 'roster.db');
});

/** Each contact's subscription, by email. */
const subscriptions = (database: string) => contactsOf(database, (contact) => contact.subscribed);

describe('roster import --preset / --map / --dry-run', () => {
  it('imports every CSV of a Mailchimp export ZIP with --preset mailchimp, after a dry run that writes nothing', async () => {
    const zip = join(dir, 'export.zip');
    writeFileSync(
      zip,
      zipOf({
        'subscribed_email_audience_export_1.csv': MAILCHIMP_SUBSCRIBED,
        'unsubscribed_email_audience_export_1.csv': MAILCHIMP_UNSUBSCRIBED,
        'cleaned_email_audience_export_1.csv': MAILCHIMP_CLEANED,
      }),
    );
    const dry = await runCli(['import', zip, '--db', db, '--preset', 'mailchimp', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    const planned = JSON.parse(dry.stdout);
    expect(planned.dryRun).toBe(true);
    expect(
      planned.files.map((f: Record<string, unknown>) => [
        f.entry,
        f.createdCount,
        f.updatedCount,
        f.failureCount,
        f.suppressionsAddedCount,
      ]),
    ).toEqual([
      ['subscribed_email_audience_export_1.csv', 2, 0, 0, undefined],
      ['unsubscribed_email_audience_export_1.csv', 1, 0, 0, undefined],
      ['cleaned_email_audience_export_1.csv', 1, 0, 0, 1],
    ]);
    expect(await contactsOf(db)).toEqual({});

    const res = await runCli(['import', zip, '--db', db, '--preset', 'mailchimp', '--json']);
    expect(res.code).toBe(0);
    const done = JSON.parse(res.stdout);
    expect(
      done.files.map((f: Record<string, unknown>) => [f.entry, f.createdCount, f.suppressionsAddedCount]),
    ).toEqual([
      ['subscribed_email_audience_export_1.csv', 2, undefined],
      ['unsubscribed_email_audience_export_1.csv', 1, undefined],
      ['cleaned_email_audience_export_1.csv', 1, 1],
    ]);
    expect(await subscriptions(db)).toEqual({
      'ada@example.com': true,
      'grace@example.com': true,
      'linus@example.com': false,
      'bounced@example.com': false,
    });
    const text = await runCli(['import', zip, '--db', db, '--preset', 'mailchimp', '--dry-run']);
    expect(text.stdout).toContain(
      'Dry run of ' +
        zip +
        ': cleaned_email_audience_export_1.csv: 1 rows would be read: 0 created, 1 updated, 0 skipped (rejected), 0 suppressed (cleaned). Nothing was written.',
    );
  });

  it('reads any CSV with --map column=field, and names the field of a bad mapping', async () => {
    const file = join(dir, 'people.csv');
    writeFileSync(file, 'Mail;Given=Name;Seats\nx@example.com;Xa;3\n');
    const res = await runCli([
      'import',
      file,
      '--db',
      db,
      '--map',
      'mail=email',
      '--map',
      'given=name=firstName',
      '--map',
      'Seats=data.seats:number',
      '--json',
    ]);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ createdCount: 1, failureCount: 0 });
    expect(await contactsOf(db)).toEqual({ 'x@example.com': { seats: 3 } });

    const bad = await runCli(['import', file, '--db', db, '--map', 'mail=address', '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).error.details.issues[0].field).toBe('map');
    const preset = await runCli(['import', file, '--db', db, '--preset', 'hubspot', '--json']);
    expect(preset.code).toBe(1);
    expect(JSON.parse(preset.stdout).error.details.issues[0].field).toBe('preset');
    const syntax = await runCli(['import', file, '--db', db, '--map', 'mail']);
    expect(syntax).toMatchObject({ code: 1 });
    expect(syntax.stderr).toContain('--map mail: write it as column=field');
  });
});
