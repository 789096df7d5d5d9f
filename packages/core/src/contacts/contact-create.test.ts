import {
  describeEachDialect,
  eachMainAndOtherProject,
  rosterRejection as rejection,
} from '@roster/test-harness';
import { describe, expect, it } from 'vitest';
import type { Roster } from '../roster.js';

let roster: Roster;
let projectId: string;
let otherProjectId: string;

describeEachDialect('contacts.create and createMany', (dialect) => {
  eachMainAndOtherProject(dialect, (t) => {
    ({ roster, projectId, otherProjectId } = t);
  });

  describe('contacts.create', () => {
    it('creates a subscribed contact with names, data and audience', async () => {
      const audience = await roster.audiences.create(projectId, { name: 'A' });
      const contact = await roster.contacts.create(projectId, {
        email: ' Ada@Example.com ',
        firstName: 'Ada',
        lastName: 'Lovelace',
        data: { plan: 'pro' },
        audienceId: audience.id.toUpperCase(),
      });
      expect(contact).toEqual({
        id: contact.id,
        projectId,
        email: 'ada@example.com',
        subscribed: true,
        data: { plan: 'pro' },
        firstName: 'Ada',
        lastName: 'Lovelace',
        audienceId: audience.id,
        createdAt: contact.createdAt,
        updatedAt: contact.createdAt,
      });
    });

    it('refuses an existing email with a conflict and leaves the existing contact untouched', async () => {
      const existing = await roster.contacts.create(projectId, {
        email: 'ada@example.com',
        firstName: 'Ada',
        data: { plan: 'pro' },
      });
      const error = await rejection(
        roster.contacts.create(projectId, {
          email: 'ADA@example.com',
          firstName: 'Changed',
          subscribed: false,
          data: { plan: 'free' },
        }),
      );
      expect(error.code).toBe('conflict');
      expect(error.message).toBe('Contact with this email already exists');
      expect(await roster.contacts.get(projectId, existing.id)).toEqual(existing);
    });

    it('makes exactly one contact when the same email is created concurrently', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => roster.contacts.create(projectId, { email: 'same@example.com' })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(await roster.contacts.count(projectId)).toBe(1);
    });

    it('allows the same email in another project', async () => {
      await roster.contacts.create(projectId, { email: 'ada@example.com' });
      await expect(
        roster.contacts.create(otherProjectId, { email: 'ada@example.com' }),
      ).resolves.toMatchObject({
        projectId: otherProjectId,
      });
    });

    it("answers not_found for an unknown or another project's audience, and validation_failed for a non-UUID", async () => {
      const theirs = await roster.audiences.create(otherProjectId, { name: 'Theirs' });
      const foreign = await rejection(
        roster.contacts.create(projectId, { email: 'a@example.com', audienceId: theirs.id }),
      );
      expect([foreign.code, foreign.details.resource, foreign.message]).toEqual([
        'not_found',
        'audience',
        'Audience not found',
      ]);
      const malformed = await rejection(
        roster.contacts.create(projectId, { email: 'a@example.com', audienceId: 'abc' }),
      );
      expect(malformed.code).toBe('validation_failed');
      expect(malformed.details.issues).toEqual([{ field: 'audienceId', message: 'must be a UUID' }]);
      expect(await roster.contacts.count(projectId)).toBe(0);
    });
  });

  describe('audience assignment on upsert and update', () => {
    it('sets, moves and clears the audience through update', async () => {
      const a = await roster.audiences.create(projectId, { name: 'A' });
      const b = await roster.audiences.create(projectId, { name: 'B' });
      const contact = await roster.contacts.create(projectId, { email: 'x@example.com', audienceId: a.id });
      expect((await roster.contacts.update(projectId, contact.id, { audienceId: b.id })).audienceId).toBe(
        b.id,
      );
      expect((await roster.contacts.update(projectId, contact.id, { firstName: 'X' })).audienceId).toBe(b.id);
      expect(
        (await roster.contacts.update(projectId, contact.id, { audienceId: null })).audienceId,
      ).toBeNull();
    });

    it("refuses to move a contact into another project's audience", async () => {
      const theirs = await roster.audiences.create(otherProjectId, { name: 'Theirs' });
      const contact = await roster.contacts.create(projectId, { email: 'x@example.com' });
      const error = await rejection(roster.contacts.update(projectId, contact.id, { audienceId: theirs.id }));
      expect([error.code, error.details.resource]).toEqual(['not_found', 'audience']);
      expect((await roster.contacts.get(projectId, contact.id)).audienceId).toBeNull();
    });

    it('keeps the audience on an upsert that does not name one and changes it when it does', async () => {
      const a = await roster.audiences.create(projectId, { name: 'A' });
      const created = await roster.contacts.upsert(projectId, { email: 'x@example.com', audienceId: a.id });
      expect(created.contact.audienceId).toBe(a.id);
      const merged = await roster.contacts.upsert(projectId, { email: 'x@example.com', data: { k: 1 } });
      expect(merged.contact.audienceId).toBe(a.id);
      const cleared = await roster.contacts.upsert(projectId, { email: 'x@example.com', audienceId: null });
      expect(cleared.contact.audienceId).toBeNull();
    });
  });

  describe('contacts.create with segmentIds and topics (one transaction)', () => {
    const listOf = (name: string) => roster.segments.create(projectId, { name, type: 'STATIC' });
    const topicOf = (name: string) =>
      roster.topics.create(projectId, { name, defaultSubscription: 'opt_in' });
    const UNKNOWN = '00000000-0000-7000-8000-000000000000';

    it('creates the contact in its static segments with its topic choices', async () => {
      const [a, b] = [await listOf('A'), await listOf('B')];
      const news = await topicOf('News');
      const contact = await roster.contacts.create(projectId, {
        email: 'ada@example.com',
        segmentIds: [a.id, b.id.toUpperCase(), a.id],
        topics: [{ id: news.id, subscription: 'opt_out' }],
      });
      const segments = await roster.segments.ofContact(projectId, contact.id);
      expect(segments.map((segment) => segment.id).sort()).toEqual([a.id, b.id].sort());
      expect((await roster.segments.get(projectId, a.id)).memberCount).toBe(1);
      const topics = await roster.topics.contactTopics(projectId, contact.id);
      expect(topics.map((topic) => [topic.id, topic.subscription])).toEqual([[news.id, 'opt_out']]);
    });

    it('leaves no contact, membership or choice behind when a segment is unknown', async () => {
      const a = await listOf('A');
      const news = await topicOf('News');
      const error = await rejection(
        roster.contacts.create(projectId, {
          email: 'ada@example.com',
          segmentIds: [a.id, UNKNOWN],
          topics: [{ id: news.id, subscription: 'opt_out' }],
        }),
      );
      expect(error.code).toBe('not_found');
      expect(error.details.resource).toBe('segment');
      expect(await roster.contacts.findByEmail(projectId, 'ada@example.com')).toBeNull();
      expect((await roster.segments.get(projectId, a.id)).memberCount).toBe(0);
      expect((await roster.segments.contacts(projectId, a.id)).data).toEqual([]);
    });

    it("leaves no contact behind for an unknown topic, a dynamic segment or another project's segment", async () => {
      const a = await listOf('A');
      const dynamic = await roster.segments.create(projectId, {
        name: 'Pro',
        type: 'DYNAMIC',
        condition: {
          logic: 'AND',
          groups: [{ filters: [{ field: 'data.plan', operator: 'equals', value: 'pro' }] }],
        },
      });
      const foreign = await roster.segments.create(otherProjectId, { name: 'Theirs', type: 'STATIC' });
      const topic = await rejection(
        roster.contacts.create(projectId, {
          email: 'ada@example.com',
          segmentIds: [a.id],
          topics: [{ id: UNKNOWN, subscription: 'opt_in' }],
        }),
      );
      expect([topic.code, topic.details.resource]).toEqual(['not_found', 'topic']);
      const dyn = await rejection(
        roster.contacts.create(projectId, { email: 'ada@example.com', segmentIds: [a.id, dynamic.id] }),
      );
      expect(dyn.code).toBe('validation_failed');
      expect(dyn.details.issues).toEqual([
        { field: 'segmentIds.1', message: expect.stringContaining('static') },
      ]);
      const other = await rejection(
        roster.contacts.create(projectId, { email: 'ada@example.com', segmentIds: [foreign.id] }),
      );
      expect(other.code).toBe('not_found');
      expect(await roster.contacts.findByEmail(projectId, 'ada@example.com')).toBeNull();
      expect((await roster.segments.get(projectId, a.id)).memberCount).toBe(0);
      const changes = await roster.changes.list(projectId, {});
      expect(changes.data.filter((change) => change.type === 'contact.created')).toEqual([]);
    });
  });

  describe('contacts.createMany', () => {
    it('creates new contacts in the audience and skips existing and repeated emails untouched', async () => {
      const audience = await roster.audiences.create(projectId, { name: 'A' });
      const existing = await roster.contacts.create(projectId, {
        email: 'old@example.com',
        firstName: 'Old',
      });
      const result = await roster.contacts.createMany(projectId, {
        audienceId: audience.id,
        contacts: [
          { email: 'a@example.com', firstName: 'A' },
          { email: 'OLD@example.com', firstName: 'New' },
          { email: 'b@example.com', lastName: 'B' },
          { email: 'a@example.com', firstName: 'Again' },
        ],
      });
      expect(result).toEqual({
        requested: 4,
        created: 2,
        skipped: 2,
        ids: result.ids,
        skippedEmails: ['old@example.com'],
        suppressedEmails: [],
      });
      expect(result.ids).toHaveLength(2);
      const a = await roster.contacts.get(projectId, result.ids[0]!);
      expect(a).toMatchObject({
        email: 'a@example.com',
        firstName: 'A',
        audienceId: audience.id,
        subscribed: true,
      });
      expect(await roster.contacts.get(projectId, existing.id)).toEqual(existing);
      expect((await roster.audiences.get(projectId, audience.id)).contactsCount).toBe(2);
    });

    it('creates more contacts than one insert statement holds', async () => {
      const contacts = Array.from({ length: 1000 }, (_, i) => ({ email: `u${i}@example.com` }));
      const result = await roster.contacts.createMany(projectId, { contacts });
      expect([result.created, result.skipped]).toEqual([1000, 0]);
      expect(await roster.contacts.count(projectId)).toBe(1000);
    });

    it('rejects the whole request when one entry is invalid, naming it', async () => {
      const error = await rejection(
        roster.contacts.createMany(projectId, { contacts: [{ email: 'a@example.com' }, { email: 'nope' }] }),
      );
      expect(error.details.issues).toEqual([
        { field: 'contacts.1.email', message: 'must be a valid email address' },
      ]);
      expect(await roster.contacts.count(projectId)).toBe(0);
    });

    it('enforces 1 to 1000 contacts', async () => {
      const empty = await rejection(roster.contacts.createMany(projectId, { contacts: [] }));
      expect(empty.details.issues).toEqual([
        { field: 'contacts', message: 'must contain at least one contact' },
      ]);
      const many = Array.from({ length: 1001 }, (_, i) => ({ email: `u${i}@example.com` }));
      const tooMany = await rejection(roster.contacts.createMany(projectId, { contacts: many }));
      expect(tooMany.details.issues).toEqual([
        { field: 'contacts', message: 'must contain at most 1000 contacts' },
      ]);
    });

    it("answers not_found for another project's audience and creates nothing", async () => {
      const theirs = await roster.audiences.create(otherProjectId, { name: 'Theirs' });
      const error = await rejection(
        roster.contacts.createMany(projectId, {
          audienceId: theirs.id,
          contacts: [{ email: 'a@example.com' }],
        }),
      );
      expect([error.code, error.details.resource]).toEqual(['not_found', 'audience']);
      expect(await roster.contacts.count(projectId)).toBe(0);
    });
  });
});
