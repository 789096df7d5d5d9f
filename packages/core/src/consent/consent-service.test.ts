// `failure(promise)`: the RosterError it rejects with.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestRoster, describeEachDialect, rosterRejection as failure } from '@roster/test-harness';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../db/schema.js';
import { createRoster, type Roster } from '../roster.js';
import { withChangeSource } from './change-source.js';
import { maskEmail } from './consent-service.js';
import { generateConsentSecret, openToken, sealToken, tokenKey, tokenKeyId } from './consent-tokens.js';

let now = Date.parse('2026-03-01T12:00:00.000Z');
const clock = () => new Date(now);

let roster: Roster;
let projectId: string;

const tokenOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);

describe('consent tokens', () => {
  it('round-trip their claims and reveal no id in their bytes', () => {
    const key = tokenKey(generateConsentSecret());
    const contactId = '0190a5b2-0000-7000-8000-000000000001';
    const topicId = '0190a5b2-0000-7000-8000-0000000000ff';
    const token = sealToken(key, { purpose: 'unsubscribe', contactId, topicId, expiresAt: null });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(token.length).toBeLessThan(110);
    expect(Buffer.from(token, 'base64url').toString('hex')).not.toContain(
      contactId.replace(/-/g, '').slice(0, 12),
    );
    expect(tokenKeyId(token)).toBe(key.keyId);
    expect(openToken(key, token)).toEqual({ purpose: 'unsubscribe', contactId, topicId, expiresAt: null });
  });

  it('refuse a token changed in one byte or sealed with another secret', () => {
    const key = tokenKey(generateConsentSecret());
    const token = sealToken(key, {
      purpose: 'confirm',
      contactId: '0190a5b2-0000-7000-8000-000000000001',
      topicId: null,
      expiresAt: 2_000_000_000,
    });
    const bytes = Buffer.from(token, 'base64url');
    bytes[bytes.length - 20]! ^= 1;
    expect(openToken(key, bytes.toString('base64url'))).toBeNull();
    expect(openToken(tokenKey(generateConsentSecret()), token)).toBeNull();
  });

  it('mask an email', () => {
    expect(maskEmail('ada@example.com')).toBe('a***@e***.com');
  });
});

