import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeEachDialect,
  LISTMONK_EXPORT as LISTMONK,
  MAILCHIMP_CLEANED as MC_CLEANED,
  MAILCHIMP_SUBSCRIBED as MC_SUBSCRIBED,
  MAILCHIMP_UNSUBSCRIBED as MC_UNSUBSCRIBED,
  openTestRosters,
  zipOf,
} from '@roster/test-harness';
import { describe, expect, it } from 'vitest';
import type { Contact } from '../contacts/contact-types.js';
import type { Roster } from '../roster.js';
import { mailchimpStatusOf, mailchimpTags, planColumns } from './import-presets.js';
import type { ImportFileInput } from './import-service.js';
import type { ImportResult } from './import-types.js';
import { openZipEntry, readZipEntries } from './zip-entries.js';

type Seen = Pick<Contact, 'firstName' | 'lastName' | 'subscribed' | 'data'>;

async function contact(roster: Roster, projectId: string, email: string): Promise<Seen | null> {
  const found = await roster.contacts.findByEmail(projectId, email);
  if (!found) return null;
  return {
    firstName: found.firstName,
    lastName: found.lastName,
    subscribed: found.subscribed,
    data: found.data,
  };
}

describe('import presets: column plans', () => {
  it('reads Mailchimp TAGS cells as arrays of tags', () => {
    expect(mailchimpTags('"Customer","VIP, gold"')).toBe('["Customer","VIP, gold"]');
    expect(mailchimpTags('a, b')).toBe('["a","b"]');
    expect(mailchimpTags(' ')).toBe('');
  });

  it('tells the section of a Mailchimp export from its file name', () => {
    expect(mailchimpStatusOf('x/subscribed_email_audience_export_1a.csv')).toBe('subscribed');
    expect(mailchimpStatusOf('unsubscribed_members_export_1a.csv')).toBe('unsubscribed');
    expect(mailchimpStatusOf('cleaned_members_export_1a.csv')).toBe('cleaned');
    expect(mailchimpStatusOf('audience.csv')).toBeUndefined();
  });

  it('lets map override a preset column and rejects a map naming a column the header lacks', () => {
    const plan = planColumns(['Email Address', 'First Name', 'Score'], {
      preset: 'mailchimp',
      map: { 'first name': 'data.given', score: 'data.score:number' },
    });
    expect(plan.header).toEqual(['email', 'data.given', 'data.score:number']);
    expect(() => planColumns(['email'], { map: { nope: 'email' } })).toThrow(/nope/);
  });
});

describe('ZIP entries', () => {
  it('streams a deflated or stored entry from any byte offset (where a resumed import continues)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-zip-'));
    const text = `email\n${Array.from({ length: 5000 }, (_, i) => `u${i}@example.com`).join('\n')}\n`;
    for (const stored of [false, true]) {
      const path = join(dir, `a-${stored}.zip`);
      writeFileSync(path, zipOf({ 'folder/': '', 'a.csv': text, 'b.txt': 'x' }, stored));
      const entries = await readZipEntries(path);
      const entry = entries.find((e) => e.name === 'a.csv')!;
      expect(entry.size).toBe(Buffer.byteLength(text));
      for (const start of [0, 1, 70_000, entry.size]) {
        const parts: Buffer[] = [];
        for await (const chunk of openZipEntry(path, entry, start)) parts.push(Buffer.from(chunk));
        expect(Buffer.concat(parts).toString()).toBe(text.slice(start));
      }
    }
  });
});

