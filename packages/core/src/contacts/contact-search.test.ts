import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeEachDialect, openTestRosters, type TestDialect } from '@roster/test-harness';
import { expect, it } from 'vitest';
import type { RosterOptions } from '../options.js';
import { createRoster, type Roster } from '../roster.js';
import { MAX_SEARCH_CANDIDATES } from './sqlite-contact-index.js';

/** Opens rosters of the dialect whose job errors are not logged; each is closed after its test. */
function openQuietRosters(dialect: TestDialect) {
  const open = openTestRosters(dialect);
  return (options: Omit<RosterOptions, 'database'> = {}) => open({ jobs: { onError: () => {} }, ...options });
}

/** Every page of a search, newest first, as emails; and the first page's total. */
async function searchAll(roster: Roster, projectId: string, search: string, limit = 7) {
  const emails: string[] = [];
  let cursor: string | null = null;
  let total: number | undefined;
  do {
    const page = await roster.contacts.list(projectId, { search, limit, cursor, includeTotal: !cursor });
    total ??= page.total;
    emails.push(...page.data.map((c) => c.email));
    cursor = page.cursor;
  } while (cursor);
  return { emails, total, count: await roster.contacts.count(projectId, { search }) };
}

const EMAILS = [
  'ada.lovelace@example.com',
  'alan_turing@example.org',
  'alanXturing@example.org',
  'grace.hopper@navy.mil',
  'linus@kernel.org',
  'percent%sign@example.com',
  'back-slash@example.com',
  'zoe+tag@example.de',
];

describeEachDialect('contact search', (dialect) => {
  const open = openQuietRosters(dialect);

  it('answers every term the same with the substring index as with a scan', async () => {
    const terms = [
      'ada',
      'LOVELACE',
      'user1',
      'user13.',
      'alan_turing',
      '_turing',
      'n_t',
      '%sign',
      'k-sl',
      'e+ta',
      'example',
      'ex',
      'e',
      'no-such-term',
    ];
    // One roster at a time (on Postgres each lives in its own schema).
    const answers = async (options: Omit<RosterOptions, 'database'>) => {
      const roster = await open(options);
      const project = await roster.projects.ensure('p');
      const other = await roster.projects.ensure('other');
      for (let i = 0; i < 40; i++) {
        await roster.contacts.upsert(project.id, { email: `user${i}.${EMAILS[i % EMAILS.length]}` });
      }
      // Another project's contacts match too, and must never show up.
      await roster.contacts.upsert(other.id, { email: 'ada.lovelace@example.com' });
      const out: Record<string, Awaited<ReturnType<typeof searchAll>>> = {};
      for (const term of terms) out[term] = await searchAll(roster, project.id, term);
      await roster.close();
      return out;
    };
    const indexed = await answers({});
    const scanned = await answers({ search: { substringIndex: false } });
    expect(indexed).toEqual(scanned);
    for (const term of terms) expect(indexed[term]!.total).toBe(indexed[term]!.emails.length);
    // And the expected ones, not just equal ones: `_` is a literal underscore.
    expect(indexed.alan_turing!.emails).toEqual([
      'user33.alan_turing@example.org',
      'user25.alan_turing@example.org',
      'user17.alan_turing@example.org',
      'user9.alan_turing@example.org',
      'user1.alan_turing@example.org',
    ]);
    expect(indexed.ada!.emails).toHaveLength(5);
  });

  it('answers `total` the same whether the page holds every match or not, with and without a cursor', async () => {
    const roster = await open();
    const project = await roster.projects.ensure('p');
    // Terms matching 2, 3 and 4 contacts around a page of 3; every `two…` contact is unsubscribed.
    const emails = ['two0', 'two1', 'three0', 'three1', 'three2', 'four0', 'four1', 'four2', 'four3'];
    for (const local of emails) {
      await roster.contacts.upsert(project.id, {
        email: `${local}@total.test`,
        subscribed: !local.startsWith('two'),
        data: { plan: local.startsWith('four') ? 'pro' : 'free' },
      });
    }
    const pro = {
      logic: 'AND' as const,
      groups: [{ filters: [{ field: 'data.plan', operator: 'equals' as const, value: 'pro' }] }],
    };
    const cases = [
      [{ search: 'two' }, 2],
      [{ search: 'three' }, 3],
      [{ search: 'four' }, 4],
      [{ search: 'total.test', subscribed: true }, 7],
      [{ search: 'total.test', subscribed: false }, 2],
      [{ filter: pro }, 4],
      [{ filter: pro, search: 'four1' }, 1],
      [{ search: 'nothing-matches' }, 0],
    ] as const;
    for (const [query, expected] of cases) {
      const first = await roster.contacts.list(project.id, { ...query, limit: 3, includeTotal: true });
      expect(first.total, JSON.stringify(query)).toBe(expected);
      expect(first.data).toHaveLength(Math.min(3, expected));
      // Later pages, the last one included, still count every match, not only their own.
      let cursor = first.cursor;
      while (cursor) {
        const next = await roster.contacts.list(project.id, {
          ...query,
          limit: 3,
          cursor,
          includeTotal: true,
        });
        expect(next.total, JSON.stringify(query)).toBe(expected);
        cursor = next.cursor;
      }
      expect(await roster.contacts.count(project.id, query)).toBe(expected);
    }
  });

  it('finds a common term beyond the index candidate limit by scanning, with the right total', async () => {
    const roster = await open();
    const project = await roster.projects.ensure('p');
    const n = MAX_SEARCH_CANDIDATES + 50;
    for (let i = 0; i < n; i += 1000) {
      await roster.contacts.createMany(project.id, {
        contacts: Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({
          email: `c${i + k}@common.test`,
        })),
      });
    }
    const page = await roster.contacts.list(project.id, { search: 'common', limit: 3, includeTotal: true });
    expect(page.data.map((c) => c.email)).toEqual([
      `c${n - 1}@common.test`,
      `c${n - 2}@common.test`,
      `c${n - 3}@common.test`,
    ]);
    expect(page.total).toBe(n);
    expect(await roster.contacts.count(project.id, { search: 'c2049@' })).toBe(1);
  });

  it('follows deletes and email changes of indexed contacts', async () => {
    const roster = await open();
    const project = await roster.projects.ensure('p');
    const { contact: ada } = await roster.contacts.upsert(project.id, { email: 'ada@old-domain.test' });
    const { contact: bob } = await roster.contacts.upsert(project.id, { email: 'bob@old-domain.test' });
    expect((await searchAll(roster, project.id, 'old-domain')).emails).toHaveLength(2); // indexes both
    await roster.contacts.update(project.id, ada.id, { email: 'ada@new-domain.test' });
    await roster.contacts.delete(project.id, bob.id);
    const { contact: cy } = await roster.contacts.upsert(project.id, { email: 'cy@old-domain.test' });
    expect(await searchAll(roster, project.id, 'old-domain')).toEqual({
      emails: ['cy@old-domain.test'],
      total: 1,
      count: 1,
    });
    expect((await searchAll(roster, project.id, 'new-domain')).emails).toEqual(['ada@new-domain.test']);
    await roster.bulk.apply(project.id, { operation: 'delete', contactIds: [ada.id, cy.id] });
    expect(await searchAll(roster, project.id, 'domain')).toEqual({ emails: [], total: 0, count: 0 });
  });
});

