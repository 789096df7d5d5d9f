import { createTestRoster, deferred, describeEachDialect } from '@roster/test-harness';
import { type KyselyPlugin, sql } from 'kysely';
import { expect, it } from 'vitest';
import { contactTime } from '../contacts/contact-time.js';
import { uuidv7 } from '../ids.js';
import { compiledPerShape } from './compiled-query.js';
import type { Db } from './schema.js';

/** `contacts.get` runs a query compiled once (and on SQLite, outside transactions, directly). */
describeEachDialect('contact by id, compiled once', (dialect) => {
  it('answers each call with its own arguments, never another project’s contact', async () => {
    const roster = await createTestRoster(dialect);
    try {
      const p1 = (await roster.projects.ensure('one')).id;
      const p2 = (await roster.projects.ensure('two')).id;
      const a = await roster.contacts.create(p1, { email: 'a@example.com' });
      const b = await roster.contacts.create(p2, { email: 'b@example.com' });
      for (let i = 0; i < 3; i++) {
        expect(await roster.contacts.get(p1, a.id)).toEqual(a);
        expect(await roster.contacts.get(p2, b.id)).toEqual(b);
        await expect(roster.contacts.get(p1, b.id)).rejects.toMatchObject({ code: 'not_found' });
        await expect(roster.contacts.get(p2, a.id)).rejects.toMatchObject({ code: 'not_found' });
      }
    } finally {
      await roster.close();
    }
  });

  it('never reads a write of a transaction that is still open, nor one rolled back', async () => {
    const roster = await createTestRoster(dialect);
    try {
      const projectId = (await roster.projects.ensure('p')).id;
      const id = uuidv7();
      const now = new Date().toISOString();
      const inserted = deferred();
      const release = deferred();
      const transaction = roster.db
        .transaction()
        .execute(async (trx) => {
          await sql`insert into roster_contacts (id, project_id, email, subscribed, created_at, updated_at)
            values (${id}, ${roster.dialect.contactProject(projectId)}, 'ghost@example.com', ${dialect === 'postgres' ? true : 1}, ${contactTime(now)}, ${contactTime(now)})`.execute(
            trx,
          );
          inserted.resolve();
          await release.promise;
          throw new Error('roll back');
        })
        .catch((error: Error) => error.message);
      await inserted.promise;
      // On SQLite the transaction holds the only connection: the read must wait for its end.
      const read = roster.contacts.get(projectId, id).then(
        () => 'found',
        (error: { code?: string }) => error.code,
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      release.resolve();
      expect(await transaction).toBe('roll back');
      expect(await read).toBe('not_found');
    } finally {
      await roster.close();
    }
  });
});

/** A plugin that changes nothing: a database `withPlugin` it compiles its own statements. */
const noopPlugin: KyselyPlugin = {
  transformQuery: (args) => args.node,
  transformResult: async (args) => args.result,
};

describeEachDialect('statements compiled once per shape', (dialect) => {
  it('builds each shape once for a database and its transactions, and runs each call with its own arguments', async () => {
    const roster = await createTestRoster(dialect);
    try {
      const projectId = (await roster.projects.ensure('p')).id;
      const builds: string[] = [];
      // The project's row by id, with its name compared to a second argument or not.
      const statement = compiledPerShape<{ id: string }, { named: boolean }>(
        (shape) => String(shape.named),
        (db, shape, slot) => {
          builds.push(String(shape.named));
          let q = db.selectFrom('roster_projects').select('id').where('id', '=', slot(0));
          if (shape.named) q = q.where('name', '=', slot(1));
          return q;
        },
      );
      const run = (db: Db, name?: string) =>
        statement(db, { named: name !== undefined }, name === undefined ? [projectId] : [projectId, name]);
      expect(await run(roster.db)).toEqual([{ id: projectId }]);
      expect(await run(roster.db, 'p')).toEqual([{ id: projectId }]);
      expect(await run(roster.db, 'other')).toEqual([]);
      for (let i = 0; i < 2; i++) {
        await roster.db.transaction().execute(async (trx) => {
          expect(await run(trx, 'p')).toEqual([{ id: projectId }]);
          expect(await run(trx)).toEqual([{ id: projectId }]);
        });
      }
      expect(builds).toEqual(['false', 'true']);
      // Another set of plugins may compile differently: its own build.
      expect(await run(roster.db.withPlugin(noopPlugin))).toEqual([{ id: projectId }]);
      expect(builds).toEqual(['false', 'true', 'false']);
      // A run with the wrong number of arguments is refused, not run with a stand-in.
      await expect(statement(roster.db, { named: true }, [projectId])).rejects.toThrow(
        /1 arguments given, 2 expected/,
      );
    } finally {
      await roster.close();
    }
  });

  it('refuses a statement that does not take every argument as a parameter', async () => {
    // Argument 0 is never used (only argument 1 is): a run would bind the wrong values.
    const roster = await createTestRoster(dialect);
    try {
      const statement = compiledPerShape<{ id: string }, null>(
        () => '',
        (db, _shape, slot) => db.selectFrom('roster_projects').select('id').where('id', '=', slot(1)),
      );
      await expect(statement(roster.db, null, ['a', 'b'])).rejects.toThrow(/every argument must appear/);
    } finally {
      await roster.close();
    }
  });
});
