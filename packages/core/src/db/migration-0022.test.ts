import { describeEachDialect, type TestDialect } from '@roster/test-harness';
import * as kit from '@roster/test-harness/migration-kit';
import { type Kysely, sql } from 'kysely';
import { expect, it } from 'vitest';
import type { Contact } from '../contacts/contact-types.js';
import { uuidv7 } from '../ids.js';
import { createRoster } from '../roster.js';
import type { FilterCondition } from '../segments/filter-types.js';
import { dialectFor } from './dialect.js';
import { migration0022ContactTimes } from './migrations/0022-contact-times.js';
import { migrationsOf } from './migrations.js';

/**
 * A database as the build before migration 0022 left it (contact times as ISO text), migrated in
 * place: every contact, every list order and cursor page, and every createdAt / updatedAt filter
 * answer what they answered from the text; the daily counts take the right day afterwards; a
 * time roster never writes is refused, and a failure leaves the database as it was.
 */

/** Times as toISOString() writes them: ms precision, ties, before 1970, around midnight, far ahead. */
const TIMES = [
  '2025-06-01T00:00:00.000Z',
  '2025-06-01T00:00:00.001Z',
  '2025-06-01T23:59:59.999Z',
  '2025-06-02T00:00:00.000Z',
  '1969-12-31T23:59:59.999Z',
  '1970-01-01T00:00:00.000Z',
  '2000-02-29T12:34:56.789Z',
  '2099-12-31T23:59:59.999Z',
  '2026-12-07T16:42:01.123Z',
];

interface Seeded {
  projectId: string;
  otherId: string;
  expected: Map<string, Contact>;
}

