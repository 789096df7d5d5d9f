import { createPgTestSchema, PG_URL, type PgTestSchema } from '@roster/test-harness';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRoster, type Roster } from '../roster.js';

/**
 * PostgreSQL, READ COMMITTED: a write that would subscribe an address checks the suppression list,
 * then writes. A `suppressions.add` that commits in between (finding no subscribed contact to
 * unsubscribe) must not leave the address subscribed. The interleaving is forced: another session
 * holds an uncommitted insert of the same address, so the write's INSERT waits on it after its
 * check, while the suppression is added; then that session rolls back and the write goes on.
 * (SQLite has one writer: the check and the write see no other commit in between.)
 */
describe.skipIf(!PG_URL)('suppressions.add against a concurrent subscribing write [postgres]', () => {
  let schema: PgTestSchema;
  let roster: Roster;
  let projectId: string;
  let holder: pg.Client;
  let watcher: pg.Client;
  let holderPid: number;

  beforeEach(async () => {
    schema = await createPgTestSchema();
    roster = await createRoster({ database: schema.url, jobs: { onError: () => {} } });
    projectId = (await roster.projects.ensure('p')).id;
    holder = new pg.Client({ connectionString: schema.url });
    watcher = new pg.Client({ connectionString: schema.url });
    await holder.connect();
    await watcher.connect();
    holderPid = (await holder.query('select pg_backend_pid() as pid')).rows[0].pid;
  });

  afterEach(async () => {
    await holder.end();
    await watcher.end();
    await roster.close();
    await schema.drop();
  });

  /**
   * Sessions waiting, directly or through one another, for the holder's transaction (the database
   * is shared with other tests: only this test's chain counts).
   */
  async function waiting(): Promise<number> {
    const { rows } = await watcher.query(
      `with recursive chain(pid) as (
         select pid from pg_stat_activity where $1::int = any(pg_blocking_pids(pid))
         union
         select a.pid from pg_stat_activity a, chain c where c.pid = any(pg_blocking_pids(a.pid)))
       select count(*)::int as n from chain`,
      [holderPid],
    );
    return rows[0].n;
  }

  async function until(test: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await test())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Opens a transaction in `holder` with an uncommitted contact of `email` (a copy of `like`'s row). */
  async function holdInsert(likeId: string, email: string): Promise<void> {
    await holder.query('begin');
    await holder.query(
      'create temp table held on commit drop as select * from roster_contacts where id = $1',
      [likeId],
    );
    await holder.query(
      `update held set id = '0190a5b2-0000-7000-8000-00000000beef', email = $1, subscribed = false`,
      [email],
    );
    await holder.query('insert into roster_contacts select * from held');
  }

  /**
   * Runs `write` (which creates `email` subscribed) against a held insert, adds the suppression
   * while the write waits, then releases: the address must end unsubscribed.
   */
  async function race(email: string, write: () => Promise<unknown>): Promise<void> {
    const like = await roster.contacts.create(projectId, { email: 'like@example.com' });
    await holdInsert(like.id, email);
    const writing = write();
    writing.catch(() => {});
    await until(async () => (await waiting()) >= 1, 'the write to wait for the held insert');
    let added = false;
    const adding = roster.suppressions.add(projectId, { email }).then((result) => {
      added = true;
      return result;
    });
    // Fixed: the suppression waits for the write's transaction. Broken: it commits at once.
    await until(async () => added || (await waiting()) >= 2, 'the suppression to commit or wait');
    await holder.query('rollback');
    await writing;
    await adding;
    expect(await roster.suppressions.check(projectId, email)).not.toBeNull();
    expect((await roster.contacts.findByEmail(projectId, email))?.subscribed).toBe(false);
  }

  it('concurrent suppressions and subscribing writes of one address neither deadlock nor leave it subscribed', async () => {
    const email = 'busy@example.com';
    const contact = await roster.contacts.create(projectId, { email });
    for (let round = 0; round < 15; round++) {
      await roster.suppressions.remove(projectId, email).catch(() => {});
      await roster.contacts.update(projectId, contact.id, { subscribed: true });
      const results = await Promise.allSettled([
        roster.contacts.update(projectId, contact.id, { subscribed: true }),
        roster.suppressions.add(projectId, { email }),
        roster.contacts.upsert(projectId, { email, subscribed: true }),
        roster.bulk.apply(projectId, { operation: 'subscribe', contactIds: [contact.id] }),
        roster.suppressions.addMany(projectId, { emails: [email, 'other@example.com'] }),
      ]);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect((await roster.contacts.get(projectId, contact.id)).subscribed).toBe(false);
    }
  });

  it('a contact created subscribed meanwhile ends unsubscribed (contacts.create)', async () => {
    await race('race@example.com', () => roster.contacts.create(projectId, { email: 'race@example.com' }));
  });

  it('a contact an import batch subscribes meanwhile ends unsubscribed', async () => {
    await race('race@example.com', async () => {
      const job = await roster.imports.enqueue(projectId, {
        file: Buffer.from('email,subscribed\nrace@example.com,true\nother@example.com,true\n'),
        name: 'c.csv',
      });
      await roster.jobs.runOnce();
      const status = await roster.imports.status(projectId, job.id);
      expect(status.state).toBe('completed');
    });
    expect((await roster.contacts.findByEmail(projectId, 'other@example.com'))?.subscribed).toBe(true);
  });
});
