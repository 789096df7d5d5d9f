import { createTestRoster, describeEachDialect, eachTestRoster } from '@roster/test-harness';
import { describe, expect, it } from 'vitest';
import { RosterError } from '../errors.js';
import { uuidv7 } from '../ids.js';
import type { Roster } from '../roster.js';

let roster: Roster;
let projectId: string;

describeEachDialect('contacts.listOffset', (dialect) => {
  eachTestRoster(dialect, ['main'], (r, [main]) => {
    roster = r;
    projectId = main;
  });

  describe('contacts.listOffset', () => {
    it('pages newest first without gaps or overlaps, even when contacts share a timestamp', async () => {
      const fixed = new Date('2026-01-01T00:00:00.000Z');
      await roster.close();
      roster = await createTestRoster(dialect, { clock: () => fixed });
      projectId = (await roster.projects.ensure('main')).id;
      const result = await roster.contacts.createMany(projectId, {
        contacts: Array.from({ length: 7 }, (_, i) => ({ email: `u${i}@example.com` })),
      });
      const newestFirst = [...result.ids].reverse();
      const pages = [];
      for (let offset = 0; offset < 9; offset += 3) {
        pages.push((await roster.contacts.listOffset(projectId, { limit: 3, offset })).map((c) => c.id));
      }
      expect(pages).toEqual([newestFirst.slice(0, 3), newestFirst.slice(3, 6), newestFirst.slice(6)]);
    });

    it('defaults to 50 contacts from offset 0', async () => {
      await roster.contacts.createMany(projectId, {
        contacts: Array.from({ length: 60 }, (_, i) => ({ email: `u${i}@example.com` })),
      });
      const page = await roster.contacts.listOffset(projectId);
      expect(page).toHaveLength(50);
      expect(page[0]!.email).toBe('u59@example.com');
    });

    it('filters by audience and gives an empty page for an unknown audience', async () => {
      const a = await roster.audiences.create(projectId, { name: 'A' });
      await roster.contacts.create(projectId, { email: 'in@example.com', audienceId: a.id });
      await roster.contacts.create(projectId, { email: 'out@example.com' });
      const inA = await roster.contacts.listOffset(projectId, { audienceId: a.id });
      expect(inA.map((c) => c.email)).toEqual(['in@example.com']);
      expect(await roster.contacts.listOffset(projectId, { audienceId: uuidv7() })).toEqual([]);
    });

    it('only lists the project own contacts', async () => {
      const other = (await roster.projects.ensure('other')).id;
      await roster.contacts.create(other, { email: 'theirs@example.com' });
      expect(await roster.contacts.listOffset(projectId)).toEqual([]);
    });

    it('rejects a bad limit, offset or audience id naming the field', async () => {
      const cases: [unknown, { field: string; message: string }][] = [
        [{ limit: 0 }, { field: 'limit', message: 'must be at least 1' }],
        [{ limit: 101 }, { field: 'limit', message: 'must be at most 100' }],
        [{ limit: 1.5 }, { field: 'limit', message: 'must be an integer' }],
        [{ offset: -1 }, { field: 'offset', message: 'must not be negative' }],
        [{ audienceId: 'x' }, { field: 'audienceId', message: 'must be a UUID' }],
      ];
      for (const [input, issue] of cases) {
        const error = await roster.contacts.listOffset(projectId, input as never).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RosterError);
        expect((error as RosterError).details.issues).toEqual([issue]);
      }
    });
  });

  describe('contacts.stream', () => {
    it('yields every contact newest first across batches, optionally one audience only', async () => {
      const a = await roster.audiences.create(projectId, { name: 'A' });
      const all = await roster.contacts.createMany(projectId, {
        contacts: Array.from({ length: 25 }, (_, i) => ({ email: `u${i}@example.com` })),
      });
      const inA = await roster.contacts.createMany(projectId, {
        audienceId: a.id,
        contacts: Array.from({ length: 7 }, (_, i) => ({ email: `a${i}@example.com` })),
      });
      const seen: string[] = [];
      for await (const contact of roster.contacts.stream(projectId, { batchSize: 4 })) seen.push(contact.id);
      expect(seen).toEqual([...all.ids, ...inA.ids].reverse());
      const audienceOnly: string[] = [];
      for await (const contact of roster.contacts.stream(projectId, { audienceId: a.id, batchSize: 7 })) {
        audienceOnly.push(contact.id);
      }
      expect(audienceOnly).toEqual([...inA.ids].reverse());
    });
  });
});
