import { describeEachDialect } from '@roster/test-harness';
import * as kit from '@roster/test-harness/migration-kit';
import { type Kysely, sql } from 'kysely';
import { expect, it } from 'vitest';
import { listContactsKeyset } from '../contacts/contact-repository.js';
import type { Contact } from '../contacts/contact-types.js';
import { sqliteContactIndex } from '../contacts/sqlite-contact-index.js';
import { contactIdText } from '../ids.js';
import { createRoster, type Roster } from '../roster.js';
import type { FilterCondition } from '../segments/filter-types.js';
import { dialectFor } from './dialect.js';
import { migration0024SqliteContactRowidIndexes } from './migrations/0024-sqlite-contact-rowid-indexes.js';
import { migrationsOf } from './migrations.js';

/**
 * A SQLite database as the build before 0024 left it (contact indexes ending at the id), populated
 * through the API plus contacts whose seq order breaks their id order (as an import's early ids or
 * a second process could leave them), migrated on the next start: `seq` is renumbered in id order,
 * the indexes end at the rowid, and every contact, page of every order (with its cursors), search,
 * count, stream and segment answers what ordering by id answers. Run again, it changes nothing.
 */

const PRO: FilterCondition = {
  logic: 'AND',
  groups: [{ filters: [{ field: 'data.plan', operator: 'equals', value: 'pro' }] }],
};

