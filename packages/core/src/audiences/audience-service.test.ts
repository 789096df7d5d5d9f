import { describeEachDialect, eachMainAndOtherProject, rosterRejection } from '@roster/test-harness';
import { describe, expect, it } from 'vitest';
import type { Roster } from '../roster.js';

let roster: Roster;
let projectId: string;
let otherProjectId: string;

describeEachDialect('audiences', (dialect) => {
  eachMainAndOtherProject(dialect, (t) => {
    ({ roster, projectId, otherProjectId } = t);
  });

  async function expectRosterError(promise: Promise<unknown>, code: string, resource?: string) {
    const error = await rosterRejection(promise);
    expect(error.code).toBe(code);
    if (resource) expect(error.details.resource).toBe(resource);
    return error;
  }

  describe('audiences', () => {
    it('creates an audience with a UUID id and equal timestamps', async () => {
      const audience = await roster.audiences.create(projectId, {
        name: ' Newsletter ',
        description: 'Weekly',
      });
      expect(audience).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
        projectId,
        name: 'Newsletter',
        description: 'Weekly',
        createdAt: audience.createdAt,
        updatedAt: audience.createdAt,
      });
    });

    it('rejects a missing, empty or too long name naming the field', async () => {
      const missing = await expectRosterError(
        roster.audiences.create(projectId, {} as never),
        'validation_failed',
      );
      expect(missing.details.issues).toEqual([{ field: 'name', message: 'is required' }]);
      const empty = await expectRosterError(
        roster.audiences.create(projectId, { name: '  ' }),
        'validation_failed',
      );
      expect(empty.details.issues).toEqual([{ field: 'name', message: 'must not be empty' }]);
      const long = await expectRosterError(
        roster.audiences.create(projectId, { name: 'x'.repeat(257) }),
        'validation_failed',
      );
      expect(long.details.issues).toEqual([{ field: 'name', message: 'must be at most 256 characters' }]);
      const wrongType = await expectRosterError(
        roster.audiences.create(projectId, { name: 'a', description: 5 } as never),
        'validation_failed',
      );
      expect(wrongType.details.issues).toEqual([{ field: 'description', message: 'must be a string' }]);
    });

    it('gets an audience with its contact count', async () => {
      const audience = await roster.audiences.create(projectId, { name: 'A' });
      await roster.contacts.create(projectId, { email: 'a@example.com', audienceId: audience.id });
      await roster.contacts.create(projectId, { email: 'b@example.com', audienceId: audience.id });
      await roster.contacts.create(projectId, { email: 'c@example.com' });
      const got = await roster.audiences.get(projectId, audience.id);
      expect(got).toEqual({ ...audience, contactsCount: 2 });
    });

    it('answers not_found for an unknown, malformed or other project audience', async () => {
      const theirs = await roster.audiences.create(otherProjectId, { name: 'Theirs' });
      await expectRosterError(roster.audiences.get(projectId, theirs.id), 'not_found', 'audience');
      await expectRosterError(roster.audiences.get(projectId, 'nope'), 'not_found', 'audience');
      await expectRosterError(
        roster.audiences.update(projectId, theirs.id, { name: 'x' }),
        'not_found',
        'audience',
      );
      await expectRosterError(roster.audiences.delete(projectId, theirs.id), 'not_found', 'audience');
      expect(await roster.audiences.get(otherProjectId, theirs.id)).toMatchObject({ name: 'Theirs' });
    });

    it('lists audiences newest first with contact counts from one grouped count', async () => {
      const first = await roster.audiences.create(projectId, { name: 'First' });
      const second = await roster.audiences.create(projectId, { name: 'Second' });
      const empty = await roster.audiences.create(projectId, { name: 'Empty' });
      await roster.audiences.create(otherProjectId, { name: 'Other' });
      await roster.contacts.create(projectId, { email: 'a@example.com', audienceId: first.id });
      await roster.contacts.create(projectId, { email: 'b@example.com', audienceId: second.id });
      await roster.contacts.create(projectId, { email: 'c@example.com', audienceId: second.id });
      const list = await roster.audiences.list(projectId);
      expect(list.map((a) => [a.name, a.contactsCount])).toEqual([
        [empty.name, 0],
        [second.name, 2],
        [first.name, 1],
      ]);
    });

    it('updates only the given fields and clears the description with null', async () => {
      const audience = await roster.audiences.create(projectId, { name: 'A', description: 'd' });
      const renamed = await roster.audiences.update(projectId, audience.id, { name: 'B' });
      expect(renamed).toMatchObject({ name: 'B', description: 'd' });
      const cleared = await roster.audiences.update(projectId, audience.id, { description: null });
      expect(cleared).toMatchObject({ name: 'B', description: null });
    });

    it('deletes an audience and keeps its contacts without an audience', async () => {
      const audience = await roster.audiences.create(projectId, { name: 'A' });
      const contact = await roster.contacts.create(projectId, {
        email: 'a@example.com',
        audienceId: audience.id,
      });
      await roster.audiences.delete(projectId, audience.id);
      await expectRosterError(roster.audiences.get(projectId, audience.id), 'not_found', 'audience');
      const after = await roster.contacts.get(projectId, contact.id);
      expect(after.audienceId).toBeNull();
      expect(after.email).toBe('a@example.com');
      await expectRosterError(roster.audiences.delete(projectId, audience.id), 'not_found', 'audience');
    });

    it('treats ids case-insensitively', async () => {
      const audience = await roster.audiences.create(projectId, { name: 'A' });
      expect((await roster.audiences.get(projectId, audience.id.toUpperCase())).id).toBe(audience.id);
      expect(await roster.audiences.exists(projectId, audience.id.toUpperCase())).toBe(true);
      expect(await roster.audiences.exists(otherProjectId, audience.id)).toBe(false);
    });
  });
});
