import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { type RosterFixture, startRoster } from '../src/index.js';

const run = promisify(execFile);

let fixtures: RosterFixture[] = [];
afterEach(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
  fixtures = [];
});

async function start(...args: Parameters<typeof startRoster>): Promise<RosterFixture> {
  const fixture = await startRoster(...args);
  fixtures.push(fixture);
  return fixture;
}

async function call(url: string, key: string, init: { method?: string; body?: unknown } = {}) {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${key}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

describe('startRoster', () => {
  it('serves the Plunk API at plunkUrl and the Unosend API at unosendUrl, on loopback', async () => {
    const roster = await start();
    expect(roster.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(roster.plunkUrl).toBe(roster.url);
    expect(roster.unosendUrl).toBe(`${roster.url}/v1`);
    expect(roster.secretKey).toMatch(/^sk_/);
    expect(roster.unosendKey).toMatch(/^un_/);

    const created = await call(`${roster.plunkUrl}/contacts`, roster.secretKey, {
      method: 'POST',
      body: { email: 'ada@example.com', data: { plan: 'pro' } },
    });
    expect(created.status).toBe(201);
    const viaUnosend = await call(`${roster.unosendUrl}/contacts/${created.body.id}`, roster.unosendKey);
    expect(viaUnosend.status).toBe(200);
    expect(viaUnosend.body).toMatchObject({ email: 'ada@example.com', metadata: { plan: 'pro' } });
    expect(await roster.roster.contacts.count(roster.projectId)).toBe(1);
  });

  it('serves the Resend API at resendUrl with a re_ key', async () => {
    const roster = await start();
    expect(roster.resendUrl).toBe(`${roster.url}/resend`);
    expect(roster.resendKey).toMatch(/^re_/);
    await call(`${roster.plunkUrl}/contacts`, roster.secretKey, {
      method: 'POST',
      body: { email: 'ada@example.com', data: { plan: 'pro' } },
    });
    const viaResend = await call(`${roster.resendUrl}/contacts/ada@example.com`, roster.resendKey);
    expect(viaResend.status).toBe(200);
    expect(viaResend.body).toMatchObject({
      object: 'contact',
      email: 'ada@example.com',
      properties: { plan: 'pro' },
    });
  });

  it('accepts exactly the keys given in options.keys and no others', async () => {
    const roster = await start({
      keys: { secretKey: 'sk_test_from_env', unosendKey: 'un_test_from_env', extra: ['sk_second'] },
    });
    expect(roster.secretKey).toBe('sk_test_from_env');
    expect(roster.unosendKey).toBe('un_test_from_env');
    for (const key of ['sk_test_from_env', 'sk_second']) {
      expect((await call(`${roster.plunkUrl}/contacts`, key)).status).toBe(200);
    }
    expect((await call(`${roster.unosendUrl}/contacts`, 'un_test_from_env')).status).toBe(200);
    const wrong = await call(`${roster.plunkUrl}/contacts`, 'sk_not_registered');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('INVALID_API_KEY');
  });

  it('names the option when a given key is not acceptable', async () => {
    await expect(startRoster({ keys: { secretKey: 'sk_1' } })).rejects.toThrow(
      'startRoster: options.keys.secretKey must be at least 8 characters',
    );
    await expect(startRoster({ keys: { resendKey: 'sk_not_a_resend_key' } })).rejects.toThrow(
      new TypeError(
        'startRoster: options.keys.resendKey must start with re_ (the only keys the Resend API accepts)',
      ),
    );
  });

  it('gives every fixture its own database and port', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    expect(a.url).not.toBe(b.url);
    await a.seedContacts(3);
    expect(await a.roster.contacts.count(a.projectId)).toBe(3);
    expect(await b.roster.contacts.count(b.projectId)).toBe(0);
  });

  it('drainJobs runs a queued CSV import and a bulk job to completion', async () => {
    const roster = await start();
    const csv = 'email,plan\nada@example.com,pro\ngrace@example.com,free\nnot-an-email,x\n';
    const job = await roster.roster.imports.enqueue(roster.projectId, {
      file: new TextEncoder().encode(csv),
      name: 'contacts.csv',
    });
    expect((await roster.roster.imports.status(roster.projectId, job.id)).state).toBe('waiting');

    expect(await roster.drainJobs()).toBe(1);
    const status = await roster.roster.imports.status(roster.projectId, job.id);
    expect(status.state).toBe('completed');
    expect(status.result).toMatchObject({ totalRows: 3, createdCount: 2, failureCount: 1 });

    const page = await call(`${roster.plunkUrl}/contacts`, roster.secretKey);
    expect(page.body.data.map((c: { email: string }) => c.email).sort()).toEqual([
      'ada@example.com',
      'grace@example.com',
    ]);

    const ids = page.body.data.map((c: { id: string }) => c.id);
    const bulkId = await roster.roster.bulk.enqueue(roster.projectId, 'unsubscribe', ids);
    expect(await roster.drainJobs()).toBe(1);
    expect((await roster.roster.bulk.status(roster.projectId, bulkId)).state).toBe('completed');
    const after = await call(`${roster.plunkUrl}/contacts`, roster.secretKey);
    expect(after.body.data.map((c: { subscribed: boolean }) => c.subscribed)).toEqual([false, false]);
    expect(await roster.drainJobs()).toBe(0);
  });

  it('drainJobs also waits for jobs the background runner took', async () => {
    const roster = await start({ roster: { jobs: { autoStart: true, pollIntervalMs: 5 } } });
    const rows = Array.from({ length: 3000 }, (_, i) => `user${i}@example.com`).join('\n');
    const job = await roster.roster.imports.enqueue(roster.projectId, {
      file: new TextEncoder().encode(`email\n${rows}\n`),
    });
    await roster.drainJobs();
    expect((await roster.roster.imports.status(roster.projectId, job.id)).state).toBe('completed');
    expect(await roster.roster.contacts.count(roster.projectId)).toBe(3000);
  });

  it('reset empties contacts, audiences, jobs and files but keeps the keys', async () => {
    const roster = await start({ keys: { secretKey: 'sk_kept_key' } });
    const audience = await roster.roster.audiences.create(roster.projectId, { name: 'Newsletter' });
    await roster.seedContacts(5, { audienceId: audience.id });
    await roster.roster.imports.enqueue(roster.projectId, {
      file: new TextEncoder().encode('email\nx@example.com\n'),
    });
    const db = roster.roster.db;
    const countOf = async (table: 'roster_files' | 'roster_jobs' | 'roster_audiences') =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirst()
        )?.n,
      );
    expect(await countOf('roster_files')).toBe(1);

    await roster.reset();

    expect(await roster.roster.contacts.count(roster.projectId)).toBe(0);
    expect(await countOf('roster_audiences')).toBe(0);
    expect(await countOf('roster_jobs')).toBe(0);
    expect(await countOf('roster_files')).toBe(0);
    expect(await roster.drainJobs()).toBe(0);
    expect((await call(`${roster.plunkUrl}/contacts`, 'sk_kept_key')).body).toEqual({
      data: [],
      cursor: null,
      hasMore: false,
      total: 0,
    });
    // Numbering starts over, so the same seed gives the same emails again.
    const [first] = await roster.seedContacts(1);
    expect(first!.email).toBe('ada.lovelace.0@example.com');
  });

  it('events() returns the change events of HTTP and core writes in order, from the last reset on', async () => {
    const roster = await start();
    const created = await call(`${roster.plunkUrl}/contacts`, roster.secretKey, {
      method: 'POST',
      body: { email: 'ada@example.com', data: { plan: 'pro' } },
    });
    const id = created.body.id as string;
    await call(`${roster.plunkUrl}/contacts/${id}`, roster.secretKey, {
      method: 'PATCH',
      body: { subscribed: false },
    });
    await roster.roster.contacts.delete(roster.projectId, id);
    const events = await roster.events();
    expect(events.map((e) => [e.type, e.contactId])).toEqual([
      ['contact.created', id],
      ['contact.updated', id],
      ['contact.unsubscribed', id],
      ['contact.deleted', id],
    ]);
    expect(events[1]!.data).toMatchObject({ changed: ['subscribed'], previous: { subscribed: true } });
    expect((await roster.events({ types: ['contact.deleted'] })).map((e) => e.id)).toEqual([events[3]!.id]);
    await roster.reset();
    expect(await roster.events()).toEqual([]);
    const [seeded] = await roster.seedContacts(1);
    expect((await roster.events()).map((e) => [e.type, e.contactId])).toEqual([
      ['contact.created', seeded!.id],
    ]);
  });

  it('finds contacts by search and counts them right after a reset', async () => {
    const roster = await start();
    await roster.seedContacts(30);
    const search = async (term: string) =>
      (await call(`${roster.plunkUrl}/contacts?search=${term}`, roster.secretKey)).body;
    expect((await search('grace.')).total).toBe(2);
    await roster.reset();
    expect((await search('grace.')).total).toBe(0);
    await roster.seedContacts(30);
    const page = await search('grace.');
    expect(page.total).toBe(2);
    expect(page.data.map((c: { email: string }) => c.email).sort()).toEqual([
      'grace.hopper.17@example.com',
      'grace.lovelace.1@example.com',
    ]);
    expect((await call(`${roster.plunkUrl}/contacts`, roster.secretKey)).body.total).toBe(30);
  });

  it('close() stops the server, is idempotent, and works through await using', async () => {
    let url: string;
    {
      await using roster = await startRoster();
      url = roster.url;
      expect((await fetch(`${url}/health`)).status).toBe(200);
    }
    await expect(fetch(`${url}/health`)).rejects.toThrow();

    const other = await startRoster();
    await other.close();
    await other.close();
    await expect(fetch(`${other.url}/health`)).rejects.toThrow();
  });

  it('passes roster options through, e.g. a fixed clock', async () => {
    const at = new Date('2030-01-02T03:04:05.000Z');
    const roster = await start({ roster: { clock: () => at } });
    const created = await call(`${roster.plunkUrl}/contacts`, roster.secretKey, {
      method: 'POST',
      body: { email: 'ada@example.com' },
    });
    expect(created.body.createdAt).toBe('2030-01-02T03:04:05.000Z');
  });

  it('works under node:test as well', async () => {
    const suite = fileURLToPath(new URL('./node-test-suite.ts', import.meta.url));
    const { stdout } = await run(
      process.execPath,
      ['--conditions=@roster/source', '--import', 'tsx', '--test', suite],
      {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
      },
    );
    expect(stdout).toMatch(/# pass 2\b/);
    expect(stdout).toMatch(/# fail 0\b/);
  });
});

describe('seedContacts', () => {
  it('creates realistic, deterministic contacts and returns them in order', async () => {
    const roster = await start();
    const contacts = await roster.seedContacts(3);
    expect(contacts.map((c) => c.email)).toEqual([
      'ada.lovelace.0@example.com',
      'grace.lovelace.1@example.com',
      'alan.lovelace.2@example.com',
    ]);
    expect(contacts[0]).toEqual({
      id: expect.any(String),
      projectId: roster.projectId,
      email: 'ada.lovelace.0@example.com',
      subscribed: true,
      data: { plan: 'free', company: 'Lovelace Labs', signupSource: 'website', seats: 1 },
      firstName: 'Ada',
      lastName: 'Lovelace',
      audienceId: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(await roster.roster.contacts.get(roster.projectId, contacts[2]!.id)).toEqual(contacts[2]);
  });

  it('numbers on across calls and applies overrides, also per contact', async () => {
    const roster = await start();
    await roster.seedContacts(2);
    const more = await roster.seedContacts(2, (i) => ({ subscribed: i % 2 === 0, data: { n: i } }));
    expect(more.map((c) => [c.email, c.subscribed, c.data])).toEqual([
      ['alan.lovelace.2@example.com', true, { n: 2 }],
      ['katherine.lovelace.3@example.com', false, { n: 3 }],
    ]);
  });

  it('inserts thousands of contacts in batches', async () => {
    const roster = await start();
    const contacts = await roster.seedContacts(2500);
    expect(contacts).toHaveLength(2500);
    expect(new Set(contacts.map((c) => c.email)).size).toBe(2500);
    expect(contacts[2499]!.email).toMatch(/\.2499@example\.com$/);
    expect(await roster.roster.contacts.count(roster.projectId)).toBe(2500);
  });

  it('rejects an email that already exists instead of silently seeding fewer', async () => {
    const roster = await start();
    await roster.roster.contacts.upsert(roster.projectId, { email: 'taken@example.com' });
    await expect(roster.seedContacts(1, { email: 'taken@example.com' })).rejects.toMatchObject({
      code: 'conflict',
    });
  });
});

describe('fixture.track', () => {
  it('records an event as POST /v1/track does, creating the contact', async () => {
    const fixture = await startRoster();
    try {
      const result = await fixture.track('purchase', 'Ada@Example.com', { data: { plan: 'pro' } });
      expect(result.created).toBe(true);
      expect(result.contact).toMatchObject({
        email: 'ada@example.com',
        subscribed: true,
        data: { plan: 'pro' },
      });
      const events = await fixture.roster.events.list(fixture.projectId, result.contact.id);
      expect(events.map((e) => e.name)).toEqual(['purchase']);
    } finally {
      await fixture.close();
    }
  });
});
