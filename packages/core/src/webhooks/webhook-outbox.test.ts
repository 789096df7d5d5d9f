import {
  createTestRoster,
  describeEachDialect,
  listenOnLoopback,
  type TestDialect,
} from '@roster/test-harness';
import { Webhook } from 'standardwebhooks';
import { afterEach, expect, it } from 'vitest';
import type { WebhooksOptions } from '../options.js';
import { appendChanges } from '../outbox/outbox-repository.js';
import type { Roster } from '../roster.js';

interface Hit {
  id: string;
  type: string;
  contactId: string | undefined;
  data: Record<string, unknown>;
  status: number;
  verified: boolean;
}

/**
 * A loopback receiver verifying every signature (standardwebhooks). `fail(hit)` decides whether
 * to answer 500; it also records how many requests of one contact were open at once.
 */
async function startReceiver(fail: (hit: Hit, n: number) => boolean = () => false) {
  const hits: Hit[] = [];
  let secret = '';
  let open = new Map<string, number>();
  let overlapped = false;
  const server = await listenOnLoopback((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let verified = true;
      try {
        new Webhook(secret).verify(body, req.headers as Record<string, string>);
      } catch {
        verified = false;
      }
      const payload = JSON.parse(body) as { type: string; data: Record<string, unknown> };
      const contactId = (payload.data.contact as { id?: string } | null)?.id;
      const hit: Hit = {
        id: String(req.headers['webhook-id']),
        type: payload.type,
        contactId,
        data: payload.data,
        status: 200,
        verified,
      };
      if (contactId) {
        const now = (open.get(contactId) ?? 0) + 1;
        if (now > 1) overlapped = true;
        open.set(contactId, now);
      }
      hit.status = fail(hit, hits.length) ? 500 : 200;
      hits.push(hit);
      // Answer a little later, so a second request of the same contact would overlap.
      setTimeout(() => {
        if (contactId) open.set(contactId, (open.get(contactId) ?? 1) - 1);
        res.writeHead(hit.status).end();
      }, 3);
    });
  });
  return {
    url: `${server.url}/hooks`,
    hits,
    get overlapped() {
      return overlapped;
    },
    setSecret(value: string) {
      secret = value;
      open = new Map();
    },
    close: server.close,
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  dialect: TestDialect,
  webhooks: WebhooksOptions = {},
  fail?: (hit: Hit, n: number) => boolean,
) {
  const roster = await createTestRoster(dialect, {
    webhooks: { allowPrivateTargets: true, ...webhooks },
    jobs: { concurrency: 4, pollIntervalMs: 20, onError: (e) => console.error(e) },
  });
  cleanups.push(() => roster.close());
  const receiver = await startReceiver(fail);
  cleanups.push(() => receiver.close());
  const projectId = (await roster.projects.ensure('p')).id;
  return { roster, receiver, projectId };
}

/** Runs jobs (the outbox consumer drains first) until `done()` or nothing is left to do. */
async function settle(roster: Roster, done: () => boolean) {
  for (let idle = 0; idle < 3 && !done(); ) {
    idle = (await roster.jobs.runOnce()) > 0 ? 0 : idle + 1;
  }
}

