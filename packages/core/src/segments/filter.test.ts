import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RosterError } from '../errors.js';
import type { Roster } from '../roster.js';
import type { Filter, FilterCondition } from './filter-types.js';

let roster: Roster;
let projectId: string;
let now: Date;

/** One-filter tree. */
function where(
  field: string,
  operator: Filter['operator'],
  value?: unknown,
  unit?: Filter['unit'],
): FilterCondition {
  const filter: Filter = { field, operator };
  if (value !== undefined) filter.value = value;
  if (unit) filter.unit = unit;
  return { logic: 'AND', groups: [{ filters: [filter] }] };
}

async function emails(filter: FilterCondition): Promise<string[]> {
  const page = await roster.contacts.list(projectId, { filter, limit: 100, includeTotal: true });
  const count = await roster.contacts.count(projectId, { filter });
  expect(page.total).toBe(count);
  expect(count).toBe(page.data.length);
  // A page with more after it counts the matches in a second query.
  expect((await roster.contacts.list(projectId, { filter, limit: 1, includeTotal: true })).total).toBe(count);
  return page.data.map((c) => c.email.split('@')[0]!).sort();
}

async function validationIssues(filter: unknown): Promise<{ field: string; message: string }[]> {
  try {
    await roster.contacts.count(projectId, { filter: filter as FilterCondition });
  } catch (error) {
    expect(error).toBeInstanceOf(RosterError);
    expect((error as RosterError).code).toBe('validation_failed');
    return (error as RosterError).details.issues ?? [];
  }
  throw new Error('expected a validation error');
}

