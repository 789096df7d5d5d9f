import { randomBytes } from 'node:crypto';
import { createPgTestSchema, openTestRosters, PG_URL } from '@roster/test-harness';
import { type Kysely, sql } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import { openPostgres } from '../db/connection.js';
import { contactProjectOf, dialectFor } from '../db/dialect.js';
import { createRoster, type Roster } from '../roster.js';
import { contactTimeOf } from './contact-time.js';
import {
  compactContactCounts,
  MAX_COUNT_SLOTS,
  postgresContactIndex,
  TRGM_PENDING_LIST_LIMIT_KB,
} from './postgres-contact-index.js';

const openRoster = openTestRosters('postgres');

async function open(): Promise<{ roster: Roster; projectId: string }> {
  const roster = await openRoster({ jobs: { onError: () => {} } });
  return { roster, projectId: (await roster.projects.ensure('p')).id };
}

/** The first page's `total` (the slot sum) and the real `count(*)` of the project. */
async function totals(roster: Roster, projectId: string): Promise<{ total: number; counted: number }> {
  const page = await roster.contacts.list(projectId, { limit: 1, includeTotal: true });
  const row = await roster.db
    .selectFrom('roster_contacts')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('project_id', '=', roster.dialect.contactProject(projectId))
    .executeTakeFirstOrThrow();
  return { total: page.total!, counted: Number(row.n) };
}

