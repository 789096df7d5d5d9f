import { describeEachDialect, eachMainAndOtherProject } from '@roster/test-harness';
import { expect, it } from 'vitest';
import { RosterError } from '../errors.js';
import type { Roster } from '../roster.js';
import type { FetchLike } from './migrate-http.js';

/** A Plunk provider answering `pages` (by cursor) from memory: the HTTP side is covered by test/migrate.test.ts. */
function plunkPages(pages: { email: string; subscribed?: boolean; data?: unknown }[][]): FetchLike {
  return async (url) => {
    const cursor = new URL(url).searchParams.get('cursor');
    const index = cursor === null ? 0 : Number(cursor);
    const body = {
      data: (pages[index] ?? []).map((c, i) => ({ id: `${index}-${i}`, subscribed: true, data: null, ...c })),
      cursor: index + 1 < pages.length ? String(index + 1) : null,
      hasMore: index + 1 < pages.length,
      total: pages.flat().length,
    };
    return { status: 200, headers: { get: () => null }, text: async () => JSON.stringify(body) };
  };
}

describeEachDialect('migrate service', (dialect) => {
  let roster: Roster;
  let projectId: string;
  eachMainAndOtherProject(dialect, (t) => ({ roster, projectId } = t));

  it('counts a repeated email as skipped and an email roster refuses as failed, naming it', async () => {
    const fetch = plunkPages([
      [{ email: 'a@example.com', data: { n: 1 } }, { email: 'not an email' }],
      [
        { email: ' A@Example.com ', data: { n: 2 } },
        { email: 'b@example.com', subscribed: false },
      ],
    ]);
    const summary = await roster.migrate.fromPlunk({
      url: 'https://plunk.test',
      key: 'sk_x',
      projectId,
      fetch,
    });
    expect(summary).toMatchObject({
      fetched: 4,
      created: 2,
      updated: 0,
      unchanged: 0,
      skipped: 1,
      failed: 1,
      errors: [{ email: 'not an email', error: 'email: not a valid email address' }],
    });
    // The first occurrence wins.
    expect((await roster.contacts.findByEmail(projectId, 'a@example.com'))?.data).toEqual({ n: 1 });
    expect((await roster.contacts.findByEmail(projectId, 'b@example.com'))?.subscribed).toBe(false);
  });

  it('counts a contact whose data breaks a declared property as failed and writes the others', async () => {
    await roster.properties.create(projectId, { key: 'seats', type: 'number' });
    const fetch = plunkPages([
      [
        { email: 'ok@example.com', data: { seats: 3 } },
        { email: 'bad@example.com', data: { seats: 'many' } },
      ],
    ]);
    const summary = await roster.migrate.fromPlunk({
      url: 'https://plunk.test',
      key: 'sk_x',
      projectId,
      fetch,
    });
    expect(summary).toMatchObject({ fetched: 2, created: 1, failed: 1 });
    expect(summary.errors[0]?.email).toBe('bad@example.com');
    expect(summary.errors[0]?.error).toContain('data.seats');
    expect(await roster.contacts.count(projectId)).toBe(1);
  });

  it('refuses bad options by field, and an unknown project', async () => {
    const fetch = plunkPages([[]]);
    const bad = await roster.migrate
      .fromPlunk({ url: 'ftp://x', key: '', projectId, concurrency: 0, fetch })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(RosterError);
    expect((bad as RosterError).details.issues?.map((i) => i.field).sort()).toEqual([
      'concurrency',
      'key',
      'url',
    ]);
    const missing = await roster.migrate
      .fromPlunk({ key: 'k', projectId: '0190a0a0-0000-7000-8000-000000000000', fetch })
      .catch((e: unknown) => e);
    expect((missing as RosterError).code).toBe('not_found');
  });
});
