import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MigrateSourceName, MigrateSummary, Roster } from '@roster/core';
import { createTestRoster, describeEachDialect, type TestDialect } from '@roster/test-harness';
import { type RosterFixture, startRoster } from '@roster/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `roster.migrate.from*` against a real roster server speaking each provider's dialect, behind a
 * proxy that answers 429 (with Retry-After) and 503 part of the time; the target is each database
 * dialect. Every migrated contact is compared with the source field by field.
 */

const COUNTS: Record<MigrateSourceName, number> = { plunk: 2500, unosend: 2500, resend: 600 };

/** Awkward data: nested objects, arrays, unicode, nulls, numbers of every kind, booleans. */
function awkwardData(i: number): Record<string, unknown> | null {
  if (i % 11 === 0) return null;
  return {
    n: i,
    ratio: i / 7,
    negative: -i * 1000.25,
    big: 2 ** 53 - 1 - i,
    flag: i % 2 === 0,
    label: `Zoë ${i} 🚀 日本語 «quotes» "double" \\ back`,
    nothing: null,
    list: [1, 'two', null, { three: [3] }, []],
    nested: { a: { b: { c: i % 3 === 0 ? null : `deep-${i}` } }, empty: {} },
    ...(i % 5 === 0 ? { plan: i % 10 === 0 ? 'pro' : 'free', seats: i % 4 === 0 ? null : i } : {}),
  };
}

interface ProxyCounters {
  requests: number;
  refused429: number;
  refused503: number;
}

