import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPgTestSchema, PG_URL, type PgTestSchema } from '@roster/test-harness';
import { startWebhookReceiver, type WebhookReceiver } from '@roster/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ServeProcess, startServe } from '../packages/server/test/cli-helpers.js';

// Each `roster serve` starts Node and the TypeScript loader: slow on a loaded 2-core machine.
vi.setConfig({ testTimeout: 240_000 });

const KEY = 'sk_test_webhooks_crash_key';
const AUTH = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(db: string): Promise<ServeProcess> {
  const server = await startServe([
    '--db',
    db,
    '--api-key',
    KEY,
    '--allow-private-webhook-targets',
    '--lock-timeout',
    '2000',
    '--poll-interval',
    '100',
  ]);
  cleanups.push(async () => {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await server.exited;
  });
  return server;
}

async function kill(server: ServeProcess): Promise<void> {
  server.child.kill('SIGKILL');
  await server.exited;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const delivered = (receiver: WebhookReceiver, type: string, contactId: string) =>
  receiver
    .events()
    .filter((r) => r.type === type && (r.payload.data.contact as { id?: string } | null)?.id === contactId);

async function crashScenario(db: string): Promise<void> {
  const receiver = await startWebhookReceiver();
  cleanups.push(() => receiver.close());
  let server = await serve(db);
  const created = await fetch(`${server.url}/roster/webhooks`, {
    method: 'POST',
    headers: AUTH,
    body: JSON.stringify({ url: receiver.url, eventTypes: ['contact.created', 'contact.updated'] }),
  });
  expect(created.status).toBe(201);
  receiver.setSecrets([((await created.json()) as { secret: string }).secret]);

  // 1. Killed between the commits and the deliveries: every request is held (no delivery can
  //    succeed), 30 contacts are created, and the server is killed as soon as the last one is answered.
  receiver.stall(Number.MAX_SAFE_INTEGER);
  const answers = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      fetch(`${server.url}/contacts`, {
        method: 'POST',
        headers: AUTH,
        body: JSON.stringify({ email: `crash${i}@example.com`, data: { i } }),
      }),
    ),
  );
  expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 30 }, () => 201));
  const contactIds = await Promise.all(answers.map(async (a) => ((await a.json()) as { id: string }).id));
  // A change that fails is no change: no event, no delivery.
  const refused = await fetch(`${server.url}/contacts`, {
    method: 'POST',
    headers: AUTH,
    body: JSON.stringify({ email: 'not-an-email' }),
  });
  expect(refused.status).toBe(400);
  await kill(server);
  expect(receiver.events()).toEqual([]);

  receiver.stall(0);
  server = await serve(db);
  await until('every contact.created delivered after the restart', () =>
    contactIds.every((id) => delivered(receiver, 'contact.created', id).length > 0),
  );

  // 2. Killed during a delivery: the receiver holds the request of one update; the server is killed
  //    while it waits for the answer; after the restart the same event comes again with the same id.
  const before = receiver.received.length;
  receiver.stall(1);
  const target = contactIds[0]!;
  const updated = await fetch(`${server.url}/contacts/${target}`, {
    method: 'PATCH',
    headers: AUTH,
    body: JSON.stringify({ data: { plan: 'pro' } }),
  });
  expect(updated.status).toBe(200);
  const held = () => receiver.received.slice(before).find((r) => r.status === 0);
  await until('the update delivery to be in flight', () => held() !== undefined);
  const inFlight = held()!;
  expect(inFlight.type).toBe('contact.updated');
  await kill(server);
  server = await serve(db);
  await until(
    'the interrupted delivery to be sent again',
    () => delivered(receiver, 'contact.updated', target).length > 0,
  );
  const again = delivered(receiver, 'contact.updated', target);
  expect(again.map((r) => r.id)).toContain(inFlight.id);
  expect(again[0]!.body).toBe(inFlight.body);

  // Every event at least once, with one webhook-id per event however often it was sent; every
  // request signed; nothing for the refused write.
  expect(receiver.received.every((r) => r.verified)).toBe(true);
  const byId = new Map<string, Set<string>>();
  for (const r of receiver.received) byId.set(r.id, (byId.get(r.id) ?? new Set()).add(r.body));
  expect([...byId.values()].every((bodies) => bodies.size === 1)).toBe(true);
  const createdIds = new Set(
    receiver
      .events()
      .filter((r) => r.type === 'contact.created')
      .map((r) => (r.payload.data.contact as { id: string }).id),
  );
  expect([...createdIds].sort()).toEqual([...contactIds].sort());
  expect(receiver.received.some((r) => JSON.stringify(r.payload).includes('not-an-email'))).toBe(false);
  await kill(server);
}

describe('webhook deliveries survive SIGKILL of roster serve', () => {
  it('SQLite: every event delivered at least once with the same webhook-id, none for a refused write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-webhooks-crash-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    await crashScenario(join(dir, 'roster.db'));
  });

  it.skipIf(!PG_URL)('PostgreSQL: the same', async () => {
    const schema: PgTestSchema = await createPgTestSchema();
    cleanups.push(() => schema.drop());
    await crashScenario(schema.url);
  });
});
