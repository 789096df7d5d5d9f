import { createPgTestSchema, describeEachDialect, type PgTestSchema } from '@roster/test-harness';
import * as kit from '@roster/test-harness/migration-kit';
import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Contact } from '../contacts/contact-types.js';
import { postgresContactIndex } from '../contacts/postgres-contact-index.js';
import { uuidv7 } from '../ids.js';
import { createRoster, type Roster } from '../roster.js';
import { dialectFor } from './dialect.js';
import { migration0021PostgresContactProjectKeys } from './migrations/0021-postgres-contact-project-keys.js';
import { migrationsOf } from './migrations.js';

/**
 * A PostgreSQL database as the build before 0021 left it (every migration up to 0020, the pg_trgm
 * index, rows written with the project's text id, the counters kept by the triggers of 0006 and
 * 0019), converted in place on the next start: every contact, event, membership, search result
 * and counter reads back as it was, and the counters keep counting afterwards.
 */

const NAMES = ['Zoë', 'Łukasz', '李', null, "O'Brien"];
const DATA = [null, { plan: 'pro', seats: 3 }, { nested: { a: [1, 'two', null] } }, { city: 'Zürich' }];

/** Migrates `database` to 0020 (what the previous build ran) and builds its substring index. */
async function migrateTo0020(database: string): Promise<void> {
  await kit.withRawDatabase(database, async (db) => {
    const all = Object.entries(migrationsOf(dialectFor('postgres')));
    await kit.migrateWith(db, 'postgres', Object.fromEntries(all.filter(([name]) => name < '0021')));
    expect(await postgresContactIndex().prepare(db, () => {})).toBe(true);
  });
}

interface Seeded {
  projects: string[];
}

/** Three projects, audiences, contacts of every shape (text project ids), events, a static segment. */
async function seed(database: string): Promise<Seeded> {
  const raw = await createRoster({ database, migrate: false });
  const db = raw.db as Kysely<any>;
  try {
    const projects = [uuidv7(), uuidv7(), uuidv7()];
    for (const [i, id] of projects.entries()) {
      await db
        .insertInto('roster_projects')
        // Created out of id order: the keys follow creation order.
        .values({ id, name: `p${i}`, created_at: new Date(Date.UTC(2025, 0, 3 - i)).toISOString() })
        .execute();
    }
    const audiences = projects.map(() => uuidv7());
    for (const [i, id] of audiences.entries()) {
      await db
        .insertInto('roster_audiences')
        .values({
          id,
          project_id: projects[i],
          name: 'Customers',
          description: null,
          created_at: '2025-01-02T00:00:00.000Z',
          updated_at: '2025-01-02T00:00:00.000Z',
        })
        .execute();
    }
    const contacts: Record<string, unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      const p = i % 5 === 0 ? 1 : i % 11 === 0 ? 2 : 0;
      const createdAt = new Date(Date.UTC(2025, 5, 1 + (i % 4)) + ((i * 37) % 200) * 1000).toISOString();
      const data = DATA[i % DATA.length];
      contacts.push({
        id: uuidv7(),
        project_id: projects[p],
        email: i % 7 === 0 ? `ünï.${i}@exämple.com` : `person${String(i).padStart(3, '0')}@example.com`,
        subscribed: i % 3 !== 0,
        data: data ? JSON.stringify(data) : null,
        first_name: NAMES[i % NAMES.length],
        last_name: NAMES[(i + 2) % NAMES.length],
        audience_id: i % 4 === 0 ? audiences[p] : null,
        created_at: createdAt,
        updated_at: i % 6 === 0 ? new Date(Date.UTC(2025, 6, 1) + i).toISOString() : createdAt,
      });
    }
    // In several statements (several count slots and daily rows per project).
    for (let start = 0; start < contacts.length; start += 60) {
      await db
        .insertInto('roster_contacts')
        .values(contacts.slice(start, start + 60))
        .execute();
    }
    await db.deleteFrom('roster_contacts').where('email', 'like', 'person19%').execute();
    await db
      .updateTable('roster_contacts')
      .set({ subscribed: false, updated_at: '2025-08-01T00:00:00.000Z' })
      .where('email', 'like', 'person0_1%')
      .execute();
    const stored = await db.selectFrom('roster_contacts').select(['id', 'project_id']).execute();
    for (const [k, c] of stored.entries()) {
      if (k % 4 !== 0) continue;
      for (let e = 0; e <= k % 3; e++) {
        await db
          .insertInto('roster_events')
          .values({
            id: uuidv7(),
            project_id: c.project_id,
            contact_id: c.id,
            name: e % 2 ? 'purchase' : 'login',
            data: JSON.stringify({ e }),
            created_at: '2025-07-01T00:00:00.000Z',
          })
          .execute();
      }
    }
    const segmentId = uuidv7();
    await db
      .insertInto('roster_segments')
      .values({
        id: segmentId,
        project_id: projects[0],
        name: 'VIP',
        description: null,
        type: 'STATIC',
        condition: null,
        track_membership: false,
        member_count: 7,
        created_at: '2025-01-03T00:00:00.000Z',
        updated_at: '2025-01-03T00:00:00.000Z',
      })
      .execute();
    const mine = stored.filter((c) => c.project_id === projects[0]).slice(0, 7);
    for (const c of mine) {
      await db
        .insertInto('roster_segment_members')
        .values({
          segment_id: segmentId,
          contact_id: c.id,
          entered_at: '2025-02-01T00:00:00.000Z',
          exited_at: null,
        })
        .execute();
    }
    return { projects };
  } finally {
    await raw.close();
  }
}

