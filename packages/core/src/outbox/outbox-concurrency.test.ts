import {
  createPgTestSchema,
  deferred,
  listenOnLoopback,
  PG_URL,
  type PgTestSchema,
} from '@roster/test-harness';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ChangeEvent } from '../changes/change-types.js';
import { contactIndexFor } from '../contacts/contact-index-for.js';
import { type ContactServiceDeps, createContactService } from '../contacts/contact-service.js';
import type { Contact } from '../contacts/contact-types.js';
import { createRoster, type Roster } from '../roster.js';

/** Writers of one PostgreSQL schema, each with its own pool (as separate processes would). */
const WRITERS = 3;
const CONTACTS = 30;
const ROUNDS = 4;

interface Handed {
  id: string;
  seq: number;
  email: string;
  n: unknown;
}

const emailOf = (change: ChangeEvent) => (change.data.contact as Contact).email;
const nOf = (change: ChangeEvent) => (change.data.contact as Contact).data?.n;

describe.skipIf(!PG_URL)('the outbox under concurrent writers on PostgreSQL', () => {
  let schema: PgTestSchema;
  const rosters: Roster[] = [];
  let receiver: Awaited<ReturnType<typeof listenOnLoopback>>;
  const delivered: string[] = [];

  beforeAll(async () => {
    schema = await createPgTestSchema();
    receiver = await listenOnLoopback((req, res) => {
      req.resume();
      req.on('end', () => {
        delivered.push(String(req.headers['webhook-id']));
        res.writeHead(200).end('ok');
      });
    });
    for (let i = 0; i < WRITERS; i++) {
      rosters.push(
        await createRoster({
          database: schema.url,
          webhooks: { allowPrivateTargets: true },
          jobs: { pollIntervalMs: 50, onError: (error) => console.error(error) },
        }),
      );
    }
  }, 60_000);

  afterAll(async () => {
    for (const roster of rosters) await roster.close();
    await receiver?.close();
    await schema?.drop();
  });

  it('hands every change over once, in each contact’s order, with webhooks on, a transaction committing late among them', async () => {
    const [first] = rosters as [Roster];
    const projectId = (await first.projects.ensure('p')).id;
    await first.webhooks.create(projectId, {
      url: `${receiver.url}/hooks`,
      eventTypes: ['contact.created', 'contact.updated'],
    });
    // A durable consumer of its own in every writer: one cursor, whichever process takes a batch.
    const handed: Handed[] = [];
    for (const roster of rosters) {
      roster.changes.registerConsumer('order-check', async (_trx, changes) => {
        for (const change of changes) {
          handed.push({ id: change.id, seq: change.seq, email: emailOf(change), n: nOf(change) });
        }
      });
      await roster.jobs.start();
    }
    const shared = 'shared@example.com';
    await first.contacts.upsert(projectId, { email: shared, data: { n: 0 } });

    // The late transaction: writes the shared contact and a new one, and stays open.
    const contactsOn = (trx: ContactServiceDeps['db']) =>
      createContactService({
        db: trx,
        dialect: first.dialect,
        clock: () => new Date(),
        contactIndex: contactIndexFor(first.dialect, { substringIndex: true }),
      });
    const release = deferred();
    const written = deferred();
    let lateSeq = 0;
    const late = first.db.transaction().execute(async (trx) => {
      await contactsOn(trx).upsert(projectId, { email: shared, data: { n: 1 } });
      await contactsOn(trx).create(projectId, { email: 'late@example.com', data: { n: 1 } });
      const rows = await trx.selectFrom('roster_outbox').select('seq').orderBy('seq').execute();
      lateSeq = Number(rows[rows.length - 1]!.seq);
      written.resolve();
      await release.promise;
    });
    await written.promise;
    // Waits for the late transaction's row lock, then writes after it.
    const sharedAfter = rosters[1]!.contacts.upsert(projectId, { email: shared, data: { n: 2 } });

    // Meanwhile every writer upserts every contact once per round, the rounds in order.
    for (let round = 1; round <= ROUNDS; round++) {
      await Promise.all(
        Array.from({ length: CONTACTS }, (_, i) =>
          rosters[(i + round) % WRITERS]!.contacts.upsert(projectId, {
            email: `c${i}@example.com`,
            data: { n: round },
          }),
        ),
      );
    }
    for (const roster of rosters) await roster.jobs.runOnce();
    // Nothing at or past the open transaction's seq is handed over while it is open...
    expect(handed.filter((h) => h.seq >= lateSeq)).toEqual([]);
    const committed = await first.db.selectFrom('roster_outbox').select('seq').execute();
    expect(committed.some((row) => Number(row.seq) > lateSeq)).toBe(true);

    // ...and once it commits, its events come before the ones that waited for it, none skipped.
    release.resolve();
    await late;
    await sharedAfter;
    const all = [];
    for (let after: string | undefined; ; ) {
      const page = await first.changes.list(projectId, { limit: 1000, ...(after ? { after } : {}) });
      all.push(...page.data);
      if (page.data.length < 1000) break;
      after = page.cursor!;
    }
    expect(all).toHaveLength(1 + 3 + CONTACTS * ROUNDS);
    await vi.waitFor(() => expect(handed.length).toBeGreaterThanOrEqual(all.length), {
      timeout: 60_000,
      interval: 50,
    });
    expect(handed.map((h) => h.id)).toEqual(all.map((change) => change.id)); // once each, seq order
    expect(handed.map((h) => h.seq)).toEqual([...handed.map((h) => h.seq)].sort((a, b) => a - b));
    const order = new Map<string, unknown[]>();
    for (const h of handed) order.set(h.email, [...(order.get(h.email) ?? []), h.n]);
    expect(order.get(shared)).toEqual([0, 1, 2]);
    expect(order.get('late@example.com')).toEqual([1]);
    for (let i = 0; i < CONTACTS; i++) {
      expect(order.get(`c${i}@example.com`)).toEqual(Array.from({ length: ROUNDS }, (_, r) => r + 1));
    }

    // The webhook fan-out (another consumer) delivered each event once.
    await vi.waitFor(() => expect(delivered.length).toBeGreaterThanOrEqual(all.length), {
      timeout: 60_000,
      interval: 50,
    });
    expect([...delivered].sort()).toEqual(all.map((change) => change.id).sort());
  }, 120_000);
});
