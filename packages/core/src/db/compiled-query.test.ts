import { createTestRoster, deferred, describeEachDialect } from '@roster/test-harness';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { uuidv7 } from '../ids.js';

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
            values (${id}, ${roster.dialect.contactProject(projectId)}, 'ghost@example.com', ${dialect === 'postgres' ? true : 1}, ${now}, ${now})`.execute(
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
