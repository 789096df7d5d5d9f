import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RosterError } from '../errors.js';
import { uuidv7 } from '../ids.js';
import type { Roster } from '../roster.js';

let roster: Roster;
let projectId: string;
let otherProjectId: string;

async function contact(email: string, project = projectId, subscribed = true) {
  return (await roster.contacts.upsert(project, { email, subscribed })).contact;
}

async function audience(project = projectId): Promise<string> {
  const id = uuidv7();
  const now = new Date().toISOString();
  await roster.db
    .insertInto('roster_audiences')
    .values({ id, project_id: project, name: `a-${id}`, description: null, created_at: now, updated_at: now })
    .execute();
  return id;
}

describeEachDialect('bulk operations', (dialect) => {
  beforeEach(async () => {
    roster = await createTestRoster(dialect);
    projectId = (await roster.projects.ensure('p1')).id;
    otherProjectId = (await roster.projects.ensure('p2')).id;
  });
  afterEach(() => roster.close());

  describe('roster.bulk.apply', () => {
    it('unsubscribes the subscribed contacts and counts those already unsubscribed as unchanged', async () => {
      const a = await contact('a@example.com');
      const b = await contact('b@example.com', projectId, false);
      const c = await contact('c@example.com');
      const outcome = await roster.bulk.apply(projectId, {
        operation: 'unsubscribe',
        contactIds: [a.id, b.id, c.id],
      });
      expect(outcome).toEqual({
        operation: 'unsubscribe',
        requested: 3,
        affected: 2,
        unchanged: 1,
        notFound: [],
        suppressed: 0,
      });
      for (const x of [a, b, c]) expect((await roster.contacts.get(projectId, x.id)).subscribed).toBe(false);
    });

    it('subscribes contacts and leaves other contacts alone', async () => {
      const a = await contact('a@example.com', projectId, false);
      const untouched = await contact('u@example.com', projectId, false);
      const outcome = await roster.bulk.apply(projectId, { operation: 'subscribe', contactIds: [a.id] });
      expect(outcome).toEqual({
        operation: 'subscribe',
        requested: 1,
        affected: 1,
        unchanged: 0,
        notFound: [],
        suppressed: 0,
      });
      expect((await roster.contacts.get(projectId, a.id)).subscribed).toBe(true);
      expect((await roster.contacts.get(projectId, untouched.id)).subscribed).toBe(false);
    });

    it('reports unknown, malformed and other-project ids as not found and never touches them', async () => {
      const mine = await contact('a@example.com');
      const theirs = await contact('b@example.com', otherProjectId);
      const unknown = uuidv7();
      const outcome = await roster.bulk.apply(projectId, {
        operation: 'delete',
        contactIds: [mine.id, theirs.id, unknown, 'not-a-uuid', mine.id.toUpperCase()],
      });
      expect(outcome).toEqual({
        operation: 'delete',
        requested: 4,
        affected: 1,
        unchanged: 0,
        notFound: [theirs.id, unknown, 'not-a-uuid'],
        suppressed: 0,
      });
      await expect(roster.contacts.get(projectId, mine.id)).rejects.toMatchObject({ code: 'not_found' });
      expect((await roster.contacts.get(otherProjectId, theirs.id)).email).toBe('b@example.com');
    });

    it('moves contacts into an audience and out of it again', async () => {
      const audienceId = await audience();
      const a = await contact('a@example.com');
      const b = await contact('b@example.com');
      expect(
        await roster.bulk.apply(projectId, { operation: 'move', contactIds: [a.id], audienceId }),
      ).toEqual({
        operation: 'move',
        requested: 1,
        affected: 1,
        unchanged: 0,
        notFound: [],
        suppressed: 0,
      });
      expect(
        await roster.bulk.apply(projectId, { operation: 'move', contactIds: [a.id, b.id], audienceId }),
      ).toMatchObject({ affected: 1, unchanged: 1 });
      expect((await roster.contacts.get(projectId, b.id)).audienceId).toBe(audienceId);
      expect(
        await roster.bulk.apply(projectId, { operation: 'move', contactIds: [a.id, b.id], audienceId: null }),
      ).toMatchObject({ affected: 2, unchanged: 0 });
      expect((await roster.contacts.get(projectId, a.id)).audienceId).toBeNull();
    });

    it("refuses a move without audienceId or into another project's audience", async () => {
      const a = await contact('a@example.com');
      await expect(
        roster.bulk.apply(projectId, { operation: 'move', contactIds: [a.id] }),
      ).rejects.toMatchObject({
        code: 'validation_failed',
        details: { issues: [{ field: 'audienceId', message: expect.stringContaining('required') }] },
      });
      const foreign = await audience(otherProjectId);
      const error = await roster.bulk
        .apply(projectId, { operation: 'move', contactIds: [a.id], audienceId: foreign })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RosterError);
      expect(error).toMatchObject({ code: 'not_found', details: { resource: 'audience' } });
      expect((await roster.contacts.get(projectId, a.id)).audienceId).toBeNull();
    });

    it('validates the number of ids', async () => {
      await expect(
        roster.bulk.apply(projectId, { operation: 'delete', contactIds: [] }),
      ).rejects.toMatchObject({
        code: 'validation_failed',
        details: { issues: [{ field: 'contactIds', message: 'must contain at least 1 id' }] },
      });
      const tooMany = Array.from({ length: 1001 }, () => uuidv7());
      await expect(
        roster.bulk.apply(projectId, { operation: 'delete', contactIds: tooMany }),
      ).rejects.toMatchObject({
        code: 'validation_failed',
        details: { issues: [{ field: 'contactIds', message: 'must contain at most 1000 ids' }] },
      });
    });

    it('handles 1000 ids in chunks within one call', async () => {
      // One createMany, not 1 000 upserts: on PostgreSQL under load those alone neared the timeout.
      const { ids } = await roster.contacts.createMany(projectId, {
        contacts: Array.from({ length: 1000 }, (_, i) => ({ email: `c${i}@example.com` })),
      });
      expect(ids).toHaveLength(1000);
      const outcome = await roster.bulk.apply(projectId, { operation: 'unsubscribe', contactIds: ids });
      expect(outcome).toMatchObject({ requested: 1000, affected: 1000, unchanged: 0, notFound: [] });
      expect(await roster.contacts.count(projectId)).toBe(1000);
    });
  });

  describe('roster.bulk.enqueue', () => {
    it('runs the operation as a job and stores a Plunk-shaped result', async () => {
      const a = await contact('a@example.com');
      const b = await contact('b@example.com', projectId, false);
      const theirs = await contact('t@example.com', otherProjectId);
      const unknown = uuidv7();
      const jobId = await roster.bulk.enqueue(projectId, 'unsubscribe', [a.id, b.id, theirs.id, unknown]);
      expect(await roster.bulk.status(projectId, jobId)).toMatchObject({
        state: 'waiting',
        progress: 0,
        result: null,
      });
      await roster.jobs.runOnce();
      const status = await roster.bulk.status(projectId, jobId);
      expect(status).toMatchObject({ id: jobId, state: 'completed', progress: 100 });
      expect(status.result).toEqual({
        operation: 'unsubscribe',
        totalRequested: 4,
        successCount: 1,
        unchangedCount: 1,
        failureCount: 2,
        errors: [
          { contactId: theirs.id, error: 'Contact not found' },
          { contactId: unknown, error: 'Contact not found' },
        ],
      });
      expect((await roster.contacts.get(otherProjectId, theirs.id)).subscribed).toBe(true);
      await expect(roster.bulk.status(otherProjectId, jobId)).rejects.toMatchObject({ code: 'not_found' });
    });

    it.each(['delete', 'unsubscribe'] as const)(
      'reports its own %s after a crash between its commit and the job row completing',
      async (operation) => {
        const contacts = await Promise.all(['a', 'b', 'c'].map((n) => contact(`${n}@example.com`)));
        const unknown = uuidv7();
        const jobId = await roster.bulk.enqueue(projectId, operation, [
          ...contacts.map((c) => c.id),
          unknown,
        ]);
        await roster.jobs.runOnce();
        const first = await roster.bulk.status(projectId, jobId);
        expect(first.result).toMatchObject({ successCount: 3, unchangedCount: 0, failureCount: 1 });
        // What the database holds when the process died right after the work's transaction committed:
        // the work is done, the job row still says running (held by the dead worker), no result.
        await roster.db
          .updateTable('roster_jobs')
          .set({
            status: 'running',
            result: null,
            locked_by: 'roster:dead-host:1:deadbeef',
            locked_at: new Date(Date.now() - 3_600_000).toISOString(),
          })
          .where('id', '=', jobId)
          .execute();
        const rerun = await roster.jobs.runJob(projectId, jobId);
        expect(rerun.status).toBe('completed');
        expect(rerun.attempts).toBe(2);
        // The re-run reports what the first attempt did, not "unchanged" / "Contact not found".
        expect((await roster.bulk.status(projectId, jobId)).result).toEqual(first.result);
      },
    );

    it('query mode: applies the operation to every match of the filter except the excluded ids', async () => {
      const a = await contact('ann@match.io');
      const b = await contact('bob@match.io');
      const c = await contact('cy@match.io', projectId, false);
      const excluded = await contact('dee@match.io');
      const other = await contact('eve@elsewhere.io');
      const theirs = await contact('fay@match.io', otherProjectId);
      const jobId = await roster.bulk.enqueueQuery(projectId, {
        operation: 'unsubscribe',
        filter: { search: 'MATCH' },
        excludeIds: [excluded.id.toUpperCase(), uuidv7()],
      });
      await roster.jobs.runOnce();
      const status = await roster.bulk.status(projectId, jobId);
      expect(status).toEqual({
        id: jobId,
        state: 'completed',
        progress: 100,
        result: {
          operation: 'unsubscribe',
          totalRequested: 3,
          successCount: 2,
          unchangedCount: 1,
          failureCount: 0,
          errors: [],
        },
        attempts: 1,
        createdAt: status.createdAt,
        updatedAt: status.updatedAt,
      });
      const state = async (id: string, project = projectId) =>
        (await roster.contacts.get(project, id)).subscribed;
      expect([await state(a.id), await state(b.id), await state(c.id)]).toEqual([false, false, false]);
      expect([
        await state(excluded.id),
        await state(other.id),
        await state(theirs.id, otherProjectId),
      ]).toEqual([true, true, true]);
    });

    it('query mode: walks more than 1000 matches and resumes after a failed batch without redoing the committed ones', async () => {
      for (let start = 0; start < 2500; start += 1000) {
        await roster.contacts.createMany(projectId, {
          contacts: Array.from({ length: Math.min(1000, 2500 - start) }, (_, k) => ({
            email: `u${start + k}@bulk.io`,
            subscribed: (start + k) % 5 !== 0,
          })),
        });
      }
      await contact('keep@other.io');
      // The 1500th newest match fails to delete once: batch 2 of 3 rolls back.
      const victim = 'u1001@bulk.io';
      if (dialect === 'sqlite') {
        await sql`create trigger boom before delete on roster_contacts when old.email = ${sql.lit(victim)}
          begin select raise(abort, 'boom'); end`.execute(roster.db);
      } else {
        await sql`create function boom() returns trigger language plpgsql as $$
          begin if old.email = ${sql.lit(victim)} then raise exception 'boom'; end if; return old; end $$`.execute(
          roster.db,
        );
        await sql`create trigger boom before delete on roster_contacts for each row execute function boom()`.execute(
          roster.db,
        );
      }
      const jobId = await roster.bulk.enqueueQuery(projectId, {
        operation: 'delete',
        filter: { search: '@bulk.io', subscribed: true },
      });
      const failed = await roster.jobs.runJob(projectId, jobId);
      expect(failed).toMatchObject({
        status: 'queued',
        attempts: 1,
        lastError: expect.stringContaining('boom'),
      });
      const midway = await roster.bulk.status(projectId, jobId);
      expect(midway.result).toBeNull();
      expect(await roster.contacts.count(projectId, { subscribed: true, search: '@bulk.io' })).toBe(1000);
      await sql`drop trigger boom ${dialect === 'sqlite' ? sql`` : sql`on roster_contacts`}`.execute(
        roster.db,
      );
      // The retry is due now (skip the backoff).
      await roster.db
        .updateTable('roster_jobs')
        .set({ run_at: new Date(0).toISOString() })
        .where('id', '=', jobId)
        .execute();
      const done = await roster.jobs.runJob(projectId, jobId);
      expect(done).toMatchObject({ status: 'completed', attempts: 2 });
      // The same counters as an uninterrupted run: each match deleted once, none counted twice.
      expect((await roster.bulk.status(projectId, jobId)).result).toEqual({
        operation: 'delete',
        totalRequested: 2000,
        successCount: 2000,
        unchangedCount: 0,
        failureCount: 0,
        errors: [],
      });
      expect(await roster.contacts.count(projectId)).toBe(501);
      expect(await roster.contacts.count(projectId, { subscribed: true })).toBe(1);
    });

    it.each([
      [{ operation: 'move' }, 'operation', 'must be one of subscribe, unsubscribe, delete'],
      [
        { operation: 'delete', filter: { search: 'x'.repeat(256) } },
        'filter.search',
        'must be at most 255 characters',
      ],
      [{ operation: 'delete', filter: { subscribed: 'yes' } }, 'filter.subscribed', 'must be a boolean'],
      [{ operation: 'delete', excludeIds: ['nope'] }, 'excludeIds.0', 'must be a UUID'],
      [
        { operation: 'delete', excludeIds: Array.from({ length: 10_001 }, () => uuidv7()) },
        'excludeIds',
        'must contain at most 10000 ids',
      ],
    ])('query mode: refuses %j naming %s', async (input, field, message) => {
      await expect(roster.bulk.enqueueQuery(projectId, input as never)).rejects.toMatchObject({
        code: 'validation_failed',
        details: { issues: [{ field, message }] },
      });
    });

    it('refuses ids that are not UUIDs, naming the position', async () => {
      await expect(roster.bulk.enqueue(projectId, 'delete', [uuidv7(), 'nope'])).rejects.toMatchObject({
        code: 'validation_failed',
        details: { issues: [{ field: 'contactIds.1', message: 'must be a UUID' }] },
      });
      expect(await roster.db.selectFrom('roster_jobs').selectAll().execute()).toEqual([]);
    });
  });
});
