import { describeEachDialect } from '@roster/test-harness';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emptyTables, ISO, request, requestFrom, UUID } from './http-helpers.js';
import { plunkError, servePlunk, usePlunkServer } from './plunk-helpers.js';

let publicKey: string;
let otherPublicKey: string;
let now: Date;

describeEachDialect('Plunk POST /v1/track', (dialect) => {
  beforeAll(() => {
    now = new Date('2026-05-01T10:00:00.000Z');
  });
  const s = usePlunkServer(dialect, { roster: { clock: () => now }, serve: { prefix: '/api' } });
  beforeAll(async () => {
    publicKey = (await s.roster.keys.create(s.projectId, { prefix: 'pk_' })).key;
    otherPublicKey = (await s.roster.keys.create(s.otherProjectId, { prefix: 'pk_' })).key;
  });

  function track(body: unknown, init: { key?: string | null; headers?: Record<string, string> } = {}) {
    return request(`${s.base}/v1/track`, {
      method: 'POST',
      key: init.key === undefined ? publicKey : init.key,
      body,
      headers: init.headers,
    });
  }

  beforeEach(() => emptyTables(s.roster, 'roster_contacts', 'roster_idempotency_keys'));

  describe('auth', () => {
    it('refuses a secret key with 401 INVALID_API_KEY, and pk_ keys on /contacts', async () => {
      const res = await track({ event: 'signup', email: 'a@example.com' }, { key: s.key });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('INVALID_API_KEY');
      const contacts = await request(`${s.base}/contacts`, { key: publicKey });
      expect(contacts.status).toBe(401);
      expect(await s.roster.contacts.count(s.projectId)).toBe(0);
    });

    it('refuses a missing header, a lowercase scheme and an unknown public key', async () => {
      expect((await track({ event: 'e', email: 'a@example.com' }, { key: null })).status).toBe(401);
      const lower = await track(
        { event: 'e', email: 'a@example.com' },
        { key: null, headers: { authorization: `bearer ${publicKey}` } },
      );
      expect(lower.status).toBe(401);
      const unknown = await track({ event: 'e', email: 'a@example.com' }, { key: 'pk_not_a_real_key_000' });
      expect(unknown.body.error.code).toBe('INVALID_API_KEY');
    });

    it('answers CORS preflights for browsers', async () => {
      const res = await fetch(`${s.base}/v1/track`, { method: 'OPTIONS' });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-headers')).toContain('Idempotency-Key');
    });
  });

  describe('tracking', () => {
    it('creates the contact subscribed, stores the event with its full data, answers Plunk’s shape', async () => {
      const res = await track({
        event: 'purchase',
        email: ' Ada@Example.com ',
        data: { plan: 'pro', cart: { value: 42, persistent: false }, empty: '' },
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true, data: { contact: UUID, event: UUID, timestamp: ISO } });
      const contact = await s.roster.contacts.get(s.projectId, res.body.data.contact);
      expect(contact).toMatchObject({ email: 'ada@example.com', subscribed: true, data: { plan: 'pro' } });
      const events = await s.roster.events.list(s.projectId, contact.id);
      expect(events).toEqual([
        {
          id: res.body.data.event,
          projectId: s.projectId,
          contactId: contact.id,
          name: 'purchase',
          data: { plan: 'pro', cart: { value: 42, persistent: false }, empty: '' },
          createdAt: res.body.data.timestamp,
        },
      ]);
    });

    it('keeps an existing contact’s subscription unless subscribed is given, merges data, adds an event per call', async () => {
      const first = await track({
        event: 'signup',
        email: 'b@example.com',
        subscribed: false,
        data: { a: 1 },
      });
      const id = first.body.data.contact;
      expect((await s.roster.contacts.get(s.projectId, id)).subscribed).toBe(false);
      await track({ event: 'signup', email: 'b@example.com', data: { b: 2 } });
      expect(await s.roster.contacts.get(s.projectId, id)).toMatchObject({
        subscribed: false,
        data: { a: 1, b: 2 },
      });
      await track({ event: 'optin', email: 'b@example.com', subscribed: true, data: { a: null } });
      expect(await s.roster.contacts.get(s.projectId, id)).toMatchObject({
        subscribed: true,
        data: { b: 2 },
      });
      // The flip is recorded as an event of the contact, before the tracked event (as Plunk does).
      expect((await s.roster.events.list(s.projectId, id)).map((e) => e.name)).toEqual([
        'optin',
        'contact.subscribed',
        'signup',
        'signup',
      ]);
    });

    it('preserveExistingSubscription applies subscribed only to a new contact (double opt-in)', async () => {
      const unsubscribeUnlessExisting = (email: string) =>
        track({ event: 'y', email, subscribed: false, preserveExistingSubscription: true });
      const subscribedOf = async (email: string) =>
        (await s.roster.contacts.findByEmail(s.projectId, email))!.subscribed;
      await track({ event: 'x', email: 'c@example.com', subscribed: true });
      await unsubscribeUnlessExisting('c@example.com');
      expect(await subscribedOf('c@example.com')).toBe(true);
      await unsubscribeUnlessExisting('d@example.com');
      expect(await subscribedOf('d@example.com')).toBe(false);
    });

    it('refuses reserved names with 422 reserved_event and bad bodies with 422 naming the field', async () => {
      for (const event of [
        'email.open',
        'contact.subscribed',
        'contact.unsubscribed',
        'segment.vip.entry',
        'segment.vip.exit',
      ]) {
        const res = await track({ event, email: 'e@example.com' });
        expect(res.status).toBe(422);
        expect(res.body.error.code).toBe('VALIDATION_ERROR');
        expect(res.body.error.errors).toEqual([
          { field: 'event', message: expect.any(String), code: 'reserved_event' },
        ]);
      }
      expect((await track({ event: 'segment.vip.entered', email: 'e@example.com' })).status).toBe(200);
      const bad = await track({ email: 'not-an-email', data: [] });
      expect(bad.status).toBe(422);
      expect(bad.body.error.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'data',
        'email',
        'event',
      ]);
    });

    it('deletes a contact’s events with the contact', async () => {
      const res = await track({ event: 'x', email: 'f@example.com' });
      await s.roster.contacts.delete(s.projectId, res.body.data.contact);
      const left = await s.roster.db.selectFrom('roster_events').select('id').execute();
      expect(left.map((r) => r.id)).not.toContain(res.body.data.event);
    });

    it('feeds event.<name> filters (and bare names, as Plunk’s spec example)', async () => {
      now = new Date('2026-05-01T10:00:00.000Z');
      await track({ event: 'purchase', email: 'old@example.com' });
      await track({ event: 'signup', email: 'never@example.com' });
      now = new Date('2026-05-09T10:00:00.000Z');
      await track({ event: 'purchase', email: 'recent@example.com' });
      now = new Date('2026-05-10T10:00:00.000Z');
      const who = async (field: string, operator: string, value?: number) => {
        const page = await s.roster.contacts.list(s.projectId, {
          filter: {
            logic: 'AND',
            groups: [{ filters: [{ field, operator: operator as 'triggered', value, unit: 'days' }] }],
          },
        });
        return page.data.map((c) => c.email.split('@')[0]).sort();
      };
      expect(await who('event.purchase', 'triggered')).toEqual(['old', 'recent']);
      expect(await who('purchase', 'triggered')).toEqual(['old', 'recent']);
      expect(await who('event.purchase', 'notTriggered')).toEqual(['never']);
      expect(await who('event.purchase', 'triggeredWithin', 7)).toEqual(['recent']);
      expect(await who('purchase', 'triggeredOlderThan', 7)).toEqual(['old']);
      expect(await who('event.purchase', 'notTriggeredWithin', 7)).toEqual(['never', 'old']);
      expect(await who('event.purchase', 'triggeredWithin', 9)).toEqual(['old', 'recent']);
    });
  });

  describe('Idempotency-Key', () => {
    it('claims the key: a reuse is 409 with the first request’s details, never a replay', async () => {
      const headers = { 'idempotency-key': 'order-1' };
      const first = await track({ event: 'purchase', email: 'g@example.com' }, { headers });
      expect(first.status).toBe(200);
      const again = await track({ event: 'other', email: 'h@example.com' }, { headers });
      expect(again.status).toBe(409);
      expect(again.body).toEqual({
        success: false,
        error: {
          code: 'IDEMPOTENCY_KEY_REUSED',
          message: expect.any(String),
          statusCode: 409,
          requestId: expect.any(String),
          details: {
            key: 'order-1',
            originalRequest: 'POST /api/v1/track',
            originalRequestAt: ISO,
            originalStatusCode: 200,
          },
          suggestion: expect.any(String),
        },
        timestamp: ISO,
      });
      expect(await s.roster.contacts.findByEmail(s.projectId, 'h@example.com')).toBeNull();
      // Per project: another project may use the same string.
      expect(
        (await track({ event: 'purchase', email: 'g@example.com' }, { key: otherPublicKey, headers })).status,
      ).toBe(200);
    });

    it('releases the key after a 4xx so the fixed request can use it', async () => {
      const headers = { 'idempotency-key': 'retry-me' };
      expect((await track({ event: 'email.x', email: 'i@example.com' }, { headers })).status).toBe(422);
      expect((await track({ event: 'ok', email: 'i@example.com' }, { headers })).status).toBe(200);
    });

    it('answers 409 for a held key whatever the body, and releases nothing it did not claim', async () => {
      const headers = { 'idempotency-key': 'held-1' };
      expect((await track({ event: 'ok', email: 'l@example.com' }, { headers })).status).toBe(200);
      // An invalid body under a held key: 409 (the key is checked first, as Plunk does), still held.
      const invalid = await track({ event: 'email.x', email: 'm@example.com' }, { headers });
      expect(invalid.status).toBe(409);
      expect(invalid.body.error.details.originalStatusCode).toBe(200);
      const notObject = await track([1, 2], { headers });
      expect(notObject.status).toBe(409);
      expect((await track({ event: 'ok', email: 'm@example.com' }, { headers })).status).toBe(409);
      expect(await s.roster.contacts.findByEmail(s.projectId, 'm@example.com')).toBeNull();
    });

    it('concurrent requests with one key: one 200, the others 409, one event', async () => {
      const headers = { 'idempotency-key': 'burst' };
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => track({ event: 'buy', email: `n${i}@example.com` }, { headers })),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
      expect(await s.roster.contacts.count(s.projectId)).toBe(1);
      const winner = answers.find((a) => a.status === 200)!;
      expect(await s.roster.events.list(s.projectId, winner.body.data.contact)).toHaveLength(1);
    });

    it('takes over an expired key even before the cleanup job ran', async () => {
      now = new Date('2026-07-01T00:00:00.000Z');
      const headers = { 'idempotency-key': 'stale' };
      expect((await track({ event: 'x', email: 'o@example.com' }, { headers })).status).toBe(200);
      now = new Date('2026-07-02T00:00:01.000Z');
      expect((await track({ event: 'x', email: 'o@example.com' }, { headers })).status).toBe(200);
      expect((await track({ event: 'x', email: 'o@example.com' }, { headers })).status).toBe(409);
    });

    it('refuses a malformed key with 400 and does not run the request', async () => {
      const res = await track(
        { event: 'x', email: 'j@example.com' },
        { headers: { 'idempotency-key': 'é'.repeat(3) } },
      );
      expect(res.status).toBe(400);
      expect(res.body.error.errors[0].field).toBe('Idempotency-Key');
      const long = await track(
        { event: 'x', email: 'j@example.com' },
        { headers: { 'idempotency-key': 'k'.repeat(256) } },
      );
      expect(long.status).toBe(400);
      expect(await s.roster.contacts.findByEmail(s.projectId, 'j@example.com')).toBeNull();
    });

    it('expires after the TTL: the cleanup job deletes the claim and the key works again', async () => {
      now = new Date('2026-06-01T00:00:00.000Z');
      const headers = { 'idempotency-key': 'daily' };
      expect((await track({ event: 'x', email: 'k@example.com' }, { headers })).status).toBe(200);
      now = new Date('2026-06-01T23:00:00.000Z');
      await s.roster.jobs.runOnce();
      expect((await track({ event: 'x', email: 'k@example.com' }, { headers })).status).toBe(409);
      now = new Date('2026-06-02T00:00:01.000Z');
      expect(await s.roster.jobs.runOnce()).toBeGreaterThanOrEqual(1);
      const left = await s.roster.db.selectFrom('roster_idempotency_keys').select('key').execute();
      expect(left).toEqual([]);
      expect((await track({ event: 'x', email: 'k@example.com' }, { headers })).status).toBe(200);
    });
  });

  describe('limits of the public route', () => {
    it('refuses a body over 64 KiB with 413 PAYLOAD_TOO_LARGE in Plunk’s envelope, and takes one under it', async () => {
      const big = await track({ event: 'e', email: 'big@example.com', data: { note: 'x'.repeat(70_000) } });
      expect(big.status).toBe(413);
      expect(big.body).toEqual(
        plunkError('PAYLOAD_TOO_LARGE', 413, [{ field: 'body', message: 'is too large' }]),
      );
      expect(big.body.error.message).toContain('65536 bytes');
      expect(await s.roster.contacts.findByEmail(s.projectId, 'big@example.com')).toBeNull();
      const fits = await track({ event: 'e', email: 'fits@example.com', data: { note: 'x'.repeat(60_000) } });
      expect(fits.status).toBe(200);
    });

    it('rate-limits one client with 429 RATE_LIMIT_EXCEEDED and Retry-After; other clients go on', async () => {
      const limited = await servePlunk(s.roster, { trackRateLimit: { perSecond: 0.5, burst: 3 } });
      try {
        const url = `${limited.base}/v1/track`;
        const send = (from: string, n: number) =>
          requestFrom(from, url, {
            method: 'POST',
            key: publicKey,
            body: { event: 'e', email: `rate-${n}@example.com` },
          });
        for (let n = 0; n < 3; n++) {
          const ok = await send('127.0.0.1', n);
          expect(ok.status).toBe(200);
          expect(ok.headers['ratelimit-limit']).toBe('3');
          expect(ok.headers['ratelimit-remaining']).toBe(String(2 - n));
        }
        const refused = await send('127.0.0.1', 3);
        expect(refused.status).toBe(429);
        expect(refused.headers['retry-after']).toBe('2');
        expect(refused.body).toEqual({
          success: false,
          error: {
            code: 'RATE_LIMIT_EXCEEDED',
            message: expect.any(String),
            statusCode: 429,
            requestId: expect.any(String),
            details: { retryAfter: 2 },
          },
          timestamp: ISO,
        });
        expect(await s.roster.contacts.findByEmail(s.projectId, 'rate-3@example.com')).toBeNull();
        // Another client address has its own bucket.
        expect((await send('127.0.0.2', 4)).status).toBe(200);
      } finally {
        await limited.server.close();
      }
    });
  });
});
