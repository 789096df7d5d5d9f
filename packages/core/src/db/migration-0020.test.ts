import { describeEachDialect, type TestDialect } from '@roster/test-harness';
import * as kit from '@roster/test-harness/migration-kit';
import { type Kysely, type Migration, sql } from 'kysely';
import { expect, it } from 'vitest';
import type { Contact } from '../contacts/contact-types.js';
import { contactIdText, uuidv7 } from '../ids.js';
import { createRoster, type Roster } from '../roster.js';
import { migration0001Initial } from './migrations/0001-initial.js';
import { migration0002EventsSegments } from './migrations/0002-events-segments.js';
import { migration0003ContactListOrder } from './migrations/0003-contact-list-order.js';
import { migration0020ContactProjectKeys } from './migrations/0020-contact-project-keys.js';

/**
 * A database as roster 0.1.0 left it (migrations 0001-0003, the rows written as 0.1 wrote them),
 * migrated in place to the latest schema: every contact reads back through the public API as it
 * was stored, in every order, with its events, memberships and counts; writes work afterwards.
 */

/** The migrations roster 0.1.0 shipped, under the names it recorded them by. */
function migrationsOf01(dialect: TestDialect): Record<string, Migration> {
  return {
    '0001_initial': migration0001Initial(dialect),
    '0002_events_segments': migration0002EventsSegments(dialect),
    '0003_contact_list_order': migration0003ContactListOrder,
  };
}

const NAMES = ['Zoë', 'Łukasz', '李', null, 'Ana María', "O'Brien", '😀 Smile'];
const DATA: (Record<string, unknown> | null)[] = [
  null,
  {},
  { plan: 'pro', seats: 3, trial: false },
  { nested: { a: [1, 'two', { three: null }], b: { c: 'ü' } } },
  { note: 'line\nbreak "quoted" \\ backslash' },
  { city: 'Zürich', tags: ['x', 'y'] },
];

interface Seeded {
  projects: { id: string; name: string }[];
  /** What 0.1 stored, as the public API returns it. */
  expected: Map<string, Contact>;
  /** Contact id -> event count. */
  events: Map<string, number>;
  segmentId: string;
  members: string[];
}

