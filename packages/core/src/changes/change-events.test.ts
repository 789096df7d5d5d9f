import { createTestRoster, deferred, describeEachDialect, type TestDialect } from '@roster/test-harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contactIndexFor } from '../contacts/contact-index-for.js';
import { type ContactServiceDeps, createContactService } from '../contacts/contact-service.js';
import type { Contact } from '../contacts/contact-types.js';
import { uuidv7 } from '../ids.js';
import type { Roster } from '../roster.js';
import type { ChangeEvent } from './change-types.js';

const NOW = '2026-03-01T12:00:00.000Z';
const clock = () => new Date(NOW);

let roster: Roster;
let projectId: string;

/** The project's change events without their generated ids and positions (checked separately). */
async function changes(project = projectId) {
  const page = await roster.changes.list(project, { limit: 1000 });
  for (const event of page.data) {
    expect(event.id).toMatch(/^evt_[0-9a-f]{32}(_\d+)?$/);
    expect(event.projectId).toBe(project);
    expect(event.createdAt).toBe(NOW);
  }
  return page.data.map(({ type, contactId, data }) => ({ type, contactId, data }));
}

const contactBody = (contact: Contact) => ({ ...contact });

/** The contact service on an open transaction: its writes commit, or roll back, with it. */
const contactsOn = (trx: ContactServiceDeps['db']) =>
  createContactService({
    db: trx,
    dialect: roster.dialect,
    clock,
    contactIndex: contactIndexFor(roster.dialect, { substringIndex: true }),
  });

async function setup(dialect: TestDialect) {
  roster = await createTestRoster(dialect, { clock, jobs: { onError: () => {} } });
  projectId = (await roster.projects.ensure('p')).id;
}