describeEachDialect('import presets', (dialect) => {
  const openRoster = openTestRosters(dialect);
  const dir = mkdtempSync(join(tmpdir(), 'roster-presets-'));

  async function setup() {
    const roster = await openRoster({ jobs: { onError: () => {} } });
    return { roster, projectId: (await roster.projects.ensure('p')).id };
  }

  async function runPath(roster: Roster, projectId: string, path: string, options = {}) {
    const { job } = await roster.imports.enqueueFromPath(projectId, path, options);
    const done = await roster.jobs.runJob(projectId, job.id);
    expect(done.status).toBe('completed');
    return done.result as ImportResult;
  }

  /** Uploads `file` (the library's `imports.enqueue`), runs the job, and gives its status (id, result). */
  async function runUpload(roster: Roster, projectId: string, input: ImportFileInput) {
    const job = await roster.imports.enqueue(projectId, input);
    await roster.jobs.runOnce();
    return roster.imports.status(projectId, job.id);
  }

  it('imports a Mailchimp audience export ZIP entry by entry, field by field, cleaned as unsubscribed', async () => {
    const { roster, projectId } = await setup();
    const path = join(dir, `mailchimp-${dialect}.zip`);
    writeFileSync(
      path,
      zipOf({
        'subscribed_email_audience_export_5f1.csv': MC_SUBSCRIBED,
        'unsubscribed_email_audience_export_5f1.csv': MC_UNSUBSCRIBED,
        'cleaned_email_audience_export_5f1.csv': MC_CLEANED,
      }),
    );
    const entries = await roster.imports.zipEntries(path);
    expect(entries).toEqual([
      'subscribed_email_audience_export_5f1.csv',
      'unsubscribed_email_audience_export_5f1.csv',
      'cleaned_email_audience_export_5f1.csv',
    ]);
    const results = [];
    for (const entry of entries)
      results.push(await runPath(roster, projectId, path, { preset: 'mailchimp', entry }));
    expect(results.map((r) => [r.createdCount, r.updatedCount, r.failureCount])).toEqual([
      [2, 0, 0],
      [1, 0, 0],
      [1, 0, 0],
    ]);

    expect(await contact(roster, projectId, 'ada@example.com')).toEqual({
      firstName: 'Ada',
      lastName: 'Lovelace',
      subscribed: true,
      data: {
        address: "12 St James's Sq  London  SW1Y 4JH  GB",
        phone_number: '+44 20 7946 0000',
        birthday: '12/10',
        member_rating: 4,
        optin_time: '2024-01-02 10:00:00',
        optin_ip: '203.0.113.1',
        confirm_time: '2024-01-02 10:05:00',
        confirm_ip: '203.0.113.1',
        latitude: '51.5',
        longitude: '-0.13',
        gmtoff: '0',
        dstoff: '1',
        timezone: 'Europe/London',
        cc: 'GB',
        region: 'ENG',
        last_changed: '2024-03-04 08:00:00',
        leid: '1001',
        euid: 'abc123',
        notes: 'met at PyCon',
        tags: ['Customer', 'VIP, gold'],
        mailchimp_status: 'subscribed',
      },
    });
    expect(await contact(roster, projectId, 'grace@example.com')).toEqual({
      firstName: 'Grace',
      lastName: 'Hopper Jr',
      subscribed: true,
      data: {
        member_rating: 2,
        optin_time: '2024-02-01 09:00:00',
        last_changed: '2024-02-01 09:00:00',
        leid: '1002',
        euid: 'def456',
        mailchimp_status: 'subscribed',
      },
    });
    expect(await contact(roster, projectId, 'linus@example.com')).toEqual({
      firstName: 'Linus',
      lastName: null,
      subscribed: false,
      data: {
        member_rating: 1,
        optin_time: '2023-05-01 12:00:00',
        last_changed: '2024-05-06 07:00:00',
        unsub_time: '2024-05-06 07:00:00',
        unsub_campaign_title: 'May news',
        unsub_campaign_id: 'c0ffee',
        unsub_reason: 'I no longer want to receive these emails',
        leid: '1003',
        euid: 'ghi789',
        tags: ['Lead'],
        mailchimp_status: 'unsubscribed',
      },
    });
    expect(await contact(roster, projectId, 'bounced@example.com')).toEqual({
      firstName: null,
      lastName: null,
      subscribed: false,
      data: {
        member_rating: 1,
        optin_time: '2022-01-01 00:00:00',
        last_changed: '2024-06-01 00:00:00',
        clean_time: '2024-06-01 00:00:00',
        clean_campaign_title: 'June news',
        clean_campaign_id: 'beef01',
        leid: '1004',
        euid: 'jkl012',
        mailchimp_status: 'cleaned',
      },
    });

    // The same entry again, unchanged: already imported, nothing queued.
    const again = await roster.imports.enqueueFromPath(projectId, path, {
      preset: 'mailchimp',
      entry: entries[0]!,
    });
    expect(again.alreadyImported).toBe(true);
    // A ZIP without an entry, and an unknown entry, are refused naming the field.
    await expect(
      roster.imports.enqueueFromPath(projectId, path, { preset: 'mailchimp' }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
      details: { issues: [{ field: 'file' }] },
    });
    await expect(
      roster.imports.enqueueFromPath(projectId, path, { preset: 'mailchimp', entry: 'nope.csv' }),
    ).rejects.toMatchObject({ code: 'validation_failed', details: { issues: [{ field: 'entry' }] } });
  });

  it('suppresses Mailchimp cleaned members (origin bounce) in the import, counted; a dry run counts them first', async () => {
    const { roster, projectId } = await setup();
    const path = join(dir, `cleaned-${dialect}.zip`);
    const cleaned = `${MC_CLEANED}\r\n${MC_CLEANED.split('\r\n')[1]!.replace('bounced@', 'gone@')}`;
    writeFileSync(
      path,
      zipOf({
        'subscribed_email_audience_export_5f1.csv': MC_SUBSCRIBED,
        'cleaned_email_audience_export_5f1.csv': cleaned,
      }),
    );
    const entry = 'cleaned_email_audience_export_5f1.csv';
    // gone@ is suppressed already (manually): not counted again, and its entry is kept as it was.
    await roster.suppressions.add(projectId, { email: 'gone@example.com', reason: 'by hand' });
    const dry = await roster.imports.dryRunFromPath(projectId, path, { preset: 'mailchimp', entry });
    expect([dry.createdCount, dry.suppressionsAddedCount]).toEqual([2, 1]);
    expect(await roster.suppressions.check(projectId, 'bounced@example.com')).toBeNull();

    const subscribed = await runPath(roster, projectId, path, {
      preset: 'mailchimp',
      entry: 'subscribed_email_audience_export_5f1.csv',
    });
    expect(subscribed.suppressionsAddedCount).toBeUndefined();
    const result = await runPath(roster, projectId, path, { preset: 'mailchimp', entry });
    expect([result.createdCount, result.suppressionsAddedCount]).toEqual([2, 1]);
    expect(await roster.suppressions.check(projectId, 'bounced@example.com')).toMatchObject({
      email: 'bounced@example.com',
      origin: 'bounce',
      reason: 'Mailchimp: cleaned',
    });
    expect(await roster.suppressions.check(projectId, 'gone@example.com')).toMatchObject({
      origin: 'manual',
      reason: 'by hand',
    });
    expect(await roster.suppressions.check(projectId, 'ada@example.com')).toBeNull();
    // Suppressed: a later write cannot subscribe the address.
    const bounced = await roster.contacts.findByEmail(projectId, 'bounced@example.com');
    expect(bounced?.subscribed).toBe(false);
    await roster.contacts.update(projectId, bounced!.id, { subscribed: true });
    expect((await roster.contacts.findByEmail(projectId, 'bounced@example.com'))?.subscribed).toBe(false);
    // Again (forced): every address is listed already, nothing added.
    const dryAgain = await roster.imports.dryRunFromPath(projectId, path, { preset: 'mailchimp', entry });
    expect(dryAgain.suppressionsAddedCount).toBe(0);
    const again = await runPath(roster, projectId, path, { preset: 'mailchimp', entry, force: true });
    expect(again.suppressionsAddedCount).toBe(0);
    expect((await roster.suppressions.list(projectId)).data).toHaveLength(2);
  });

  it('reads a stored (uncompressed) ZIP entry and a single Mailchimp CSV uploaded through the library', async () => {
    const { roster, projectId } = await setup();
    const path = join(dir, `stored-${dialect}.zip`);
    writeFileSync(path, zipOf({ 'cleaned_members_export_1.csv': MC_CLEANED }, true));
    const result = await runPath(roster, projectId, path, {
      preset: 'mailchimp',
      entry: 'cleaned_members_export_1.csv',
    });
    expect(result.createdCount).toBe(1);
    const unsubscribed = await runUpload(roster, projectId, {
      file: Buffer.from(MC_UNSUBSCRIBED),
      name: 'unsubscribed_members_export_1.csv',
      preset: 'mailchimp',
    });
    expect(unsubscribed.result?.createdCount).toBe(1);
    const linus = await contact(roster, projectId, 'linus@example.com');
    expect(linus?.subscribed).toBe(false);
    expect(linus?.data?.mailchimp_status).toBe('unsubscribed');
    // A file whose name names no section sets no subscription state (new contacts: subscribed).
    const plain = await runUpload(roster, projectId, {
      file: Buffer.from(MC_UNSUBSCRIBED.replace('linus@', 'other@')),
      name: 'audience.csv',
      preset: 'mailchimp',
    });
    expect(plain.result?.createdCount).toBe(1);
    const other = await contact(roster, projectId, 'other@example.com');
    expect(other?.subscribed).toBe(true);
    expect(other?.data).not.toHaveProperty('mailchimp_status');
  });

  it('imports a listmonk subscriber export: attributes spread into data, blocklisted unsubscribed, names split', async () => {
    const { roster, projectId } = await setup();
    // An existing unsubscribed contact that listmonk has as disabled: its subscription stays.
    await roster.contacts.create(projectId, { email: 'paused@example.com', subscribed: false });
    const path = join(dir, `listmonk-${dialect}.csv`);
    writeFileSync(path, LISTMONK);
    const result = await runPath(roster, projectId, path, { preset: 'listmonk' });
    expect(result).toMatchObject({ totalRows: 5, createdCount: 2, updatedCount: 1, failureCount: 2 });
    expect(result.errors).toEqual([
      { row: 5, email: 'broken@example.com', error: 'Invalid attributes (must be a JSON object)' },
      { row: 6, email: 'notjson@example.com', error: 'Invalid attributes ("{nope" is not valid JSON)' },
    ]);
    expect(await contact(roster, projectId, 'kim@example.com')).toEqual({
      firstName: 'Kim',
      lastName: 'Jong-un Park',
      subscribed: true,
      data: {
        city: 'Zürich',
        plan: { seats: 5, tags: ['a', null, true] },
        score: 4.5,
        note: null,
        listmonk_uuid: 'b6b7b4c2-0000-4000-8000-000000000001',
        listmonk_created_at: '2024-01-01 10:00:00.123+00',
        listmonk_updated_at: '2024-02-01 10:00:00.456+00',
      },
    });
    expect(await contact(roster, projectId, 'blocked@example.com')).toEqual({
      firstName: 'Blocked',
      lastName: null,
      subscribed: false,
      data: {
        listmonk_uuid: 'b6b7b4c2-0000-4000-8000-000000000002',
        listmonk_created_at: '2024-01-02 00:00:00+00',
        listmonk_updated_at: '2024-01-03 00:00:00+00',
      },
    });
    expect(await contact(roster, projectId, 'paused@example.com')).toEqual({
      firstName: null,
      lastName: null,
      subscribed: false,
      data: {
        '🌍': 'ünïcode',
        listmonk_uuid: 'b6b7b4c2-0000-4000-8000-000000000003',
        listmonk_created_at: '2024-01-04 00:00:00+00',
        listmonk_updated_at: '2024-01-04 00:00:00+00',
      },
    });
    expect(await contact(roster, projectId, 'broken@example.com')).toBeNull();
  });

  it('checks spread attributes against declared property types', async () => {
    const { roster, projectId } = await setup();
    await roster.properties.create(projectId, { key: 'score', type: 'string', fallbackValue: null });
    const path = join(dir, `typed-${dialect}.csv`);
    writeFileSync(path, LISTMONK);
    const result = await runPath(roster, projectId, path, { preset: 'listmonk' });
    expect(result.errors[0]).toMatchObject({ row: 2, email: 'kim@example.com' });
    expect(result.errors[0]!.error).toMatch(/^Invalid attributes \(the key "score" /);
    expect(await contact(roster, projectId, 'kim@example.com')).toBeNull();
  });

  it('maps any CSV with map, and refuses unknown fields and missing columns naming map', async () => {
    const { roster, projectId } = await setup();
    const path = join(dir, `mapped-${dialect}.csv`);
    writeFileSync(
      path,
      'E-Mail;Vorname;Aktiv;Seats;Intern\nx@example.com;Xa;no;3;secret\ny@example.com;;yes;;\n',
    );
    const map = {
      'e-mail': 'email',
      Vorname: 'firstName',
      aktiv: 'subscribed',
      seats: 'data.seats:number',
      intern: 'skip',
    };
    const result = await runPath(roster, projectId, path, { map });
    expect(result).toMatchObject({ createdCount: 2, failureCount: 0 });
    expect(await contact(roster, projectId, 'x@example.com')).toEqual({
      firstName: 'Xa',
      lastName: null,
      subscribed: false,
      data: { seats: 3 },
    });
    expect(await contact(roster, projectId, 'y@example.com')).toEqual({
      firstName: null,
      lastName: null,
      subscribed: true,
      data: null,
    });
    await expect(
      roster.imports.enqueueFromPath(projectId, path, { map: { 'e-mail': 'mail' } }),
    ).rejects.toMatchObject({ code: 'validation_failed', details: { issues: [{ field: 'map' }] } });
    await expect(
      roster.imports.enqueueFromPath(projectId, path, { map: { email: 'email' } }),
    ).rejects.toMatchObject({ code: 'validation_failed', details: { issues: [{ field: 'map' }] } });
    await expect(
      roster.imports.enqueueFromPath(projectId, path, { preset: 'hubspot' as never }),
    ).rejects.toMatchObject({ code: 'validation_failed', details: { issues: [{ field: 'preset' }] } });
  });

  it('reads an upload by a Resend columnMap or by a preset, and refuses both together naming preset', async () => {
    const { roster, projectId } = await setup();
    const mapped = await runUpload(roster, projectId, {
      file: Buffer.from('E-Mail,Vorname\nmapped@example.com,Ma\n'),
      columnMap: { email: 'E-Mail', firstName: 'Vorname' },
    });
    expect(mapped.result).toMatchObject({
      createdCount: 1,
      failureCount: 0,
    });
    expect((await contact(roster, projectId, 'mapped@example.com'))?.firstName).toBe('Ma');
    const preset = await runUpload(roster, projectId, {
      file: Buffer.from(MC_UNSUBSCRIBED),
      name: 'unsubscribed_members_export_1.csv',
      preset: 'mailchimp',
    });
    expect(preset.result?.createdCount).toBe(1);
    expect((await contact(roster, projectId, 'linus@example.com'))?.subscribed).toBe(false);
    for (const both of [{ preset: 'mailchimp' as const }, { map: { 'e-mail': 'email' } }]) {
      await expect(
        roster.imports.enqueue(projectId, {
          file: Buffer.from('E-Mail,Vorname\nboth@example.com,Bo\n'),
          columnMap: { email: 'E-Mail' },
          ...both,
        }),
      ).rejects.toMatchObject({
        code: 'validation_failed',
        details: { issues: [{ field: 'preset', message: expect.stringContaining('columnMap') }] },
      });
    }
    expect((await roster.imports.list(projectId)).data.map((job) => job.id).sort()).toEqual(
      [mapped.id, preset.id].sort(),
    );
  });

  it('a dry run reads and checks everything, counts what would be created, updated and skipped, and writes nothing', async () => {
    const { roster, projectId } = await setup();
    await roster.contacts.create(projectId, { email: 'kim@example.com' });
    const path = join(dir, `dry-${dialect}.csv`);
    writeFileSync(path, `${LISTMONK}\nb6b7b4c2-0000-4000-8000-000000000006,kim@example.com,Kim,{},enabled,,`);
    const before = await roster.contacts.list(projectId, { limit: 100 });
    const result = await roster.imports.dryRunFromPath(projectId, path, { preset: 'listmonk' });
    expect(result).toMatchObject({ totalRows: 6, createdCount: 2, updatedCount: 2, failureCount: 2 });
    expect(result.errors.map((e) => e.row)).toEqual([5, 6]);
    const after = await roster.contacts.list(projectId, { limit: 100 });
    expect(after.data).toEqual(before.data);
    expect((await roster.jobs.list(projectId)).data).toEqual([]);
  });
});
