import { createHmac, randomBytes } from 'node:crypto';
import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import express from 'express';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createInboundRouter, createResendRouter } from '../src/index.js';
import { closeServed, type Listening, listen, request, twoProjects } from './http-helpers.js';

/**
 * The suppression writes outside the management API are audited as it audits them: Resend's
 * `/suppressions` routes (actor: the key) and the bounce webhooks (actor: the provider). An entry
 * names the suppression by id, never by address.
 */
describeEachDialect('audit of Resend suppressions and bounce webhooks', (dialect) => {
  let roster: Awaited<ReturnType<typeof createTestRoster>>;
  let server: Listening;
  let projectId: string;
  let key: string;
  let keyId: string;
  const unexpected: unknown[] = [];

  beforeEach(async () => {
    roster = await createTestRoster(dialect);
    ({ projectId, key } = await twoProjects(roster, { prefix: 're_' }));
    keyId = (await roster.keys.list(projectId))[0]!.id;
    const app = express();
    app.use('/resend', createResendRouter(roster, { onError: (e) => unexpected.push(e) }));
    app.use('/inbound', createInboundRouter(roster, { onError: (e) => unexpected.push(e) }));
    server = await listen(app);
  });

  afterEach(async () => {
    await closeServed(server, roster);
    expect(unexpected).toEqual([]);
  });

  const audit = async () =>
    (await roster.audit.list(projectId, { limit: 100 })).data
      .reverse()
      .map((e) => [e.actor, e.action, e.target, e.detail]);

  const idOf = async (email: string) => (await roster.suppressions.check(projectId, email))!.id;

  it('Resend POST, batch add, DELETE and batch remove write audit entries without the address', async () => {
    const resend = (method: string, path: string, body?: unknown) =>
      request(`${server.url}/resend${path}`, { method, key, body });
    expect((await resend('POST', '/suppressions', { email: 'one@example.com' })).status).toBe(201);
    const one = await idOf('one@example.com');
    // Listed already: nothing added, nothing audited.
    await resend('POST', '/suppressions', { email: 'one@example.com' });
    const batch = await resend('POST', '/suppressions/batch/add', {
      emails: ['two@example.com', 'one@example.com'],
    });
    expect(batch.status).toBe(201);
    const two = await idOf('two@example.com');
    expect((await resend('DELETE', '/suppressions/one@example.com')).status).toBe(200);
    const removed = await resend('POST', '/suppressions/batch/remove', {
      emails: ['two@example.com', 'nobody@example.com'],
    });
    expect(removed.body.data.map((d: { deleted: boolean }) => d.deleted)).toEqual([true, false]);
    const actor = `key:${keyId}`;
    expect(await audit()).toEqual([
      [actor, 'suppression.added', one, { origin: 'manual' }],
      [actor, 'suppression.added', two, { origin: 'manual' }],
      [actor, 'suppression.removed', one, null],
      [actor, 'suppression.removed', two, null],
    ]);
    expect(JSON.stringify(await roster.audit.list(projectId, { limit: 100 }))).not.toContain('example.com');
  });

  it('a Resend or Postmark bounce webhook writes an entry per added suppression, the provider acting', async () => {
    const key = randomBytes(24);
    const secret = `whsec_${key.toString('base64')}`;
    await roster.suppressions.configureInbound(projectId, {
      resendSecret: secret,
      postmark: { username: 'pm', password: 'pw-0123456789' },
    });
    const body = JSON.stringify({
      type: 'email.bounced',
      created_at: '2026-12-07T10:00:00.000Z',
      data: { to: ['bounced@example.com'], bounce: { type: 'Permanent' } },
    });
    const id = 'msg_1';
    const ts = String(Math.floor(Date.now() / 1000));
    const signature = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
    const headers = { 'svix-id': id, 'svix-timestamp': ts, 'svix-signature': `v1,${signature}` };
    const resendCall = () =>
      request(`${server.url}/inbound/resend/${projectId}`, { method: 'POST', body, headers });
    expect((await resendCall()).body).toEqual({ suppressed: ['bounced@example.com'] });
    // The provider's retry adds nothing: no second entry.
    expect((await resendCall()).status).toBe(200);
    const complaint = await request(`${server.url}/inbound/postmark/${projectId}`, {
      method: 'POST',
      body: { RecordType: 'SpamComplaint', Email: 'angry@example.com' },
      headers: { authorization: `Basic ${Buffer.from('pm:pw-0123456789').toString('base64')}` },
    });
    expect(complaint.body).toEqual({ suppressed: ['angry@example.com'] });
    expect(await audit()).toEqual([
      ['resend', 'suppression.added', await idOf('bounced@example.com'), { origin: 'bounce' }],
      ['postmark', 'suppression.added', await idOf('angry@example.com'), { origin: 'complaint' }],
    ]);
  });
});
