import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Roster } from '../roster.js';
import type { FilterCondition } from './filter-types.js';

let roster: Roster;
let projectId: string;
let otherId: string;
const now = new Date('2026-03-10T12:00:00.000Z');

const where = (field: string, operator: string, value?: unknown, unit?: string): FilterCondition =>
  ({
    logic: 'AND',
    groups: [
      {
        filters: [{ field, operator, ...(value === undefined ? {} : { value }), ...(unit ? { unit } : {}) }],
      },
    ],
  }) as FilterCondition;

const pro = where('data.plan', 'equals', 'pro');

// Chunks of 3 contacts: 20 contacts of the project (interleaved with another project's) span
// many chunks, so every count and diff below has to add up across chunk boundaries.
describeEachDialect('segment refresh and compute, chunk by chunk', (dialect) => {
  beforeEach(async () => {
    roster = await createTestRoster(dialect, { clock: () => now, segments: { scanChunkSize: 3 } });
    projectId = (await roster.projects.ensure('main')).id;
    otherId = (await roster.projects.ensure('other')).id;
    for (let i = 0; i < 20; i++) {
      await roster.contacts.create(projectId, {
        email: `c${i}@${i % 3 === 0 ? 'gmail.com' : 'example.com'}`,
        data: { plan: i % 2 ? 'pro' : 'free' },
      });
      // The other project's contacts sit in the same rowid ranges and must never be counted.
      await roster.contacts.create(otherId, { email: `c${i}@gmail.com`, data: { plan: 'pro' } });
    }
    const c4 = (await roster.contacts.findByEmail(projectId, 'c4@example.com'))!;
    await roster.events.track(projectId, { event: 'purchase', email: c4.email });
  });

  afterEach(async () => {
    await roster.close();
  });

  it('refreshAll counts every segment of the project in one pass, as contacts.count does', async () => {
    const conditions = [
      pro,
      where('email', 'contains', 'gmail'),
      where('event.purchase', 'triggeredWithin', 7, 'days'),
      where('data.plan', 'notEquals', 'pro'),
    ];
    const ids: string[] = [];
    for (const [k, condition] of conditions.entries()) {
      ids.push((await roster.segments.create(projectId, { name: `s${k}`, condition })).id);
    }
    // A segment whose condition names a deleted segment fails alone; the others are refreshed.
    const inner = await roster.segments.create(projectId, { name: 'inner', condition: pro });
    const broken = await roster.segments.create(projectId, {
      name: 'broken',
      condition: where(`segment.${inner.id}`, 'memberOfSegment'),
    });
    await roster.segments.delete(projectId, inner.id);
    // Change the data after the counts taken at create, so the refresh has something to do.
    for (let i = 0; i < 20; i += 5) {
      const c = (await roster.contacts.findByEmail(
        projectId,
        `c${i}@${i % 3 === 0 ? 'gmail.com' : 'example.com'}`,
      ))!;
      await roster.contacts.update(projectId, c.id, { data: { plan: 'pro' } });
    }
    const result = await roster.segments.refreshAll(projectId);
    expect(result.refreshed).toBe(conditions.length);
    expect(result.failed.map((f) => f.id)).toEqual([broken.id]);
    const expected = [12, 7, 1, 8];
    for (const [k, id] of ids.entries()) {
      expect(await roster.contacts.count(projectId, { filter: conditions[k]! })).toBe(expected[k]);
      expect((await roster.segments.get(projectId, id)).memberCount).toBe(expected[k]);
    }
    expect((await roster.segments.refresh(projectId, ids[0]!)).memberCount).toBe(12);
  });

  it('compute records one entry per new member and one exit per leaver across chunks', async () => {
    const segment = await roster.segments.create(projectId, {
      name: 'Pro',
      condition: pro,
      trackMembership: true,
    });
    expect(await roster.segments.compute(projectId, segment.id)).toEqual({
      added: 10,
      removed: 0,
      total: 10,
    });
    // Nothing changed: nothing to record.
    expect(await roster.segments.compute(projectId, segment.id)).toEqual({ added: 0, removed: 0, total: 10 });
    const flip = async (i: number, plan: string) => {
      const c = (await roster.contacts.findByEmail(
        projectId,
        `c${i}@${i % 3 === 0 ? 'gmail.com' : 'example.com'}`,
      ))!;
      await roster.contacts.update(projectId, c.id, { data: { plan } });
      return c.id;
    };
    const left = [await flip(1, 'free'), await flip(19, 'free')];
    const joined = [await flip(0, 'pro'), await flip(10, 'pro'), await flip(18, 'pro')];
    expect(await roster.segments.compute(projectId, segment.id)).toEqual({ added: 3, removed: 2, total: 11 });
    expect((await roster.segments.get(projectId, segment.id)).memberCount).toBe(11);
    const names = async (id: string) => (await roster.events.list(projectId, id)).map((e) => e.name);
    for (const id of left) expect(await names(id)).toEqual(['segment.pro.exit', 'segment.pro.entry']);
    for (const id of joined) expect(await names(id)).toEqual(['segment.pro.entry']);
    const members = await roster.segments.contacts(projectId, segment.id, { pageSize: 100 });
    expect(members.total).toBe(11);
    // A tracked segment's members are what `segment.<id>` filters read.
    expect(
      await roster.contacts.count(projectId, { filter: where(`segment.${segment.id}`, 'memberOfSegment') }),
    ).toBe(11);
    // The other project is untouched.
    const other = await roster.contacts.findByEmail(otherId, 'c1@gmail.com');
    expect(await roster.events.list(otherId, other!.id)).toEqual([]);
  });
});