describeEachDialect('filter engine', (dialect) => {
  beforeEach(async () => {
    now = new Date('2026-03-10T12:00:00.000Z');
    roster = await createTestRoster(dialect, { clock: () => now });
    projectId = (await roster.projects.ensure('main')).id;
  });

  afterEach(async () => {
    await roster.close();
  });

  async function add(name: string, data: Record<string, unknown> | null, subscribed = true) {
    return roster.contacts.create(projectId, {
      email: `${name}@example.com`,
      subscribed,
      data,
      dataMode: 'verbatim',
    });
  }

  describe('data.<path>', () => {
    beforeEach(async () => {
      await add('num', {
        plan: 'pro',
        seats: 10,
        score: 2.5,
        nested: { tier: 'gold', level: 3 },
        flag: true,
      });
      await add('str', { plan: 'Pro', seats: '10', score: '9', flag: 'true', note: 'says pro plan' });
      await add('nul', { plan: null, seats: null, flag: false });
      await add('none', null);
      await add('day', { renewal: '2026-03-01', seen: '2026-03-09T08:00:00.000Z', plan: 'free' });
    });

    it('equals compares strings exactly (case-sensitive) and numbers numerically, numeric strings included', async () => {
      expect(await emails(where('data.plan', 'equals', 'pro'))).toEqual(['num']);
      expect(await emails(where('data.seats', 'equals', 10))).toEqual(['num', 'str']);
      expect(await emails(where('data.seats', 'equals', '10'))).toEqual(['str']);
      expect(await emails(where('data.score', 'equals', 2.5))).toEqual(['num']);
    });

    it('text tests match JSON strings only, never the JSON text of an array, object or number', async () => {
      await add('obj', { plan: ['pro'], tag: { a: 1 }, code: 42, when: ['2026-03-09'] });
      expect(await emails(where('data.plan', 'equals', '["pro"]'))).toEqual([]);
      expect(await emails(where('data.tag', 'equals', '{"a":1}'))).toEqual([]);
      expect(await emails(where('data.tag', 'contains', 'a'))).toEqual([]);
      expect(await emails(where('data.code', 'contains', '4'))).toEqual([]);
      expect(await emails(where('data.code', 'lessThan', 'a'))).toEqual([]);
      expect(await emails(where('data.when', 'olderThan', 1, 'days'))).toEqual([]);
      expect(await emails(where('data.tag', 'notContains', 'a'))).toContain('obj');
    });

    it('equals on booleans matches JSON booleans only', async () => {
      expect(await emails(where('data.flag', 'equals', true))).toEqual(['num']);
      expect(await emails(where('data.flag', 'equals', false))).toEqual(['nul']);
    });

    it('notEquals is the complement of equals: missing keys and nulls are included', async () => {
      expect(await emails(where('data.plan', 'notEquals', 'pro'))).toEqual(['day', 'none', 'nul', 'str']);
      expect(await emails(where('data.seats', 'notEquals', 10))).toEqual(['day', 'none', 'nul']);
    });

    it('follows nested paths', async () => {
      expect(await emails(where('data.nested.tier', 'equals', 'gold'))).toEqual(['num']);
      expect(await emails(where('data.nested.level', 'greaterThanOrEqual', 3))).toEqual(['num']);
      expect(await emails(where('data.nested.missing', 'exists'))).toEqual([]);
    });

    it('contains / notContains test string values case-sensitively; missing keys are not-containing', async () => {
      expect(await emails(where('data.note', 'contains', 'pro'))).toEqual(['str']);
      expect(await emails(where('data.plan', 'contains', 'r'))).toEqual(['day', 'num', 'str']);
      expect(await emails(where('data.plan', 'contains', 'P'))).toEqual(['str']);
      expect(await emails(where('data.seats', 'contains', '1'))).toEqual(['str']);
      expect(await emails(where('data.note', 'notContains', 'pro'))).toEqual(['day', 'none', 'nul', 'num']);
    });

    it('compares numbers numerically (9 < 10), never as text', async () => {
      expect(await emails(where('data.seats', 'greaterThan', 9))).toEqual(['num', 'str']);
      expect(await emails(where('data.score', 'lessThan', 3))).toEqual(['num']);
      expect(await emails(where('data.score', 'greaterThan', 3))).toEqual(['str']);
      expect(await emails(where('data.seats', 'lessThanOrEqual', 10))).toEqual(['num', 'str']);
      expect(await emails(where('data.seats', 'lessThan', 10))).toEqual([]);
    });

    it('compares strings as text, dates in ISO order', async () => {
      expect(await emails(where('data.renewal', 'greaterThan', '2026-02-28'))).toEqual(['day']);
      expect(await emails(where('data.renewal', 'lessThan', '2026-03-01'))).toEqual([]);
      expect(await emails(where('data.seen', 'greaterThan', '2026-03-09T07:00:00Z'))).toEqual(['day']);
    });

    it('exists means present and not null; notExists means missing or null', async () => {
      expect(await emails(where('data.plan', 'exists'))).toEqual(['day', 'num', 'str']);
      expect(await emails(where('data.plan', 'notExists'))).toEqual(['none', 'nul']);
      expect(await emails(where('data.flag', 'exists'))).toEqual(['nul', 'num', 'str']);
    });

    it('a YYYY-MM-DD equality matches the whole UTC day, for dates and timestamps alike', async () => {
      expect(await emails(where('data.renewal', 'equals', '2026-03-01'))).toEqual(['day']);
      expect(await emails(where('data.seen', 'equals', '2026-03-09'))).toEqual(['day']);
      expect(await emails(where('data.seen', 'equals', '2026-03-10'))).toEqual([]);
      expect(await emails(where('data.seen', 'notEquals', '2026-03-09'))).toEqual([
        'none',
        'nul',
        'num',
        'str',
      ]);
    });

    it('within / olderThan compare ISO date strings with now minus the window', async () => {
      expect(await emails(where('data.seen', 'within', 2, 'days'))).toEqual(['day']);
      expect(await emails(where('data.seen', 'within', 1, 'days'))).toEqual([]);
      expect(await emails(where('data.seen', 'within', 29, 'hours'))).toEqual(['day']);
      expect(await emails(where('data.seen', 'olderThan', 3, 'hours'))).toEqual(['day']);
      now = new Date('2026-03-20T00:00:00.000Z');
      expect(await emails(where('data.seen', 'within', 2, 'days'))).toEqual([]);
    });
  });

  describe('contact columns', () => {
    it('email: equals, notEquals, contains and notContains are case-insensitive; LIKE wildcards are literal', async () => {
      await add('Ada.Lovelace', null);
      await add('grace_hopper', null);
      await add('gracexhopper', null);
      expect(await emails(where('email', 'equals', ' ADA.lovelace@example.com'))).toEqual(['ada.lovelace']);
      expect(await emails(where('email', 'notEquals', 'ada.lovelace@example.com'))).toEqual([
        'grace_hopper',
        'gracexhopper',
      ]);
      expect(await emails(where('email', 'contains', 'LOVE'))).toEqual(['ada.lovelace']);
      expect(await emails(where('email', 'contains', 'e_h'))).toEqual(['grace_hopper']);
      expect(await emails(where('email', 'notContains', 'grace'))).toEqual(['ada.lovelace']);
    });

    it('subscribed: only the boolean true counts as true (Plunk), notEquals negates', async () => {
      await add('yes', null, true);
      await add('no', null, false);
      expect(await emails(where('subscribed', 'equals', true))).toEqual(['yes']);
      expect(await emails(where('subscribed', 'equals', 'true'))).toEqual(['no']);
      expect(await emails(where('subscribed', 'notEquals', true))).toEqual(['no']);
      expect(await emails(where('subscribed', 'equals', false))).toEqual(['no']);
    });

    it('createdAt / updatedAt: whole-day equality, comparisons and windows on the clock', async () => {
      now = new Date('2026-03-01T23:30:00.000Z');
      await add('early', null);
      now = new Date('2026-03-02T00:30:00.000Z');
      const late = await add('late', null);
      now = new Date('2026-03-05T00:00:00.000Z');
      await roster.contacts.update(projectId, late.id, { data: { touched: true } });
      now = new Date('2026-03-10T12:00:00.000Z');
      expect(await emails(where('createdAt', 'equals', '2026-03-01'))).toEqual(['early']);
      expect(await emails(where('createdAt', 'notEquals', '2026-03-01'))).toEqual(['late']);
      expect(await emails(where('createdAt', 'equals', '2026-03-02T00:30:00.000Z'))).toEqual(['late']);
      expect(await emails(where('createdAt', 'greaterThan', '2026-03-02'))).toEqual(['late']);
      expect(await emails(where('createdAt', 'lessThan', '2026-03-02T00:00:00Z'))).toEqual(['early']);
      expect(await emails(where('createdAt', 'greaterThanOrEqual', '2026-03-01T23:30:00.000Z'))).toEqual([
        'early',
        'late',
      ]);
      expect(await emails(where('createdAt', 'lessThanOrEqual', '2026-03-01T23:30:00.000Z'))).toEqual([
        'early',
      ]);
      expect(await emails(where('updatedAt', 'equals', '2026-03-05'))).toEqual(['late']);
      expect(await emails(where('createdAt', 'within', 204, 'hours'))).toEqual(['late']);
      expect(await emails(where('createdAt', 'within', 205, 'hours'))).toEqual(['early', 'late']);
      expect(await emails(where('createdAt', 'within', 9, 'days'))).toEqual(['early', 'late']);
      expect(await emails(where('createdAt', 'olderThan', 204 * 60, 'minutes'))).toEqual(['early']);
      expect(await emails(where('createdAt', 'olderThan', 8, 'days'))).toEqual(['early', 'late']);
      expect(await emails(where('updatedAt', 'olderThan', 6, 'days'))).toEqual(['early']);
    });
  });

  describe('trees', () => {
    beforeEach(async () => {
      await add('a', { plan: 'pro', seats: 5 });
      await add('b', { plan: 'pro', seats: 50 });
      await add('c', { plan: 'free', seats: 50 }, false);
    });

    it('ANDs filters within a group, combines groups with logic, and nests conditions', async () => {
      const tree: FilterCondition = {
        logic: 'OR',
        groups: [
          {
            filters: [
              { field: 'data.plan', operator: 'equals', value: 'pro' },
              { field: 'data.seats', operator: 'greaterThan', value: 10 },
            ],
          },
          {
            filters: [{ field: 'subscribed', operator: 'equals', value: false }],
            conditions: {
              logic: 'OR',
              groups: [
                { filters: [{ field: 'email', operator: 'contains', value: 'zzz' }] },
                { filters: [{ field: 'data.seats', operator: 'equals', value: 50 }] },
              ],
            },
          },
        ],
      };
      expect(await emails(tree)).toEqual(['b', 'c']);
      expect(await emails({ logic: 'AND', groups: tree.groups })).toEqual([]);
      expect(
        await emails({
          logic: 'AND',
          groups: [{ filters: [], conditions: where('data.plan', 'equals', 'free') }],
        }),
      ).toEqual(['c']);
    });

    it('pages filtered lists with the cursor and keeps other projects out', async () => {
      const other = (await roster.projects.ensure('other')).id;
      await roster.contacts.create(other, { email: 'x@example.com', data: { plan: 'pro' } });
      const first = await roster.contacts.list(projectId, {
        filter: where('data.plan', 'equals', 'pro'),
        limit: 1,
      });
      expect(first.data.map((c) => c.email)).toEqual(['b@example.com']);
      const second = await roster.contacts.list(projectId, {
        filter: where('data.plan', 'equals', 'pro'),
        limit: 1,
        cursor: first.cursor,
      });
      expect(second.data.map((c) => c.email)).toEqual(['a@example.com']);
      expect(second.hasMore).toBe(false);
    });

    it('combines a filter with an email search', async () => {
      const page = await roster.contacts.list(projectId, {
        filter: where('data.seats', 'equals', 50),
        search: 'c@',
      });
      expect(page.data.map((c) => c.email)).toEqual(['c@example.com']);
    });
  });

  describe('validation', () => {
    it('names the path of the bad node', async () => {
      const tree = {
        logic: 'AND',
        groups: [
          { filters: [{ field: 'email', operator: 'equals', value: 'a@b.co' }] },
          { filters: [{ field: 'email', operator: 'startsWith', value: 'a' }] },
        ],
      };
      expect(await validationIssues(tree)).toEqual([
        {
          field: 'filter.groups[1].filters[0].operator',
          message: expect.stringContaining('must be one of equals'),
        },
      ]);
    });

    it('reports every problem: logic, empty groups, missing value and unit, wrong field for operator', async () => {
      const issues = await validationIssues({
        logic: 'XOR',
        groups: [
          { filters: [] },
          { filters: [{ field: 'data.plan', operator: 'equals' }] },
          { filters: [{ field: 'createdAt', operator: 'within', value: 3 }] },
          { filters: [{ field: 'email', operator: 'greaterThan', value: 'a' }] },
          { filters: [{ field: 'nope', operator: 'equals', value: 1 }] },
          { filters: [{ field: 'data.a', operator: 'memberOfSegment' }] },
          { filters: [{ field: 'createdAt', operator: 'equals', value: 'yesterday' }] },
          { filters: [{ field: 'email.opened', operator: 'triggered' }] },
          { filters: [{ field: 'data.a..b', operator: 'exists' }] },
        ],
      });
      expect(issues.map((i) => i.field)).toEqual([
        'filter.logic',
        'filter.groups[0]',
        'filter.groups[1].filters[0].value',
        'filter.groups[2].filters[0].unit',
        'filter.groups[3].filters[0].operator',
        'filter.groups[4].filters[0].field',
        'filter.groups[5].filters[0].operator',
        'filter.groups[6].filters[0].value',
        'filter.groups[7].filters[0].field',
        'filter.groups[8].filters[0].field',
      ]);
    });

    it.each([
      ['createdAt', 'within', 110_000_000, 'days'],
      ['data.seen', 'olderThan', 1e300, 'hours'],
      ['signed_up', 'triggeredWithin', 1e300, 'minutes'],
      ['event.signed_up', 'notTriggeredWithin', 365_251, 'days'],
    ] as const)(
      'bounds the window of %s %s %d %s (a clear 400, not a date overflow)',
      async (field, operator, value, unit) => {
        const issues = await validationIssues(where(field, operator, value, unit));
        expect(issues).toEqual([
          {
            field: 'filter.groups[0].filters[0].value',
            message: `must be at most ${{ days: '365250', hours: '8766000', minutes: '525960000' }[unit]} ${unit} (1000 years) for "${operator}"`,
          },
        ]);
      },
    );

    it('accepts a window of exactly 1000 years', async () => {
      await add('old', null);
      expect(await emails(where('createdAt', 'within', 365_250, 'days'))).toEqual(['old']);
      expect(await emails(where('createdAt', 'olderThan', 525_960_000, 'minutes'))).toEqual([]);
    });

    it('checks nested conditions and limits depth', async () => {
      let tree: unknown = where('email', 'contains', 'a');
      for (let i = 0; i < 9; i++) tree = { logic: 'AND', groups: [{ filters: [], conditions: tree }] };
      const issues = await validationIssues(tree);
      expect(issues[0]!.message).toMatch(/deeper than 8/);
      expect(
        await validationIssues({
          logic: 'AND',
          groups: [{ filters: [], conditions: { logic: 'OR', groups: [{ filters: [{ field: 'x' }] }] } }],
        }),
      ).toEqual([
        { field: 'filter.groups[0].conditions.groups[0].filters[0].operator', message: expect.any(String) },
      ]);
      expect(await validationIssues('AND')).toEqual([
        { field: 'filter', message: 'must be an object, got string' },
      ]);
    });
  });
});