async function seed(db: Kysely<any>, dialect: TestDialect): Promise<Seeded> {
  const info = dialectFor(dialect === 'postgres' ? 'postgres' : 'sqlite');
  const projectId = uuidv7();
  const otherId = uuidv7();
  for (const id of [projectId, otherId]) {
    await db
      .insertInto('roster_projects')
      .values({ id, name: id === projectId ? 'main' : 'other', created_at: '2025-01-01T00:00:00.000Z' })
      .execute();
  }
  const expected = new Map<string, Contact>();
  for (let i = 0; i < 90; i++) {
    const project = i % 9 === 0 ? otherId : projectId;
    const id = uuidv7();
    const createdAt = TIMES[(i * 7) % TIMES.length]!;
    const updatedAt = i % 3 === 0 ? TIMES[(i * 5 + 2) % TIMES.length]! : createdAt;
    const contact: Contact = {
      id,
      projectId: project,
      email: `p${String((i * 31) % 97).padStart(2, '0')}.${i}@example.com`,
      subscribed: i % 4 !== 0,
      data: i % 2 ? { n: i } : null,
      firstName: i % 5 ? `F${i}` : null,
      lastName: null,
      audienceId: null,
      createdAt,
      updatedAt,
    };
    await db
      .insertInto('roster_contacts')
      .values({
        id,
        project_id: info.contactProject(project),
        email: contact.email,
        subscribed: info.bool(contact.subscribed),
        data: info.json(contact.data),
        first_name: contact.firstName,
        last_name: null,
        audience_id: null,
        created_at: createdAt,
        updated_at: updatedAt,
      } as never)
      .execute();
    expected.set(id, contact);
  }
  return { projectId, otherId, expected };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The order the text gave: the sort key, then id descending. */
function inOrder(contacts: Contact[], sort: 'createdAt' | 'email', dir: 'asc' | 'desc'): string[] {
  return [...contacts]
    .sort((a, b) => {
      const key = sort === 'email' ? cmp(a.email, b.email) : cmp(a.createdAt, b.createdAt);
      return (dir === 'asc' ? key : -key) || cmp(b.id, a.id);
    })
    .map((c) => c.id);
}

const filter = (field: string, operator: string, value?: unknown, unit?: string) =>
  ({
    logic: 'AND',
    groups: [
      {
        filters: [{ field, operator, ...(value === undefined ? {} : { value }), ...(unit ? { unit } : {}) }],
      },
    ],
  }) as FilterCondition;

describeEachDialect('migration 0022 (contact times as milliseconds)', (dialect) => {
  const scratch = kit.eachScratchDatabase(dialect);

  async function old(): Promise<Seeded> {
    return kit.withRawDatabase(scratch.url(), async (db) => {
      const all = Object.entries(migrationsOf(dialectFor(dialect === 'postgres' ? 'postgres' : 'sqlite')));
      await kit.migrateWith(db, dialect, Object.fromEntries(all.filter(([name]) => name < '0022')));
      return seed(db, dialect);
    });
  }

  async function storedTimes(): Promise<unknown[]> {
    return kit.withRawDatabase(
      scratch.url(),
      async (db) =>
        (await sql`select id, created_at, updated_at from roster_contacts order by id`.execute(db)).rows,
    );
  }

  it('answers every contact, order, cursor page and time filter as the text did', async () => {
    const seeded = await old();
    const now = new Date('2026-12-07T23:59:59.999Z');
    const roster = await createRoster({ database: scratch.url(), clock: () => now });
    try {
      const types = await sql<{ created: unknown; updated: unknown }>`
        select created_at as created, updated_at as updated from roster_contacts limit 1`.execute(roster.db);
      expect(Number.isInteger(Number(types.rows[0]!.created))).toBe(true);
      for (const contact of seeded.expected.values()) {
        expect(await roster.contacts.get(contact.projectId, contact.id)).toEqual(contact);
      }
      for (const projectId of [seeded.projectId, seeded.otherId]) {
        const mine = [...seeded.expected.values()].filter((c) => c.projectId === projectId);
        for (const [sort, dir] of [
          ['createdAt', 'desc'],
          ['createdAt', 'asc'],
          ['email', 'asc'],
        ] as const) {
          const { contacts: all, cursors } = await kit.everyContactPage(roster, projectId, { sort, dir }, 7);
          const order = inOrder(mine, sort, dir);
          expect(all.map((c) => c.id)).toEqual(order);
          for (const c of all) expect(c).toEqual(seeded.expected.get(c.id));
          // A cursor is the id of its page's last contact, as before.
          expect(cursors.filter((c) => c !== null)).toEqual(
            order.filter((_, k) => (k + 1) % 7 === 0 && k + 1 < order.length),
          );
        }
      }
      const mine = [...seeded.expected.values()].filter((c) => c.projectId === seeded.projectId);
      const since = (ms: number) => new Date(now.getTime() - ms).toISOString();
      const cases: [FilterCondition, (c: Contact) => boolean][] = [
        [filter('createdAt', 'equals', '2025-06-01'), (c) => c.createdAt.startsWith('2025-06-01')],
        [filter('createdAt', 'notEquals', '2025-06-01'), (c) => !c.createdAt.startsWith('2025-06-01')],
        [
          filter('createdAt', 'equals', '2025-06-01T23:59:59.999Z'),
          (c) => c.createdAt === '2025-06-01T23:59:59.999Z',
        ],
        [filter('createdAt', 'greaterThan', '2025-06-01T00:00:00.000Z'), (c) => c.createdAt > TIMES[0]!],
        [
          filter('createdAt', 'lessThanOrEqual', '1970-01-01'),
          (c) => c.createdAt <= '1970-01-01T00:00:00.000Z',
        ],
        [
          filter('updatedAt', 'greaterThanOrEqual', '2026-01-01'),
          (c) => c.updatedAt >= '2026-01-01T00:00:00.000Z',
        ],
        [filter('createdAt', 'within', 600, 'days'), (c) => c.createdAt >= since(600 * 86_400_000)],
        [filter('updatedAt', 'olderThan', 600, 'days'), (c) => c.updatedAt < since(600 * 86_400_000)],
      ];
      for (const [condition, keep] of cases) {
        const want = inOrder(mine.filter(keep), 'createdAt', 'desc');
        expect(want.length, JSON.stringify(condition)).toBeGreaterThan(0);
        const { contacts: all } = await kit.everyContactPage(
          roster,
          seeded.projectId,
          { filter: condition },
          7,
        );
        expect(
          all.map((c) => c.id),
          JSON.stringify(condition),
        ).toEqual(want);
        expect(await roster.contacts.count(seeded.projectId, { filter: condition })).toBe(want.length);
      }

      // Writes after it store milliseconds, read back as the clock's ISO string, and count on the
      // clock's UTC day.
      const created = await roster.contacts.create(seeded.projectId, { email: 'late@example.com' });
      expect(created.createdAt).toBe(now.toISOString());
      expect(await roster.contacts.get(seeded.projectId, created.id)).toEqual(created);
      const first = mine.find((c) => c.subscribed)!;
      const updated = await roster.contacts.update(seeded.projectId, first.id, { subscribed: false });
      expect(updated.updatedAt).toBe(now.toISOString());
      expect(updated.createdAt).toBe(first.createdAt);
      const day = await sql<{ added: unknown; subscribed: unknown }>`
        select sum(added) as added, sum(subscribed) as subscribed from roster_contact_daily
        where project_id = ${seeded.projectId} and day = '2026-12-07'`.execute(roster.db);
      // The new contact (+1 subscribed), the unsubscribed one (-1); the seed's contacts of 12-07 too.
      const seededThatDay = mine.filter((c) => c.createdAt.startsWith('2026-12-07'));
      expect(Number(day.rows[0]!.added)).toBe(seededThatDay.length + 1);
      expect(Number(day.rows[0]!.subscribed)).toBe(seededThatDay.filter((c) => c.subscribed).length + 1 - 1);

      // Run again on the migrated database: nothing changes.
      await kit.expectRerunKeepsContacts(roster.db as Kysely<any>, migration0022ContactTimes(dialect));
    } finally {
      await roster.close();
    }
  });

  for (const [column, value] of [
    ['created_at', '2025-06-01T00:00:00Z'],
    ['updated_at', '2025-02-30T00:00:00.000Z'],
    ['created_at', '2025-06-01 00:00:00.000'],
    ['updated_at', '2025-13-01T00:00:00.000Z'],
  ] as const) {
    it(`refuses a contact whose ${column} is ${value} (not as roster writes it), and changes nothing`, async () => {
      const seeded = await old();
      const victim = [...seeded.expected.keys()][5]!;
      const database = scratch.url();
      await kit.withRawDatabase(database, (db) =>
        sql`update roster_contacts set ${sql.ref(column)} = ${value} where id = ${victim}`.execute(db),
      );
      const before = await storedTimes();
      const failed = createRoster({ database });
      await expect(failed).rejects.toThrow(/0022_contact_times/);
      await expect(failed).rejects.toThrow(`roster_contacts row ${victim} has ${column} "${value}"`);
      expect(await storedTimes()).toEqual(before);
      await kit.withRawDatabase(database, async (db) => {
        const recorded = await sql<{ name: string }>`select name from roster_migrations`.execute(db);
        expect(recorded.rows.map((r) => r.name)).not.toContain('0022_contact_times');
      });
    });
  }

  it.runIf(dialect === 'sqlite')(
    'an interrupted rebuild leaves the database as it was, and the next start completes it',
    async () => {
      const seeded = await old();
      const database = scratch.url();
      // The rebuild's first statement fails: a view has the name of its new table.
      await kit.withRawDatabase(database, (db) =>
        sql`create view roster_contacts_rebuilt as select 1 as x`.execute(db),
      );
      const before = await storedTimes();
      await expect(createRoster({ database })).rejects.toThrow(/0022_contact_times/);
      expect(await storedTimes()).toEqual(before);
      await kit.withRawDatabase(database, async (db) => {
        const columns = await sql<{ name: string; type: string }>`
          select name, type from pragma_table_info('roster_contacts')`.execute(db);
        expect(columns.rows.find((c) => c.name === 'created_at')?.type.toLowerCase()).toBe('text');
        const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db);
        expect(Number(fk.rows[0]!.foreign_keys)).toBe(1);
        await sql`drop view roster_contacts_rebuilt`.execute(db);
      });
      await kit.expectContactsAfterStart(database, seeded.expected.values());
    },
  );
});