/** Everything the conversion must keep, read with SQL that works before and after it. */
async function state(db: Kysely<any>, projects: string[]) {
  const integer = await isConverted(db);
  const project = integer
    ? sql`(select p.id from roster_projects p where p.seq = c.project_id)`
    : sql`c.project_id`;
  const contacts = await sql`select c.id, ${project} as project_id, c.email, c.subscribed, c.data,
      c.first_name, c.last_name, c.audience_id, c.created_at, c.updated_at
    from roster_contacts c order by c.id`.execute(db);
  const events = await sql`select * from roster_events order by id`.execute(db);
  const members = await sql`select * from roster_segment_members order by contact_id`.execute(db);
  const counts = await sql`select project_id, sum(contacts)::int as n from roster_contact_count_slots
    group by project_id order by project_id`.execute(db);
  const daily = await sql`select project_id, day, sum(added)::int as added, sum(removed)::int as removed,
      sum(subscribed)::int as subscribed, sum(imported)::int as imported
    from roster_contact_daily group by project_id, day order by project_id, day`.execute(db);
  // Substring search through the pg_trgm index (the planner may scan: the result is what counts).
  const search: Record<string, unknown[]> = {};
  for (const id of projects) {
    const key = integer ? sql`(select seq from roster_projects where id = ${id})` : sql`${id}`;
    search[id] = (
      await sql<{ id: string }>`select id from roster_contacts
        where project_id = ${key} and email like '%ämple%' order by id`.execute(db)
    ).rows.map((r) => r.id);
  }
  // Times as ISO text, as 0021 found them (migration 0022, which runs after it, stores milliseconds).
  const iso = (v: unknown) =>
    typeof v === 'string' && !/^\d+$/.test(v) ? v : new Date(Number(v)).toISOString();
  return {
    contacts: (contacts.rows as Record<string, unknown>[]).map((c) => ({
      ...c,
      created_at: iso(c.created_at),
      updated_at: iso(c.updated_at),
    })),
    events: events.rows,
    members: members.rows,
    counts: counts.rows,
    daily: daily.rows,
    search,
  };
}

async function isConverted(db: Kysely<any>): Promise<boolean> {
  const { rows } = await sql<{ type: string }>`select data_type as type from information_schema.columns
    where table_schema = current_schema() and table_name = 'roster_contacts' and column_name = 'project_id'`.execute(
    db,
  );
  return rows[0]!.type === 'integer';
}

