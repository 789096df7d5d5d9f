import Database from 'better-sqlite3';
import { type CompiledQuery, Kysely, SqliteDialect, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database as Schema } from '../db/schema.js';
import { createRoster, type Roster } from '../roster.js';

/**
 * SQLite's plans of the contact lists, pages and counts, whose indexes end at the rowid (migration
 * 0024) and which order and seek by `seq`: each statement on roster_contacts seeks an index of the
 * project (never a full scan of the table) and, but for the `createdAt asc` order's tiebreaker and
 * a rare search's few candidates, never sorts in a temp b-tree.
 */
describe('contact list plans (SQLite)', () => {
  let roster: Roster;
  let projectId: string;
  let audienceId: string;
  const statements: CompiledQuery[] = [];

  beforeAll(async () => {
    const log = (event: { level: string; query: CompiledQuery }) => {
      if (event.level === 'query') statements.push(event.query);
    };
    const db = new Kysely<Schema>({
      dialect: new SqliteDialect({ database: new Database(':memory:') }),
      log,
    });
    roster = await createRoster({ database: db as Kysely<any> });
    projectId = (await roster.projects.ensure('plans')).id;
    const other = (await roster.projects.ensure('other')).id;
    audienceId = (await roster.audiences.create(projectId, { name: 'a' })).id;
    for (const [project, n] of [
      [projectId, 600],
      [other, 300],
    ] as const) {
      for (let i = 0; i < n; i += 100) {
        await roster.contacts.createMany(project, {
          ...(project === projectId && i % 200 === 0 ? { audienceId } : {}),
          contacts: Array.from({ length: 100 }, (_, j) => ({
            email: `c${i + j}.${project.slice(-4)}@example.com`,
            subscribed: (i + j) % 3 !== 0,
          })),
        });
      }
    }
    await sql`analyze`.execute(roster.db);
  });
  afterAll(async () => {
    await roster?.close();
  });

  /** The plans of the contacts statements `run` makes (one line per step). */
  async function plansOf(run: () => Promise<unknown>): Promise<string[]> {
    statements.length = 0;
    await run();
    const reads = statements.filter((q) => /^select/i.test(q.sql) && /roster_contacts/.test(q.sql));
    expect(reads.length).toBeGreaterThan(0);
    const plans: string[] = [];
    for (const q of reads) {
      const { rows } = await roster.db.executeQuery<{ detail: string }>({
        ...q,
        sql: `explain query plan ${q.sql}`,
      } as CompiledQuery);
      plans.push(`${q.sql}\n  ${rows.map((r) => r.detail).join('\n  ')}`);
    }
    return plans;
  }

  function expectSeeks(plans: string[], options: { sortsTiebreaker?: boolean } = {}) {
    for (const plan of plans) {
      const steps = plan.split('\n  ').slice(1);
      for (const step of steps) {
        // A full walk of the table (or of an index without a seek) reads every project's contacts.
        expect(step, plan).not.toMatch(/^SCAN (roster_contacts|c)\b(?! USING)/);
        expect(step, plan).not.toMatch(/^SCAN (roster_contacts|c) USING (COVERING )?INDEX/);
        // The substring index's candidates (at most MAX_SEARCH_CANDIDATES) are sorted by design.
        if (/ORDER BY/.test(step) && !/from json_each/.test(plan)) {
          expect(options.sortsTiebreaker, plan).toBe(true);
          expect(step, plan).toMatch(/LAST TERM|RIGHT-MOST TERM/);
        }
      }
    }
  }

  it('lists pages in every order, with cursors, filters and totals, by seeking the project', async () => {
    const first = await roster.contacts.list(projectId, { limit: 20 });
    for (const [sort, dir] of [
      ['createdAt', 'desc'],
      ['email', 'asc'],
      ['email', 'desc'],
    ] as const) {
      for (const subscribed of [undefined, true]) {
        expectSeeks(
          await plansOf(async () => {
            const page = await roster.contacts.list(projectId, {
              limit: 20,
              sort,
              dir,
              includeTotal: true,
              ...(subscribed === undefined ? {} : { subscribed }),
            });
            await roster.contacts.list(projectId, {
              limit: 20,
              sort,
              dir,
              cursor: page.cursor!,
              includeTotal: true,
              ...(subscribed === undefined ? {} : { subscribed }),
            });
          }),
        );
      }
    }
    // A cursor inside a run of contacts created in one millisecond (each createMany's 100): the rest
    // of the run is one seek below the cursor's rowid, not a walk of the run.
    for (const dir of ['desc', 'asc'] as const) {
      const plans = await plansOf(() =>
        roster.contacts.list(projectId, { limit: 20, sort: 'createdAt', dir, cursor: first.cursor! }),
      );
      expect(plans.join('\n')).toMatch(/\(project_id=\? AND created_at=\? AND rowid<\?\)/);
    }
    // createdAt ascending breaks ties by id descending: only runs of equal created_at are sorted.
    expectSeeks(
      await plansOf(() =>
        roster.contacts.list(projectId, { limit: 20, sort: 'createdAt', dir: 'asc', cursor: first.cursor! }),
      ),
      { sortsTiebreaker: true },
    );
  });

  it('pages a rare search from the substring index candidates, with its total', async () => {
    expectSeeks(
      await plansOf(async () => {
        const page = await roster.contacts.list(projectId, { limit: 2, search: 'c12', includeTotal: true });
        expect(page.total).toBeGreaterThan(2);
        await roster.contacts.list(projectId, { limit: 2, search: 'c12', cursor: page.cursor! });
      }),
    );
  });

  it('looks the ids of a bulk operation up by the id index, not by walking the project', async () => {
    const ids = (await roster.contacts.listOffset(projectId, { limit: 20 })).map((c) => c.id);
    // As a database nobody analysed (the bench's million contacts): without statistics SQLite
    // prefers an index on project_id = ? to the id list, and walks the project.
    await sql`delete from sqlite_stat1`.execute(roster.db);
    await sql`analyze sqlite_schema`.execute(roster.db);
    for (const operation of ['unsubscribe', 'subscribe', 'delete'] as const) {
      statements.length = 0;
      await roster.bulk.apply(projectId, { operation, contactIds: ids });
      const byIds = statements.filter((q) => /roster_contacts/.test(q.sql) && /"id" in \(/.test(q.sql));
      expect(byIds.length, operation).toBeGreaterThan(0);
      for (const q of byIds) {
        const { rows } = await roster.db.executeQuery<{ detail: string }>({
          ...q,
          sql: `explain query plan ${q.sql}`,
        } as CompiledQuery);
        const plan = rows.map((r) => r.detail).join('\n');
        expect(plan, q.sql).toMatch(/sqlite_autoindex_roster_contacts_1 \(id=\?\)/);
      }
    }
    await sql`analyze`.execute(roster.db);
  });

  it('pages by offset, streams and pages an audience by seeking its index', async () => {
    expectSeeks(await plansOf(() => roster.contacts.listOffset(projectId, { limit: 20, offset: 100 })));
    expectSeeks(
      await plansOf(() => roster.contacts.listOffset(projectId, { limit: 20, offset: 10, audienceId })),
    );
    expectSeeks(
      await plansOf(async () => {
        for await (const _ of roster.contacts.stream(projectId, { batchSize: 100 })) {
          // every contact, in keyset batches
        }
      }),
    );
    expectSeeks(
      await plansOf(async () => {
        for await (const _ of roster.contacts.stream(projectId, { batchSize: 50, audienceId })) {
          // the audience's contacts
        }
      }),
    );
  });
});