/** A UUIDv7 text of millisecond `ms` (counter and random bits from `n`): older than every id made now. */
function oldId(ms: number, n: number): string {
  const time = ms.toString(16).padStart(12, '0');
  const tail = n.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7${tail.slice(0, 3)}-8000-${tail}`;
}

/** A roster on the database as it is (no migration run). */
const withRoster = kit.withUnmigratedRoster;

/** Migrates `database` to 0023 (what the previous build ran) and builds its substring index, as that build's start did (keyed by the old seqs). */
async function migrateTo0023(database: string): Promise<void> {
  await kit.migrateBefore(database, 'sqlite', migrationsOf(dialectFor('sqlite')), '0024');
  await kit.withRawDatabase(database, (db) =>
    sqliteContactIndex({ substringIndex: true }).prepare(db, () => {}),
  );
}

/** Two projects through the API, then contacts with older ids inserted last (seq order broken). */
async function seed(roster: Roster): Promise<string[]> {
  const projects = [(await roster.projects.ensure('one')).id, (await roster.projects.ensure('two')).id];
  const audience = await roster.audiences.create(projects[0]!, { name: 'list' });
  for (const [p, projectId] of projects.entries()) {
    const n = p === 0 ? 90 : 20;
    await roster.contacts.createMany(projectId, {
      ...(p === 0 ? { audienceId: audience.id } : {}),
      contacts: Array.from({ length: n }, (_, i) => ({
        email:
          i % 7 === 0
            ? `rare.${i}@sample.example.com`
            : `person${String((i * 37) % n).padStart(3, '0')}@example.com`,
        subscribed: i % 3 !== 0,
        data: i % 4 === 0 ? { plan: 'pro' } : undefined,
      })),
    });
  }
  const main = projects[0]!;
  const created = (await roster.contacts.listOffset(main, { limit: 100 })).map((c) => c.createdAt);
  const db = roster.db as Kysely<any>;
  // Older ids stored last, some at the createdAt of contacts already there (ties broken by id).
  for (let k = 0; k < 30; k++) {
    const projectId = projects[k % 5 === 0 ? 1 : 0]!;
    const at = k % 2 === 0 ? Date.parse(created[k]!) : Date.parse('2020-01-01T00:00:00.000Z') + k;
    // The id as this build's writers store it (16 bytes, migration 0025), like the API's contacts above.
    await sql`insert into roster_contacts (id, project_id, email, subscribed, data, audience_id, created_at, updated_at)
      values (unhex(replace(${oldId(Date.parse('2021-01-01T00:00:00.000Z') + (k % 3), 1000 - k)}, '-', '')),
        (select seq from roster_projects where id = ${projectId}), ${`late${k}@sample.example.com`}, ${k % 3 ? 1 : 0},
        ${k % 4 === 0 ? '{"plan":"pro"}' : null}, ${k % 2 && projectId === main ? audience.id : null}, ${at}, ${at})`.execute(
      db,
    );
  }
  const segment = await roster.segments.create(main, { name: 'pro', type: 'DYNAMIC', condition: PRO });
  expect(segment.id).toBeDefined();
  return projects;
}

const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

/** Pages of `size` ids and the cursor after each (the last id of a page that has a next one). */
function paged(ids: string[], size: number): { ids: string[]; cursors: (string | null)[] } {
  const cursors: (string | null)[] = [];
  for (let at = 0; at < ids.length || at === 0; at += size) {
    cursors.push(at + size < ids.length ? ids[at + size - 1]! : null);
  }
  return { ids, cursors };
}

/** What ordering by id answers, computed here from every contact of the project. */
function expected(contacts: Contact[], audienceId: string, segment: boolean) {
  const byId = [...contacts].sort((x, y) => cmp(y.id, x.id));
  const sorted = (sort: 'createdAt' | 'email', dir: 'asc' | 'desc', keep: (c: Contact) => boolean) =>
    contacts
      .filter(keep)
      .sort((x, y) => {
        const key = sort === 'email' ? cmp(x.email, y.email) : cmp(x.createdAt, y.createdAt);
        return (dir === 'asc' ? key : -key) || cmp(y.id, x.id);
      })
      .map((c) => c.id);
  const out: Record<string, unknown> = {};
  for (const sort of ['createdAt', 'email'] as const) {
    for (const dir of ['asc', 'desc'] as const) {
      out[`${sort} ${dir}`] = paged(
        sorted(sort, dir, () => true),
        13,
      );
      out[`${sort} ${dir} subscribed`] = paged(
        sorted(sort, dir, (c) => c.subscribed),
        13,
      );
    }
  }
  const search = (c: Contact) => c.email.includes('sample');
  const pro = (c: Contact) => (c.data as { plan?: string } | null)?.plan === 'pro';
  out.search = paged(sorted('createdAt', 'desc', search), 13);
  out.filtered = paged(sorted('createdAt', 'desc', pro), 13);
  out.audience = paged(
    sorted('createdAt', 'desc', (c) => c.audienceId === audienceId),
    13,
  );
  out.offset = byId.map((c) => c.id);
  out.offsetAudience = byId.filter((c) => c.audienceId === audienceId).map((c) => c.id);
  out.stream = byId.map((c) => c.id);
  out.counts = [contacts.length, contacts.filter((c) => c.subscribed).length, contacts.filter(search).length];
  out.segment = segment ? sorted('createdAt', 'desc', pro) : [];
  return out;
}

/** The same answers, read through the API. */
async function answers(roster: Roster, projectId: string, audienceId: string) {
  const pages = async (options: Parameters<Roster['contacts']['list']>[1]) => {
    const { contacts, cursors } = await kit.everyContactPage(roster, projectId, options, 13);
    return { ids: contacts.map((c) => c.id), cursors };
  };
  const out: Record<string, unknown> = {};
  for (const sort of ['createdAt', 'email'] as const) {
    for (const dir of ['asc', 'desc'] as const) {
      out[`${sort} ${dir}`] = await pages({ sort, dir });
      out[`${sort} ${dir} subscribed`] = await pages({ sort, dir, subscribed: true });
    }
  }
  out.search = await pages({ search: 'sample' });
  out.filtered = await pages({ filter: PRO });
  out.audience = await pages({ audienceId });
  const offset = async (audience?: string) => {
    const ids: string[] = [];
    for (let at = 0; ; at += 17) {
      const page = await roster.contacts.listOffset(projectId, {
        limit: 17,
        offset: at,
        ...(audience ? { audienceId: audience } : {}),
      });
      if (page.length === 0) return ids;
      ids.push(...page.map((c) => c.id));
    }
  };
  out.offset = await offset();
  out.offsetAudience = await offset(audienceId);
  const streamed: string[] = [];
  for await (const c of roster.contacts.stream(projectId, { batchSize: 11 })) streamed.push(c.id);
  out.stream = streamed;
  out.counts = [
    await roster.contacts.count(projectId),
    await roster.contacts.count(projectId, { subscribed: true }),
    (await roster.contacts.list(projectId, { search: 'sample', includeTotal: true, limit: 1 })).total,
  ];
  const segment = (await roster.segments.list(projectId))[0];
  const members: string[] = [];
  if (segment) {
    for (let page = 1; ; page++) {
      const got = await roster.segments.contacts(projectId, segment.id, { page, pageSize: 7 });
      members.push(...got.data.map((c) => c.id));
      if (page >= got.totalPages) break;
    }
  }
  out.segment = members;
  return out;
}

/** Every contact of the project as the API reads it by id. */
async function everyContact(roster: Roster, projectId: string): Promise<Contact[]> {
  const { rows } = await sql<{ id: unknown }>`select id from roster_contacts
    where project_id = (select seq from roster_projects where id = ${projectId})`.execute(roster.db);
  return Promise.all(rows.map((r) => roster.contacts.get(projectId, contactIdText(r.id))));
}

async function indexes(db: Kysely<any>): Promise<unknown[]> {
  return (
    await sql`select name, sql from sqlite_master where type = 'index' and tbl_name = 'roster_contacts'
    order by name`.execute(db)
  ).rows;
}

describeEachDialect('migration 0024 (SQLite contact indexes ending at the rowid)', (dialect) => {
  const scratch = kit.eachScratchDatabase(dialect);

  it.runIf(dialect === 'postgres')('changes nothing on PostgreSQL', async () => {
    const roster = await createRoster({ database: scratch.url() });
    try {
      const db = roster.db as Kysely<any>;
      const pgIndexes = () =>
        sql`select indexname, indexdef from pg_indexes where schemaname = current_schema() order by 1`.execute(
          db,
        );
      const before = [await kit.pgColumns(db), await kit.pgConstraints(db), (await pgIndexes()).rows];
      await migration0024SqliteContactRowidIndexes('postgres').up(db);
      expect([await kit.pgColumns(db), await kit.pgConstraints(db), (await pgIndexes()).rows]).toEqual(
        before,
      );
    } finally {
      await roster.close();
    }
  });

  it.runIf(dialect === 'sqlite')(
    'renumbers seq in id order and rebuilds the indexes: every contact, page, cursor, search, count, stream and segment answers as ordering by id',
    async () => {
      const database = scratch.url();
      await migrateTo0023(database);
      const projects = await withRoster(database, seed);
      const audienceId = await withRoster(
        database,
        async (raw) => (await raw.audiences.list(projects[0]!))[0]!.id,
      );
      const before = await withRoster(database, async (raw) => {
        const out: Record<string, { contacts: Contact[]; answers: unknown }> = {};
        for (const projectId of projects) {
          // The search index of the old seqs is there (built on the roster's start).
          out[projectId] = {
            contacts: await everyContact(raw, projectId),
            answers: await answers(raw, projectId, audienceId),
          };
        }
        const db = raw.db as Kysely<any>;
        const broken =
          await sql`select count(*) as n from (select id, lag(id) over (order by seq) as p from roster_contacts) where p > id`.execute(
            db,
          );
        expect(Number((broken.rows[0] as { n: number }).n)).toBeGreaterThan(0);
        expect((await indexes(db)).map((i) => (i as { sql: string | null }).sql).join('\n')).toMatch(
          /created_at, id\)/,
        );
        return out;
      });
      // Ordering by seq before the migration answers otherwise than ordering by id: what it fixes.
      const main = before[projects[0]!]!;
      expect(main.contacts.length).toBe(114);
      expect(main.answers).not.toEqual(expected(main.contacts, audienceId, true));

      const roster = await createRoster({ database });
      try {
        const db = roster.db as Kysely<any>;
        const ids = (
          await sql<{ id: unknown }>`select id from roster_contacts order by seq`.execute(db)
        ).rows.map((r) => contactIdText(r.id));
        expect(ids).toEqual([...ids].sort());
        expect(await indexes(db)).toEqual([
          {
            name: 'roster_contacts_project_audience_id',
            sql: 'CREATE INDEX roster_contacts_project_audience_id on roster_contacts (project_id, audience_id) where audience_id is not null',
          },
          {
            name: 'roster_contacts_project_created',
            sql: 'CREATE INDEX roster_contacts_project_created on roster_contacts (project_id, created_at)',
          },
          {
            name: 'roster_contacts_project_email',
            sql: 'CREATE UNIQUE INDEX roster_contacts_project_email on roster_contacts (project_id, email)',
          },
          {
            name: 'roster_contacts_project_id',
            sql: 'CREATE INDEX roster_contacts_project_id on roster_contacts (project_id)',
          },
          {
            name: 'roster_contacts_project_subscribed_created',
            sql: 'CREATE INDEX roster_contacts_project_subscribed_created on roster_contacts (project_id, subscribed, created_at)',
          },
          { name: 'sqlite_autoindex_roster_contacts_1', sql: null },
        ]);
        // No seq handed out before is handed out again.
        const mark = await sql<{
          seq: number;
        }>`select seq from sqlite_sequence where name = 'roster_contacts'`.execute(db);
        expect(mark.rows[0]!.seq).toBe(
          Math.max(
            ...(await sql<{ s: number }>`select seq as s from roster_contacts`.execute(db)).rows.map(
              (r) => r.s,
            ),
          ),
        );
        for (const projectId of projects) {
          const { contacts } = before[projectId]!;
          expect(await everyContact(roster, projectId)).toEqual(expect.arrayContaining(contacts));
          expect(await answers(roster, projectId, audienceId)).toEqual(
            expected(contacts, audienceId, projectId === projects[0]),
          );
        }

        // A keyset cursor whose contact is gone, or an id never stored: the contacts below it by id.
        const ordered = main.contacts.map((c) => c.id).sort((x, y) => cmp(y, x));
        const gone = ordered[40]!;
        await roster.contacts.delete(projects[0]!, gone);
        for (const cursor of [
          gone,
          oldId(Date.parse('2021-01-01T00:00:00.000Z') + 1, 5000),
          'ffffffff-ffff-7fff-bfff-ffffffffffff',
          '00000000-0000-7000-8000-000000000000',
        ]) {
          const rows = await listContactsKeyset(db, roster.dialect, {
            projectId: projects[0]!,
            beforeId: cursor,
            limit: 500,
          });
          expect(rows.map((r) => contactIdText(r.id))).toEqual(
            ordered.filter((id) => id !== gone && id < cursor),
          );
        }

        // Run again: nothing changes (seqs, rows, indexes).
        const rowsBefore = (await sql`select * from roster_contacts order by seq`.execute(db)).rows;
        const indexesBefore = await indexes(db);
        await kit.expectRerunKeepsContacts(db, migration0024SqliteContactRowidIndexes('sqlite'));
        expect((await sql`select * from roster_contacts order by seq`.execute(db)).rows).toEqual(rowsBefore);
        expect(await indexes(db)).toEqual(indexesBefore);
      } finally {
        await roster.close();
      }
    },
  );

  it.runIf(dialect === 'sqlite')(
    'keeps seq as it is where it is already in id order (only the indexes change)',
    async () => {
      const database = scratch.url();
      await migrateTo0023(database);
      const seqs = () =>
        kit.withRawDatabase(
          database,
          async (db) => (await sql`select seq, id from roster_contacts order by seq`.execute(db)).rows,
        );
      await withRoster(database, async (raw) => {
        const projectId = (await raw.projects.ensure('one')).id;
        await raw.contacts.createMany(projectId, {
          contacts: [1, 2, 3].map((i) => ({ email: `c${i}@example.com` })),
        });
        await raw.contacts.delete(
          projectId,
          (await raw.contacts.findByEmail(projectId, 'c2@example.com'))!.id,
        );
      });
      const before = await seqs();
      const roster = await createRoster({ database });
      try {
        expect(
          (await roster.contacts.list((await roster.projects.ensure('one')).id, { search: 'c3@' })).data,
        ).toHaveLength(1);
      } finally {
        await roster.close();
      }
      expect(await seqs()).toEqual(before);
    },
  );
});
