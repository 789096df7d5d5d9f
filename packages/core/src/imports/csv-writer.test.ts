import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Contact, Roster } from '../index.js';
import { escapeFormula, unescapeFormula } from './csv-format.js';
import { contactsCsv, csvDataCell, csvField, csvQuoted } from './csv-writer.js';

async function text(contacts: Contact[]): Promise<string> {
  let out = '';
  for await (const line of contactsCsv(async function* () {
    yield* contacts;
  })) {
    out += line;
  }
  return out;
}

function contact(email: string, subscribed: boolean, data: Contact['data']): Contact {
  return {
    id: email,
    projectId: 'p',
    email,
    subscribed,
    data,
    firstName: null,
    lastName: null,
    audienceId: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('CSV writer', () => {
  it('quotes only the fields that need it, and doubles quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(' edge')).toBe('" edge"');
    expect(csvQuoted('plain')).toBe('"plain"');
    expect(csvDataCell(null)).toBe('');
    expect(csvDataCell(3)).toBe('3');
    expect(csvDataCell({ a: 1 })).toBe('"{""a"":1}"');
  });

  it('writes email, subscribed and one sorted column per data key, data.<key> where a key would not read back', async () => {
    expect(
      await text([
        contact('ada@example.com', true, { plan: 'pro', Email: 'x', seats: 3 }),
        contact('bob@example.com', false, null),
      ]),
    ).toBe(
      'email,subscribed,data.Email,plan,seats\nada@example.com,true,x,pro,3\nbob@example.com,false,,,\n',
    );
  });

  it('writes empty cells, never inherited members, for prototype-named keys a contact lacks', async () => {
    expect(
      await text([
        // `__proto__` as an own key, as JSON.parse makes it (core refuses to store it; the writer takes any contact).
        contact('ada@example.com', true, {
          ...JSON.parse('{"__proto__":"p"}'),
          toString: 't',
          constructor: 'c',
          valueOf: 1,
          hasOwnProperty: true,
        }),
        contact('bob@example.com', false, { plan: 'pro' }),
      ]),
    ).toBe(
      'email,subscribed,__proto__,constructor,data.hasOwnProperty,plan,data.toString,data.valueOf\n' +
        'ada@example.com,true,p,c,true,,t,1\n' +
        'bob@example.com,false,,,,pro,,\n',
    );
  });

  it('writes only the header for no contacts', async () => {
    expect(await text([])).toBe('email,subscribed\n');
  });
});

describe('CSV formula injection guard', () => {
  it.each([
    ['=HYPERLINK("x")', '\'=HYPERLINK("x")'],
    ['+1-x@example.com', "'+1-x@example.com"],
    ['-2', "'-2"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    ['\rcmd', "'\rcmd"],
    ["'=already", "''=already"],
    ['plain', 'plain'],
    ["it's", "it's"],
    ["'quoted'", "'quoted'"],
    ['a=b', 'a=b'],
  ])('writes %j as %j and reads it back', (value, escaped) => {
    expect(escapeFormula(value)).toBe(escaped);
    expect(unescapeFormula(escaped)).toBe(value);
  });

  it('neutralises emails, data values and data column names; the opt-out writes them raw', async () => {
    const one = contact('-x@example.com', true, { '=key': '=1+1', n: -3 });
    const write = async (escapeFormulas?: boolean) => {
      let csv = '';
      const contacts = async function* () {
        yield one;
      };
      for await (const line of contactsCsv(contacts, { escapeFormulas })) csv += line;
      return csv;
    };
    expect(await write()).toBe("email,subscribed,'=key,n\n'-x@example.com,true,'=1+1,'-3\n");
    expect(await write(false)).toBe('email,subscribed,=key,n\n-x@example.com,true,=1+1,-3\n');
  });
});

describeEachDialect('CSV round trip', (dialect) => {
  let roster: Roster;
  beforeEach(async () => {
    roster = await createTestRoster(dialect);
  });
  afterEach(async () => {
    await roster.close();
  });

  it('imports what it wrote back as the same contacts', async () => {
    const from = await roster.projects.ensure('from');
    const to = await roster.projects.ensure('to');
    await roster.contacts.upsert(from.id, {
      email: 'ada@example.com',
      data: { plan: 'pro, yearly', Email: 'other', 'data.x': 'y', note: 'say "hi"\nthere' },
    });
    // Values a spreadsheet would run as formulas, and one that already starts with the guard's quote.
    await roster.contacts.upsert(from.id, {
      email: '+1-x@example.com',
      data: { '=key': '=SUM(A1)', at: '@home', quoted: "'=kept", minus: '-5' },
    });
    await roster.contacts.upsert(from.id, { email: 'bob@example.com', subscribed: false });
    let csv = '';
    for await (const line of contactsCsv(() => roster.contacts.stream(from.id))) csv += line;
    const job = await roster.imports.enqueue(to.id, { file: Buffer.from(csv) });
    await roster.jobs.runOnce();
    expect((await roster.imports.status(to.id, job.id)).state).toBe('completed');
    const shape = async (projectId: string) => {
      const page = await roster.contacts.list(projectId, { limit: 10 });
      return page.data
        .map(({ email, subscribed, data }) => ({ email, subscribed, data }))
        .sort((a, b) => a.email.localeCompare(b.email));
    };
    expect(await shape(to.id)).toEqual(await shape(from.id));
  });
});