describeEachDialect('consent', (dialect) => {
  beforeEach(async () => {
    now = Date.parse('2026-03-01T12:00:00.000Z');
    roster = await createTestRoster(dialect, {
      clock,
      jobs: { onError: () => {} },
      publicUrl: 'https://lists.example.com/',
    });
    projectId = (await roster.projects.ensure('p')).id;
  });
  afterEach(async () => {
    await roster.close();
  });

  it('keeps a pending contact unsubscribed and uncounted until it confirms', async () => {
    const { contact } = await roster.contacts.upsert(projectId, { email: 'ada@example.com', pending: true });
    expect(contact.subscribed).toBe(false);
    expect(await roster.contacts.count(projectId, { subscribed: true })).toBe(0);
    expect((await roster.consent.status(projectId, contact.id)).status).toBe('pending');

    const request = await roster.consent.requestConfirmation(projectId, contact.id, {
      redirectUrl: 'https://app.example.com/welcome',
    });
    expect(request.url).toBe(`https://lists.example.com/confirm/${request.token}`);
    expect(request.expiresAt).toBe('2026-03-08T12:00:00.000Z');

    const confirmed = await roster.consent.confirm(request.token, { clientAddress: '203.0.113.9' });
    expect(confirmed).toMatchObject({ changed: true, redirectUrl: 'https://app.example.com/welcome' });
    expect((await roster.contacts.get(projectId, contact.id)).subscribed).toBe(true);
    expect((await roster.consent.status(projectId, contact.id)).status).toBe('confirmed');
    expect((await roster.consent.confirm(request.token)).changed).toBe(false);

    const events = await roster.events.list(projectId, contact.id);
    expect(events.map((e) => [e.name, e.data])).toEqual([
      ['contact.confirmed', { source: 'confirmation', clientAddress: '203.0.113.9' }],
      ['contact.subscribed', { source: 'confirmation', clientAddress: '203.0.113.9' }],
      ['contact.confirmation_requested', { source: 'library', expiresAt: '2026-03-08T12:00:00.000Z' }],
    ]);
    const changes = await roster.changes.list(projectId, {
      types: ['contact.confirmation_requested', 'contact.confirmed'],
    });
    expect(changes.data.map((c) => c.type)).toEqual(['contact.confirmation_requested', 'contact.confirmed']);
  });

  it('never downgrades a confirmed contact on a write that omits the flag, nor on pending: true', async () => {
    const { contact } = await roster.contacts.upsert(projectId, { email: 'ada@example.com', pending: true });
    const { token } = await roster.consent.requestConfirmation(projectId, contact.id);
    await roster.consent.confirm(token);
    await roster.contacts.upsert(projectId, { email: 'ada@example.com', data: { plan: 'pro' } });
    await roster.events.track(projectId, { event: 'login', email: 'ada@example.com' });
    await roster.contacts.upsert(projectId, { email: 'ada@example.com', pending: true });
    expect((await roster.contacts.get(projectId, contact.id)).subscribed).toBe(true);
    expect((await roster.consent.status(projectId, contact.id)).status).toBe('confirmed');
  });

  it('refuses pending with subscribed: true, naming pending', async () => {
    const error = await failure(
      roster.contacts.create(projectId, { email: 'ada@example.com', pending: true, subscribed: true }),
    );
    expect(error.details).toMatchObject({ issues: [{ field: 'pending' }] });
  });

  it('expires a confirmation link after 7 days', async () => {
    const contact = await roster.contacts.create(projectId, { email: 'ada@example.com', pending: true });
    const { token } = await roster.consent.requestConfirmation(projectId, contact.id);
    now += 7 * 86_400_000 + 1000;
    const error = await failure(roster.consent.confirm(token));
    expect(error.code).toBe('not_found');
    expect(error.message).toMatch(/expired/);
    expect((await roster.contacts.get(projectId, contact.id)).subscribed).toBe(false);
  });

  it('refuses a redirect URL that is not http(s)', async () => {
    const contact = await roster.contacts.create(projectId, { email: 'ada@example.com', pending: true });
    const error = await failure(
      roster.consent.requestConfirmation(projectId, contact.id, { redirectUrl: 'javascript:alert(1)' }),
    );
    expect(error.details).toMatchObject({ issues: [{ field: 'redirectUrl' }] });
  });

  it('unsubscribes with a one-click link, idempotently, and answers for a deleted contact', async () => {
    const contact = await roster.contacts.create(projectId, { email: 'ada@example.com' });
    const headers = await roster.consent.unsubscribeHeaders(projectId, contact.id);
    expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(headers['List-Unsubscribe']).toMatch(
      /^<https:\/\/lists\.example\.com\/unsubscribe\/[A-Za-z0-9_-]+>$/,
    );
    const token = tokenOf(headers['List-Unsubscribe'].slice(1, -1));
    now += 400 * 86_400_000; // unsubscribe links never expire
    expect((await roster.consent.unsubscribe(token, { clientAddress: '198.51.100.7' })).found).toBe(true);
    expect((await roster.consent.unsubscribe(token)).found).toBe(true);
    expect((await roster.contacts.get(projectId, contact.id)).subscribed).toBe(false);
    const events = await roster.events.list(projectId, contact.id);
    expect(events.map((e) => [e.name, e.data])).toEqual([
      ['contact.unsubscribed', { source: 'unsubscribe_link', clientAddress: '198.51.100.7' }],
    ]);
    await roster.contacts.delete(projectId, contact.id);
    expect((await roster.consent.unsubscribe(token)).found).toBe(false);
  });

  it('unsubscribes from one topic with a topic link', async () => {
    const topic = await roster.topics.create(projectId, { name: 'News', defaultSubscription: 'opt_in' });
    const contact = await roster.contacts.create(projectId, { email: 'ada@example.com' });
    const headers = await roster.consent.unsubscribeHeaders(projectId, contact.id, { topicId: topic.id });
    await roster.consent.unsubscribe(tokenOf(headers['List-Unsubscribe'].slice(1, -1)));
    expect((await roster.contacts.get(projectId, contact.id)).subscribed).toBe(true);
    const topics = await roster.topics.contactTopics(projectId, contact.id);
    expect(topics.map((t) => t.subscription)).toEqual(['opt_out']);
    const [event] = await roster.events.list(projectId, contact.id);
    expect(event).toMatchObject({ name: 'contact.topics_changed', data: { source: 'unsubscribe_link' } });
  });

  it('refuses a confirmation link where an unsubscribe link is expected, and garbage', async () => {
    const contact = await roster.contacts.create(projectId, { email: 'ada@example.com', pending: true });
    const { token } = await roster.consent.requestConfirmation(projectId, contact.id);
    expect((await failure(roster.consent.unsubscribe(token))).code).toBe('not_found');
    expect((await failure(roster.consent.unsubscribe('x'.repeat(80)))).code).toBe('not_found');
    expect((await failure(roster.consent.confirm('nope'))).code).toBe('not_found');
  });

  it('keeps verifying the previous secret during the grace period after a rotation, then not', async () => {
    const contact = await roster.contacts.create(projectId, { email: 'ada@example.com' });
    const old = tokenOf(await roster.consent.preferencesUrl(projectId, contact.id));
    await roster.consent.rotateSecret(projectId, { overlapMs: 86_400_000 });
    const fresh = tokenOf(await roster.consent.preferencesUrl(projectId, contact.id));
    expect(tokenKeyId(fresh)).not.toBe(tokenKeyId(old));
    expect((await roster.consent.verify(old)).contactId).toBe(contact.id);
    now += 86_400_000 + 1;
    expect((await failure(roster.consent.verify(old))).code).toBe('not_found');
    expect((await roster.consent.verify(fresh)).contactId).toBe(contact.id);
  });

  it('verifies a link made by another roster on the same database (keys reloaded on a miss)', async () => {
    const contact = await roster.contacts.create(projectId, { email: 'ada@example.com' });
    const other = await createRoster({ clock, database: roster.db, publicUrl: 'https://x.example' });
    try {
      now += 10_000;
      const url = await other.consent.preferencesUrl(projectId, contact.id);
      expect((await roster.consent.verify(tokenOf(url))).projectId).toBe(projectId);
    } finally {
      await other.close();
    }
  });

  it('shows and saves preferences: masked email, public topics only, through the write path', async () => {
    await roster.consent.updateSettings(projectId, {
      displayName: 'Acme News',
      logoUrl: 'https://acme.example/l.png',
    });
    const news = await roster.topics.create(projectId, {
      name: 'News',
      defaultSubscription: 'opt_in',
      visibility: 'public',
    });
    await roster.topics.create(projectId, {
      name: 'Internal',
      defaultSubscription: 'opt_in',
      visibility: 'private',
    });
    const contact = await roster.contacts.create(projectId, { email: 'ada@example.com' });
    const token = tokenOf(await roster.consent.preferencesUrl(projectId, contact.id));
    const view = await roster.consent.preferences(token);
    expect(view).toMatchObject({
      projectName: 'Acme News',
      logoUrl: 'https://acme.example/l.png',
      maskedEmail: 'a***@e***.com',
      subscribed: true,
      topics: [{ id: news.id, name: 'News', subscribed: true }],
    });
    const saved = await withChangeSource({ source: 'ignored' }, () =>
      roster.consent.savePreferences(
        token,
        { subscribed: false, topics: [{ id: news.id, subscribed: false }] },
        { clientAddress: '192.0.2.1' },
      ),
    );
    expect(saved).toMatchObject({ subscribed: false, topics: [{ subscribed: false }] });
    const events = await roster.events.list(projectId, contact.id);
    expect(events.map((e) => [e.name, e.data?.source, e.data?.clientAddress])).toEqual([
      ['contact.topics_changed', 'preferences', '192.0.2.1'],
      ['contact.unsubscribed', 'preferences', '192.0.2.1'],
    ]);
    const internal = (await roster.topics.list(projectId)).find((t) => t.name === 'Internal')!;
    const error = await failure(
      roster.consent.savePreferences(token, {
        subscribed: true,
        topics: [{ id: internal.id, subscribed: false }],
      }),
    );
    expect(error.details).toMatchObject({ issues: [{ field: 'topics.0.id' }] });
  });

  it('records the source of API writes as the consent record', async () => {
    const contact = await roster.contacts.create(projectId, { email: 'ada@example.com' });
    await withChangeSource({ source: 'plunk', clientAddress: '192.0.2.5' }, () =>
      roster.contacts.update(projectId, contact.id, { subscribed: false }),
    );
    await roster.bulk.apply(projectId, { operation: 'subscribe', contactIds: [contact.id] });
    const events = await roster.events.list(projectId, contact.id);
    expect(events.map((e) => [e.name, e.data])).toEqual([
      ['contact.subscribed', { source: 'bulk' }],
      ['contact.unsubscribed', { source: 'plunk', clientAddress: '192.0.2.5' }],
    ]);
  });

  it('needs a publicUrl to build links', async () => {
    const bare = await createRoster({ clock, database: roster.db });
    try {
      const contact = await bare.contacts.create(projectId, { email: 'ada@example.com' });
      const error = await failure(bare.consent.unsubscribeHeaders(projectId, contact.id));
      expect(error.details).toMatchObject({ issues: [{ field: 'publicUrl' }] });
    } finally {
      await bare.close();
    }
  });
});