async function slotRows(roster: Roster, projectId: string): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*) as n from roster_contact_count_slots
    where project_id = ${projectId}`.execute(roster.db);
  return Number(rows[0]!.n);
}

/** Resolves once `promise` settles, recording that it did (to tell whether it is still pending). */
function track<T>(promise: Promise<T>) {
  const state = { settled: false, promise: promise.finally(() => (state.settled = true)) };
  return state;
}

/**
 * A transaction that writes, then stays open until released: the writer holding a count slot.
 * `lock_timeout` turns any wait for another transaction's lock into an error instead of a hang.
 */
function openWriter(db: Kysely<any>, write: (trx: Kysely<any>) => Promise<unknown>) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let wrote!: () => void;
  let failed!: (error: unknown) => void;
  const written = new Promise<void>((resolve, reject) => {
    wrote = resolve;
    failed = reject;
  });
  const done = track(
    db.transaction().execute(async (trx) => {
      await sql`set local lock_timeout = '5s'`.execute(trx);
      await write(trx);
      wrote();
      await released;
    }),
  );
  done.promise.catch(failed);
  return { written, release, done };
}

const newContact = (projectId: string, email: string) => ({
  // PostgreSQL only: its `uuid` column takes the id's text (see StoredContactId).
  id: dialectFor('postgres').contactIdValue(crypto.randomUUID()),
  // The project's key, not its id (see ContactProjectKey).
  project_id: contactProjectOf(projectId),
  email,
  subscribed: true,
  data: null,
  first_name: null,
  last_name: null,
  audience_id: null,
  created_at: contactTimeOf(new Date()),
  updated_at: contactTimeOf(new Date()),
});

describe.skipIf(!PG_URL)('PostgreSQL contact counts [postgres]', () => {
  it('keeps the total exact across 500 concurrent creates, upserts and deletes on a pool of 10', async () => {
    const { roster, projectId } = await open();
    const seeded = await roster.contacts.createMany(projectId, {
      contacts: Array.from({ length: 200 }, (_, i) => ({ email: `seed${i}@count.test` })),
    });
    const ops: Promise<unknown>[] = [];
    for (let i = 0; i < 500; i++) {
      if (i % 5 === 0) ops.push(roster.contacts.delete(projectId, seeded.ids[i / 5]!));
      else if (i % 5 === 1)
        ops.push(roster.contacts.upsert(projectId, { email: `seed${150 + (i % 50)}@count.test` }));
      else if (i % 5 === 2)
        ops.push(
          roster.contacts.createMany(projectId, {
            contacts: [{ email: `many${i}@count.test` }, { email: `more${i}@count.test` }],
          }),
        );
      else ops.push(roster.contacts.create(projectId, { email: `new${i}@count.test` }));
    }
    await Promise.all(ops);
    // 200 seeded - 100 deleted + 100 createMany x 2 + 200 creates; the upserts hit existing emails.
    expect(await totals(roster, projectId)).toEqual({ total: 500, counted: 500 });
    expect(await slotRows(roster, projectId)).toBeLessThanOrEqual(10);
  });

  it('counts imports, bulk deletes, createMissing, track, raw SQL and TRUNCATE, per project', async () => {
    const { roster, projectId } = await open();
    const other = (await roster.projects.ensure('other')).id;
    const csv = `email\n${Array.from({ length: 2500 }, (_, i) => `imp${i}@count.test`).join('\n')}\nimp1@count.test\nnot-an-email\n`;
    const job = await roster.imports.enqueue(projectId, { file: Buffer.from(csv) });
    await roster.jobs.runOnce();
    expect((await roster.imports.status(projectId, job.id)).state).toBe('completed');
    expect(await totals(roster, projectId)).toEqual({ total: 2500, counted: 2500 });

    const ids = (await roster.contacts.list(projectId, { limit: 30 })).data.map((c) => c.id);
    await roster.bulk.apply(projectId, { operation: 'delete', contactIds: ids });
    await roster.bulk.enqueueQuery(projectId, { operation: 'delete', filter: { search: 'imp24' } });
    await roster.jobs.runOnce();
    const afterBulk = await totals(roster, projectId);
    expect(afterBulk.total).toBe(afterBulk.counted);
    expect(afterBulk.total).toBeLessThan(2500 - 30);

    const segment = await roster.segments.create(projectId, { name: 's', type: 'STATIC' });
    await roster.segments.addMembers(projectId, segment.id, {
      emails: ['imp1@count.test', 'fresh1@count.test', 'fresh2@count.test'],
      createMissing: true,
    });
    await roster.events.track(projectId, { email: 'tracked@count.test', event: 'signed-up' });
    await roster.events.track(projectId, { email: 'tracked@count.test', event: 'signed-up' });
    expect(await totals(roster, projectId)).toEqual({
      total: afterBulk.total + 3,
      counted: afterBulk.total + 3,
    });

    // Any write to the table counts, not only roster's own.
    await roster.db
      .insertInto('roster_contacts')
      .values([newContact(other, 'raw1@count.test'), newContact(other, 'raw2@count.test')])
      .execute();
    await roster.db.deleteFrom('roster_contacts').where('email', '=', 'raw1@count.test').execute();
    expect(await totals(roster, other)).toEqual({ total: 1, counted: 1 });
    expect(await totals(roster, projectId)).toEqual({
      total: afterBulk.total + 3,
      counted: afterBulk.total + 3,
    });

    // Deleting a project deletes its contacts and its count.
    await roster.db.deleteFrom('roster_projects').where('id', '=', other).execute();
    expect(await slotRows(roster, other)).toBe(0);

    await sql`truncate roster_contacts cascade`.execute(roster.db);
    expect(await totals(roster, projectId)).toEqual({ total: 0, counted: 0 });
    await roster.contacts.create(projectId, { email: 'after-truncate@count.test' });
    expect(await totals(roster, projectId)).toEqual({ total: 1, counted: 1 });
  });

  it('lets two transactions writing one project commit while the other is still open', async () => {
    const { roster, projectId } = await open();
    await roster.contacts.create(projectId, { email: 'first@count.test' });
    // The first writer holds its slot (an insert and a delete) until released.
    const first = openWriter(roster.db, async (trx) => {
      await trx.insertInto('roster_contacts').values(newContact(projectId, 'held@count.test')).execute();
      await trx.deleteFrom('roster_contacts').where('email', '=', 'first@count.test').execute();
    });
    await first.written;
    try {
      // Others insert and delete in the same project and commit while the first is open (each
      // would fail with a lock timeout if it waited for the first's counter row).
      const writes = [
        ...[0, 1, 2].map(
          (i) => (trx: Kysely<any>) =>
            trx
              .insertInto('roster_contacts')
              .values(newContact(projectId, `second${i}@count.test`))
              .execute(),
        ),
        (trx: Kysely<any>) =>
          trx.deleteFrom('roster_contacts').where('email', '=', 'second0@count.test').execute(),
      ];
      for (const write of writes) {
        const other = openWriter(roster.db, write);
        await other.written;
        other.release();
        await other.done.promise;
      }
      await roster.contacts.create(projectId, { email: 'third@count.test' });
      expect(first.done.settled).toBe(false);
      // Committed writes are counted, the open transaction's are not (yet).
      expect(await totals(roster, projectId)).toEqual({ total: 4, counted: 4 });
    } finally {
      first.release();
    }
    await first.done.promise;
    expect(await totals(roster, projectId)).toEqual({ total: 4, counted: 4 });
  });

  it('folds a project with many slots into one without waiting for a writer holding one', async () => {
    const { roster, projectId } = await open();
    await roster.contacts.createMany(projectId, {
      contacts: Array.from({ length: 5 }, (_, i) => ({ email: `c${i}@count.test` })),
    });
    // Slots as many concurrent writers leave them (net zero each, so the total is unchanged).
    for (let slot = 0; slot < MAX_COUNT_SLOTS + 4; slot++) {
      await sql`insert into roster_contact_count_slots (project_id, slot, contacts)
        values (${projectId}, ${1000 + slot}, ${slot % 2 === 0 ? 3 : -3})`.execute(roster.db);
    }
    const writer = openWriter(roster.db, (trx) =>
      trx.insertInto('roster_contacts').values(newContact(projectId, 'held@count.test')).execute(),
    );
    await writer.written;
    await compactContactCounts(roster.db, projectId);
    // The held slot and the fold of the others: two rows; the total is unchanged.
    expect(await slotRows(roster, projectId)).toBe(2);
    expect(await totals(roster, projectId)).toEqual({ total: 5, counted: 5 });
    writer.release();
    await writer.done.promise;
    // Reading the total folds a project that has too many slots.
    for (let slot = 0; slot < MAX_COUNT_SLOTS + 4; slot++) {
      await sql`insert into roster_contact_count_slots (project_id, slot, contacts)
        values (${projectId}, ${5000 + slot}, 0)`.execute(roster.db);
    }
    expect(await totals(roster, projectId)).toEqual({ total: 6, counted: 6 });
    expect(await slotRows(roster, projectId)).toBe(1);
    expect(await totals(roster, projectId)).toEqual({ total: 6, counted: 6 });
  });

  it("merges the pg_trgm index's pending list when an import ends, so searches do not read it", async () => {
    const { roster, projectId } = await open();
    // What is pending now, merged (and counted): `gin_clean_pending_list` answers the pages it merged.
    const merge = async () => {
      const { rows } = await sql<{ pages: string }>`
        select gin_clean_pending_list('roster_contacts_email_trgm'::regclass) as pages`.execute(roster.db);
      return Number(rows[0]!.pages);
    };
    await merge();
    // Rows written outside an import stay pending (fastupdate), as before.
    await roster.contacts.createMany(projectId, {
      contacts: Array.from({ length: 300 }, (_, i) => ({ email: `direct${i}@pending.test` })),
    });
    expect(await merge()).toBeGreaterThan(0);
    const csv = `email\n${Array.from({ length: 300 }, (_, i) => `imported${i}@pending.test`).join('\n')}\n`;
    const job = await roster.imports.enqueue(projectId, { file: Buffer.from(csv) });
    await roster.jobs.runOnce();
    expect((await roster.imports.status(projectId, job.id)).state).toBe('completed');
    expect(await merge()).toBe(0);
    const found = await roster.contacts.list(projectId, { search: 'imported29@', includeTotal: true });
    expect(found.data.map((c) => c.email)).toEqual(['imported29@pending.test']);
    expect(found.total).toBe(1);
  });

  // The backfill of 0006 ran on a text project id; today's column is the project's key (0021).
  // db/migration-0020.test.ts covers it (a 0.1 database migrated to the latest schema, its totals
  // read back), db/migration-0021.test.ts the counts across 0021.
});

/** The reloptions of `roster_contacts_email_trgm` (null: none). */
async function trgmOptions(db: Kysely<any>): Promise<string[] | null> {
  const { rows } = await sql<{ reloptions: string[] | null }>`select reloptions from pg_class
    where oid = to_regclass('roster_contacts_email_trgm')`.execute(db);
  expect(rows).toHaveLength(1);
  return rows[0]!.reloptions;
}

/** The index as builds before `gin_pending_list_limit` created it (no reloptions). */
async function rebuildWithoutLimit(db: Kysely<any>): Promise<void> {
  await sql`drop index roster_contacts_email_trgm`.execute(db);
  await sql`create index roster_contacts_email_trgm on roster_contacts using gin (email gin_trgm_ops)`.execute(
    db,
  );
  expect(await trgmOptions(db)).toBeNull();
}

describe.skipIf(!PG_URL)("the pg_trgm index's pending list limit [postgres]", () => {
  const limit = `gin_pending_list_limit=${TRGM_PENDING_LIST_LIMIT_KB}`;

  it('is set when a fresh schema gets the index', async () => {
    const { roster } = await open();
    expect(await trgmOptions(roster.db)).toEqual([limit]);
  });

  it('is set on the next start of a database whose index lacks it; a limit of its own is kept', async () => {
    const schema = await createPgTestSchema();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const start = () => createRoster({ database: schema.url, jobs: { onError: () => {} } });
      const first = await start();
      await rebuildWithoutLimit(first.db);
      await first.close();
      const second = await start();
      expect(await trgmOptions(second.db)).toEqual([limit]);
      // An operator's own choice is not overwritten.
      await sql`alter index roster_contacts_email_trgm set (gin_pending_list_limit = 2048)`.execute(
        second.db,
      );
      await second.close();
      const third = await start();
      expect(await trgmOptions(third.db)).toEqual(['gin_pending_list_limit=2048']);
      await third.close();
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      await schema.drop();
    }
  });

  it('warns, without failing, when the role is not the index owner: at start, and once after imports', async () => {
    const schema = await createPgTestSchema();
    const role = `roster_test_writer_${randomBytes(6).toString('hex')}`;
    const owner = await createRoster({ database: schema.url, jobs: { onError: () => {} } });
    let writer: Kysely<any> | undefined;
    try {
      await rebuildWithoutLimit(owner.db);
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(owner.db);
      const inSchema = sql.id(rows[0]!.schema);
      await sql`create role ${sql.id(role)}`.execute(owner.db);
      await sql`grant usage on schema ${inSchema} to ${sql.id(role)}`.execute(owner.db);
      await sql`grant select, insert, update, delete on all tables in schema ${inSchema} to ${sql.id(role)}`.execute(
        owner.db,
      );
      // The same database as a role that may write contacts but owns nothing.
      const url = new URL(schema.url);
      url.searchParams.set('options', `${url.searchParams.get('options')} -c role=${role}`);
      writer = openPostgres(url.toString()).db as Kysely<any>;
      const warnings: string[] = [];
      const index = postgresContactIndex();
      // The index is there and used: prepare says so, and warns that it cannot set the limit.
      expect(await index.prepare(writer, (message) => warnings.push(message))).toBe(true);
      expect(warnings).toEqual([
        expect.stringContaining(
          'could not set gin_pending_list_limit on roster_contacts_email_trgm (must be owner of index roster_contacts_email_trgm)',
        ),
      ]);
      expect(await trgmOptions(owner.db)).toBeNull();
      // Merging after an import needs the owner too: said once, never thrown.
      await index.afterImport(writer);
      await index.afterImport(writer);
      expect(warnings).toHaveLength(2);
      expect(warnings[1]).toContain(
        'could not merge the pending list of roster_contacts_email_trgm after an import (must be owner of index roster_contacts_email_trgm)',
      );
    } finally {
      await writer?.destroy();
      await owner.close();
      await schema.drop();
      await withPg(async (db) => {
        await sql`drop role if exists ${sql.id(role)}`.execute(db);
      });
    }
  });
});

/** A plain connection to the test database (roles are the cluster's, not a schema's). */
async function withPg(fn: (db: Kysely<any>) => Promise<void>): Promise<void> {
  const { db } = openPostgres(PG_URL!);
  try {
    await fn(db as Kysely<any>);
  } finally {
    await db.destroy();
  }
}
