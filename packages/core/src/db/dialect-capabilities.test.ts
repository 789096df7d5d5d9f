import { describeEachDialect, openTestRosters, PG_URL } from '@roster/test-harness';
import { sql } from 'kysely';
import pg from 'pg';
import { expect, it } from 'vitest';
import { contactIdText } from '../ids.js';

/** The capabilities repositories use instead of branching on the dialect's name, on real databases. */
describeEachDialect('dialect capabilities', (name) => {
  const open = openTestRosters(name);

  it('lockRowsForUpdate holds the rows it reads until the transaction ends, where writers overlap', async () => {
    const roster = await open();
    const project = await roster.projects.ensure('locks');
    await roster.db.transaction().execute(async (trx) => {
      const row = await roster.dialect
        .lockRowsForUpdate(trx.selectFrom('roster_projects').selectAll().where('id', '=', project.id))
        .executeTakeFirst();
      expect(row?.id).toBe(project.id);
      if (name === 'postgres') {
        // Another connection cannot lock the row while this transaction holds it.
        await expect(
          sql`select id from roster_projects where id = ${project.id} for update nowait`.execute(roster.db),
        ).rejects.toMatchObject({ code: '55P03' });
      }
    });
    if (name === 'postgres') {
      const after =
        await sql`select id from roster_projects where id = ${project.id} for update nowait`.execute(
          roster.db,
        );
      expect(after.rows).toHaveLength(1);
    }
  });

  it('withoutIndex keeps the planner off an index of the column, and matches the same rows', async () => {
    const roster = await open();
    const project = await roster.projects.ensure('hints');
    const a = await roster.contacts.create(project.id, { email: 'a@example.com' });
    const b = await roster.contacts.create(project.id, { email: 'b@example.com', subscribed: false });
    const where = sql`${roster.dialect.withoutIndex(sql.ref('project_id'))} = ${roster.dialect.contactProject(project.id)}
      and id in (${roster.dialect.contactIdValue(a.id)}, ${roster.dialect.contactIdValue(b.id)}) and subscribed = ${roster.dialect.bool(true)}`;
    const rows = await sql<{ id: unknown }>`select id from roster_contacts where ${where}`.execute(roster.db);
    expect(rows.rows.map((r) => contactIdText(r.id))).toEqual([a.id]);
    if (name === 'sqlite') {
      // Through the column, SQLite would pick (project_id, subscribed, ...) and walk the project.
      const plan = await sql<{
        detail: string;
      }>`explain query plan select id from roster_contacts where ${where}`.execute(roster.db);
      expect(plan.rows.map((r) => r.detail).join('\n')).toMatch(
        /USING INDEX sqlite_autoindex_roster_contacts_1 \(id=\?\)/,
      );
    }
  });

  it('concurrentAppends: markers that do not block each other, seen by markerHolders until the transaction ends; the last sequence value; a notification at once (none on SQLite)', async () => {
    const roster = await open();
    const appends = roster.dialect.concurrentAppends;
    if (name === 'sqlite') {
      expect(appends).toBeNull();
      return;
    }
    const channel = 'roster_capability_test';
    const holders = async () =>
      (await appends!.markerHolders(channel).execute(roster.db)).rows.map((r) => r.holder);
    const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(roster.db)).rows[0]!.s;
    const listener = new pg.Client({ connectionString: PG_URL });
    await listener.connect();
    try {
      const payloads: string[] = [];
      listener.on('notification', (message) => payloads.push(message.payload ?? ''));
      await listener.query(`listen ${channel}`);
      expect(await holders()).toEqual([]);
      await roster.db.transaction().execute(async (one) => {
        await appends!.marker(channel).execute(one);
        // A second transaction takes the marker too without waiting for the first.
        await roster.db.transaction().execute(async (two) => {
          await appends!.marker(channel).execute(two);
          expect(await holders()).toHaveLength(2);
        });
        expect(await holders()).toHaveLength(1);
      });
      expect(await holders()).toEqual([]);

      expect(
        (await appends!.lastSequenceValue('roster_outbox', 'seq').execute(roster.db)).rows[0]!.value,
      ).toBe(null);
      const project = await roster.projects.ensure('appends');
      await roster.contacts.create(project.id, { email: 'seq@example.com' });
      const last = (await appends!.lastSequenceValue('roster_outbox', 'seq').execute(roster.db)).rows[0]!
        .value;
      const max = await roster.db
        .selectFrom('roster_outbox')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .executeTakeFirstOrThrow();
      expect(Number(last)).toBe(Number(max.seq));

      await appends!.notification(channel).execute(roster.db);
      await expect.poll(() => payloads).toEqual([schema]);
    } finally {
      await listener.end();
    }
  });

  it('json encodes what parseJson decodes on a real JSON column, arrays included; null and undefined are SQL NULL', async () => {
    const roster = await open();
    const { dialect } = roster;
    const project = await roster.projects.ensure('json');
    const contact = await roster.contacts.create(project.id, { email: 'json@example.com' });
    const values = [
      { a: 1, nested: { b: [true, null, 'x'] } },
      ['contact.created', 'contact.*'],
      null,
      undefined,
    ];
    const stored: unknown[] = [];
    for (const [i, value] of values.entries()) {
      const id = `00000000-0000-7000-8000-00000000000${i}`;
      await roster.db
        .insertInto('roster_events')
        .values({
          id,
          project_id: project.id,
          contact_id: dialect.contactIdValue(contact.id),
          name: 'e',
          data: dialect.json(value),
          created_at: '2026-01-01T00:00:00.000Z',
        })
        .execute();
      const row = await roster.db
        .selectFrom('roster_events')
        .select('data')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      stored.push(dialect.parseJson(row.data));
    }
    expect(stored).toEqual([values[0], values[1], null, null]);
    expect(values.map((value) => dialect.json(value) === null)).toEqual([false, false, true, true]);
  });
});