/** Fills a 0.1 database: two projects, audiences, contacts of every shape, events, a static segment. */
async function seed01(db: Kysely<any>, dialect: TestDialect): Promise<Seeded> {
  const bool = (b: boolean) => (dialect === 'sqlite' ? (b ? 1 : 0) : b);
  const projects = [
    { id: uuidv7(), name: 'main' },
    { id: uuidv7(), name: 'other' },
  ];
  for (const [i, p] of projects.entries()) {
    await db
      .insertInto('roster_projects')
      .values({ id: p.id, name: p.name, created_at: new Date(Date.UTC(2025, 0, 1 + i)).toISOString() })
      .execute();
  }
  const audiences = projects.map((p) => ({ id: uuidv7(), projectId: p.id }));
  for (const a of audiences) {
    await db
      .insertInto('roster_audiences')
      .values({
        id: a.id,
        project_id: a.projectId,
        name: 'Customers',
        description: null,
        created_at: '2025-01-02T00:00:00.000Z',
        updated_at: '2025-01-02T00:00:00.000Z',
      })
      .execute();
  }
  const expected = new Map<string, Contact>();
  const events = new Map<string, number>();
  const deleted: string[] = [];
  for (let i = 0; i < 240; i++) {
    const project = projects[i % 7 === 0 ? 1 : 0]!;
    const audience = audiences.find((a) => a.projectId === project.id)!;
    const id = uuidv7();
    // Several contacts per millisecond (ties broken by id), some created "later" than newer ids.
    const createdAt = new Date(Date.UTC(2025, 5, 1) + Math.floor(((i * 37) % 240) / 3) * 1000).toISOString();
    const updatedAt = i % 4 === 0 ? new Date(Date.UTC(2025, 6, 1) + i).toISOString() : createdAt;
    const email = i % 11 === 0 ? `ünï.${i}@exämple.com` : `person${String(i).padStart(3, '0')}@example.com`;
    const data = DATA[i % DATA.length]!;
    const row = {
      id,
      project_id: project.id,
      email,
      subscribed: bool(i % 3 !== 0),
      data: data === null ? null : JSON.stringify(data),
      first_name: NAMES[i % NAMES.length],
      last_name: NAMES[(i + 3) % NAMES.length],
      audience_id: i % 5 === 0 ? audience.id : null,
      created_at: createdAt,
      updated_at: updatedAt,
    };
    await db.insertInto('roster_contacts').values(row).execute();
    expected.set(id, {
      id,
      projectId: project.id,
      email,
      subscribed: i % 3 !== 0,
      data: data && Object.keys(data).length > 0 ? data : null,
      firstName: row.first_name ?? null,
      lastName: row.last_name ?? null,
      audienceId: row.audience_id,
      createdAt,
      updatedAt,
    });
    if (i % 6 === 0) {
      const n = 1 + (i % 4);
      for (let k = 0; k < n; k++) {
        await db
          .insertInto('roster_events')
          .values({
            id: uuidv7(),
            project_id: project.id,
            contact_id: id,
            name: k % 2 ? 'purchase' : 'login',
            data: JSON.stringify({ k }),
            created_at: createdAt,
          })
          .execute();
      }
      events.set(id, n);
    }
    // The newest one too: the high-water mark is then above every stored seq.
    if (i % 13 === 12 || i === 239) deleted.push(id);
  }
  // Deleted contacts leave gaps in seq (and on SQLite a high-water mark above the last contact).
  for (const id of deleted) {
    await db.deleteFrom('roster_contacts').where('id', '=', id).execute();
    expected.delete(id);
    events.delete(id);
  }
  const segmentId = uuidv7();
  await db
    .insertInto('roster_segments')
    .values({
      id: segmentId,
      project_id: projects[0]!.id,
      name: 'VIP',
      description: null,
      type: 'STATIC',
      condition: null,
      track_membership: bool(false),
      member_count: 0,
      created_at: '2025-01-03T00:00:00.000Z',
      updated_at: '2025-01-03T00:00:00.000Z',
    })
    .execute();
  const members = [...expected.values()]
    .filter((c) => c.projectId === projects[0]!.id)
    .slice(0, 9)
    .map((c) => c.id);
  for (const [k, id] of members.entries()) {
    await db
      .insertInto('roster_segment_members')
      .values({
        segment_id: segmentId,
        contact_id: id,
        entered_at: `2025-02-0${1 + (k % 9)}T00:00:00.000Z`,
        exited_at: null,
      })
      .execute();
  }
  await db
    .updateTable('roster_segments')
    .set({ member_count: members.length })
    .where('id', '=', segmentId)
    .execute();
  return { projects, expected, events, segmentId, members };
}

/** The contacts of `projectId` as 0.1 stored them, in a list order (ties: id descending). */
function inOrder(
  seeded: Seeded,
  projectId: string,
  order: 'createdAt' | 'email',
  dir: 'asc' | 'desc',
): string[] {
  const mine = [...seeded.expected.values()].filter((c) => c.projectId === projectId);
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  mine.sort((a, b) => {
    const key = order === 'email' ? cmp(a.email, b.email) : cmp(a.createdAt, b.createdAt);
    return (dir === 'asc' ? key : -key) || cmp(b.id, a.id);
  });
  return mine.map((c) => c.id);
}

/** Every contact of a list, in pages of 17. */
async function everyPage(
  roster: Roster,
  projectId: string,
  options: Parameters<Roster['contacts']['list']>[1],
): Promise<Contact[]> {
  return (await kit.everyContactPage(roster, projectId, options, 17)).contacts;
}

