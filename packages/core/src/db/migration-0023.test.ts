import { describeEachDialect } from '@roster/test-harness';
import * as kit from '@roster/test-harness/migration-kit';
import { type Kysely, sql } from 'kysely';
import { expect, it } from 'vitest';
import { uuidv7 } from '../ids.js';
import { createRoster, type Roster } from '../roster.js';
import { dialectFor } from './dialect.js';
import { migration0023PostgresContactUuids } from './migrations/0023-postgres-contact-uuids.js';
import { migrationsOf } from './migrations.js';

/**
 * A PostgreSQL database as the build before 0023 left it (every migration up to 0022, contact ids
 * as text), populated through the API, converted in place on the next start: every contact, list
 * page (each order, with its cursors), search result, count, event, membership, topic choice and
 * double opt-in state reads back as it was.
 */

const ID_COLUMNS = [
  ['roster_contacts', 'id'],
  ['roster_events', 'contact_id'],
  ['roster_segment_members', 'contact_id'],
  ['roster_contact_topics', 'contact_id'],
  ['roster_contact_consent', 'contact_id'],
] as const;

/** Migrates `database` to 0022 (what the previous build ran). */
function migrateTo0022(database: string): Promise<void> {
  return kit.migrateBefore(database, 'postgres', migrationsOf(dialectFor('postgres')), '0023');
}

/** A roster on the database as it is (no migration run). */
const withRoster = kit.withUnmigratedRoster;

function seedRaw(database: string): Promise<string[]> {
  return withRoster(database, seed);
}

/** The type of every column that holds a contact id. */
async function idTypes(db: Kysely<any>): Promise<string[]> {
  const types: string[] = [];
  for (const [table, column] of ID_COLUMNS) {
    const { rows } = await sql<{ type: string }>`select data_type as type from information_schema.columns
      where table_schema = current_schema() and table_name = ${table} and column_name = ${column}`.execute(
      db,
    );
    types.push(rows[0]!.type);
  }
  return types;
}

/** Two projects of contacts (several per creation millisecond), events, members, topics, consent. */
async function seed(roster: Roster): Promise<string[]> {
  const projects = [(await roster.projects.ensure('one')).id, (await roster.projects.ensure('two')).id];
  for (const [p, projectId] of projects.entries()) {
    const n = p === 0 ? 120 : 30;
    await roster.contacts.createMany(projectId, {
      contacts: Array.from({ length: n }, (_, i) => ({
        email:
          i % 7 === 0
            ? `rare.${i}@sample.example.com`
            : `person${String((i * 37) % n).padStart(3, '0')}@example.com`,
        subscribed: i % 3 !== 0,
        data: i % 4 === 0 ? { plan: 'pro', seats: i } : undefined,
        firstName: i % 5 === 0 ? 'Zoë' : undefined,
      })),
    });
  }
  const main = projects[0]!;
  const all = (await roster.contacts.listOffset(main, { limit: 100 })).concat(
    await roster.contacts.listOffset(main, { limit: 100, offset: 100 }),
  );
  for (const [k, c] of all.entries()) {
    if (k % 5 === 0) await roster.events.track(main, { email: c.email, event: k % 2 ? 'purchase' : 'login' });
  }
  const segment = await roster.segments.create(main, { name: 'VIP', type: 'STATIC' });
  await roster.segments.addMembers(main, segment.id, { emails: all.slice(0, 9).map((c) => c.email) });
  const news = await roster.topics.create(main, { name: 'News', defaultSubscription: 'opt_in' });
  for (const c of all.slice(3, 8)) {
    await roster.topics.setContactTopics(main, c.id, [{ id: news.id, subscription: 'opt_out' }]);
  }
  await roster.contacts.create(main, { email: 'pending@example.com', pending: true });
  return projects;
}

async function everyPage(roster: Roster, projectId: string, options: Record<string, unknown>) {
  const pages: { ids: string[]; cursor: string | null }[] = [];
  let cursor: string | undefined;
  do {
    const page = await roster.contacts.list(projectId, {
      ...options,
      limit: 13,
      ...(cursor ? { cursor } : {}),
    });
    pages.push({ ids: page.data.map((c) => c.id), cursor: page.cursor ?? null });
    cursor = page.cursor ?? undefined;
  } while (cursor);
  return pages;
}

