import { describeEachDialect, eachMainAndOtherProject, rosterRejection } from '@roster/test-harness';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { Roster } from '../roster.js';
import { generateWebhookSecret } from '../webhooks/webhook-signing.js';

let roster: Roster;
let projectId: string;
let otherProjectId: string;

/** Signs as Resend does (Svix headers, Standard Webhooks scheme). */
function resendHeaders(secret: string, body: string, at = new Date()): Record<string, string> {
  const id = `msg_${Math.random().toString(36).slice(2)}`;
  const signature = new Webhook(secret).sign(id, at, body);
  return {
    'svix-id': id,
    'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
    'svix-signature': signature,
  };
}

function bounced(to: string, type = 'Permanent') {
  return JSON.stringify({
    type: 'email.bounced',
    created_at: '2026-12-07T10:00:00.000Z',
    data: {
      email_id: 'e1',
      to: [to],
      subject: 'Hi',
      bounce: { message: 'No such user', subType: 'General', type },
    },
  });
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describeEachDialect('bounce and complaint webhooks', (dialect) => {
  eachMainAndOtherProject(dialect, (t) => ({ roster, projectId, otherProjectId } = t));

  describe('Resend', () => {
    it('suppresses a hard bounce and a complaint signed with the project’s secret, and unsubscribes the contact', async () => {
      const secret = generateWebhookSecret();
      expect(await roster.suppressions.configureInbound(projectId, { resendSecret: secret })).toEqual({
        resend: true,
        postmarkUser: null,
      });
      await roster.contacts.upsert(projectId, { email: 'gone@example.com' });
      const body = bounced('Gone@Example.com');
      const result = await roster.suppressions.inbound.resend(projectId, resendHeaders(secret, body), body);
      const entry = await roster.suppressions.check(projectId, 'gone@example.com');
      expect(result).toEqual({
        status: 'handled',
        suppressed: ['gone@example.com'],
        added: [{ id: entry!.id, origin: 'bounce' }],
      });
      // A repeat of the event keeps the entry: nothing added.
      expect(await roster.suppressions.inbound.resend(projectId, resendHeaders(secret, body), body)).toEqual({
        status: 'handled',
        suppressed: ['gone@example.com'],
        added: [],
      });
      expect(entry).toMatchObject({
        origin: 'bounce',
        reason: 'Resend: email.bounced (Permanent/General)',
      });
      expect((await roster.contacts.findByEmail(projectId, 'gone@example.com'))?.subscribed).toBe(false);
      const complaint = JSON.stringify({
        type: 'email.complained',
        created_at: 'x',
        data: { to: ['angry@example.com'] },
      });
      await roster.suppressions.inbound.resend(projectId, resendHeaders(secret, complaint), complaint);
      expect((await roster.suppressions.check(projectId, 'angry@example.com'))?.origin).toBe('complaint');
    });

    it('ignores soft bounces and other events', async () => {
      const secret = generateWebhookSecret();
      await roster.suppressions.configureInbound(projectId, { resendSecret: secret });
      const soft = bounced('soft@example.com', 'Transient');
      expect(
        await roster.suppressions.inbound.resend(projectId, resendHeaders(secret, soft), soft),
      ).toMatchObject({
        status: 'handled',
        suppressed: [],
      });
      const opened = JSON.stringify({
        type: 'email.opened',
        created_at: 'x',
        data: { to: ['o@example.com'] },
      });
      expect(
        (await roster.suppressions.inbound.resend(projectId, resendHeaders(secret, opened), opened)).status,
      ).toBe('handled');
      expect((await roster.suppressions.list(projectId)).data).toEqual([]);
    });

    it('refuses forged, stale, unconfigured and other projects’ requests', async () => {
      const secret = generateWebhookSecret();
      await roster.suppressions.configureInbound(projectId, { resendSecret: secret });
      const body = bounced('victim@example.com');
      const forged = resendHeaders(generateWebhookSecret(), body);
      expect(await roster.suppressions.inbound.resend(projectId, forged, body)).toEqual({
        status: 'unauthorized',
        reason: 'Invalid webhook signature',
      });
      const tampered = resendHeaders(secret, body);
      expect(
        (await roster.suppressions.inbound.resend(projectId, tampered, bounced('other@example.com'))).status,
      ).toBe('unauthorized');
      const stale = resendHeaders(secret, body, new Date(Date.now() - 10 * 60_000));
      expect((await roster.suppressions.inbound.resend(projectId, stale, body)).status).toBe('unauthorized');
      expect(
        (await roster.suppressions.inbound.resend(otherProjectId, resendHeaders(secret, body), body)).status,
      ).toBe('unauthorized');
      expect((await roster.suppressions.list(projectId)).data).toEqual([]);
    });

    it('refuses a secret that is not whsec_ base64, naming the field', async () => {
      const error = await rosterRejection(
        roster.suppressions.configureInbound(projectId, { resendSecret: 'nope' }),
      );
      expect(error.details.issues?.[0]?.field).toBe('resendSecret');
    });
  });

  describe('Postmark', () => {
    it('suppresses a HardBounce and a SpamComplaint with the right basic auth, ignores soft bounces', async () => {
      await roster.suppressions.configureInbound(projectId, {
        postmark: { username: 'pm', password: 's3cret' },
      });
      const auth = basic('pm', 's3cret');
      const hard = JSON.stringify({
        RecordType: 'Bounce',
        Type: 'HardBounce',
        TypeCode: 1,
        Email: 'hard@example.com',
        Description: 'Unknown user',
      });
      expect(await roster.suppressions.inbound.postmark(projectId, auth, hard)).toEqual({
        status: 'handled',
        suppressed: ['hard@example.com'],
        added: [
          { id: (await roster.suppressions.check(projectId, 'hard@example.com'))!.id, origin: 'bounce' },
        ],
      });
      const soft = JSON.stringify({
        RecordType: 'Bounce',
        Type: 'SoftBounce',
        TypeCode: 4096,
        Email: 'soft@example.com',
      });
      expect((await roster.suppressions.inbound.postmark(projectId, auth, soft)).status).toBe('handled');
      const spam = JSON.stringify({
        RecordType: 'SpamComplaint',
        Type: 'SpamComplaint',
        TypeCode: 512,
        Email: 'spam@example.com',
      });
      await roster.suppressions.inbound.postmark(projectId, auth, spam);
      const listed = (await roster.suppressions.list(projectId)).data.map((s) => [s.email, s.origin]);
      expect(listed).toEqual([
        ['spam@example.com', 'complaint'],
        ['hard@example.com', 'bounce'],
      ]);
    });

    it('refuses wrong credentials and unconfigured projects', async () => {
      await roster.suppressions.configureInbound(projectId, {
        postmark: { username: 'pm', password: 's3cret' },
      });
      const hard = JSON.stringify({
        RecordType: 'Bounce',
        Type: 'HardBounce',
        TypeCode: 1,
        Email: 'hard@example.com',
      });
      expect((await roster.suppressions.inbound.postmark(projectId, basic('pm', 'wrong'), hard)).status).toBe(
        'unauthorized',
      );
      expect((await roster.suppressions.inbound.postmark(projectId, undefined, hard)).status).toBe(
        'unauthorized',
      );
      expect(
        (await roster.suppressions.inbound.postmark(otherProjectId, basic('pm', 's3cret'), hard)).status,
      ).toBe('unauthorized');
      expect((await roster.suppressions.list(projectId)).data).toEqual([]);
    });
  });
});