describeEachDialect('change events of contact writes', (dialect) => {
  beforeEach(() => setup(dialect));
  afterEach(() => roster.close());

  it('create and createMany emit contact.created with the new contact', async () => {
    const ada = await roster.contacts.create(projectId, { email: 'ada@example.com', data: { plan: 'pro' } });
    const many = await roster.contacts.createMany(projectId, {
      contacts: [{ email: 'b@example.com', subscribed: false }, { email: 'ada@example.com' }],
    });
    const b = await roster.contacts.get(projectId, many.ids[0]!);
    expect(await changes()).toEqual([
      { type: 'contact.created', contactId: ada.id, data: { contact: contactBody(ada) } },
      { type: 'contact.created', contactId: b.id, data: { contact: contactBody(b) } },
    ]);
  });

  it('update emits contact.updated with the changed fields and their previous values, then the flip', async () => {
    const ada = await roster.contacts.create(projectId, {
      email: 'ada@example.com',
      data: { plan: 'free', city: 'Paris' },
    });
    const after = await roster.contacts.update(projectId, ada.id, {
      subscribed: false,
      data: { plan: 'pro' },
      firstName: 'Ada',
    });
    // Nothing changes: no event.
    await roster.contacts.update(projectId, ada.id, { data: { plan: 'pro' } });
    const [, ...rest] = await changes();
    expect(rest).toEqual([
      {
        type: 'contact.updated',
        contactId: ada.id,
        data: {
          contact: contactBody(after),
          changed: ['subscribed', 'data', 'firstName'],
          previous: { subscribed: true, data: { plan: 'free', city: 'Paris' }, firstName: null },
        },
      },
      { type: 'contact.unsubscribed', contactId: ada.id, data: { contact: contactBody(after) } },
    ]);
    // Plunk records the flip as an event of the contact (for event.contact.unsubscribed filters).
    const tracked = await roster.events.list(projectId, ada.id);
    expect(tracked.map((e) => [e.name, e.data])).toEqual([['contact.unsubscribed', { source: 'library' }]]);
  });

  it('upsert emits contact.created for a new email and contact.updated for an existing one', async () => {
    const created = await roster.contacts.upsert(projectId, { email: 'ada@example.com', data: { a: 1 } });
    const updated = await roster.contacts.upsert(projectId, {
      email: 'ADA@example.com',
      data: { b: 2 },
      subscribed: true,
    });
    expect(updated.created).toBe(false);
    expect(await changes()).toEqual([
      {
        type: 'contact.created',
        contactId: created.contact.id,
        data: { contact: contactBody(created.contact) },
      },
      {
        type: 'contact.updated',
        contactId: created.contact.id,
        data: { contact: contactBody(updated.contact), changed: ['data'], previous: { data: { a: 1 } } },
      },
    ]);
  });

  it('delete emits contact.deleted with the contact as it was', async () => {
    const ada = await roster.contacts.create(projectId, { email: 'ada@example.com' });
    await roster.contacts.delete(projectId, ada.id);
    await expect(roster.contacts.delete(projectId, ada.id)).rejects.toMatchObject({ code: 'not_found' });
    expect((await changes())[1]).toEqual({
      type: 'contact.deleted',
      contactId: ada.id,
      data: { contact: contactBody(ada) },
    });
    expect(await changes()).toHaveLength(2);
  });

  it('track records the flip before the tracked event and emits the change events', async () => {
    const { contact } = await roster.events.track(projectId, { email: 'ada@example.com', event: 'signup' });
    const again = await roster.events.track(projectId, {
      email: 'ada@example.com',
      event: 'left',
      subscribed: false,
    });
    const tracked = await roster.events.list(projectId, contact.id);
    // Newest first: the flip was recorded before the tracked event.
    expect(tracked.map((e) => e.name)).toEqual(['left', 'contact.unsubscribed', 'signup']);
    expect(await changes()).toEqual([
      { type: 'contact.created', contactId: contact.id, data: { contact: contactBody(contact) } },
      {
        type: 'contact.updated',
        contactId: contact.id,
        data: {
          contact: contactBody(again.contact),
          changed: ['subscribed'],
          previous: { subscribed: true },
        },
      },
      { type: 'contact.unsubscribed', contactId: contact.id, data: { contact: contactBody(again.contact) } },
    ]);
  });

  it('a write that fails leaves no event (a conflict, a missing audience)', async () => {
    const ada = await roster.contacts.create(projectId, { email: 'ada@example.com' });
    const bob = await roster.contacts.create(projectId, { email: 'bob@example.com' });
    await expect(
      roster.contacts.update(projectId, bob.id, { email: 'ada@example.com' }),
    ).rejects.toMatchObject({
      code: 'conflict',
    });
    await expect(roster.contacts.create(projectId, { email: 'ada@example.com' })).rejects.toMatchObject({
      code: 'conflict',
    });
    expect((await changes()).map((e) => [e.type, e.contactId])).toEqual([
      ['contact.created', ada.id],
      ['contact.created', bob.id],
    ]);
  });

  it('a rolled-back transaction leaves neither the change nor its event', async () => {
    const failure = new Error('rolled back');
    await expect(
      roster.db.transaction().execute(async (trx) => {
        await contactsOn(trx).create(projectId, { email: 'ghost@example.com' });
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await roster.contacts.count(projectId)).toBe(0);
    expect(await changes()).toEqual([]);
  });

  it('in a group-commit batch a failing write leaves no event while its neighbours keep theirs', async () => {
    const taken = await roster.contacts.create(projectId, { email: 'taken@example.com' });
    const outcomes = await Promise.allSettled([
      roster.contacts.create(projectId, { email: 'a@example.com' }),
      roster.contacts.create(projectId, { email: 'taken@example.com' }), // conflict
      roster.contacts.update(projectId, taken.id, { data: { x: 1 } }),
      roster.contacts.create(projectId, { email: 'b@example.com', audienceId: uuidv7() }), // no audience
      roster.contacts.create(projectId, { email: 'c@example.com' }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    const [a, , updated, , c] = outcomes.map((o) => (o.status === 'fulfilled' ? (o.value as Contact) : null));
    const events = (await changes()).slice(1);
    // Concurrent writes (PostgreSQL) may commit in any order.
    expect(events.map((e) => [e.type, e.contactId]).sort()).toEqual(
      [
        ['contact.created', a!.id],
        ['contact.updated', updated!.id],
        ['contact.created', c!.id],
      ].sort(),
    );
  });

  it('keeps the order of one contact’s events under concurrent updates', async () => {
    const ada = await roster.contacts.create(projectId, { email: 'ada@example.com', data: { n: 0 } });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => roster.contacts.update(projectId, ada.id, { data: { n: i + 1 } })),
    );
    const updates = (await changes()).filter((e) => e.type === 'contact.updated');
    // Each event's previous value is the value the event before it set: the outbox order is the commit order.
    let current: unknown = { n: 0 };
    for (const event of updates) {
      const data = event.data as { previous: { data: unknown }; contact: Contact };
      expect(data.previous.data).toEqual(current);
      current = data.contact.data;
    }
    expect(current).toEqual((await roster.contacts.get(projectId, ada.id)).data);
  });
});

describeEachDialect('change events of jobs, bulk operations and segments', (dialect) => {
  beforeEach(() => setup(dialect));
  afterEach(() => roster.close());

  it('an import writes one batch row per batch, expanded into per-contact events, then import.completed', async () => {
    const existing = await roster.contacts.create(projectId, { email: 'old@example.com' });
    const job = await roster.imports.enqueue(projectId, {
      file: Buffer.from('email,subscribed,plan\nnew@example.com,,pro\nold@example.com,false,\nbad,,\n'),
    });
    await roster.jobs.runOnce();
    const created = (await roster.contacts.findByEmail(projectId, 'new@example.com'))!;
    const old = (await roster.contacts.findByEmail(projectId, 'old@example.com'))!;
    expect((await changes()).slice(1)).toEqual([
      {
        type: 'contact.created',
        contactId: created.id,
        data: { jobId: job.id, contact: contactBody(created) },
      },
      {
        type: 'contact.updated',
        contactId: existing.id,
        data: { jobId: job.id, changed: ['subscribed'], previous: null, contact: contactBody(old) },
      },
      {
        type: 'import.completed',
        contactId: null,
        data: {
          jobId: job.id,
          totalRows: 3,
          successCount: 2,
          createdCount: 1,
          updatedCount: 1,
          failureCount: 1,
        },
      },
    ]);
    const rows = await roster.db.selectFrom('roster_outbox').select(['type']).orderBy('seq').execute();
    expect(rows.map((r) => r.type)).toEqual(['contact.created', 'batch', 'import.completed']);
  });

  it('a failed import emits import.failed', async () => {
    const audience = await roster.audiences.create(projectId, { name: 'gone' });
    const job = await roster.imports.enqueue(projectId, {
      file: Buffer.from('email\na@example.com\n'),
      audienceId: audience.id,
    });
    await roster.audiences.delete(projectId, audience.id);
    await roster.jobs.runOnce();
    expect((await roster.jobs.get(projectId, job.id)).status).toBe('failed');
    expect(await changes()).toEqual([
      {
        type: 'import.failed',
        contactId: null,
        data: {
          jobId: job.id,
          error: expect.stringContaining(`The audience ${audience.id} no longer exists`),
        },
      },
    ]);
  });

  it('bulk operations emit per-contact events, the flips as contact events, and bulk.completed for jobs', async () => {
    const a = await roster.contacts.create(projectId, { email: 'a@example.com' });
    const b = await roster.contacts.create(projectId, { email: 'b@example.com', subscribed: false });
    await roster.bulk.apply(projectId, { operation: 'unsubscribe', contactIds: [a.id, b.id] });
    const jobId = await roster.bulk.enqueue(projectId, 'delete', [a.id, b.id]);
    await roster.jobs.runOnce();
    const events = (await changes()).slice(2);
    const unsubscribedA = { ...a, subscribed: false };
    expect(events).toEqual([
      {
        type: 'contact.updated',
        contactId: a.id,
        // Read when listed: the contact is gone by now.
        data: { changed: ['subscribed'], previous: { subscribed: true }, contact: null },
      },
      { type: 'contact.unsubscribed', contactId: a.id, data: { contact: null } },
      { type: 'contact.deleted', contactId: a.id, data: { jobId, contact: { id: a.id, email: a.email } } },
      { type: 'contact.deleted', contactId: b.id, data: { jobId, contact: { id: b.id, email: b.email } } },
      {
        type: 'bulk.completed',
        contactId: null,
        data: {
          jobId,
          operation: 'delete',
          totalRequested: 2,
          successCount: 2,
          unchangedCount: 0,
          failureCount: 0,
        },
      },
    ]);
    expect(unsubscribedA.subscribed).toBe(false);
  });

  it('a bulk unsubscribe records contact.unsubscribed events for the flipped contacts only', async () => {
    const a = await roster.contacts.create(projectId, { email: 'a@example.com' });
    const b = await roster.contacts.create(projectId, { email: 'b@example.com', subscribed: false });
    await roster.bulk.apply(projectId, { operation: 'unsubscribe', contactIds: [a.id, b.id] });
    expect((await roster.events.list(projectId, a.id)).map((e) => e.name)).toEqual(['contact.unsubscribed']);
    expect(await roster.events.list(projectId, b.id)).toEqual([]);
    const events = (await changes()).slice(2);
    const now = await roster.contacts.get(projectId, a.id);
    expect(events).toEqual([
      {
        type: 'contact.updated',
        contactId: a.id,
        data: { changed: ['subscribed'], previous: { subscribed: true }, contact: contactBody(now) },
      },
      { type: 'contact.unsubscribed', contactId: a.id, data: { contact: contactBody(now) } },
    ]);
  });

  it('a tracked segment records segment.<slug>.entry and exit', async () => {
    const a = await roster.contacts.create(projectId, { email: 'a@example.com', data: { plan: 'pro' } });
    const segment = await roster.segments.create(projectId, {
      name: 'Pro users',
      condition: {
        logic: 'AND',
        groups: [{ filters: [{ field: 'data.plan', operator: 'equals', value: 'pro' }] }],
      },
      trackMembership: true,
    });
    await roster.segments.compute(projectId, segment.id);
    await roster.contacts.update(projectId, a.id, { data: { plan: 'free' } });
    await roster.segments.compute(projectId, segment.id);
    const events = (await changes()).filter((e) => e.type.startsWith('segment.'));
    const data = { segmentId: segment.id, segmentName: 'Pro users' };
    expect(events).toEqual([
      { type: 'segment.pro-users.entry', contactId: a.id, data },
      { type: 'segment.pro-users.exit', contactId: a.id, data },
    ]);
  });
});

describeEachDialect('change feed', (dialect) => {
  beforeEach(() => setup(dialect));
  afterEach(() => roster.close());

  it('subscribe receives the events committed after it, in order, of the types asked for', async () => {
    const received: ChangeEvent[] = [];
    const unsubscribe = roster.events.subscribe(['contact.created', 'contact.deleted'], (event) => {
      received.push(event);
    });
    const a = await roster.contacts.create(projectId, { email: 'a@example.com' });
    await roster.contacts.update(projectId, a.id, { data: { x: 1 } });
    await roster.contacts.delete(projectId, a.id);
    const b = await roster.contacts.create(projectId, { email: 'b@example.com' });
    await expect.poll(() => received.length).toBe(3);
    expect(received.map((e) => [e.type, e.contactId])).toEqual([
      ['contact.created', a.id],
      ['contact.deleted', a.id],
      ['contact.created', b.id],
    ]);
    unsubscribe();
    await roster.contacts.create(projectId, { email: 'c@example.com' });
    await roster.jobs.runOnce(); // a drain happens: the unsubscribed handler is not called
    expect(received).toHaveLength(3);
  });

  it('hands a durable consumer every event once, moving its cursor with the handler’s writes', async () => {
    const seen: string[] = [];
    let fail = true;
    roster.changes.registerConsumer('test', async (trx, events) => {
      // Written in the consumer's transaction: kept only if the cursor moves too.
      for (const event of events) {
        await trx
          .insertInto('roster_events')
          .values({
            id: uuidv7(),
            project_id: event.projectId,
            contact_id: roster.dialect.contactIdValue(event.contactId!),
            name: `seen.${event.type}`,
            data: null,
            created_at: NOW,
          })
          .execute();
      }
      if (fail) throw new Error('handler failed');
      seen.push(...events.map((e) => e.id));
    });
    const a = await roster.contacts.create(projectId, { email: 'a@example.com' });
    await roster.jobs.runOnce();
    expect(seen).toEqual([]);
    expect(await roster.events.list(projectId, a.id)).toEqual([]); // rolled back with the failure
    fail = false;
    await roster.jobs.runOnce();
    await roster.jobs.runOnce();
    const ids = (await roster.changes.list(projectId)).data.map((e) => e.id);
    expect(seen).toEqual(ids);
    expect((await roster.events.list(projectId, a.id)).map((e) => e.name)).toEqual(['seen.contact.created']);
  });

  it('prunes events older than jobs.retentionMs once every consumer has handled them', async () => {
    let time = Date.parse(NOW);
    const r = await createTestRoster(dialect, {
      clock: () => new Date(time),
      jobs: { onError: () => {}, retentionMs: 1000 },
    });
    try {
      const p = (await r.projects.ensure('p')).id;
      const seen: string[] = [];
      r.changes.registerConsumer('prune', async (_trx, events) => {
        seen.push(...events.map((e) => e.id));
      });
      await r.contacts.create(p, { email: 'a@example.com' });
      await r.jobs.runOnce(); // handled
      await r.contacts.create(p, { email: 'b@example.com' }); // not handled yet
      time += 5000;
      await r.contacts.create(p, { email: 'c@example.com' }); // too recent
      await r.jobs.cleanup();
      const left = (await r.changes.list(p)).data.map((e) => (e.data.contact as Contact).email);
      expect(left).toEqual(['b@example.com', 'c@example.com']);
      await r.jobs.runOnce();
      expect(seen).toHaveLength(3);
      await r.jobs.cleanup();
      expect((await r.changes.list(p)).data.map((e) => (e.data.contact as Contact).email)).toEqual([
        'c@example.com',
      ]);
    } finally {
      await r.close();
    }
  });

  it('passes over the events of projects a consumer does not need, without handing them over', async () => {
    const other = (await roster.projects.ensure('other')).id;
    const seen: string[] = [];
    roster.changes.registerConsumer(
      'one-project',
      async (_trx, events) => {
        seen.push(...events.map((e) => (e.data.contact as Contact).email));
      },
      { projects: async () => new Set([projectId]) },
    );
    await roster.contacts.create(other, { email: 'skipped@example.com' });
    await roster.contacts.create(projectId, { email: 'kept@example.com' });
    await roster.bulk.apply(other, {
      operation: 'unsubscribe',
      contactIds: [(await roster.contacts.findByEmail(other, 'skipped@example.com'))!.id],
    });
    await roster.jobs.runOnce();
    await roster.jobs.runOnce();
    expect(seen).toEqual(['kept@example.com']);
  });

  it('lists a project’s events in pages', async () => {
    for (const email of ['a@example.com', 'b@example.com', 'c@example.com']) {
      await roster.contacts.create(projectId, { email });
    }
    const other = (await roster.projects.ensure('other')).id;
    await roster.contacts.create(other, { email: 'z@example.com' });
    const first = await roster.changes.list(projectId, { limit: 2 });
    const second = await roster.changes.list(projectId, { after: first.cursor!, limit: 2 });
    expect(first.data).toHaveLength(2);
    expect(second.data).toHaveLength(1);
    expect([...first.data, ...second.data].map((e) => (e.data.contact as Contact).email)).toEqual([
      'a@example.com',
      'b@example.com',
      'c@example.com',
    ]);
    expect((await roster.changes.list(projectId, { types: ['contact.deleted'] })).data).toEqual([]);
    await expect(roster.changes.list(projectId, { after: 'evt_nope' })).rejects.toMatchObject({
      code: 'invalid_cursor',
      message: 'Invalid cursor: it does not point at a change event',
      details: { issues: [{ field: 'after', message: 'is not a valid cursor' }] },
    });
  });
});

describeEachDialect('outbox appends on PostgreSQL', (dialect) => {
  beforeEach(() => setup(dialect));
  afterEach(() => roster.close());

  it.runIf(dialect === 'postgres')(
    'never lets a reader skip an event whose transaction commits late, and does not make later writers wait for it',
    async () => {
      const seen: string[] = [];
      roster.changes.registerConsumer('late', async (_trx, events) => {
        seen.push(...events.map((e) => (e.data.contact as Contact).email));
      });
      // T1 appends first (the lower seq) and stays open.
      const releaseT1 = deferred();
      const t1Appended = deferred();
      const t1 = roster.db.transaction().execute(async (trx) => {
        await contactsOn(trx).create(projectId, { email: 'first@example.com' });
        t1Appended.resolve();
        await releaseT1.promise;
      });
      await t1Appended.promise;
      // T2 appends later (a higher seq) and commits first: nothing makes it wait for T1.
      await roster.contacts.create(projectId, { email: 'second@example.com' });
      const seqs = await roster.db.selectFrom('roster_outbox').select('seq').orderBy('seq').execute();
      expect(seqs).toHaveLength(1); // T2's row; T1's is not visible yet
      await roster.jobs.runOnce(); // T2's event waits behind T1's: the cursor does not pass T1's seq
      expect(seen).toEqual([]);
      expect((await roster.changes.list(projectId)).data).toEqual([]);
      releaseT1.resolve();
      await t1;
      await roster.jobs.runOnce();
      expect(seen).toEqual(['first@example.com', 'second@example.com']);
      expect(
        (await roster.changes.list(projectId)).data.map((e) => (e.data.contact as Contact).email),
      ).toEqual(['first@example.com', 'second@example.com']);
    },
  );
});

describe('change feed across restarts (SQLite file)', () => {
  it('resumes a durable consumer from its cursor: nothing lost, nothing handed over twice', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'roster-outbox-'));
    const path = join(dir, 'roster.db');
    const seen: string[] = [];
    const open = async () => {
      const r = await createTestRoster('sqlite', { sqlitePath: path, clock });
      r.changes.registerConsumer('restart', async (_trx, events) => {
        seen.push(...events.map((e) => (e.data.contact as Contact).email));
      });
      return r;
    };
    try {
      let r = await open();
      const p = (await r.projects.ensure('p')).id;
      await r.contacts.create(p, { email: 'a@example.com' });
      await r.jobs.runOnce();
      await r.contacts.create(p, { email: 'b@example.com' });
      await r.close(); // b not dispatched yet
      r = await open();
      await r.contacts.create(p, { email: 'c@example.com' });
      await r.jobs.runOnce();
      await r.jobs.runOnce();
      await r.close();
      expect(seen).toEqual(['a@example.com', 'b@example.com', 'c@example.com']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