/** What the API answers, read the same way before and after the conversion. */
async function state(roster: Roster, projects: string[]) {
  const out: Record<string, unknown> = {};
  for (const projectId of projects) {
    const offset: unknown[] = [];
    for (let at = 0; ; at += 17) {
      const page = await roster.contacts.listOffset(projectId, { limit: 17, offset: at });
      if (page.length === 0) break;
      offset.push(page);
    }
    const ids = (offset.flat() as { id: string }[]).map((c) => c.id);
    const perContact: Record<string, unknown> = {};
    for (const id of ids) {
      perContact[id] = {
        contact: await roster.contacts.get(projectId, id),
        events: (await roster.events.list(projectId, id)).map((e) => ({ ...e, id: typeof e.id })),
        segments: (await roster.segments.ofContact(projectId, id)).map((s) => s.id),
        topics: await roster.topics.contactTopics(projectId, id),
      };
    }
    const pages: Record<string, unknown> = {};
    for (const sort of ['createdAt', 'email'] as const) {
      for (const dir of ['asc', 'desc'] as const) {
        pages[`${sort} ${dir}`] = await everyPage(roster, projectId, { sort, dir });
        pages[`${sort} ${dir} subscribed`] = await everyPage(roster, projectId, {
          sort,
          dir,
          subscribed: true,
        });
      }
    }
    pages.search = await everyPage(roster, projectId, { search: 'sample' });
    pages.filtered = await everyPage(roster, projectId, {
      filter: {
        logic: 'AND',
        groups: [{ filters: [{ field: 'data.plan', operator: 'equals', value: 'pro' }] }],
      },
    });
    out[projectId] = {
      offset,
      perContact,
      pages,
      counts: [
        await roster.contacts.count(projectId),
        await roster.contacts.count(projectId, { subscribed: true }),
        (await roster.contacts.list(projectId, { search: 'sample', includeTotal: true, limit: 1 })).total,
      ],
      segments: await Promise.all(
        (await roster.segments.list(projectId)).map(async (s) => ({
          segment: s,
          members: await roster.segments.contacts(projectId, s.id, { pageSize: 100 }),
        })),
      ),
    };
  }
  const consent = await sql`select * from roster_contact_consent order by updated_at`.execute(roster.db);
  out.consent = consent.rows;
  return out;
}

