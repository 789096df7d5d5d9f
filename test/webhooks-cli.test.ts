import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRoster, startWebhookReceiver } from '@roster/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../packages/server/test/cli-helpers.js';

// Each CLI process starts Node and the TypeScript loader: slow on a loaded 2-core machine.
vi.setConfig({ testTimeout: 120_000 });

let dir: string;
let db: string;
const cleanups: (() => Promise<void>)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'roster-webhooks-cli-'));
  db = join(dir, 'roster.db');
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('roster webhooks (CLI)', () => {
  it('adds an endpoint, sends it a signed test event, lists deliveries, and removes it', async () => {
    const receiver = await startWebhookReceiver();
    cleanups.push(() => receiver.close());
    const refused = await runCli([
      'webhooks',
      'add',
      '--db',
      db,
      '--url',
      receiver.url,
      '--events',
      'contact.created',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('url: must not point to a loopback address');

    const added = await runCli([
      'webhooks',
      'add',
      '--db',
      db,
      '--url',
      receiver.url,
      '--events',
      'contact.created, contact.deleted',
      '--description',
      'CRM',
      '--allow-private-webhook-targets',
      '--json',
    ]);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const lines = added.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const { id, secret } = JSON.parse(lines[0]!) as { id: string; secret: string };
    expect(JSON.parse(lines[0]!)).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      secret: expect.stringMatching(/^whsec_/),
    });
    receiver.setSecrets([secret]);

    const listed = await runCli(['webhooks', 'list', '--db', db, '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({
        id,
        url: receiver.url,
        eventTypes: ['contact.created', 'contact.deleted'],
        enabled: true,
      }),
    ]);
    expect(listed.stdout).not.toContain(secret);

    const tested = await runCli(['webhooks', 'test', id, '--db', db], { ROSTER_WEBHOOKS_ALLOW_PRIVATE: '1' });
    expect(tested.stderr).toBe('');
    expect(tested.code).toBe(0);
    expect(tested.stdout).toMatch(/^webhook-id evt_[0-9a-f]{32}: HTTP 200 in \d+ ms\n$/);
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]).toMatchObject({ verified: true, type: 'webhook.test', status: 200 });

    // Without the allow flag the test event is refused before any connection.
    const blocked = await runCli(['webhooks', 'test', id, '--db', db]);
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toContain('refused: ');
    expect(receiver.received).toHaveLength(1);

    const deliveries = await runCli(['webhooks', 'deliveries', id, '--db', db, '--json']);
    expect(deliveries.code).toBe(0);
    expect(
      (JSON.parse(deliveries.stdout) as { status: string; eventType: string }[]).map((d) => [
        d.eventType,
        d.status,
      ]),
    ).toEqual([
      ['webhook.test', 'failed'],
      ['webhook.test', 'succeeded'],
    ]);

    const removed = await runCli(['webhooks', 'remove', id, '--db', db]);
    expect(removed).toMatchObject({ code: 0, stdout: `Removed webhook ${id}\n` });
    const again = await runCli(['webhooks', 'remove', id, '--db', db]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('roster: Webhook endpoint not found\n');
  });

  it('refuses unknown flags and bad event types, and prints help', async () => {
    const bogus = await runCli(['webhooks', 'list', '--db', db, '--bogus']);
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toContain("unknown option '--bogus'");
    const badType = await runCli([
      'webhooks',
      'add',
      '--db',
      db,
      '--url',
      'https://example.com/',
      '--events',
      'contact.exploded',
    ]);
    expect(badType.code).toBe(1);
    expect(badType.stderr).toContain('eventTypes.0: unknown event type "contact.exploded"');
    const missing = await runCli(['webhooks', 'add', '--db', db, '--events', 'contact.created']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("required option '--url <url>' not specified");
    const help = await runCli(['webhooks', '--help']);
    expect(help.code).toBe(0);
    for (const command of [
      'add',
      'list',
      'remove',
      'test',
      'deliveries',
      'replay',
      'enable',
      'disable',
      'rotate-secret',
    ])
      expect(help.stdout).toContain(command);
  });
});

describe('@roster/testing webhookReceiver()', () => {
  it('receives verified events sent through the management API, and fails on request', async () => {
    const roster = await startRoster();
    cleanups.push(() => roster.close());
    const receiver = await roster.webhookReceiver({ eventTypes: ['contact.created'] });
    expect(receiver.endpoint).toMatchObject({
      url: receiver.url,
      eventTypes: ['contact.created'],
      enabled: true,
    });
    receiver.failNext(1);
    const call = (path: string) =>
      fetch(`${roster.url}/roster/webhooks/${receiver.endpoint.id}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${roster.secretKey}` },
      });
    const failed = await call('/test');
    expect(failed.status).toBe(200);
    expect(((await failed.json()) as { attempt: { statusCode: number } }).attempt.statusCode).toBe(500);
    const ok = await call('/test');
    expect(((await ok.json()) as { delivery: { status: string } }).delivery.status).toBe('succeeded');
    expect(receiver.received.map((r) => [r.verified, r.status])).toEqual([
      [true, 500],
      [true, 200],
    ]);
    expect(receiver.events()).toHaveLength(1);
    expect(receiver.events()[0]!.payload.data).toEqual({
      endpointId: receiver.endpoint.id,
      message: 'A test event from roster',
    });
    // A request signed with another secret is refused and recorded as unverified.
    receiver.setSecrets(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw']);
    await call('/test');
    expect(receiver.received[2]).toMatchObject({ verified: false, status: 401 });
  });
});