describeEachDialect('migration 0020 on a 0.1 database', (dialect) => {
  const scratch = kit.eachScratchDatabase(dialect);

  async function old(): Promise<Seeded> {
    return kit.withRawDatabase(scratch.url(), async (db) => {
      await kit.migrateWith(db, dialect, migrationsOf01(dialect));
      return seed01(db, dialect);
    });
  }

  it('reads back every contact as 0.1 stored it, in every order, with its events, memberships and counts', async () => {
    const seeded = await old();
    const database = scratch.url();
    const highWater =
      dialect === 'sqlite'
        ? await kit.withRawDatabase(database, async (db) => {
            const r = await sql<{
              seq: number;
            }>`select seq from sqlite_sequence where name = 'roster_contacts'`.execute(db);
            return Number(r.rows[0]!.seq);
          })
        : 0;
    const roster = await createRoster({ database });
    try {
      for (const contact of seeded.expected.values()) {
        expect(await roster.contacts.get(contact.projectId, contact.id)).toEqual(contact);
      }
      for (const project of seeded.projects) {
        const mine = [...seeded.expected.values()].filter((c) => c.projectId === project.id);
        for (const [sort, dir] of [
          ['createdAt', 'desc'],
          ['createdAt', 'asc'],
          ['email', 'asc'],
          ['email', 'desc'],
        ] as const) {
          const listed = await everyPage(roster, project.id, { sort, dir });
          expect(listed.map((c) => c.id)).toEqual(inOrder(seeded, project.id, sort, dir));
          for (const c of listed) expect(c).toEqual(seeded.expected.get(c.id));
        }
        const streamed: Contact[] = [];
        for await (const c of roster.contacts.stream(project.id)) streamed.push(c);
        expect(streamed.map((c) => c.id)).toEqual(
          mine.map((c) => c.id).sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)),
        );
        const offset = await roster.contacts.listOffset(project.id, { limit: 100, offset: 0 });
        expect(offset.map((c) => c.id)).toEqual(streamed.slice(0, 100).map((c) => c.id));
        expect((await roster.contacts.list(project.id, { includeTotal: true, limit: 1 })).total).toBe(
          mine.length,
        );
        expect(await roster.contacts.count(project.id, { subscribed: true })).toBe(
          mine.filter((c) => c.subscribed).length,
        );
        const inAudience = mine.filter((c) => c.audienceId !== null);
        expect(await roster.contacts.count(project.id, { audienceId: inAudience[0]!.audienceId! })).toBe(
          inAudience.length,
        );
        for (const c of mine) {
          expect(await roster.contacts.findByEmail(project.id, c.email)).toEqual(c);
        }
        // Substring search (the index is built on the first start on SQLite).
        const unicode = mine.filter((c) => c.email.includes('exämple'));
        const found = await everyPage(roster, project.id, { search: 'ämple' });
        expect(found.map((c) => c.id).sort()).toEqual(unicode.map((c) => c.id).sort());
        // The daily counts of 0019, backfilled from the contacts.
        const overview = await roster.stats.overview(project.id, { days: 30 });
        expect(overview.contacts).toEqual({
          total: mine.length,
          subscribed: mine.filter((c) => c.subscribed).length,
        });
      }
      const main = seeded.projects[0]!.id;
      // Events and memberships still point at their contacts.
      const byContact = await sql<{ contact_id: unknown; n: number }>`
        select contact_id, count(*) as n from roster_events group by contact_id`.execute(roster.db);
      // Stored as 16 bytes since 0025.
      expect(new Map(byContact.rows.map((r) => [contactIdText(r.contact_id), Number(r.n)]))).toEqual(
        seeded.events,
      );
      const members = await roster.segments.contacts(main, seeded.segmentId, { pageSize: 100 });
      expect(members.data.map((c) => c.id).sort()).toEqual([...seeded.members].sort());
      for (const c of members.data) expect(c).toEqual(seeded.expected.get(c.id));
      // Every second event is a purchase: contacts with two events or more.
      const purchased = [...seeded.events]
        .filter(([id, n]) => n >= 2 && seeded.expected.get(id)?.projectId === main)
        .map(([id]) => id);
      const filtered = await everyPage(roster, main, {
        filter: { logic: 'AND', groups: [{ filters: [{ field: 'event.purchase', operator: 'triggered' }] }] },
      });
      expect(filtered.map((c) => c.id).sort()).toEqual(purchased.sort());
      expect(purchased.length).toBeGreaterThan(0);

      // Writes after the migration: new contacts, a new project, a cascade.
      const created = await roster.contacts.create(main, { email: 'after@example.com', data: { x: 1 } });
      expect(await roster.contacts.get(main, created.id)).toEqual(created);
      if (dialect === 'sqlite') {
        const seq = await sql<{
          seq: number;
        }>`select seq from roster_contacts where id = ${roster.dialect.contactIdValue(created.id)}`.execute(
          roster.db,
        );
        expect(Number(seq.rows[0]!.seq)).toBeGreaterThan(highWater);
      }
      const third = await roster.projects.ensure('third');
      const t = await roster.contacts.create(third.id, { email: 'after@example.com' });
      expect(t.projectId).toBe(third.id);
      expect((await roster.contacts.list(third.id, { includeTotal: true })).total).toBe(1);
      expect((await roster.contacts.list(main, { includeTotal: true, limit: 1 })).total).toBe(
        [...seeded.expected.values()].filter((c) => c.projectId === main).length + 1,
      );
      const other = seeded.projects[1]!.id;
      await sql`delete from roster_projects where id = ${other}`.execute(roster.db);
      const left = await sql<{ n: number }>`select count(*) as n from roster_contacts`.execute(roster.db);
      expect(Number(left.rows[0]!.n)).toBe(
        [...seeded.expected.values()].filter((c) => c.projectId !== other).length + 2,
      );
      // Run again on the migrated database: nothing to do.
      await kit.expectRerunKeepsContacts(roster.db as Kysely<any>, migration0020ContactProjectKeys(dialect));
    } finally {
      await roster.close();
    }
  });

  it.runIf(dialect === 'sqlite')(
    'an interrupted rebuild leaves the 0.1 database as it was, and the next start completes it',
    async () => {
      const seeded = await old();
      const database = scratch.url();
      // A fault inside the rebuild's transaction (after it added roster_projects.seq): it stops there.
      await kit.withRawDatabase(database, (db) =>
        sql`create trigger fault before update on roster_projects begin
          select raise(abort, 'interrupted');
        end`.execute(db),
      );
      await expect(createRoster({ database })).rejects.toThrow(/0020_contact_project_keys.*interrupted/);
      await kit.withRawDatabase(database, async (db) => {
        // As it was: the old table, no key column, nothing half-built; 0020 not recorded.
        const columns = await sql<{ name: string; type: string }>`
          select name, type from pragma_table_info('roster_contacts')`.execute(db);
        expect(columns.rows.find((c) => c.name === 'project_id')?.type.toLowerCase()).toBe('text');
        const projectColumns = await sql<{ name: string }>`
          select name from pragma_table_info('roster_projects')`.execute(db);
        expect(projectColumns.rows.map((c) => c.name)).not.toContain('seq');
        const n = await sql<{ n: number }>`select count(*) as n from roster_contacts`.execute(db);
        expect(Number(n.rows[0]!.n)).toBe(seeded.expected.size);
        const leftover =
          await sql`select name from sqlite_master where name = 'roster_contacts_rebuilt'`.execute(db);
        expect(leftover.rows).toEqual([]);
        const recorded = await sql<{ name: string }>`select name from roster_migrations`.execute(db);
        expect(recorded.rows.map((r) => r.name)).not.toContain('0020_contact_project_keys');
        expect(recorded.rows.map((r) => r.name)).toContain('0019_contact_daily_counts');
        const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db);
        expect(Number(fk.rows[0]!.foreign_keys)).toBe(1);
        await sql`drop trigger fault`.execute(db);
      });
      await kit.expectContactsAfterStart(database, seeded.expected.values());
    },
  );
});
