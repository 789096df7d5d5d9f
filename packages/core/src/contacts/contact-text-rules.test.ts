import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Roster } from '../roster.js';
import { MAX_DATA_DEPTH } from '../text-rules.js';

let roster: Roster;
let projectId: string;

/** `{a:{a:...{a:'leaf'}}}` with `levels` objects. */
function nested(levels: number): Record<string, unknown> {
  let value: unknown = 'leaf';
  for (let i = 1; i < levels; i++) value = { a: value };
  return value as Record<string, unknown>;
}

function rejects(promise: Promise<unknown>, field: string | RegExp, message: string | RegExp) {
  return expect(promise).rejects.toMatchObject({
    code: 'validation_failed',
    details: {
      issues: expect.arrayContaining([
        {
          field: typeof field === 'string' ? field : expect.stringMatching(field),
          message: expect.stringMatching(message),
        },
      ]),
    },
  });
}

describeEachDialect('text and data rules (the same on every database)', (dialect) => {
  beforeEach(async () => {
    roster = await createTestRoster(dialect);
    projectId = (await roster.projects.ensure('p')).id;
  });
  afterEach(() => roster.close());

  it(`accepts data nested ${MAX_DATA_DEPTH} levels and keeps merging into it`, async () => {
    const data = { deep: nested(MAX_DATA_DEPTH) };
    await roster.contacts.upsert(projectId, { email: 'a@example.com', data });
    const { contact } = await roster.contacts.upsert(projectId, {
      email: 'a@example.com',
      data: { more: 1 },
    });
    expect(contact.data).toEqual({ ...data, more: 1 });
  });

  it.each([MAX_DATA_DEPTH + 1, 1000, 5000])(
    'refuses data nested %i levels with a 400 naming the field',
    async (levels) => {
      const data = { deep: nested(levels) };
      await rejects(
        roster.contacts.upsert(projectId, { email: 'a@example.com', data }),
        /^data\.deep(\.a)+$/,
        `nested deeper than ${MAX_DATA_DEPTH} levels`,
      );
      await rejects(
        roster.contacts.create(projectId, { email: 'b@example.com', data }),
        /^data\.deep/,
        'nested',
      );
      expect(await roster.contacts.count(projectId)).toBe(0);
    },
  );

  it.each([
    ['a NUL in a data value', { note: 'a\u0000b' }, 'data.note', 'NUL'],
    ['a NUL in a data key', { 'k\u0000': 'v' }, 'data.k\u0000', 'NUL'],
    ['a NUL deep in data', { list: [{ x: '\u0000' }] }, 'data.list.0.x', 'NUL'],
    ['a lone surrogate in data', { note: 'x\uD800y' }, 'data.note', 'lone surrogate'],
    ['a lone low surrogate in data', { note: '\uDC00' }, 'data.note', 'lone surrogate'],
    ['a non-finite number (1e400)', JSON.parse('{"n":1e400}'), 'data.n', 'finite number'],
    ['a __proto__ key', JSON.parse('{"__proto__":{"x":1}}'), 'data.__proto__', 'not allowed as a data key'],
  ])('refuses %s with a 400 naming it', async (_name, data, field, message) => {
    await rejects(roster.contacts.upsert(projectId, { email: 'a@example.com', data }), field, message);
    await rejects(
      roster.contacts.create(projectId, { email: 'a@example.com', data, dataMode: 'verbatim' }),
      field,
      message,
    );
  });

  it('keeps a valid surrogate pair (an emoji) in data and names', async () => {
    const { contact } = await roster.contacts.upsert(projectId, {
      email: 'a@example.com',
      data: { mood: '🙂' },
    });
    expect(contact.data).toEqual({ mood: '🙂' });
    const created = await roster.contacts.create(projectId, { email: 'b@example.com', firstName: 'Zoë 🙂' });
    expect((await roster.contacts.get(projectId, created.id)).firstName).toBe('Zoë 🙂');
  });

  it('refuses a NUL in names, audience names and descriptions', async () => {
    await rejects(
      roster.contacts.create(projectId, { email: 'a@example.com', firstName: 'A\u0000' }),
      'firstName',
      'NUL',
    );
    await rejects(roster.audiences.create(projectId, { name: 'N\u0000' }), 'name', 'NUL');
    await rejects(
      roster.audiences.create(projectId, { name: 'N', description: '\u0000' }),
      'description',
      'NUL',
    );
  });

  it('says the real limit of a name that is too long', async () => {
    await rejects(
      roster.contacts.create(projectId, { email: 'a@example.com', firstName: 'x'.repeat(257) }),
      'firstName',
      'must be at most 256 characters',
    );
  });

  it('refuses a search for a NUL instead of matching every contact', async () => {
    await roster.contacts.upsert(projectId, { email: 'a@example.com' });
    await rejects(roster.contacts.list(projectId, { search: '\u0000' }), 'search', 'NUL');
  });

  it('fails only the rows of a CSV import with a NUL, never the import', async () => {
    const csv =
      'email,first_name,plan\na@example.com,Ada,pro\nb@example.com,B\u0000b,x\nc@example.com,Cy,p\u0000\nd@example.com,Di,ok\n';
    const job = await roster.imports.enqueue(projectId, { file: Buffer.from(csv), nameColumns: true });
    await roster.jobs.runOnce();
    const status = await roster.imports.status(projectId, job.id);
    expect(status.state).toBe('completed');
    expect(status.result).toMatchObject({ totalRows: 4, createdCount: 2, failureCount: 2 });
    expect(status.result?.errors).toEqual([
      { row: 3, email: 'b@example.com', error: expect.stringMatching(/^Invalid first name \(.*NUL/) },
      {
        row: 4,
        email: 'c@example.com',
        error: expect.stringMatching(/^Invalid value in column "plan" \(.*NUL/),
      },
    ]);
    expect((await roster.contacts.findByEmail(projectId, 'd@example.com'))?.data).toEqual({ plan: 'ok' });
  });
});
