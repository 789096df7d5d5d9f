import { createTestRoster, describeEachDialect, eachMainAndOtherProject } from '@roster/test-harness';
import { describe, expect, it } from 'vitest';
import type { Roster } from '../index.js';

let roster: Roster;
let projectId: string;
let otherProjectId: string;

describeEachDialect('contacts', (dialect) => {
  eachMainAndOtherProject(dialect, (t) => {
    ({ roster, projectId, otherProjectId } = t);
  });

  describe('contacts.upsert', () => {
    it('creates a contact with a trimmed, lowercased email, subscribed by default', async () => {
      const { contact, created } = await roster.contacts.upsert(projectId, { email: '  Ada@Example.COM ' });
      expect(created).toBe(true);
      expect(contact).toMatchObject({ email: 'ada@example.com', subscribed: true, data: null, projectId });
      expect(contact.createdAt).toBe(contact.updatedAt);
      expect(new Date(contact.createdAt).toISOString()).toBe(contact.createdAt);
    });

    it('merges data into an existing contact and keeps its id and subscription', async () => {
      const first = await roster.contacts.upsert(projectId, {
        email: 'ada@example.com',
        subscribed: false,
        data: { plan: 'free', seats: 2, team: { name: 'a', size: 1 } },
      });
      const second = await roster.contacts.upsert(projectId, {
        email: 'ADA@example.com',
        data: { plan: 'pro', seats: null, team: { name: 'b' }, note: '', id: 'hijack' },
      });
      expect(second.created).toBe(false);
      expect(second.contact.id).toBe(first.contact.id);
      expect(second.contact.subscribed).toBe(false);
      expect(second.contact.data).toEqual({ plan: 'pro', team: { name: 'b' } });
    });

    it('keeps nested nulls inside object values, on create, upsert and update alike (a top-level null deletes)', async () => {
      const nested = { b: null, c: [null, 1], d: { e: null } };
      const created = await roster.contacts.upsert(projectId, {
        email: 'nested@example.com',
        data: { a: nested, gone: null },
      });
      expect(created.contact.data).toEqual({ a: nested });
      const merged = await roster.contacts.upsert(projectId, {
        email: 'nested@example.com',
        data: { x: { y: null }, 'k"e\\y.1': { z: null }, a: null, s: 'v' },
      });
      const expected = { x: { y: null }, 'k"e\\y.1': { z: null }, s: 'v' };
      expect(merged.contact.data).toEqual(expected);
      const updated = await roster.contacts.update(projectId, created.contact.id, {
        data: { a: nested, x: { y: null, w: 1 } },
      });
      expect(updated.data).toEqual({ ...expected, a: nested, x: { y: null, w: 1 } });
      expect((await roster.contacts.get(projectId, created.contact.id)).data).toEqual(updated.data);
    });

    it('stores data that ends up empty as null', async () => {
      await roster.contacts.upsert(projectId, { email: 'a@b.co', data: { only: 1 } });
      const { contact } = await roster.contacts.upsert(projectId, { email: 'a@b.co', data: { only: null } });
      expect(contact.data).toBeNull();
      const { contact: fresh } = await roster.contacts.upsert(projectId, {
        email: 'c@b.co',
        data: { a: '', id: 1 },
      });
      expect(fresh.data).toBeNull();
    });

    it('changes subscription on update only when given', async () => {
      await roster.contacts.upsert(projectId, { email: 'a@b.co', subscribed: false });
      expect((await roster.contacts.upsert(projectId, { email: 'a@b.co' })).contact.subscribed).toBe(false);
      expect(
        (await roster.contacts.upsert(projectId, { email: 'a@b.co', subscribed: true })).contact.subscribed,
      ).toBe(true);
    });

    it('ends 20 parallel upserts of one new email with exactly one contact and no error', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          roster.contacts.upsert(projectId, { email: 'race@example.com', data: { [`k${i}`]: i } }),
        ),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.contact.id)).size).toBe(1);
      expect(await roster.contacts.count(projectId)).toBe(1);
      const stored = await roster.contacts.findByEmail(projectId, 'race@example.com');
      expect(Object.keys(stored!.data!)).toHaveLength(20);
    });

    it.each([
      [{ email: 'not-an-email' }, 'email', 'must be a valid email address'],
      [{ email: 'a b@example.com' }, 'email', 'must be a valid email address'],
      [{}, 'email', 'is required'],
      [{ email: '   ' }, 'email', 'is required'],
      [{ email: 42 }, 'email', 'must be a string'],
      [{ email: 'a@b.co', subscribed: 'yes' }, 'subscribed', 'must be a boolean'],
      [{ email: 'a@b.co', data: [1] }, 'data', 'must be an object'],
      [{ email: 'a@b.co', data: 'x' }, 'data', 'must be an object'],
    ])('rejects %j naming the field', async (input, field, message) => {
      await expect(roster.contacts.upsert(projectId, input as never)).rejects.toMatchObject({
        code: 'validation_failed',
        details: { issues: expect.arrayContaining([{ field, message }]) },
      });
      expect(await roster.contacts.count(projectId)).toBe(0);
    });

    it('keeps emails unique per project, not globally', async () => {
      const a = await roster.contacts.upsert(projectId, { email: 'same@example.com' });
      const b = await roster.contacts.upsert(otherProjectId, { email: 'same@example.com' });
      expect(b.created).toBe(true);
      expect(b.contact.id).not.toBe(a.contact.id);
    });
  });

  describe('contacts.get / update / delete', () => {
    it('finds a contact only in its own project', async () => {
      const { contact } = await roster.contacts.upsert(projectId, { email: 'a@b.co' });
      expect(await roster.contacts.get(projectId, contact.id)).toEqual(contact);
      await expect(roster.contacts.get(otherProjectId, contact.id)).rejects.toMatchObject({
        code: 'not_found',
      });
      await expect(roster.contacts.get(projectId, 'not-a-uuid')).rejects.toMatchObject({ code: 'not_found' });
    });

    it('updates only the given fields and merges data', async () => {
      const { contact } = await roster.contacts.upsert(projectId, { email: 'a@b.co', data: { a: 1, b: 2 } });
      const updated = await roster.contacts.update(projectId, contact.id, { data: { b: null, c: 3 } });
      expect(updated).toMatchObject({ email: 'a@b.co', subscribed: true, data: { a: 1, c: 3 } });
      const renamed = await roster.contacts.update(projectId, contact.id, {
        email: ' New@B.co',
        subscribed: false,
      });
      expect(renamed).toMatchObject({ email: 'new@b.co', subscribed: false, data: { a: 1, c: 3 } });
    });

    it('clears data with data: null', async () => {
      const { contact } = await roster.contacts.upsert(projectId, { email: 'a@b.co', data: { a: 1 } });
      expect((await roster.contacts.update(projectId, contact.id, { data: null })).data).toBeNull();
    });

    it('refuses an email already used in the project and changes nothing', async () => {
      await roster.contacts.upsert(projectId, { email: 'taken@b.co' });
      const { contact } = await roster.contacts.upsert(projectId, { email: 'mine@b.co', data: { a: 1 } });
      await expect(
        roster.contacts.update(projectId, contact.id, { email: 'TAKEN@b.co', data: { a: 2 } }),
      ).rejects.toMatchObject({ code: 'conflict' });
      expect(await roster.contacts.get(projectId, contact.id)).toEqual(contact);
    });

    it('does not touch another project contact', async () => {
      const { contact } = await roster.contacts.upsert(projectId, { email: 'a@b.co' });
      await expect(
        roster.contacts.update(otherProjectId, contact.id, { subscribed: false }),
      ).rejects.toMatchObject({
        code: 'not_found',
      });
      await expect(roster.contacts.delete(otherProjectId, contact.id)).rejects.toMatchObject({
        code: 'not_found',
      });
      expect((await roster.contacts.get(projectId, contact.id)).subscribed).toBe(true);
    });

    it('deletes, then reports not found', async () => {
      const { contact } = await roster.contacts.upsert(projectId, { email: 'a@b.co' });
      await roster.contacts.delete(projectId, contact.id);
      await expect(roster.contacts.get(projectId, contact.id)).rejects.toMatchObject({ code: 'not_found' });
      await expect(roster.contacts.delete(projectId, contact.id)).rejects.toMatchObject({
        code: 'not_found',
      });
    });
  });

  describe('contacts.list', () => {
    it('pages 250 contacts newest first with limit 100, seeing each exactly once', async () => {
      const emails: string[] = [];
      for (let i = 0; i < 250; i++) {
        emails.push(`user${i}@example.com`);
        await roster.contacts.upsert(projectId, { email: `user${i}@example.com` });
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      const pages: { size: number; hasMore: boolean; total?: number }[] = [];
      do {
        const page = await roster.contacts.list(projectId, {
          limit: 100,
          cursor,
          includeTotal: cursor === undefined,
        });
        seen.push(...page.data.map((c) => c.email));
        pages.push({ size: page.data.length, hasMore: page.hasMore, total: page.total });
        cursor = page.cursor ?? undefined;
      } while (cursor);
      expect(pages).toEqual([
        { size: 100, hasMore: true, total: 250 },
        { size: 100, hasMore: true, total: undefined },
        { size: 50, hasMore: false, total: undefined },
      ]);
      expect(seen).toEqual([...emails].reverse());
    });

    it('searches email substrings case-insensitively and counts the matches', async () => {
      for (const email of ['Alice@Example.com', 'bob@example.com', 'carol@other.org', 'ALIBABA@x.io']) {
        await roster.contacts.upsert(projectId, { email });
      }
      const page = await roster.contacts.list(projectId, { search: 'ALI', includeTotal: true });
      expect(page.data.map((c) => c.email).sort()).toEqual(['alibaba@x.io', 'alice@example.com']);
      expect(page.total).toBe(2);
      expect((await roster.contacts.list(projectId, { search: 'EXAMPLE.COM' })).data).toHaveLength(2);
    });

    it('treats LIKE wildcards in a search term literally', async () => {
      await roster.contacts.upsert(projectId, { email: 'a_b@x.io' });
      await roster.contacts.upsert(projectId, { email: 'axb@x.io' });
      expect((await roster.contacts.list(projectId, { search: 'a_b' })).data.map((c) => c.email)).toEqual([
        'a_b@x.io',
      ]);
      expect((await roster.contacts.list(projectId, { search: '%' })).data).toEqual([]);
    });

    it('rejects a malformed cursor and a cursor of another project', async () => {
      const { contact } = await roster.contacts.upsert(otherProjectId, { email: 'a@b.co' });
      await expect(roster.contacts.list(projectId, { cursor: 'nope' })).rejects.toMatchObject({
        code: 'invalid_cursor',
      });
      await expect(roster.contacts.list(projectId, { cursor: contact.id })).rejects.toMatchObject({
        code: 'invalid_cursor',
      });
    });

    it('filters by subscription and sorts by createdAt or email in both directions (Plunk order)', async () => {
      // A clock that goes back and forth, so creation (id) order and createdAt order differ, with ties.
      const times = [5, 1, 5, 3, 1, 4];
      let at = 0;
      await roster.close();
      roster = await createTestRoster(dialect, {
        clock: () => new Date(Date.UTC(2026, 0, 1, 0, 0, times[at++ % times.length]!)),
      });
      projectId = (await roster.projects.ensure('main')).id;
      at = 0;

      for (const [i, email] of ['d@x.io', 'b@x.io', 'f@x.io', 'a@x.io', 'e@x.io', 'c@x.io'].entries()) {
        await roster.contacts.upsert(projectId, { email, subscribed: i % 2 === 0 });
      }
      const emails = (page: { data: { email: string }[] }) => page.data.map((c) => c.email);
      // createdAt desc (the default), ties (same second) broken by id descending: later-created first.
      expect(emails(await roster.contacts.list(projectId))).toEqual([
        'f@x.io',
        'd@x.io',
        'c@x.io',
        'a@x.io',
        'e@x.io',
        'b@x.io',
      ]);
      // createdAt asc: the tiebreaker stays id descending.
      expect(emails(await roster.contacts.list(projectId, { dir: 'asc' }))).toEqual([
        'e@x.io',
        'b@x.io',
        'a@x.io',
        'c@x.io',
        'f@x.io',
        'd@x.io',
      ]);
      expect(emails(await roster.contacts.list(projectId, { sort: 'email', dir: 'asc' }))).toEqual([
        'a@x.io',
        'b@x.io',
        'c@x.io',
        'd@x.io',
        'e@x.io',
        'f@x.io',
      ]);
      expect(emails(await roster.contacts.list(projectId, { sort: 'email' }))).toEqual([
        'f@x.io',
        'e@x.io',
        'd@x.io',
        'c@x.io',
        'b@x.io',
        'a@x.io',
      ]);
      // Subscribed: d, f, e (even positions); paged by 2 in email order with the filtered total.
      const first = await roster.contacts.list(projectId, {
        subscribed: true,
        sort: 'email',
        dir: 'asc',
        limit: 2,
        includeTotal: true,
      });
      expect({ emails: emails(first), hasMore: first.hasMore, total: first.total }).toEqual({
        emails: ['d@x.io', 'e@x.io'],
        hasMore: true,
        total: 3,
      });
      const second = await roster.contacts.list(projectId, {
        subscribed: true,
        sort: 'email',
        dir: 'asc',
        limit: 2,
        cursor: first.cursor,
      });
      expect({ emails: emails(second), cursor: second.cursor }).toEqual({ emails: ['f@x.io'], cursor: null });
      expect(await roster.contacts.count(projectId, { subscribed: false })).toBe(3);
      expect(await roster.contacts.count(projectId, { subscribed: false, search: 'B@' })).toBe(1);
    });

    it('names the field when sort, dir or subscribed is invalid', async () => {
      await expect(roster.contacts.list(projectId, { sort: 'name' as never })).rejects.toMatchObject({
        code: 'validation_failed',
        details: { issues: [{ field: 'sort', message: 'must be one of createdAt, email' }] },
      });
      await expect(roster.contacts.list(projectId, { dir: 'up' as never })).rejects.toMatchObject({
        details: { issues: [{ field: 'dir', message: 'must be one of asc, desc' }] },
      });
      await expect(roster.contacts.list(projectId, { subscribed: 'yes' as never })).rejects.toMatchObject({
        details: { issues: [{ field: 'subscribed', message: 'must be a boolean' }] },
      });
    });

    it('lists only the project own contacts', async () => {
      await roster.contacts.upsert(projectId, { email: 'mine@b.co' });
      await roster.contacts.upsert(otherProjectId, { email: 'theirs@b.co' });
      const page = await roster.contacts.list(projectId, { includeTotal: true });
      expect(page.data.map((c) => c.email)).toEqual(['mine@b.co']);
      expect(page.total).toBe(1);
    });
  });
});