describe('token verification', () => {
  it('runs no database query, in a roster that did not make the links (keys loaded at start)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-consent-verify-'));
    const path = join(dir, 'roster.db');
    const maker = await createRoster({ database: path, publicUrl: 'https://lists.example.com' });
    const project = await maker.projects.ensure('p');
    const { ids } = await maker.contacts.createMany(project.id, {
      contacts: Array.from({ length: 20 }, (_, i) => ({ email: `v${i}@example.com` })),
    });
    const tokens: string[] = [];
    for (const id of ids) tokens.push(tokenOf(await maker.consent.unsubscribeUrl(project.id, id)));
    await maker.close();

    const queries: string[] = [];
    const db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: new BetterSqlite3(path) }),
      log: (event) => {
        queries.push(event.query.sql);
      },
    });
    const verifier = await createRoster({ database: db, publicUrl: 'https://lists.example.com' });
    try {
      queries.length = 0;
      for (const [i, token] of tokens.entries()) {
        expect(await verifier.consent.verify(token)).toMatchObject({
          contactId: ids[i],
          purpose: 'unsubscribe',
        });
      }
      expect(queries).toEqual([]);
      // A token naming an unknown key reloads the keys at most once per 5 seconds: not within
      // 5 seconds of the start, so forged tokens cost no query either.
      const bytes = Buffer.from(tokens[0]!, 'base64url');
      bytes[3]! ^= 1;
      for (let i = 0; i < 3; i++) {
        expect((await failure(verifier.consent.verify(bytes.toString('base64url')))).code).toBe('not_found');
      }
      expect(queries).toEqual([]);
    } finally {
      await verifier.close();
      await db.destroy();
    }
  });
});
