import { describeEachDialect } from '@roster/test-harness';
import * as kit from '@roster/test-harness/migration-kit';
import { type Kysely, sql } from 'kysely';
import { expect, it } from 'vitest';
import type { Contact } from '../contacts/contact-types.js';
import { sqliteContactIndex } from '../contacts/sqlite-contact-index.js';
import { contactIdText } from '../ids.js';
import { createRoster, type Roster } from '../roster.js';
import type { FilterCondition } from '../segments/filter-types.js';
import { dialectFor } from './dialect.js';
import { migration0025SqliteContactIdBlobs } from './migrations/0025-sqlite-contact-id-blobs.js';
import { migrationsOf } from './migrations.js';

/**
 * A SQLite database as the build before 0025 left it (every contact id and `contact_id` stored as
 * 36 characters of text), populated with contacts (data, names, audience, unsubscribed, pending),
 * events, static and dynamic segment members, topic choices and consent rows, plus a contact whose
 * id is not canonical text: migrated, every contact answers through the API as before, canonical ids
 * are 16-byte blobs (the other stays text), foreign keys hold, and an interrupted run resumes.
 */

const PRO: FilterCondition = {
  logic: 'AND',
  groups: [{ filters: [{ field: 'data.plan', operator: 'equals', value: 'pro' }] }],
};

/** A contact id that is not canonical (never made by roster, but text it would keep as it is). */
const ODD_ID = '00000000-odd-contact';

const CHILDREN = [
  'roster_events',
  'roster_segment_members',
  'roster_contact_topics',
  'roster_contact_consent',
];

/** Text of a stored 16-byte id, written in SQL (what the build before 0025 stored). */
const TEXT_OF = (column: string) =>
  sql.raw(`lower(substr(hex(${column}), 1, 8) || '-' || substr(hex(${column}), 9, 4) || '-' ||
    substr(hex(${column}), 13, 4) || '-' || substr(hex(${column}), 17, 4) || '-' || substr(hex(${column}), 21, 12))`);

/** Migrates to 0024, then fills the database through the API (this build: blobs). */
async function seed(database: string): Promise<{ projects: string[]; segments: string[] }> {
  await kit.migrateBefore(database, 'sqlite', migrationsOf(dialectFor('sqlite')), '0025');
  // The substring index, as that build's start built it.
  await kit.withRawDatabase(database, (db) =>
    sqliteContactIndex({ substringIndex: true }).prepare(db, () => {}),
  );
  return kit.withUnmigratedRoster(database, async (roster) => {
    const projects = [(await roster.projects.ensure('one')).id, (await roster.projects.ensure('two')).id];
    const db = roster.db as Kysely<any>;
    // The odd id first: as text it sorts below every id, before and after (TEXT sorts before BLOB).
    await sql`insert into roster_contacts (id, project_id, email, subscribed, created_at, updated_at)
      values (${ODD_ID}, (select seq from roster_projects where id = ${projects[0]}), 'odd@example.com', 1,
        ${Date.parse('2020-01-01T00:00:00.000Z')}, ${Date.parse('2020-01-01T00:00:00.000Z')})`.execute(db);
    const audience = await roster.audiences.create(projects[0]!, { name: 'list' });
    const topic = await roster.topics.create(projects[0]!, { name: 'news', defaultSubscription: 'opt_in' });
    const list = await roster.segments.create(projects[0]!, { name: 'list', type: 'STATIC' });
    const pro = await roster.segments.create(projects[0]!, {
      name: 'pro',
      type: 'DYNAMIC',
      condition: PRO,
      trackMembership: true,
    });
    for (const [p, projectId] of projects.entries()) {
      const n = p === 0 ? 45 : 12;
      await roster.contacts.createMany(projectId, {
        ...(p === 0 ? { audienceId: audience.id } : {}),
        contacts: Array.from({ length: n }, (_, i) => ({
          email:
            i % 5 === 0
              ? `rare.${i}@sample.example.com`
              : `person${String((i * 7) % n).padStart(2, '0')}@example.com`,
          subscribed: i % 3 !== 0,
          firstName: i % 2 ? `First${i}` : undefined,
          lastName: i % 4 ? `Last${i}` : undefined,
          data: i % 4 === 0 ? { plan: 'pro', n: i } : undefined,
        })),
      });
    }
    const main = projects[0]!;
    for (let i = 0; i < 4; i++)
      await roster.contacts.create(main, { email: `pending${i}@example.com`, pending: true });
    const some = (await roster.contacts.listOffset(main, { limit: 30 })).filter((c) => c.id !== ODD_ID);
    for (const [i, contact] of some.entries()) {
      if (i % 2 === 0)
        await roster.events.track(main, { event: 'purchase', email: contact.email, data: { i } });
      if (i % 3 === 0)
        await roster.topics.setContactTopics(main, contact.id, [
          { id: topic.id, subscription: i % 2 ? 'opt_in' : 'opt_out' },
        ]);
    }
    await roster.segments.addMembers(main, list.id, { emails: some.slice(0, 12).map((c) => c.email) });
    await roster.segments.removeMembers(main, list.id, { emails: [some[3]!.email] });
    await roster.segments.compute(main, pro.id);
    await sql`insert into roster_events (id, project_id, contact_id, name, data, created_at)
      values ('00000000-0000-7000-8000-0000000000ee', ${main}, ${ODD_ID}, 'odd', null, '2020-01-01T00:00:00.000Z')`.execute(
      db,
    );
    return { projects, segments: [list.id, pro.id] };
  });
}