/** Counts per project as the counters hold them, and as `count(*)` finds them. */
async function countersAgree(roster: Roster, projectIds: string[]): Promise<void> {
  for (const id of projectIds) {
    const counted = await sql<{ n: string; s: string }>`select count(*) as n,
        count(*) filter (where subscribed) as s from roster_contacts
      where project_id = ${roster.dialect.contactProject(id)}`.execute(roster.db);
    expect((await roster.contacts.list(id, { includeTotal: true, limit: 1 })).total).toBe(
      Number(counted.rows[0]!.n),
    );
    const daily = await sql<{ net: string | null; s: string | null }>`select sum(added - removed) as net,
        sum(subscribed) as s from roster_contact_daily where project_id = ${id}`.execute(roster.db);
    expect(Number(daily.rows[0]!.net ?? 0)).toBe(Number(counted.rows[0]!.n));
    expect(Number(daily.rows[0]!.s ?? 0)).toBe(Number(counted.rows[0]!.s));
  }
}

describeEachDialect('migration 0021', (dialect) => {
  let pg: PgTestSchema | null = null;

  beforeEach(async () => {
    pg = dialect === 'postgres' ? await createPgTestSchema() : null;
  });
  afterEach(async () => {
    await pg?.drop();
  });

  it.runIf(dialect === 'sqlite')('changes nothing on SQLite (0020 gave it the key)', () =>
    kit.expectNothingOnSqlite(migration0021PostgresContactProjectKeys('sqlite')),
  );

  it.runIf(dialect === 'postgres')(
    'converts a populated database in place: every contact, event, membership, search result and counter as before',
    async () => {
      const database = pg!.url;
      await migrateTo0020(database);
      const { projects } = await seed(database);
      const before = await kit.withRawDatabase(database, async (db) => {
        expect(await isConverted(db)).toBe(false);
        return state(db, projects);
      });
      expect(before.contacts.length).toBeGreaterThan(150);
      expect(before.events.length).toBeGreaterThan(0);
      expect(before.members).toHaveLength(7);
      expect(Object.values(before.search).flat().length).toBeGreaterThan(0);

      const roster = await createRoster({ database });
      try {
        expect(await isConverted(roster.db as Kysely<any>)).toBe(true);
        expect(await state(roster.db as Kysely<any>, projects)).toEqual(before);
        // The keys follow the projects' creation order (the third project was created first).
        const keys = await sql<{
          id: string;
          seq: number;
        }>`select id, seq from roster_projects order by seq`.execute(roster.db);
        expect(keys.rows.map((r) => r.id)).toEqual([...projects].reverse());
        expect(keys.rows.map((r) => r.seq)).toEqual([1, 2, 3]);
        // Every index of the table is there, the substring index included, and reads the key.
        const indexes = await sql<{ name: string; def: string }>`select indexname as name, indexdef as def
          from pg_indexes where schemaname = current_schema() and tablename = 'roster_contacts' order by 1`.execute(
          roster.db,
        );
        expect(indexes.rows.map((r) => r.name)).toEqual([
          'roster_contacts_email_trgm',
          'roster_contacts_pkey',
          'roster_contacts_project_audience_id',
          'roster_contacts_project_created',
          'roster_contacts_project_email',
          'roster_contacts_project_id',
          'roster_contacts_project_subscribed_created',
        ]);
        const leftover = await sql`select 1 from pg_proc where proname = 'roster_0021_project_key'`.execute(
          roster.db,
        );
        expect(leftover.rows).toEqual([]);

        // Through the public API: each contact, each list order, search, members, counts.
        const expected = new Map<string, Contact>();
        for (const r of before.contacts as Record<string, any>[]) {
          expected.set(r.id, {
            id: r.id,
            projectId: r.project_id,
            email: r.email,
            subscribed: r.subscribed,
            data: r.data,
            firstName: r.first_name,
            lastName: r.last_name,
            audienceId: r.audience_id,
            createdAt: r.created_at,
            updatedAt: r.updated_at,
          });
        }
        for (const c of expected.values()) expect(await roster.contacts.get(c.projectId, c.id)).toEqual(c);
        for (const id of projects) {
          const mine = [...expected.values()].filter((c) => c.projectId === id);
          const { contacts: listed } = await kit.everyContactPage(
            roster,
            id,
            { sort: 'email', dir: 'asc' },
            13,
          );
          expect(listed).toEqual(mine.sort((a, b) => (a.email < b.email ? -1 : 1)));
          const { contacts: found } = await kit.everyContactPage(roster, id, { search: 'ämple' }, 13);
          expect(found.map((c) => c.id).sort()).toEqual(before.search[id]);
          expect(await roster.contacts.count(id, { subscribed: true })).toBe(
            mine.filter((c) => c.subscribed).length,
          );
        }
        const segment = (before.members[0] as { segment_id: string }).segment_id;
        const members = await roster.segments.contacts(projects[0]!, segment, { pageSize: 100 });
        expect(members.data.map((c) => c.id).sort()).toEqual(
          (before.members as { contact_id: string }[]).map((m) => m.contact_id).sort(),
        );
        await countersAgree(roster, projects);

        // The triggers keep counting through the key: inserts, a subscription flip, deletes, a new
        // project (the next key), a project's cascade.
        const main = projects[0]!;
        const created = await roster.contacts.create(main, { email: 'after@example.com', data: { x: 1 } });
        expect(await roster.contacts.get(main, created.id)).toEqual(created);
        await roster.contacts.update(main, created.id, { subscribed: false });
        await roster.contacts.delete(main, [...expected.values()].find((c) => c.projectId === main)!.id);
        const fourth = await roster.projects.ensure('fourth');
        const seq = await sql<{
          seq: number;
        }>`select seq from roster_projects where id = ${fourth.id}`.execute(roster.db);
        expect(seq.rows[0]!.seq).toBe(4);
        const t = await roster.contacts.create(fourth.id, { email: 'after@example.com' });
        expect(t.projectId).toBe(fourth.id);
        await countersAgree(roster, [...projects, fourth.id]);
        const other = projects[1]!;
        await sql`delete from roster_projects where id = ${other}`.execute(roster.db);
        await countersAgree(roster, [main, projects[2]!, fourth.id]);
        const left = await sql<{ n: string }>`select count(*) as n from roster_contacts`.execute(roster.db);
        expect(Number(left.rows[0]!.n)).toBe(
          [...expected.values()].filter((c) => c.projectId !== other).length + 1,
        );

        // Run again on the converted database: nothing to do.
        const again = await state(roster.db as Kysely<any>, [main]);
        await migration0021PostgresContactProjectKeys('postgres').up(roster.db as Kysely<any>);
        expect(await state(roster.db as Kysely<any>, [main])).toEqual(again);
      } finally {
        await roster.close();
      }
    },
  );

  it.runIf(dialect === 'postgres')(
    'a conversion that fails leaves the database as it was, and the next start completes it',
    async () => {
      const database = pg!.url;
      await migrateTo0020(database);
      const { projects } = await seed(database);
      const schemaOf = kit.pgColumns;
      const constraints = kit.pgConstraints;
      // A view on the column: changing its type fails, after the projects got their keys.
      const before = await kit.withRawDatabase(database, async (db) => {
        await sql`create view roster_test_fault as select project_id from roster_contacts`.execute(db);
        return {
          state: await state(db, projects),
          columns: await schemaOf(db),
          constraints: await constraints(db),
        };
      });
      await expect(createRoster({ database })).rejects.toThrow(/0021_postgres_contact_project_keys/);
      await kit.withRawDatabase(database, async (db) => {
        expect(await isConverted(db)).toBe(false);
        expect(await schemaOf(db)).toEqual(before.columns);
        expect(await constraints(db)).toEqual(before.constraints);
        expect(await state(db, projects)).toEqual(before.state);
        const recorded = await sql<{ name: string }>`select name from roster_migrations`.execute(db);
        expect(recorded.rows.map((r) => r.name)).not.toContain('0021_postgres_contact_project_keys');
        expect(recorded.rows.map((r) => r.name)).toContain('0020_contact_project_keys');
        await sql`drop view roster_test_fault`.execute(db);
      });
      const roster = await createRoster({ database });
      try {
        expect(await state(roster.db as Kysely<any>, projects)).toEqual(before.state);
        await countersAgree(roster, projects);
      } finally {
        await roster.close();
      }
    },
  );
});