describeEachDialect('contact totals', (dialect) => {
  const open = openQuietRosters(dialect);

  it('counts every project on its own across creates, upserts, imports, deletes and bulk deletes', async () => {
    const roster = await open();
    const p = (await roster.projects.ensure('p')).id;
    const q = (await roster.projects.ensure('q')).id;
    const total = async (projectId: string) =>
      (await roster.contacts.list(projectId, { limit: 1, includeTotal: true })).total;
    expect(await total(p)).toBe(0);

    const { contact: a } = await roster.contacts.upsert(p, { email: 'a@x.test' });
    await roster.contacts.upsert(p, { email: 'a@x.test', data: { n: 1 } }); // an update: not a new contact
    await roster.contacts.create(p, { email: 'b@x.test' });
    await roster.contacts.createMany(p, { contacts: [{ email: 'b@x.test' }, { email: 'c@x.test' }] });
    await roster.contacts.upsert(q, { email: 'a@x.test' });
    expect([await total(p), await total(q), await roster.contacts.count(p)]).toEqual([3, 1, 3]);

    const job = await roster.imports.enqueue(p, {
      file: Buffer.from('email\na@x.test\nd@x.test\ne@x.test\nnot-an-email\n'),
    });
    await roster.jobs.runOnce();
    expect((await roster.imports.status(p, job.id)).state).toBe('completed');
    expect(await total(p)).toBe(5);

    await roster.contacts.delete(p, a.id);
    const ids = (await roster.contacts.list(p, { limit: 10 })).data.map((c) => c.id);
    await roster.bulk.apply(p, { operation: 'delete', contactIds: [ids[0]!, ids[1]!] });
    expect([await total(p), await total(q)]).toEqual([2, 1]);
    expect(await roster.contacts.count(p)).toBe((await roster.contacts.list(p, { limit: 100 })).data.length);
  });
});

it('builds the substring index for contacts that exist when it is turned on, and drops it when off', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'roster-search-'));
  try {
    const path = join(dir, 'r.db');
    let roster = await createRoster({ database: path, search: { substringIndex: false } });
    const p = (await roster.projects.ensure('p')).id;
    await roster.contacts.upsert(p, { email: 'before@index.test' });
    await roster.close();

    roster = await createRoster({ database: path });
    const hasTable = async (r: Roster) =>
      (
        await r.db
          .selectFrom('sqlite_master' as never)
          .select('name' as never)
          .where('name' as never, '=', 'roster_contacts_fts' as never)
          .execute()
      ).length === 1;
    expect(await hasTable(roster)).toBe(true);
    await roster.contacts.upsert(p, { email: 'after@index.test' });
    expect((await roster.contacts.list(p, { search: 'index.test' })).data.map((c) => c.email)).toEqual([
      'after@index.test',
      'before@index.test',
    ]);
    await roster.close();

    roster = await createRoster({ database: path, search: { substringIndex: false } });
    expect(await hasTable(roster)).toBe(false);
    expect((await roster.contacts.list(p, { search: 'before' })).data).toHaveLength(1);
    await roster.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