/** Rewrites every stored id as text, as the build before 0025 stored it. */
async function asTextIds(database: string): Promise<void> {
  await kit.withRawDatabase(database, async (db) => {
    await sql`begin immediate`.execute(db);
    await sql`pragma defer_foreign_keys = on`.execute(db);
    for (const child of CHILDREN) {
      await sql`update ${sql.table(child)} set contact_id = ${TEXT_OF('contact_id')} where typeof(contact_id) = 'blob'`.execute(
        db,
      );
    }
    await sql`update roster_contacts set id = ${TEXT_OF('id')} where typeof(id) = 'blob'`.execute(db);
    await sql`commit`.execute(db);
  });
}

/** How each table stores its contact ids: `table typeof` -> rows. */
async function storage(db: Kysely<any>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [table, column] of [
    ['roster_contacts', 'id'],
    ...CHILDREN.map((t) => [t, 'contact_id']),
  ] as const) {
    const { rows } = await sql<{ t: string; n: number }>`select typeof(${sql.ref(column)}) as t, count(*) as n
      from ${sql.table(table)} group by 1 order by 1`.execute(db);
    for (const row of rows) out[`${table} ${row.t}`] = Number(row.n);
  }
  return out;
}

/** Everything the API answers about the projects' contacts, contact by contact and as lists. */
async function answers(roster: Roster, projects: string[], segments: string[]) {
  const out: Record<string, unknown> = {};
  for (const projectId of projects) {
    const contacts: Contact[] = [];
    for (let at = 0; ; at += 10) {
      const page = await roster.contacts.listOffset(projectId, { limit: 10, offset: at });
      if (page.length === 0) break;
      contacts.push(...page);
    }
    out[`${projectId} offset`] = contacts.map((c) => c.id);
    for (const contact of contacts) {
      const id = contact.id;
      const get = await roster.contacts.get(projectId, id).catch((e: Error) => e.message);
      out[`${id} get`] = get;
      out[`${id} upper`] = await roster.contacts
        .get(projectId, id.toUpperCase())
        .catch((e: Error) => e.message);
      out[`${id} events`] = await roster.events.list(projectId, id).catch((e: Error) => e.message);
      out[`${id} topics`] = await roster.topics.contactTopics(projectId, id).catch((e: Error) => e.message);
      out[`${id} segments`] = await roster.segments.ofContact(projectId, id).catch((e: Error) => e.message);
      out[`${id} consent`] = await roster.consent.status(projectId, id).catch((e: Error) => e.message);
    }
    for (const sort of ['createdAt', 'email'] as const) {
      for (const dir of ['asc', 'desc'] as const) {
        out[`${projectId} ${sort} ${dir}`] = await kit.everyContactPage(roster, projectId, { sort, dir }, 7);
      }
    }
    out[`${projectId} search`] = await kit.everyContactPage(roster, projectId, { search: 'sample' }, 4);
    out[`${projectId} filter`] = await kit.everyContactPage(roster, projectId, { filter: PRO }, 4);
    const streamed: string[] = [];
    for await (const c of roster.contacts.stream(projectId, { batchSize: 6 })) streamed.push(c.id);
    out[`${projectId} stream`] = streamed;
    out[`${projectId} count`] = await roster.contacts.count(projectId, { subscribed: true });
  }
  for (const id of segments) {
    out[`${id} members`] = await roster.segments.contacts(projects[0]!, id, { page: 1, pageSize: 100 });
  }
  return out;
}

/** The rows that are not contact ids, which the migration must leave as they were. */
async function otherState(db: Kysely<any>): Promise<unknown[]> {
  return [
    (
      await sql`select seq, email, subscribed, data, first_name, last_name, audience_id, created_at, updated_at, project_id from roster_contacts order by seq`.execute(
        db,
      )
    ).rows,
    (await sql`select * from roster_contact_daily order by 1, 2, 3`.execute(db)).rows,
    (await sql`select * from roster_contact_counts order by 1`.execute(db)).rows,
    (await sql`select * from roster_search_state`.execute(db)).rows,
  ];
}

