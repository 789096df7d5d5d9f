import { describeEachDialect, eachMainAndOtherProject, rosterRejection } from '@roster/test-harness';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Roster } from '../roster.js';

let roster: Roster;
let projectId: string;
let otherProjectId: string;

const SUPPRESSED = 'blocked@example.com';

async function subscribedOf(email: string, project = projectId): Promise<boolean | undefined> {
  return (await roster.contacts.findByEmail(project, email))?.subscribed;
}

describeEachDialect('suppressions', (dialect) => {
  eachMainAndOtherProject(dialect, (t) => ({ roster, projectId, otherProjectId } = t));

  describe('the list', () => {
    it('adds, checks, lists and removes an address, per project', async () => {
      const added = await roster.suppressions.add(projectId, {
        email: ' Blocked@Example.com ',
        reason: 'asked',
      });
      expect(added).toMatchObject({
        created: true,
        unsubscribed: false,
        suppression: { email: SUPPRESSED, origin: 'manual', reason: 'asked', projectId },
      });
      const again = await roster.suppressions.add(projectId, { email: SUPPRESSED, origin: 'bounce' });
      expect(again.created).toBe(false);
      expect(again.suppression).toEqual(added.suppression);
      expect(await roster.suppressions.check(projectId, 'BLOCKED@example.com')).toEqual(added.suppression);
      expect(await roster.suppressions.check(otherProjectId, SUPPRESSED)).toBeNull();
      expect((await roster.suppressions.list(projectId)).data).toEqual([added.suppression]);
      expect((await roster.suppressions.list(otherProjectId)).data).toEqual([]);
      expect(await roster.suppressions.get(projectId, added.suppression.id)).toEqual(added.suppression);
      expect(await roster.suppressions.remove(projectId, SUPPRESSED)).toEqual(added.suppression);
      expect(await roster.suppressions.check(projectId, SUPPRESSED)).toBeNull();
      expect((await rosterRejection(roster.suppressions.remove(projectId, SUPPRESSED))).code).toBe(
        'not_found',
      );
    });

    it('pages newest first and filters by origin', async () => {
      for (const [i, origin] of (['manual', 'bounce', 'complaint'] as const).entries()) {
        await roster.suppressions.add(projectId, { email: `s${i}@example.com`, origin });
      }
      const first = await roster.suppressions.list(projectId, { limit: 2 });
      expect(first.data.map((s) => s.email)).toEqual(['s2@example.com', 's1@example.com']);
      expect(first.hasMore).toBe(true);
      const next = await roster.suppressions.list(projectId, { limit: 2, cursor: first.cursor! });
      expect(next.data.map((s) => s.email)).toEqual(['s0@example.com']);
      expect(next.hasMore).toBe(false);
      const bounces = await roster.suppressions.list(projectId, { origin: 'bounce' });
      expect(bounces.data.map((s) => s.email)).toEqual(['s1@example.com']);
    });

    it('refuses bad input naming the field', async () => {
      const bad = await rosterRejection(roster.suppressions.add(projectId, { email: 'nope' }));
      expect(bad.details.issues).toEqual([{ field: 'email', message: 'must be a valid email address' }]);
      const origin = await rosterRejection(
        roster.suppressions.add(projectId, { email: SUPPRESSED, origin: 'erasure' as never }),
      );
      expect(origin.details.issues?.[0]?.field).toBe('origin');
      const reason = await rosterRejection(
        roster.suppressions.add(projectId, { email: SUPPRESSED, reason: 'x'.repeat(1001) }),
      );
      expect(reason.details.issues?.[0]).toEqual({
        field: 'reason',
        message: 'must be at most 1000 characters',
      });
      const cursor = await rosterRejection(roster.suppressions.list(projectId, { cursor: 'nope' }));
      expect(cursor.code).toBe('invalid_cursor');
    });

    it('unsubscribes the existing contact when its address is added, with the change events', async () => {
      const { contact } = await roster.contacts.upsert(projectId, { email: SUPPRESSED });
      const otherProjects = await roster.contacts.upsert(otherProjectId, { email: SUPPRESSED });
      const added = await roster.suppressions.add(projectId, { email: SUPPRESSED });
      expect(added.unsubscribed).toBe(true);
      expect(await subscribedOf(SUPPRESSED)).toBe(false);
      expect(await subscribedOf(SUPPRESSED, otherProjectId)).toBe(true);
      const changes = await roster.changes.list(projectId);
      expect(changes.data.map((c) => c.type).slice(-2)).toEqual(['contact.updated', 'contact.unsubscribed']);
      expect(changes.data.at(-1)?.contactId).toBe(contact.id);
      expect(otherProjects.contact.subscribed).toBe(true);
    });
  });

  describe('no write path subscribes a suppressed address', () => {
    beforeEach(async () => {
      await roster.suppressions.add(projectId, { email: SUPPRESSED, reason: 'test' });
    });

    it('upsert: a new contact is created unsubscribed, the other fields written, and the result says suppressed', async () => {
      const result = await roster.contacts.upsert(projectId, {
        email: 'Blocked@example.com',
        subscribed: true,
        data: { plan: 'pro' },
      });
      expect(result).toMatchObject({
        created: true,
        suppressed: true,
        contact: { subscribed: false, data: { plan: 'pro' } },
      });
      const again = await roster.contacts.upsert(projectId, { email: SUPPRESSED, data: { plan: 'max' } });
      expect(again).toMatchObject({
        created: false,
        suppressed: true,
        contact: { subscribed: false, data: { plan: 'max' } },
      });
      const free = await roster.contacts.upsert(projectId, { email: 'free@example.com' });
      expect(free.suppressed).toBeUndefined();
      expect(free.contact.subscribed).toBe(true);
      // The same address in another project is not suppressed.
      expect((await roster.contacts.upsert(otherProjectId, { email: SUPPRESSED })).contact.subscribed).toBe(
        true,
      );
    });

    it('create and createMany: created unsubscribed and reported', async () => {
      const created = await roster.contacts.create(projectId, { email: SUPPRESSED, firstName: 'Bo' });
      expect(created).toMatchObject({ subscribed: false, firstName: 'Bo', suppressed: true });
      await roster.contacts.delete(projectId, created.id);
      const many = await roster.contacts.createMany(projectId, {
        contacts: [{ email: SUPPRESSED }, { email: 'free@example.com' }],
      });
      expect(many.suppressedEmails).toEqual([SUPPRESSED]);
      expect(await subscribedOf(SUPPRESSED)).toBe(false);
      expect(await subscribedOf('free@example.com')).toBe(true);
    });

    it('update: subscribing, or moving a subscribed contact to the address, leaves it unsubscribed', async () => {
      const { contact } = await roster.contacts.upsert(projectId, { email: SUPPRESSED });
      const subscribed = await roster.contacts.update(projectId, contact.id, {
        subscribed: true,
        lastName: 'L',
      });
      expect(subscribed).toMatchObject({ subscribed: false, lastName: 'L', suppressed: true });
      const other = (await roster.contacts.upsert(projectId, { email: 'moving@example.com' })).contact;
      expect(other.subscribed).toBe(true);
      await roster.contacts.delete(projectId, contact.id);
      const moved = await roster.contacts.update(projectId, other.id, { email: SUPPRESSED });
      expect(moved).toMatchObject({ email: SUPPRESSED, subscribed: false, suppressed: true });
      const unrelated = await roster.contacts.update(projectId, other.id, { firstName: 'X' });
      expect(unrelated.suppressed).toBeUndefined();
    });

    it('track: the contact is created unsubscribed and the result says suppressed', async () => {
      const tracked = await roster.events.track(projectId, {
        email: SUPPRESSED,
        event: 'signup',
        subscribed: true,
      });
      expect(tracked).toMatchObject({ suppressed: true, contact: { subscribed: false } });
      const preserving = await roster.events.track(projectId, {
        email: 'BLOCKED@example.com',
        event: 'again',
        subscribed: true,
        preserveExistingSubscription: true,
      });
      expect(preserving.contact.subscribed).toBe(false);
    });

    it('CSV import: the row is written unsubscribed and the job result counts it', async () => {
      const job = await roster.imports.enqueue(projectId, {
        file: Buffer.from(
          `email,subscribed,plan\n${SUPPRESSED},true,pro\nfree@example.com,true,basic\nBLOCKED@example.com,yes,max\n`,
        ),
        name: 'people.csv',
      });
      await roster.jobs.runOnce();
      const status = await roster.imports.status(projectId, job.id);
      expect(status.result).toMatchObject({ successCount: 3, suppressedCount: 2 });
      expect(await roster.contacts.findByEmail(projectId, SUPPRESSED)).toMatchObject({
        subscribed: false,
        data: { plan: 'max' },
      });
      expect(await subscribedOf('free@example.com')).toBe(true);
      const second = await roster.imports.enqueue(projectId, {
        file: Buffer.from('email,plan\nfree@example.com,gold\n'),
        name: 'other.csv',
      });
      await roster.jobs.runOnce();
      expect((await roster.imports.status(projectId, second.id)).result?.suppressedCount).toBeUndefined();
    });

    it('bulk subscribe (ids and query job): suppressed contacts stay unsubscribed and are counted', async () => {
      const blocked = (await roster.contacts.upsert(projectId, { email: SUPPRESSED })).contact;
      const free = (await roster.contacts.upsert(projectId, { email: 'free@example.com', subscribed: false }))
        .contact;
      const outcome = await roster.bulk.apply(projectId, {
        operation: 'subscribe',
        contactIds: [blocked.id, free.id],
      });
      expect(outcome).toMatchObject({ affected: 1, unchanged: 1, suppressed: 1 });
      expect(await subscribedOf(SUPPRESSED)).toBe(false);
      expect(await subscribedOf('free@example.com')).toBe(true);
      await roster.contacts.update(projectId, free.id, { subscribed: false });
      const jobId = await roster.bulk.enqueueQuery(projectId, { operation: 'subscribe' });
      await roster.jobs.runOnce();
      const job = await roster.jobs.get(projectId, jobId);
      expect(job.result).toMatchObject({ successCount: 1, suppressedCount: 1 });
      expect(await subscribedOf(SUPPRESSED)).toBe(false);
    });

    it('after remove, the address can be subscribed again', async () => {
      await roster.suppressions.remove(projectId, SUPPRESSED);
      expect((await roster.contacts.upsert(projectId, { email: SUPPRESSED })).contact.subscribed).toBe(true);
    });
  });
});