describeEachDialect('webhooks fed by the outbox', (dialect) => {
  it('sends signed change events of contact writes to the endpoints subscribed to them', async () => {
    const { roster, receiver, projectId } = await setup(dialect);
    const all = await roster.webhooks.create(projectId, {
      url: receiver.url,
      eventTypes: ['contact.deleted'],
    });
    receiver.setSecret(all.secret);
    const ada = await roster.contacts.create(projectId, { email: 'ada@example.com', data: { plan: 'free' } });
    await roster.contacts.update(projectId, ada.id, { data: { plan: 'pro' } });
    await roster.contacts.delete(projectId, ada.id);
    await settle(roster, () => receiver.hits.length >= 1);
    expect(receiver.hits.map((h) => [h.type, h.contactId, h.verified, h.status])).toEqual([
      ['contact.deleted', ada.id, true, 200],
    ]);
    const [delivery] = (await roster.webhooks.deliveries(projectId, all.id)).data;
    expect(delivery).toMatchObject({
      status: 'succeeded',
      eventType: 'contact.deleted',
      messageId: receiver.hits[0]!.id,
    });
    const page = await roster.changes.list(projectId, { types: ['contact.deleted'] });
    expect(page.data.map((e) => e.id)).toEqual([receiver.hits[0]!.id]);
  });

  it('keeps the order of each contact’s events under concurrent updates and failing answers', {
    timeout: 120_000,
  }, async () => {
    // The first request of every third event fails (500); its retry comes at once.
    const seen = new Set<string>();
    const failOnce = (hit: Hit) => !seen.has(hit.id) && seen.add(hit.id).size % 3 === 1;
    const { roster, receiver, projectId } = await setup(dialect, { retryScheduleMs: [0, 0, 0, 0] }, failOnce);
    const endpoint = await roster.webhooks.create(projectId, {
      url: receiver.url,
      eventTypes: ['contact.updated'],
    });
    receiver.setSecret(endpoint.secret);
    const contacts = await Promise.all(
      ['a', 'b', 'c'].map((name) => roster.contacts.create(projectId, { email: `${name}@example.com` })),
    );
    await roster.jobs.start();
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        roster.contacts.update(projectId, contacts[i % 3]!.id, { data: { n: i } }),
      ),
    );
    const expected = (await roster.changes.list(projectId, { types: ['contact.updated'], limit: 1000 })).data;
    expect(expected).toHaveLength(30);
    const deadline = Date.now() + 60_000;
    while (receiver.hits.filter((h) => h.status === 200).length < 30 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    await roster.jobs.stop();
    expect(receiver.hits.every((h) => h.verified)).toBe(true);
    expect(receiver.hits.some((h) => h.status === 500)).toBe(true);
    expect(receiver.overlapped).toBe(false);
    for (const contact of contacts) {
      const order = expected.filter((e) => e.contactId === contact.id).map((e) => e.id);
      // Every request of the contact, failed ones included, in commit order (a retry repeats the id).
      const sent = receiver.hits.filter((h) => h.contactId === contact.id).map((h) => h.id);
      expect([...new Set(sent)]).toEqual(order);
      expect(sent.filter((id, i) => i > 0 && order.indexOf(id) < order.indexOf(sent[i - 1]!))).toEqual([]);
      const ok = receiver.hits.filter((h) => h.contactId === contact.id && h.status === 200).map((h) => h.id);
      expect(ok).toEqual(order);
    }
  });

  it('sends the events of an import in batches, one delivery per type and job', async () => {
    const { roster, receiver, projectId } = await setup(dialect);
    const endpoint = await roster.webhooks.create(projectId, {
      url: receiver.url,
      eventTypes: ['contact.created', 'import.completed'],
    });
    receiver.setSecret(endpoint.secret);
    const job = await roster.imports.enqueue(projectId, {
      file: Buffer.from('email,plan\na@example.com,pro\nb@example.com,free\nc@example.com,pro\n'),
    });
    await settle(roster, () => receiver.hits.length >= 2);
    expect(receiver.hits.every((h) => h.verified && h.status === 200)).toBe(true);
    const batch = receiver.hits.find((h) => h.type === 'contact.created')!;
    expect(batch.id).toMatch(/_batch$/);
    expect(batch.data).toMatchObject({ jobId: job.id, batch: true });
    const events = batch.data.events as {
      id: string;
      contactId: string;
      data: { contact: { email: string } };
    }[];
    expect(events.map((e) => e.data.contact.email)).toEqual([
      'a@example.com',
      'b@example.com',
      'c@example.com',
    ]);
    const listed = await roster.changes.list(projectId, { types: ['contact.created'] });
    expect(events.map((e) => e.id)).toEqual(listed.data.map((e) => e.id));
    expect(receiver.hits.map((h) => h.type).sort()).toEqual(['contact.created', 'import.completed']);
    const completed = receiver.hits.find((h) => h.type === 'import.completed')!;
    expect(completed.id).not.toMatch(/_batch$/);
    expect(completed.data).toMatchObject({ jobId: job.id });
  });

  it('sends nothing for a change that rolled back', async () => {
    const { roster, receiver, projectId } = await setup(dialect);
    const endpoint = await roster.webhooks.create(projectId, { url: receiver.url, eventTypes: ['*'] });
    receiver.setSecret(endpoint.secret);
    const kept = await roster.contacts.create(projectId, { email: 'kept@example.com' });
    await expect(
      roster.db.transaction().execute(async (trx) => {
        await appendChanges(
          trx,
          roster.dialect,
          projectId,
          [{ type: 'contact.created', contactId: kept.id, data: { contact: null, rolledBack: true } }],
          new Date().toISOString(),
        );
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await settle(roster, () => false);
    expect(receiver.hits.map((h) => [h.type, h.contactId])).toEqual([['contact.created', kept.id]]);
    expect(receiver.hits.some((h) => h.data.rolledBack)).toBe(false);
  });
});