describeEachDialect('migration 0025 (SQLite contact ids as 16-byte blobs)', (dialect) => {
  const scratch = kit.eachScratchDatabase(dialect);

  it.runIf(dialect === 'postgres')('changes nothing on PostgreSQL', async () => {
    const roster = await createRoster({ database: scratch.url() });
    try {
      const db = roster.db as Kysely<any>;
      const before = [await kit.pgColumns(db), await kit.pgConstraints(db)];
      await migration0025SqliteContactIdBlobs('postgres').up(db);
      expect([await kit.pgColumns(db), await kit.pgConstraints(db)]).toEqual(before);
    } finally {
      await roster.close();
    }
  });

  it.runIf(dialect === 'sqlite')(
    'stores canonical ids as 16 bytes in the contacts and their children, and every contact answers as before',
    async () => {
      const database = scratch.url();
      const { projects, segments } = await seed(database);
      // Read through this build's API while the ids are blobs, then rewritten as the old build's text.
      const expected = await kit.withUnmigratedRoster(database, (roster) =>
        answers(roster, projects, segments),
      );
      await asTextIds(database);
      const textState = await kit.withRawDatabase(database, async (db) => {
        const stored = await storage(db);
        expect(Object.keys(stored).filter((k) => k.endsWith(' blob'))).toEqual([]);
        return { stored, other: await otherState(db) };
      });

      const roster = await createRoster({ database });
      try {
        const db = roster.db as Kysely<any>;
        const stored = await storage(db);
        // Every canonical id is a blob; the odd id (one contact, one event) stays text.
        const expectedStorage: Record<string, number> = {};
        for (const [key, n] of Object.entries(textState.stored)) {
          const [table] = key.split(' ');
          const odd = table === 'roster_contacts' || table === 'roster_events' ? 1 : 0;
          if (n - odd > 0) expectedStorage[`${table} blob`] = n - odd;
          if (odd) expectedStorage[`${table} text`] = odd;
        }
        expect(stored).toEqual(expectedStorage);
        expect(stored['roster_segment_members blob']).toBeGreaterThan(0);
        expect(stored['roster_contact_topics blob']).toBeGreaterThan(0);
        expect(stored['roster_contact_consent blob']).toBe(4);
        const odd = await sql<{
          id: unknown;
        }>`select id from roster_contacts where typeof(id) = 'text'`.execute(db);
        expect(odd.rows.map((r) => r.id)).toEqual([ODD_ID]);
        const sizes = await sql<{
          n: number;
        }>`select count(*) as n from roster_contacts where typeof(id) = 'blob' and length(id) <> 16`.execute(
          db,
        );
        expect(Number(sizes.rows[0]!.n)).toBe(0);
        expect((await sql`pragma foreign_key_check`.execute(db)).rows).toEqual([]);
        expect(await otherState(db)).toEqual(textState.other);
        // seq order is still id order (the odd text id first: TEXT sorts before BLOB).
        const bySeq = (await sql<{ id: unknown }>`select id from roster_contacts order by seq`.execute(db))
          .rows;
        const byId = (await sql<{ id: unknown }>`select id from roster_contacts order by id`.execute(db))
          .rows;
        expect(bySeq.map((r) => contactIdText(r.id))).toEqual(byId.map((r) => contactIdText(r.id)));
        expect(bySeq.map((r) => contactIdText(r.id))[0]).toBe(ODD_ID);

        expect(await answers(roster, projects, segments)).toEqual(expected);
        // New contacts get ids above every stored one and blobs too.
        const made = await roster.contacts.create(projects[0]!, { email: 'new@example.com' });
        const last = await sql<{
          id: unknown;
          t: string;
        }>`select id, typeof(id) as t from roster_contacts order by seq desc limit 1`.execute(db);
        expect([contactIdText(last.rows[0]!.id), last.rows[0]!.t]).toEqual([made.id, 'blob']);

        // Run again: nothing changes.
        const rowsBefore = (await sql`select * from roster_contacts order by seq`.execute(db)).rows;
        await kit.expectRerunKeepsContacts(db, migration0025SqliteContactIdBlobs('sqlite'));
        expect((await sql`select * from roster_contacts order by seq`.execute(db)).rows).toEqual(rowsBefore);
      } finally {
        await roster.close();
      }
    },
  );

  it.runIf(dialect === 'sqlite')(
    'an interrupted run keeps its committed batches and the next start completes it',
    async () => {
      const database = scratch.url();
      const { projects, segments } = await seed(database);
      const expected = await kit.withUnmigratedRoster(database, (roster) =>
        answers(roster, projects, segments),
      );
      await asTextIds(database);
      await kit.withRawDatabase(database, async (db) => {
        const interrupted = migration0025SqliteContactIdBlobs('sqlite', {
          batch: 20,
          afterBatch: () => {
            throw new Error('interrupted');
          },
        });
        await expect(interrupted.up(db)).rejects.toThrow('interrupted');
        const stored = await storage(db);
        // The first batch (20 contacts by seq: the odd one and 19 others) and its children only.
        expect(stored['roster_contacts blob']).toBe(19);
        expect(stored['roster_contacts text']).toBeGreaterThan(19);
        expect((await sql`pragma foreign_key_check`.execute(db)).rows).toEqual([]);
      });
      const roster = await createRoster({ database });
      try {
        const db = roster.db as Kysely<any>;
        const stored = await storage(db);
        expect(stored['roster_contacts text']).toBe(1);
        expect(stored['roster_events text']).toBe(1);
        expect((await sql`pragma foreign_key_check`.execute(db)).rows).toEqual([]);
        expect(await answers(roster, projects, segments)).toEqual(expected);
      } finally {
        await roster.close();
      }
    },
  );
});