/** A proxy in front of `upstream` that answers 429 (Retry-After: 0) and 503 to part of the requests. */
async function flakyProxy(
  upstream: string,
): Promise<{ url: string; counters: ProxyCounters; close(): Promise<void> }> {
  const counters: ProxyCounters = { requests: 0, refused429: 0, refused503: 0 };
  const server: Server = createServer(async (req, res) => {
    const n = ++counters.requests;
    if (n % 5 === 1) {
      counters.refused429++;
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' });
      res.end(JSON.stringify({ error: 'slow down' }));
      return;
    }
    if (n % 7 === 3) {
      counters.refused503++;
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'unavailable' }));
      return;
    }
    try {
      const answer = await fetch(`${upstream}${req.url}`, {
        headers: { authorization: req.headers.authorization ?? '' },
      });
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      // Now and then the quota is spent: the next request must wait for the reset (0 s here).
      if (n % 13 === 0) Object.assign(headers, { 'ratelimit-remaining': '0', 'ratelimit-reset': '0' });
      res.writeHead(answer.status, headers);
      res.end(await answer.text());
    } catch (error) {
      res.writeHead(502);
      res.end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counters,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Fills the provider's project with `count` contacts and what each dialect adds (audiences, segments, topics, properties). */
async function seedProvider(provider: RosterFixture, source: MigrateSourceName, count: number) {
  const { roster, projectId } = provider;
  const audiences =
    source === 'unosend'
      ? [
          await roster.audiences.create(projectId, { name: 'Newsletter', description: 'weekly ✉️' }),
          await roster.audiences.create(projectId, { name: 'Beta testers', description: null }),
        ]
      : [];
  if (source === 'resend') {
    await roster.properties.create(projectId, { key: 'plan', type: 'string', fallbackValue: 'free' });
    await roster.properties.create(projectId, { key: 'seats', type: 'number', fallbackValue: null });
  }
  for (let start = 0; start < count; start += 1000) {
    const size = Math.min(1000, count - start);
    const byAudience = new Map<string | null, number[]>();
    for (let i = start; i < start + size; i++) {
      const audienceId = audiences.length > 0 && i % 3 !== 0 ? audiences[i % 2]!.id : null;
      byAudience.set(audienceId, [...(byAudience.get(audienceId) ?? []), i]);
    }
    for (const [audienceId, numbers] of byAudience) {
      await roster.contacts.createMany(projectId, {
        audienceId,
        dataMode: 'verbatim',
        contacts: numbers.map((i) => ({
          email: `Person.${i}+tag@Example.COM`,
          subscribed: i % 4 !== 1,
          data: awkwardData(i),
          firstName: source === 'plunk' ? null : i % 6 === 0 ? null : `Jöhn ${i}`,
          lastName: source === 'plunk' ? null : `Ñandú-${i} 山田`,
        })),
      });
    }
  }
  if (source === 'resend') {
    const vip = await roster.segments.create(projectId, { name: 'VIP', type: 'STATIC' });
    const beta = await roster.segments.create(projectId, { name: 'Beta 🧪', type: 'STATIC' });
    await roster.segments.create(projectId, { name: 'Empty', type: 'STATIC' });
    const news = await roster.topics.create(projectId, { name: 'News', defaultSubscription: 'opt_in' });
    const offers = await roster.topics.create(projectId, {
      name: 'Offers',
      description: 'deals',
      defaultSubscription: 'opt_out',
    });
    const vipEmails: string[] = [];
    const betaEmails: string[] = [];
    for (let i = 0; i < count; i++) {
      const email = `person.${i}+tag@example.com`;
      if (i % 3 === 0) vipEmails.push(email);
      if (i % 4 === 0) betaEmails.push(email);
    }
    await roster.segments.addMembers(projectId, vip.id, { emails: vipEmails });
    await roster.segments.addMembers(projectId, beta.id, { emails: betaEmails });
    for (let i = 0; i < count; i += 5) {
      const contact = await roster.contacts.findByEmail(projectId, `person.${i}+tag@example.com`);
      await roster.topics.setContactTopics(projectId, contact!.id, [
        { id: news.id, subscription: i % 10 === 0 ? 'opt_out' : 'opt_in' },
        { id: offers.id, subscription: 'opt_in' },
      ]);
    }
  }
}

/** Everything a contact carries in one project, keyed by email, with audiences, segments and topics by name. */
async function snapshot(roster: Roster, projectId: string) {
  const audienceNames = new Map((await roster.audiences.list(projectId)).map((a) => [a.id, a.name]));
  // Only a project with segments or topics costs a query per contact for them.
  const withSegments = (await roster.segments.list(projectId)).length > 0;
  const withTopics = (await roster.topics.list(projectId)).length > 0;
  const out = new Map<string, Record<string, unknown>>();
  for await (const contact of roster.contacts.stream(projectId)) {
    const segments = withSegments
      ? (await roster.segments.ofContact(projectId, contact.id)).map((s) => s.name).sort()
      : [];
    const topics = withTopics
      ? (await roster.topics.contactTopics(projectId, contact.id))
          .map((t) => `${t.name}:${t.subscription}`)
          .sort()
      : [];
    out.set(contact.email, {
      subscribed: contact.subscribed,
      data: contact.data,
      firstName: contact.firstName,
      lastName: contact.lastName,
      audience: contact.audienceId === null ? null : audienceNames.get(contact.audienceId),
      segments,
      topics,
    });
  }
  return out;
}

const BASE: Record<MigrateSourceName, (provider: RosterFixture) => { url: string; key: string }> = {
  plunk: (p) => ({ url: p.plunkUrl, key: p.secretKey }),
  unosend: (p) => ({ url: p.unosendUrl, key: p.unosendKey }),
  resend: (p) => ({ url: p.resendUrl, key: p.resendKey }),
};

function suite(dialect: TestDialect, source: MigrateSourceName) {
  const count = COUNTS[source];
  let provider: RosterFixture;
  let proxy: Awaited<ReturnType<typeof flakyProxy>>;
  let target: Roster;
  let expected: Map<string, Record<string, unknown>>;
  let base: { url: string; key: string };

  beforeAll(async () => {
    provider = await startRoster({ onError: (e) => console.error(e) });
    await seedProvider(provider, source, count);
    expected = await snapshot(provider.roster, provider.projectId);
    base = BASE[source](provider);
    const path = new URL(base.url).pathname.replace(/\/$/, '');
    proxy = await flakyProxy(new URL(base.url).origin);
    base = { ...base, url: `${proxy.url}${path}` };
    target = await createTestRoster(dialect);
  }, 120_000);
  afterAll(async () => {
    await target?.close();
    await proxy?.close();
    await provider?.close();
  });

  const migrate = (projectId: string, extra: Partial<Parameters<Roster['migrate']['run']>[1]> = {}) =>
    target.migrate.run(source, { ...base, projectId, concurrency: 4, backoffMs: 1, ...extra });

  it('lands every contact exactly, survives 429/503 and an interruption, then finds all unchanged', async () => {
    const project = await target.projects.ensure('moved-in');
    // First run: interrupted after about half of the contacts.
    const controller = new AbortController();
    const interrupted = await migrate(project.id, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.fetched >= count / 2) controller.abort(new Error('interrupted by the test'));
      },
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((interrupted as Error).message).toBe('interrupted by the test');
    const half = await target.contacts.count(project.id);
    expect(half).toBeGreaterThanOrEqual(count / 2);
    expect(half).toBeLessThan(count);

    // Second run: continues where the first stopped.
    const resumed = await migrate(project.id);
    expect(resumed).toMatchObject({
      resumed: true,
      fetched: count,
      created: count,
      updated: 0,
      unchanged: 0,
      skipped: 0,
      failed: 0,
      errors: [],
    });
    expect(proxy.counters.refused429).toBeGreaterThan(0);
    expect(proxy.counters.refused503).toBeGreaterThan(0);
    expect(resumed.retries).toBeGreaterThan(0);

    const landed = await snapshot(target, project.id);
    expect(landed.size).toBe(expected.size);
    for (const [email, want] of expected) {
      const got = landed.get(email);
      expect(got, email).toBeDefined();
      const field = (name: string) => [email, name, got?.[name]];
      // Plunk has no names, audiences, segments or topics: nothing of them is expected.
      for (const name of Object.keys(want)) expect(field(name)).toEqual([email, name, want[name]]);
    }

    // Third run: nothing to do.
    const again = await migrate(project.id);
    expect(again).toMatchObject({
      resumed: false,
      fetched: count,
      created: 0,
      updated: 0,
      unchanged: count,
      skipped: 0,
      failed: 0,
    });
    expect(await snapshot(target, project.id)).toEqual(landed);

    // A change at the source is carried over as one update.
    const one = await provider.roster.contacts.findByEmail(provider.projectId, 'person.7+tag@example.com');
    await provider.roster.contacts.update(provider.projectId, one!.id, {
      subscribed: !one!.subscribed,
      data: { ...(one!.data ?? {}), added: { deep: [null, 1.5] } },
      dataMode: 'verbatim',
    });
    const changed = await migrate(project.id);
    expect(changed).toMatchObject({ created: 0, updated: 1, unchanged: count - 1 });
    const after = (await target.contacts.findByEmail(project.id, 'person.7+tag@example.com'))!;
    expect(after.subscribed).toBe(!one!.subscribed);
    expect(after.data).toEqual({ ...(one!.data ?? {}), added: { deep: [null, 1.5] } });
    // Put it back for the other tests.
    await provider.roster.contacts.update(provider.projectId, one!.id, {
      subscribed: one!.subscribed,
      data: one!.data,
      dataMode: 'verbatim',
    });
  }, 300_000);

  it('with dryRun reads everything and writes nothing', async () => {
    const project = await target.projects.ensure('dry');
    const before = {
      audiences: await target.audiences.list(project.id),
      segments: await target.segments.list(project.id),
      topics: await target.topics.list(project.id),
      properties: await target.properties.list(project.id),
    };
    const summary: MigrateSummary = await migrate(project.id, { dryRun: true });
    expect(summary).toMatchObject({ dryRun: true, fetched: count, created: count, updated: 0, unchanged: 0 });
    expect(await target.contacts.count(project.id)).toBe(0);
    expect({
      audiences: await target.audiences.list(project.id),
      segments: await target.segments.list(project.id),
      topics: await target.topics.list(project.id),
      properties: await target.properties.list(project.id),
    }).toEqual(before);
    // No checkpoint either: a real run afterwards starts from the first page.
    const real = await migrate(project.id);
    expect(real).toMatchObject({ resumed: false, created: count });
    const dryAgain = await migrate(project.id, { dryRun: true });
    expect(dryAgain).toMatchObject({ created: 0, updated: 0, unchanged: count });
  }, 300_000);
}

describeEachDialect('migrate', (dialect) => {
  describe('from Plunk', () => suite(dialect, 'plunk'));
  describe('from Unosend', () => suite(dialect, 'unosend'));
  describe('from Resend', () => suite(dialect, 'resend'));
});
