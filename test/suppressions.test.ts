import { createHmac, randomBytes } from 'node:crypto';
import type { Roster } from '@roster/core';
import { type RunningServer, startServer } from '@roster/server';
import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import { Resend } from 'resend';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

/**
 * Suppressions over HTTP, on `roster serve`'s app: no write path of any dialect subscribes a
 * suppressed address (each answer says so), roster's management routes, Resend's suppression
 * routes through its SDK, and the bounce webhooks (signed and forged).
 */
const BLOCKED = 'blocked@example.com';

describeEachDialect('suppressions over HTTP', (dialect) => {
  let roster: Roster;
  let server: RunningServer;
  let projectId: string;
  let sk: string;
  let pk: string;
  let re: string;
  const unexpected: unknown[] = [];

  async function call(
    method: string,
    path: string,
    key: string | null,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body === undefined || typeof body === 'string' ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
  const subscribed = async (email: string) =>
    (await roster.contacts.findByEmail(projectId, email))?.subscribed;

  beforeAll(async () => {
    roster = await createTestRoster(dialect);
    projectId = (await roster.projects.ensure('main')).id;
    sk = (await roster.keys.create(projectId)).key;
    pk = (await roster.keys.create(projectId, { prefix: 'pk_' })).key;
    re = (await roster.keys.create(projectId, { prefix: 're_' })).key;
    server = await startServer({ roster, port: 0, host: '127.0.0.1', onError: (e) => unexpected.push(e) });
  });
  afterAll(async () => {
    await server?.close();
    await roster?.close();
    expect(unexpected).toEqual([]);
  });
  beforeEach(async () => {
    for (const table of ['roster_contacts', 'roster_suppressions'] as const)
      await roster.db.deleteFrom(table).execute();
    await roster.suppressions.add(projectId, { email: BLOCKED });
  });

  describe('every write path leaves a suppressed address unsubscribed and says so', () => {
    it('Plunk POST /contacts and PATCH /contacts/:id (_meta.suppressed)', async () => {
      const created = await call('POST', '/contacts', sk, {
        email: BLOCKED,
        subscribed: true,
        data: { plan: 'pro' },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        subscribed: false,
        data: { plan: 'pro' },
        _meta: { isNew: true, suppressed: true },
      });
      const patched = await call('PATCH', `/contacts/${created.body.id}`, sk, { subscribed: true });
      expect(patched.body).toMatchObject({ subscribed: false, _meta: { suppressed: true } });
      const free = await call('POST', '/contacts', sk, { email: 'free@example.com' });
      expect(free.body._meta).toEqual({ isNew: true, isUpdate: false });
    });

    it('Plunk POST /v1/track (data.suppressed)', async () => {
      const tracked = await call('POST', '/v1/track', pk, {
        event: 'signup',
        email: BLOCKED,
        subscribed: true,
      });
      expect(tracked.status).toBe(200);
      expect(tracked.body.data.suppressed).toBe(true);
      expect(await subscribed(BLOCKED)).toBe(false);
    });

    it('Unosend POST /v1/contacts, bulk create and bulk subscribe (suppressed)', async () => {
      const created = await call('POST', '/v1/contacts', sk, { email: BLOCKED, first_name: 'Bo' });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ subscribed: false, first_name: 'Bo', suppressed: true });
      await roster.contacts.delete(projectId, created.body.id);
      const bulk = await call('POST', '/v1/contacts/bulk', sk, {
        contacts: [{ email: BLOCKED }, { email: 'free@example.com' }],
      });
      expect(bulk.body).toMatchObject({ created: 2, suppressed: [BLOCKED] });
      const id = (await roster.contacts.findByEmail(projectId, BLOCKED))!.id;
      const sub = await call('POST', '/v1/contacts/bulk', sk, { operation: 'subscribe', contact_ids: [id] });
      expect(sub.body).toMatchObject({ operation: 'subscribe', suppressed: 1 });
      expect(await subscribed(BLOCKED)).toBe(false);
    });

    it('Resend POST and PATCH /resend/contacts (suppressed)', async () => {
      const created = await call('POST', '/resend/contacts', re, { email: BLOCKED, unsubscribed: false });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ object: 'contact', id: expect.any(String), suppressed: true });
      const patched = await call('PATCH', `/resend/contacts/${BLOCKED}`, re, { unsubscribed: false });
      expect(patched.body).toEqual({ object: 'contact', id: created.body.id, suppressed: true });
      expect(await subscribed(BLOCKED)).toBe(false);
    });

    it('CSV import through /roster/imports (rows.suppressed)', async () => {
      const form = new FormData();
      form.set(
        'file',
        new Blob([`email,subscribed\n${BLOCKED},true\nfree@example.com,true\n`]),
        'people.csv',
      );
      const queued = await fetch(`${server.url}/roster/imports`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sk}` },
        body: form,
      });
      const job = (await queued.json()) as { id: string };
      await roster.jobs.runOnce();
      const done = await call('GET', `/roster/imports/${job.id}`, sk);
      expect(done.body.rows).toEqual({ total: 2, created: 2, updated: 0, failed: 0, suppressed: 1 });
      expect(await subscribed(BLOCKED)).toBe(false);
      expect(await subscribed('free@example.com')).toBe(true);
    });
  });

  describe('roster’s management routes', () => {
    it('adds, reads, lists and removes suppressions, and refuses bad input with a 400 naming the field', async () => {
      await roster.contacts.upsert(projectId, { email: 'later@example.com' });
      const added = await call('POST', '/roster/suppressions', sk, {
        email: 'later@example.com',
        reason: 'phone',
      });
      expect(added.status).toBe(201);
      expect(added.body).toMatchObject({
        created: true,
        unsubscribed: true,
        suppression: { email: 'later@example.com', origin: 'manual' },
      });
      expect((await call('POST', '/roster/suppressions', sk, { email: 'later@example.com' })).status).toBe(
        200,
      );
      expect((await call('GET', '/roster/suppressions/later@example.com', sk)).body.id).toBe(
        added.body.suppression.id,
      );
      const page = await call('GET', '/roster/suppressions?origin=manual&limit=1', sk);
      expect(page.body).toMatchObject({ data: [{ email: 'later@example.com' }], hasMore: true });
      expect((await call('DELETE', `/roster/suppressions/${added.body.suppression.id}`, sk)).status).toBe(
        204,
      );
      expect((await call('GET', '/roster/suppressions/later@example.com', sk)).status).toBe(404);
      const bad = await call('POST', '/roster/suppressions', sk, { email: 'nope' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.errors).toEqual([{ field: 'email', message: 'must be a valid email address' }]);
      expect((await call('GET', '/roster/suppressions', null)).status).toBe(401);
    });

    it('exports and erases personal data', async () => {
      await roster.contacts.upsert(projectId, { email: 'ada@example.com', firstName: 'Ada' });
      const exported = await call('POST', '/roster/personal-data/export', sk, { email: 'ADA@example.com' });
      expect(exported.body).toMatchObject({ email: 'ada@example.com', contact: { firstName: 'Ada' } });
      const erased = await call('POST', '/roster/personal-data/erase', sk, { email: 'ada@example.com' });
      expect(erased.body).toMatchObject({
        contactDeleted: true,
        suppression: { origin: 'erasure', email: null },
      });
      expect(await roster.contacts.findByEmail(projectId, 'ada@example.com')).toBeNull();
      expect((await call('POST', '/roster/personal-data/erase', sk, {})).status).toBe(400);
    });
  });

  it('serves Resend’s suppression routes to its SDK', async () => {
    const resend = new Resend(re, { baseUrl: `${server.url}/resend` });
    const added = await resend.suppressions.add({ email: 'sdk@example.com' });
    expect(added.data).toEqual({ object: 'suppression', id: expect.any(String) });
    const got = await resend.suppressions.get('sdk@example.com');
    expect(got.data).toMatchObject({
      object: 'suppression',
      id: added.data!.id,
      email: 'sdk@example.com',
      origin: 'manual',
      source_id: null,
    });
    const list = await resend.suppressions.list({ limit: 10 });
    expect(list.data).toMatchObject({ object: 'list', has_more: false });
    expect(list.data!.data.map((s) => s.email).sort()).toEqual([BLOCKED, 'sdk@example.com']);
    const batch = await resend.suppressions.batch.add({ emails: ['b1@example.com', 'b2@example.com'] });
    expect(batch.data!.data).toHaveLength(2);
    const removed = await resend.suppressions.batch.remove({
      emails: ['b1@example.com', 'none@example.com'],
    });
    expect(removed.data!.data.map((r) => r.deleted)).toEqual([true, false]);
    expect((await resend.suppressions.remove(added.data!.id)).data).toEqual({
      object: 'suppression',
      id: added.data!.id,
      deleted: true,
    });
    expect((await resend.suppressions.get('sdk@example.com')).error).toMatchObject({ statusCode: 404 });
  });

  describe('bounce webhooks at /inbound', () => {
    it('Resend: a correctly signed hard bounce suppresses; a forged one is a 401', async () => {
      const secret = `whsec_${randomBytes(24).toString('base64')}`;
      expect((await call('PUT', '/roster/inbound-settings', sk, { resendSecret: secret })).body).toEqual({
        resend: true,
        postmarkUser: null,
      });
      const body = JSON.stringify({
        type: 'email.bounced',
        created_at: 'x',
        data: { to: ['hard@example.com'], bounce: { type: 'Permanent' } },
      });
      const sign = (key: string) => {
        const id = 'msg_1';
        const ts = String(Math.floor(Date.now() / 1000));
        const mac = createHmac('sha256', Buffer.from(key.slice(6), 'base64'))
          .update(`${id}.${ts}.${body}`)
          .digest('base64');
        return {
          'svix-id': id,
          'svix-timestamp': ts,
          'svix-signature': `v1,${mac}`,
          'content-type': 'application/json',
        };
      };
      const forged = await call(
        'POST',
        `/inbound/resend/${projectId}`,
        null,
        body,
        sign(`whsec_${randomBytes(24).toString('base64')}`),
      );
      expect(forged.status).toBe(401);
      expect(await roster.suppressions.check(projectId, 'hard@example.com')).toBeNull();
      const ok = await call('POST', `/inbound/resend/${projectId}`, null, body, sign(secret));
      expect(ok).toEqual({ status: 200, body: { suppressed: ['hard@example.com'] } });
      expect((await roster.suppressions.check(projectId, 'hard@example.com'))?.origin).toBe('bounce');
    });

    it('Postmark: basic auth checked; a SpamComplaint suppresses', async () => {
      await call('PUT', '/roster/inbound-settings', sk, { postmark: { username: 'pm', password: 'pw-123' } });
      const body = JSON.stringify({
        RecordType: 'SpamComplaint',
        Type: 'SpamComplaint',
        TypeCode: 512,
        Email: 'spam@example.com',
      });
      const auth = (p: string) => ({
        authorization: `Basic ${Buffer.from(`pm:${p}`).toString('base64')}`,
        'content-type': 'application/json',
      });
      expect((await call('POST', `/inbound/postmark/${projectId}`, null, body, auth('wrong'))).status).toBe(
        401,
      );
      expect((await call('POST', `/inbound/postmark/${projectId}`, null, body, auth('pw-123'))).body).toEqual(
        { suppressed: ['spam@example.com'] },
      );
      expect(
        (await call('POST', `/inbound/postmark/${projectId}`, null, 'not json', auth('pw-123'))).status,
      ).toBe(400);
      expect((await call('POST', '/inbound/postmark/not-a-uuid', null, body, auth('pw-123'))).status).toBe(
        404,
      );
    });
  });
});
