import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTestRoster,
  describeEachDialect,
  listenOnLoopback,
  type TestDialect,
} from '@roster/test-harness';
import { sql } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import type { Roster } from '../roster.js';

/** The person, as they typed their address (import and idempotency rows keep it as given). */
const ADDRESS = 'ada.lovelace@example.com';
const TYPED = 'Ada.Lovelace@Example.COM';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function runJobs(roster: Roster) {
  for (let idle = 0; idle < 3; ) idle = (await roster.jobs.runOnce()) > 0 ? 0 : idle + 1;
}

/**
 * A project where the address is everywhere roster keeps data: the contact (names, data), its
 * events, segment and topic memberships, an audience, outbox rows, webhook deliveries and attempts
 * (the receiver echoes the body back, so attempts keep it too), a batch change event of an import
 * that also rejected a row with the typed address, and an idempotency record keyed by it.
 */
async function populate(dialect: TestDialect) {
  const dir = mkdtempSync(join(tmpdir(), 'roster-erase-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const sqlitePath = join(dir, 'roster.db');
  const roster = await createTestRoster(dialect, { sqlitePath, webhooks: { allowPrivateTargets: true } });
  cleanups.push(() => roster.close());
  const receiver = await listenOnLoopback((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.writeHead(500).end(Buffer.concat(chunks)));
  });
  cleanups.push(() => receiver.close());
  const projectId = (await roster.projects.ensure('main')).id;
  const otherProjectId = (await roster.projects.ensure('other')).id;
  await roster.webhooks.create(projectId, {
    url: `${receiver.url}/hooks`,
    eventTypes: ['contact.created', 'contact.updated'],
  });
  const audience = await roster.audiences.create(projectId, { name: 'Newsletter' });
  const { contact } = await roster.contacts.upsert(projectId, {
    email: TYPED,
    firstName: 'Ada',
    lastName: 'Lovelace',
    data: { city: 'London', backup: ADDRESS },
    audienceId: audience.id,
  });
  await roster.events.track(projectId, { email: ADDRESS, event: 'signed-up', data: { from: ADDRESS } });
  const segment = await roster.segments.create(projectId, { name: 'VIP', type: 'STATIC' } as never);
  await roster.segments.addMembers(projectId, segment.id, { emails: [ADDRESS] });
  const topic = await roster.topics.create(projectId, { name: 'News', defaultSubscription: 'opt_out' });
  await roster.topics.setContactTopics(projectId, contact.id, [{ id: topic.id, subscription: 'opt_in' }]);
  await roster.imports.enqueue(projectId, {
    file: Buffer.from(
      `email,subscribed,plan\n${TYPED},maybe,x\n${ADDRESS},true,pro\nbob@example.com,true,basic\n`,
    ),
    name: 'people.csv',
  });
  await roster.idempotency.claim(projectId, `signup-${TYPED}`, 'POST', '/v1/track');
  // Another person and another project, which must stay as they are.
  await roster.contacts.upsert(projectId, { email: 'bob@example.com', data: { friend: 'ada' } });
  await roster.contacts.upsert(otherProjectId, { email: ADDRESS });
  await runJobs(roster);
  return { roster, projectId, otherProjectId, contact, sqlitePath, topic, segment };
}

/** Where the database holds the address, in any case: table.column names (and the SQLite files). */
async function whereIs(
  roster: Roster,
  dialect: TestDialect,
  sqlitePath: string,
  project: string,
): Promise<string[]> {
  const found: string[] = [];
  const needle = ADDRESS.toLowerCase();
  if (dialect === 'sqlite') {
    const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(
      roster.db,
    );
    for (const { name } of tables.rows) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.id(name)}`.execute(roster.db);
      for (const row of rows.rows) {
        for (const [column, value] of Object.entries(row)) {
          const text = value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : String(value);
          if (text.toLowerCase().includes(needle)) found.push(`${name}.${column}`);
        }
      }
    }
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(roster.db);
    for (const file of [sqlitePath, `${sqlitePath}-wal`]) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch {
        continue;
      }
      if (bytes.toString('latin1').toLowerCase().includes(needle)) found.push(file);
    }
  } else {
    const columns = await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns
      where table_schema = current_schema() and data_type in ('text', 'jsonb', 'character varying', 'json', 'bytea')`.execute(
      roster.db,
    );
    for (const { table_name, column_name } of columns.rows) {
      const hit = await sql<{ n: string }>`select count(*) as n from ${sql.id(table_name)}
        where position(${needle} in lower(encode(convert_to(cast(${sql.ref(column_name)} as text), 'UTF8'), 'escape'))) > 0`.execute(
        roster.db,
      );
      if (Number(hit.rows[0]!.n) > 0) found.push(`${table_name}.${column_name}`);
    }
  }
  void project;
  return found.sort();
}