describeEachDialect('migration 0023', (dialect) => {
  const scratch = kit.eachScratchDatabase(dialect);

  it.runIf(dialect === 'sqlite')('changes nothing on SQLite (its ids stay text)', () =>
    kit.expectNothingOnSqlite(migration0023PostgresContactUuids('sqlite')),
  );

  it.runIf(dialect === 'postgres')(
    'converts a populated database in place: every contact, page, cursor, search, count, event and membership as before',
    async () => {
      const database = scratch.url();
      await migrateTo0022(database);
      const projects = await seedRaw(database);
      const before = await withRoster(database, async (raw) => {
        expect(await idTypes(raw.db as Kysely<any>)).toEqual(['text', 'text', 'text', 'text', 'text']);
        return state(raw, projects);
      });
      const main = before[projects[0]!] as { perContact: Record<string, any>; segments: unknown[] };
      expect(Object.keys(main.perContact).length).toBe(121);
      expect(Object.values(main.perContact).some((c) => c.events.length > 0)).toBe(true);
      expect(main.segments).toHaveLength(1);
      expect((before.consent as unknown[]).length).toBe(1);

      const roster = await createRoster({ database });
      try {
        const db = roster.db as Kysely<any>;
        expect(await idTypes(db)).toEqual(['uuid', 'uuid', 'uuid', 'uuid', 'uuid']);
        expect(await state(roster, projects)).toEqual(before);
        // The foreign keys are back, with their rules: deleting a contact takes its rows with it.
        const keys = await sql<{
          name: string;
          def: string;
        }>`select conname as name, pg_get_constraintdef(oid) as def
          from pg_constraint where contype = 'f' and confrelid = 'roster_contacts'::regclass order by 1`.execute(
          db,
        );
        expect(keys.rows).toEqual([
          {
            name: 'roster_contact_consent_contact_id_fkey',
            def: 'FOREIGN KEY (contact_id) REFERENCES roster_contacts(id) ON DELETE CASCADE',
          },
          {
            name: 'roster_contact_topics_contact_id_fkey',
            def: 'FOREIGN KEY (contact_id) REFERENCES roster_contacts(id) ON DELETE CASCADE',
          },
          {
            name: 'roster_events_contact_id_fkey',
            def: 'FOREIGN KEY (contact_id) REFERENCES roster_contacts(id) ON DELETE CASCADE',
          },
          {
            name: 'roster_segment_members_contact_id_fkey',
            def: 'FOREIGN KEY (contact_id) REFERENCES roster_contacts(id) ON DELETE CASCADE',
          },
        ]);
        const member = Object.entries(main.perContact).find(
          ([, c]) => c.segments.length > 0 && c.events.length > 0,
        );
        expect(member).toBeDefined();
        await roster.contacts.delete(projects[0]!, member![0]);
        for (const table of ['roster_events', 'roster_segment_members']) {
          const left = await sql`select 1 from ${sql.table(table)} where contact_id = ${member![0]}`.execute(
            db,
          );
          expect(left.rows).toEqual([]);
        }
        // New contacts are written and read as before.
        const created = await roster.contacts.create(projects[0]!, { email: 'after@example.com' });
        expect(await roster.contacts.get(projects[0]!, created.id)).toEqual(created);

        // Run again on the converted database: nothing to do.
        await migration0023PostgresContactUuids('postgres').up(db);
        expect(await idTypes(db)).toEqual(['uuid', 'uuid', 'uuid', 'uuid', 'uuid']);
      } finally {
        await roster.close();
      }
    },
  );

  it.runIf(dialect === 'postgres')(
    'a conversion that fails, or an id of another form, leaves the database as it was; the next start completes it',
    async () => {
      const database = scratch.url();
      await migrateTo0022(database);
      const schemaOf = kit.pgColumns;
      const constraints = kit.pgConstraints;
      const snapshot = async (db: Kysely<any>) => ({
        columns: await schemaOf(db),
        constraints: await constraints(db),
        contacts: (await sql`select * from roster_contacts order by id`.execute(db)).rows,
        events: (await sql`select * from roster_events order by id`.execute(db)).rows,
      });
      const projects = await seedRaw(database);

      // A view on an events column: its type cannot change, after the foreign keys were dropped
      // and roster_contacts converted.
      const before = await kit.withRawDatabase(database, async (db) => {
        await sql`create view roster_test_fault as select contact_id from roster_events`.execute(db);
        return snapshot(db);
      });
      await expect(createRoster({ database })).rejects.toThrow(/0023_postgres_contact_uuids/);
      await kit.withRawDatabase(database, async (db) => {
        expect(await snapshot(db)).toEqual(before);
        const recorded = await sql<{ name: string }>`select name from roster_migrations`.execute(db);
        expect(recorded.rows.map((r) => r.name)).not.toContain('0023_postgres_contact_uuids');
        await sql`drop view roster_test_fault`.execute(db);
      });

      // An id roster never writes (uppercase, and not a UUID at all): refused before any change,
      // naming the contact and the value.
      for (const bad of [uuidv7().toUpperCase(), 'contact-1']) {
        const { key } = await kit.withRawDatabase(database, async (db) => {
          const { rows } = await sql<{
            seq: number;
          }>`select seq from roster_projects where id = ${projects[1]}`.execute(db);
          await sql`insert into roster_contacts (id, project_id, email, subscribed, created_at, updated_at)
            values (${bad}, ${rows[0]!.seq}, 'odd@example.com', true, 1, 1)`.execute(db);
          return { key: rows[0]!.seq };
        });
        const held = await kit.withRawDatabase(database, (db) => snapshot(db));
        await expect(createRoster({ database })).rejects.toThrow(
          new RegExp(`0023_postgres_contact_uuids[^]*"${bad}" \\(odd@example.com\\)`),
        );
        await kit.withRawDatabase(database, async (db) => {
          expect(await snapshot(db)).toEqual(held);
          expect(await idTypes(db)).toEqual(['text', 'text', 'text', 'text', 'text']);
          await sql`delete from roster_contacts where id = ${bad} and project_id = ${key}`.execute(db);
        });
      }

      const roster = await createRoster({ database });
      try {
        expect(await idTypes(roster.db as Kysely<any>)).toEqual(['uuid', 'uuid', 'uuid', 'uuid', 'uuid']);
        const after = await snapshot(roster.db as Kysely<any>);
        expect(after.contacts).toEqual(before.contacts);
        expect(after.events).toEqual(before.events);
      } finally {
        await roster.close();
      }
    },
  );
});