describeEachDialect('personal data', (dialect) => {
  it('exports everything roster stores about one address as one JSON document', {
    timeout: 60_000,
  }, async () => {
    const { roster, projectId, contact, topic, segment } = await populate(dialect);
    const doc = await roster.consent.exportPersonalData(projectId, TYPED);
    expect(doc.email).toBe(ADDRESS);
    expect(doc.contact).toMatchObject({
      id: contact.id,
      firstName: 'Ada',
      data: { city: 'London', plan: 'pro' },
    });
    expect(doc.audience).toMatchObject({ name: 'Newsletter' });
    expect(doc.events.map((e) => e.name)).toContain('signed-up');
    expect(doc.segments).toEqual([expect.objectContaining({ id: segment.id, name: 'VIP' })]);
    expect(doc.topics).toEqual([expect.objectContaining({ id: topic.id, subscription: 'opt_in' })]);
    expect(doc.changes.some((c) => c.type === 'contact.created')).toBe(true);
    expect(doc.webhookDeliveries.length).toBeGreaterThan(0);
    expect(doc.webhookDeliveries[0]!.attempts.length).toBeGreaterThan(0);
    expect(doc.importErrors).toEqual([expect.objectContaining({ row: 2, email: TYPED })]);
    expect(doc.idempotencyRecords).toEqual([expect.objectContaining({ key: `signup-${TYPED}` })]);
    expect(doc.suppressions).toEqual([]);
    // One JSON document.
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('erases the address from the whole database, leaving only a hashed erasure suppression', {
    timeout: 60_000,
  }, async () => {
    const { roster, projectId, otherProjectId, sqlitePath } = await populate(dialect);
    await roster.suppressions.add(projectId, { email: ADDRESS, reason: 'was manual' });
    expect(await whereIs(roster, dialect, sqlitePath, projectId)).not.toEqual([]);
    // The other project's contact of the same address stays (erasure is per project).
    const report = await roster.consent.erase(projectId, TYPED);
    expect(report).toMatchObject({
      contactDeleted: true,
      segmentMemberships: 1,
      topicSubscriptions: 1,
      importErrorRows: 1,
      idempotencyRecordsDeleted: 1,
      suppressionsReplaced: 1,
      suppression: { email: null, origin: 'erasure', reason: null },
    });
    expect(report.events).toBeGreaterThan(0);
    expect(report.changesDeleted).toBeGreaterThan(0);
    expect(report.webhookDeliveriesDeleted).toBeGreaterThan(0);
    expect(await roster.contacts.findByEmail(otherProjectId, ADDRESS)).not.toBeNull();
    // Only the other project's contact (its row, SQLite's search index over it, its outbox row) holds it.
    const left = await whereIs(roster, dialect, sqlitePath, projectId);
    expect(left.filter((where) => !/^roster_(contacts|contacts_fts|outbox)\./.test(where))).toEqual(
      dialect === 'sqlite' ? [sqlitePath] : [],
    );
    await roster.consent.erase(otherProjectId, ADDRESS);
    expect(await whereIs(roster, dialect, sqlitePath, projectId)).toEqual([]);
    // Bob is still there, and the list shows the erasure without the address.
    expect(await roster.contacts.findByEmail(projectId, 'bob@example.com')).not.toBeNull();
    expect((await roster.suppressions.list(projectId)).data).toEqual([report.suppression]);
    // A later write of the address is suppressed.
    const back = await roster.contacts.upsert(projectId, { email: ADDRESS, subscribed: true });
    expect(back).toMatchObject({ suppressed: true, contact: { subscribed: false } });
    expect((await roster.suppressions.check(projectId, ADDRESS))?.origin).toBe('erasure');
  });
});
