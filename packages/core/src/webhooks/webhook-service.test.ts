import type { IncomingHttpHeaders } from 'node:http';
import {
  createTestRoster,
  describeEachDialect,
  listenOnLoopback,
  type TestDialect,
} from '@roster/test-harness';
import { Webhook } from 'standardwebhooks';
import { afterEach, expect, it } from 'vitest';
import { isRosterError } from '../errors.js';
import { uuidv7 } from '../ids.js';
import type { JobsOptions, WebhooksOptions } from '../options.js';
import type { WebhookSourceEvent } from './webhook-delivery.js';
import { createWebhookService } from './webhook-service.js';
import type { WebhookResolver } from './webhook-target.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** The secrets (of those given to `verifyWith`) whose signature verified. */
  verifiedBy: string[];
  payload: { type: string; timestamp: string; data: Record<string, unknown> };
}

/** A loopback receiver that checks every signature with the standardwebhooks package. */
async function startReceiver() {
  const received: Received[] = [];
  const answers: { status: number; body?: string; location?: string; hang?: boolean }[] = [];
  let secrets: string[] = [];
  const server = await listenOnLoopback((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const verifiedBy = secrets.filter((secret) => {
        try {
          new Webhook(secret).verify(body, req.headers as Record<string, string>);
          return true;
        } catch {
          return false;
        }
      });
      received.push({ headers: req.headers, body, verifiedBy, payload: JSON.parse(body) });
      const answer = answers.shift() ?? { status: 200, body: 'ok' };
      if (answer.hang) return;
      res.writeHead(answer.status, answer.location ? { location: answer.location } : {});
      res.end(answer.body ?? '');
    });
  });
  return {
    url: `${server.url}/hooks`,
    received,
    answers,
    verifyWith(list: string[]) {
      secrets = list;
    },
    close: server.close,
  };
}

let time = Date.parse('2030-01-01T00:00:00.000Z');
const clock = () => new Date(time);
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(dialect: TestDialect, webhooks: WebhooksOptions = {}, jobs?: JobsOptions) {
  time = Date.parse('2030-01-01T00:00:00.000Z');
  const roster = await createTestRoster(dialect, {
    clock,
    webhooks: { allowPrivateTargets: true, ...webhooks },
    jobs: jobs ?? { onError: (e) => console.error(e) },
  });
  cleanups.push(() => roster.close());
  const receiver = await startReceiver();
  cleanups.push(() => receiver.close());
  const projectId = (await roster.projects.ensure('p')).id;
  // The outbox consumer's entry point, driven by hand here.
  const engine = createWebhookService({
    db: roster.db,
    dialect: roster.dialect,
    clock,
    jobs: roster.jobs,
    options: roster.options.webhooks,
  });
  const fanOut = (events: WebhookSourceEvent[]) =>
    roster.db.transaction().execute((trx) => engine.fanOut(trx, events));
  return { roster, receiver, projectId, fanOut, cleanup: engine.cleanup };
}

function event(
  projectId: string,
  type: string,
  contactId: string | null,
  data: Record<string, unknown> = {},
) {
  return {
    id: `evt_${uuidv7().replaceAll('-', '')}`,
    type,
    projectId,
    contactId,
    data,
    createdAt: new Date(time).toISOString(),
  };
}

async function caught(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (isRosterError(error))
      return { code: error.code, message: error.message, issues: error.details.issues };
    throw error;
  }
  throw new Error('expected a RosterError');
}

describeEachDialect('webhooks', (dialect) => {
  it('creates, lists, updates and deletes endpoints; the secret is shown on create and by secret()', async () => {
    const { roster, projectId, receiver } = await setup(dialect);
    const created = await roster.webhooks.create(projectId, {
      url: receiver.url,
      description: 'CRM sync',
      eventTypes: ['contact.created', 'contact.created', 'segment.vip.entry', 'segment.*.exit'],
    });
    expect(created).toEqual({
      id: expect.any(String),
      projectId,
      url: receiver.url,
      description: 'CRM sync',
      eventTypes: ['contact.created', 'segment.vip.entry', 'segment.*.exit'],
      enabled: true,
      disabledReason: null,
      failingSince: null,
      previousSecretExpiresAt: null,
      createdAt: '2030-01-01T00:00:00.000Z',
      updatedAt: '2030-01-01T00:00:00.000Z',
      secret: expect.stringMatching(/^whsec_/),
    });
    const { secret, ...listed } = created;
    expect(await roster.webhooks.list(projectId)).toEqual([listed]);
    expect(await roster.webhooks.get(projectId, created.id)).toEqual(listed);
    expect(await roster.webhooks.secret(projectId, created.id)).toEqual({
      secret,
      previousSecret: null,
      previousSecretExpiresAt: null,
    });
    const other = (await roster.projects.ensure('other')).id;
    expect(await roster.webhooks.list(other)).toEqual([]);
    expect((await caught(roster.webhooks.get(other, created.id))).code).toBe('not_found');

    time += 1000;
    const updated = await roster.webhooks.update(projectId, created.id, {
      eventTypes: ['*'],
      description: null,
      enabled: false,
    });
    expect(updated).toMatchObject({
      eventTypes: ['*'],
      description: null,
      enabled: false,
      disabledReason: 'user',
      updatedAt: '2030-01-01T00:00:01.000Z',
    });
    expect((await roster.webhooks.update(projectId, created.id, { enabled: true })).enabled).toBe(true);
    await roster.webhooks.delete(projectId, created.id);
    expect(await roster.webhooks.list(projectId)).toEqual([]);
    expect((await caught(roster.webhooks.delete(projectId, created.id))).code).toBe('not_found');
    expect((await caught(roster.webhooks.get(projectId, 'nope'))).code).toBe('not_found');
  });

  it('refuses bad endpoint input naming the field', async () => {
    const { roster, projectId } = await setup(dialect);
    const cases: [unknown, string, RegExp][] = [
      [{ eventTypes: ['contact.created'] }, 'url', /is required/],
      [{ url: 'ftp://example.com/x', eventTypes: ['*'] }, 'url', /http:\/\/ or https:\/\//],
      [{ url: 'not a url', eventTypes: ['*'] }, 'url', /absolute/],
      [{ url: 'https://u:p@example.com/', eventTypes: ['*'] }, 'url', /user name or password/],
      [{ url: 'https://example.com/' }, 'eventTypes', /is required/],
      [{ url: 'https://example.com/', eventTypes: [] }, 'eventTypes', /at least one/],
      [
        { url: 'https://example.com/', eventTypes: ['contact.exploded'] },
        'eventTypes.0',
        /unknown event type/,
      ],
      [{ url: 'https://example.com/', eventTypes: ['segment.vip'] }, 'eventTypes.0', /unknown event type/],
      [{ url: 'https://example.com/', eventTypes: 'contact.created' }, 'eventTypes', /array/],
      [{ url: 'https://example.com/', eventTypes: ['*'], enabled: 'yes' }, 'enabled', /boolean/],
      [{ url: 'https://example.com/', eventTypes: ['*'], secret: 'x' }, 'body', /unknown field\(s\): secret/],
      [{ url: `https://example.com/${'a'.repeat(2100)}`, eventTypes: ['*'] }, 'url', /at most 2048/],
    ];
    for (const [input, field, message] of cases) {
      const error = await caught(roster.webhooks.create(projectId, input as never));
      expect(error.code, JSON.stringify(input)).toBe('validation_failed');
      expect(error.issues, JSON.stringify(input)).toContainEqual(
        expect.objectContaining({ field, message: expect.stringMatching(message) }),
      );
    }
    const overlap = await caught(
      roster.webhooks.rotateSecret(
        projectId,
        (await roster.webhooks.create(projectId, { url: 'https://example.com/', eventTypes: ['*'] })).id,
        { overlapMs: -1 },
      ),
    );
    expect(overlap.issues).toEqual([{ field: 'overlapMs', message: 'must be at least 0' }]);
  });

  it('refuses private targets by default when the endpoint is created', async () => {
    const roster = await createTestRoster(dialect, { clock });
    cleanups.push(() => roster.close());
    const projectId = (await roster.projects.ensure('p')).id;
    for (const url of [
      'http://127.0.0.1:3000/',
      'http://169.254.169.254/',
      'http://[::1]/',
      'http://localhost/',
    ]) {
      const error = await caught(roster.webhooks.create(projectId, { url, eventTypes: ['*'] }));
      expect(error.issues).toEqual([
        { field: 'url', message: expect.stringMatching(/must not point to/), code: 'private_target' },
      ]);
    }
  });

  it('refuses at registration what delivery would refuse: no host, localhost with a trailing dot, a name resolving to a private address', async () => {
    const roster = await createTestRoster(dialect, {
      clock,
      webhooks: {
        resolve: async (hostname) => {
          if (hostname === 'internal.example') return [{ address: '10.0.0.7', family: 4 }];
          if (hostname === 'public.example') return [{ address: '93.184.216.34', family: 4 }];
          throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
        },
      },
    });
    cleanups.push(() => roster.close());
    const projectId = (await roster.projects.ensure('p')).id;
    const create = (url: string) => roster.webhooks.create(projectId, { url, eventTypes: ['*'] });
    for (const url of ['http:///h', 'http:h', 'http://./x']) {
      expect((await caught(create(url))).issues, url).toEqual([
        { field: 'url', message: 'must name a host after http:// or https://' },
      ]);
    }
    for (const url of ['http://localhost.:4000/', 'http://LOCALHOST./', 'http://a.localhost./']) {
      expect((await caught(create(url))).issues, url).toEqual([
        {
          field: 'url',
          message: expect.stringMatching(/must not point to localhost/),
          code: 'private_target',
        },
      ]);
    }
    expect((await caught(create('https://internal.example/hook'))).issues).toEqual([
      {
        field: 'url',
        message: expect.stringMatching(/internal\.example resolves to 10\.0\.0\.7, a private address/),
        code: 'private_target',
      },
    ]);
    const endpoint = await create('https://public.example/hook');
    // The same rules on update.
    expect(
      (await caught(roster.webhooks.update(projectId, endpoint.id, { url: 'http://localhost.:1/' }))).issues,
    ).toEqual([{ field: 'url', message: expect.stringMatching(/localhost/), code: 'private_target' }]);
    expect(
      (await caught(roster.webhooks.update(projectId, endpoint.id, { url: 'http:///h' }))).issues,
    ).toEqual([{ field: 'url', message: 'must name a host after http:// or https://' }]);
    // A name that does not resolve yet is accepted: every delivery decides again.
    expect((await create('https://not-yet.example/hook')).url).toBe('https://not-yet.example/hook');
  });

  it('sends a signed test event that standardwebhooks verifies, and logs the attempt', async () => {
    const { roster, projectId, receiver } = await setup(dialect);
    const endpoint = await roster.webhooks.create(projectId, {
      url: receiver.url,
      eventTypes: ['contact.created'],
    });
    receiver.verifyWith([endpoint.secret]);
    const result = await roster.webhooks.sendTest(projectId, endpoint.id);
    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    expect(got!.verifiedBy).toEqual([endpoint.secret]);
    expect(got!.payload).toEqual({
      type: 'webhook.test',
      timestamp: '2030-01-01T00:00:00.000Z',
      data: { endpointId: endpoint.id, message: 'A test event from roster' },
    });
    expect(got!.headers['webhook-id']).toBe(result.delivery.messageId);
    expect(got!.headers['content-type']).toBe('application/json');
    expect(result.delivery).toMatchObject({
      status: 'succeeded',
      eventType: 'webhook.test',
      attemptCount: 1,
    });
    expect(result.attempt).toEqual({
      id: expect.any(String),
      deliveryId: result.delivery.id,
      number: 1,
      startedAt: '2030-01-01T00:00:00.000Z',
      statusCode: 200,
      latencyMs: expect.any(Number),
      responseExcerpt: 'ok',
      error: null,
    });
    expect((await roster.webhooks.deliveries(projectId, endpoint.id)).data.map((d) => d.id)).toEqual([
      result.delivery.id,
    ]);
  });

  it('refuses at send time a host name that resolves to a private address, without connecting', async () => {
    const { receiver } = await setup(dialect);
    // Public when the endpoint is registered, private when it is used (DNS rebinding).
    let address = '93.184.216.34';
    const roster = await createTestRoster(dialect, {
      clock,
      webhooks: { resolve: async () => [{ address, family: 4 }] },
    });
    cleanups.push(() => roster.close());
    const projectId = (await roster.projects.ensure('p')).id;
    const port = new URL(receiver.url).port;
    const endpoint = await roster.webhooks.create(projectId, {
      url: `http://rebind.example:${port}/hooks`,
      eventTypes: ['*'],
    });
    address = '127.0.0.1';
    const { delivery, attempt } = await roster.webhooks.sendTest(projectId, endpoint.id);
    expect(receiver.received).toEqual([]);
    expect(delivery.status).toBe('failed');
    expect(attempt).toMatchObject({
      statusCode: null,
      error: expect.stringMatching(/^refused: rebind\.example resolves to 127\.0\.0\.1, a loopback address/),
    });
  });

  it('connects to the address the guard checked, never asking DNS again', async () => {
    const { receiver } = await setup(dialect);
    const asked: string[] = [];
    const roster = await createTestRoster(dialect, {
      clock,
      webhooks: {
        allowPrivateTargets: true,
        // `receiver.invalid` exists only here: the connection can only have used the checked address.
        resolve: async (hostname) => {
          asked.push(hostname);
          return [{ address: '127.0.0.1', family: 4 }];
        },
      },
    });
    cleanups.push(() => roster.close());
    const projectId = (await roster.projects.ensure('p')).id;
    const endpoint = await roster.webhooks.create(projectId, {
      url: `http://receiver.invalid:${new URL(receiver.url).port}/hooks`,
      eventTypes: ['*'],
    });
    receiver.verifyWith([endpoint.secret]);
    const { attempt } = await roster.webhooks.sendTest(projectId, endpoint.id);
    expect(attempt).toMatchObject({ statusCode: 200, error: null });
    expect(asked).toEqual(['receiver.invalid']);
    expect(receiver.received[0]!.verifiedBy).toEqual([endpoint.secret]);
    expect(receiver.received[0]!.headers.host).toBe(`receiver.invalid:${new URL(receiver.url).port}`);
  });

  it('retries a delivery answered 500 after the first backoff step, with the same webhook-id', async () => {
    const { roster, projectId, receiver, fanOut } = await setup(dialect);
    const endpoint = await roster.webhooks.create(projectId, {
      url: receiver.url,
      eventTypes: ['contact.created'],
    });
    receiver.verifyWith([endpoint.secret]);
    receiver.answers.push({ status: 500, body: 'boom' });
    const created = event(projectId, 'contact.created', 'c1', { contact: { email: 'a@example.com' } });
    expect(await fanOut([created, event(projectId, 'contact.deleted', 'c1')])).toBe(1);
    await roster.jobs.runOnce();
    expect(receiver.received).toHaveLength(1);
    let [delivery] = (await roster.webhooks.deliveries(projectId, endpoint.id)).data;
    expect(delivery).toMatchObject({
      status: 'pending',
      attemptCount: 1,
      lastStatusCode: 500,
      lastError: 'HTTP 500',
      nextAttemptAt: '2030-01-01T00:00:05.000Z',
    });
    expect(await roster.jobs.runOnce()).toBe(0); // not due yet
    time += 5000;
    await roster.jobs.runOnce();
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([created.id, created.id]);
    expect(receiver.received.every((r) => r.verifiedBy.length === 1)).toBe(true);
    expect(receiver.received[1]!.body).toBe(receiver.received[0]!.body);
    expect(receiver.received[1]!.payload).toEqual({
      type: 'contact.created',
      timestamp: created.createdAt,
      data: { contact: { email: 'a@example.com' } },
    });
    [delivery] = (await roster.webhooks.deliveries(projectId, endpoint.id)).data;
    expect(delivery).toMatchObject({
      status: 'succeeded',
      attemptCount: 2,
      lastStatusCode: 200,
      nextAttemptAt: null,
    });
    const attempts = await roster.webhooks.attempts(projectId, delivery!.id);
    expect(attempts.map((a) => [a.number, a.statusCode, a.responseExcerpt, a.error])).toEqual([
      [1, 500, 'boom', 'HTTP 500'],
      [2, 200, 'ok', null],
    ]);
    expect((await roster.webhooks.get(projectId, endpoint.id)).failingSince).toBeNull();
  });

  it('sends the events of one contact in order, each after the previous one succeeded or failed for good', async () => {
    const { roster, projectId, receiver, fanOut } = await setup(dialect, { retryScheduleMs: [1000] });
    const endpoint = await roster.webhooks.create(projectId, { url: receiver.url, eventTypes: ['*'] });
    receiver.answers.push({ status: 500 }); // the first event of contact a fails once
    await fanOut([
      event(projectId, 'contact.created', 'a', { n: 1 }),
      event(projectId, 'contact.created', 'b', { n: 1 }),
      event(projectId, 'contact.updated', 'a', { n: 2 }),
    ]);
    await fanOut([
      event(projectId, 'contact.updated', 'a', { n: 3 }),
      event(projectId, 'contact.updated', 'b', { n: 2 }),
    ]);
    const sent = () => receiver.received.map((r) => `${r.payload.type}:${r.payload.data.n}`);
    while ((await roster.jobs.runOnce()) > 0);
    // a1 failed and waits for its retry: a2 and a3 wait behind it; b goes on.
    expect(sent()).toEqual(['contact.created:1', 'contact.created:1', 'contact.updated:2']);
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toHaveLength(3);
    time += 1000;
    while ((await roster.jobs.runOnce()) > 0);
    expect(receiver.received).toHaveLength(6);
    expect(sent().slice(3)).toEqual(['contact.created:1', 'contact.updated:2', 'contact.updated:3']);
    const page = await roster.webhooks.deliveries(projectId, endpoint.id);
    expect(page.data.map((d) => d.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
  });

  it('moves on to the next event of a contact after the last retry failed', async () => {
    const { roster, projectId, receiver, fanOut } = await setup(dialect, { retryScheduleMs: [1000] });
    const endpoint = await roster.webhooks.create(projectId, { url: receiver.url, eventTypes: ['*'] });
    receiver.answers.push({ status: 500 }, { status: 503 });
    await fanOut([
      event(projectId, 'contact.created', 'a', { n: 1 }),
      event(projectId, 'contact.updated', 'a', { n: 2 }),
    ]);
    while ((await roster.jobs.runOnce()) > 0);
    time += 1000;
    while ((await roster.jobs.runOnce()) > 0);
    expect(receiver.received.map((r) => r.payload.data.n)).toEqual([1, 1, 2]);
    const page = await roster.webhooks.deliveries(projectId, endpoint.id);
    expect(page.data.map((d) => [d.status, d.attemptCount, d.lastStatusCode])).toEqual([
      ['succeeded', 1, 200],
      ['failed', 2, 503],
    ]);
  });

  it('disables an endpoint that fails for longer than disableAfterMs; re-enabled, replay sends what failed', async () => {
    const { roster, projectId, receiver, fanOut } = await setup(dialect, {
      retryScheduleMs: [60_000, 60_000, 60_000],
      disableAfterMs: 100_000,
    });
    const endpoint = await roster.webhooks.create(projectId, { url: receiver.url, eventTypes: ['*'] });
    receiver.verifyWith([endpoint.secret]);
    receiver.answers.push(...Array.from({ length: 10 }, () => ({ status: 500 })));
    await fanOut([event(projectId, 'contact.created', 'a'), event(projectId, 'contact.created', 'b')]);
    await roster.jobs.runOnce();
    expect((await roster.webhooks.get(projectId, endpoint.id)).failingSince).toBe('2030-01-01T00:00:00.000Z');
    time += 60_000;
    await roster.jobs.runOnce();
    expect((await roster.webhooks.get(projectId, endpoint.id)).enabled).toBe(true);
    time += 60_000; // failing for 120 s > 100 s: the next failed attempt disables it
    await roster.jobs.runOnce();
    const disabled = await roster.webhooks.get(projectId, endpoint.id);
    expect(disabled).toMatchObject({ enabled: false, disabledReason: 'failing' });
    const page = await roster.webhooks.deliveries(projectId, endpoint.id);
    expect(page.data.map((d) => d.status)).toEqual(['failed', 'failed']);
    expect(page.data.every((d) => /disabled|HTTP 500/.test(d.lastError ?? ''))).toBe(true);
    // Nothing more is sent to a disabled endpoint, and no new delivery is written for it.
    const sentBefore = receiver.received.length;
    time += 600_000;
    expect(await fanOut([event(projectId, 'contact.created', 'c')])).toBe(0);
    while ((await roster.jobs.runOnce()) > 0);
    expect(receiver.received).toHaveLength(sentBefore);
    expect(
      (await caught(roster.webhooks.replaySince(projectId, endpoint.id, { since: '2030-01-01T00:00:00Z' })))
        .code,
    ).toBe('conflict');

    receiver.answers.length = 0;
    const enabled = await roster.webhooks.update(projectId, endpoint.id, { enabled: true });
    expect(enabled).toMatchObject({ enabled: true, disabledReason: null, failingSince: null });
    expect(
      await roster.webhooks.replaySince(projectId, endpoint.id, { since: '2030-01-01T00:00:00Z' }),
    ).toEqual({
      replayed: 2,
    });
    while ((await roster.jobs.runOnce()) > 0);
    const after = await roster.webhooks.deliveries(projectId, endpoint.id);
    expect(after.data.map((d) => d.status)).toEqual(['succeeded', 'succeeded']);
    expect(receiver.received.slice(sentBefore).every((r) => r.verifiedBy.length === 1)).toBe(true);
  });

  it('replays one delivery with the same webhook-id and body', async () => {
    const { roster, projectId, receiver, fanOut } = await setup(dialect);
    const endpoint = await roster.webhooks.create(projectId, {
      url: receiver.url,
      eventTypes: ['contact.deleted'],
    });
    await fanOut([event(projectId, 'contact.deleted', 'a')]);
    await roster.jobs.runOnce();
    const [delivery] = (await roster.webhooks.deliveries(projectId, endpoint.id)).data;
    expect(delivery!.status).toBe('succeeded');
    time += 1000;
    const replayed = await roster.webhooks.replay(projectId, delivery!.id);
    expect(replayed).toMatchObject({ id: delivery!.id, status: 'pending', attemptCount: 1 });
    expect((await caught(roster.webhooks.replay(projectId, delivery!.id))).code).toBe('conflict');
    await roster.jobs.runOnce();
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]!.headers['webhook-id']).toBe(receiver.received[0]!.headers['webhook-id']);
    expect(receiver.received[1]!.body).toBe(receiver.received[0]!.body);
    expect(await roster.webhooks.delivery(projectId, delivery!.id)).toMatchObject({
      status: 'succeeded',
      attemptCount: 2,
    });
    expect((await caught(roster.webhooks.replay(projectId, uuidv7()))).code).toBe('not_found');
  });

  it('signs with the old and the new secret during the rotation overlap, then with the new one only', async () => {
    const { roster, projectId, receiver } = await setup(dialect);
    const endpoint = await roster.webhooks.create(projectId, { url: receiver.url, eventTypes: ['*'] });
    const rotated = await roster.webhooks.rotateSecret(projectId, endpoint.id, { overlapMs: 3_600_000 });
    expect(rotated.secret).not.toBe(endpoint.secret);
    expect(rotated.previousSecretExpiresAt).toBe('2030-01-01T01:00:00.000Z');
    expect(await roster.webhooks.secret(projectId, endpoint.id)).toEqual({
      secret: rotated.secret,
      previousSecret: endpoint.secret,
      previousSecretExpiresAt: '2030-01-01T01:00:00.000Z',
    });
    receiver.verifyWith([endpoint.secret, rotated.secret]);
    await roster.webhooks.sendTest(projectId, endpoint.id);
    expect(receiver.received[0]!.verifiedBy).toEqual([endpoint.secret, rotated.secret]);
    expect(String(receiver.received[0]!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    time += 3_600_000;
    await roster.webhooks.sendTest(projectId, endpoint.id);
    expect(receiver.received[1]!.verifiedBy).toEqual([rotated.secret]);
    expect((await roster.webhooks.secret(projectId, endpoint.id)).previousSecret).toBeNull();
  });

  it('logs timeouts, refused redirects and a 1 KB excerpt of long answers', async () => {
    // Long enough that the answered attempts never time out on a loaded machine; the hung one does.
    const { roster, projectId, receiver } = await setup(dialect, { timeoutMs: 1500 });
    const endpoint = await roster.webhooks.create(projectId, { url: receiver.url, eventTypes: ['*'] });
    receiver.answers.push(
      { status: 302, location: 'http://169.254.169.254/' },
      { status: 500, body: 'é'.repeat(3000) },
      { status: 200, hang: true },
    );
    const redirect = await roster.webhooks.sendTest(projectId, endpoint.id);
    expect(redirect.attempt).toMatchObject({
      statusCode: 302,
      error: 'redirect to http://169.254.169.254/ not followed',
    });
    expect(redirect.delivery.status).toBe('failed');
    expect(receiver.received).toHaveLength(1); // the redirect was not followed
    const long = await roster.webhooks.sendTest(projectId, endpoint.id);
    expect(Buffer.byteLength(long.attempt.responseExcerpt ?? '')).toBe(1024);
    expect(long.attempt.responseExcerpt).toBe('é'.repeat(512));
    const hung = await roster.webhooks.sendTest(projectId, endpoint.id);
    expect(hung.attempt).toMatchObject({ statusCode: null, error: 'timed out after 1500 ms' });
  });

  it('deletes finished deliveries and their attempts after retentionMs, never pending ones', async () => {
    const { roster, projectId, receiver, fanOut, cleanup } = await setup(dialect, { retentionMs: 60_000 });
    const endpoint = await roster.webhooks.create(projectId, { url: receiver.url, eventTypes: ['*'] });
    await fanOut([event(projectId, 'contact.created', 'a'), event(projectId, 'contact.created', 'b')]);
    receiver.answers.push({ status: 500 }); // b's first attempt fails: b stays pending
    await roster.jobs.runOnce();
    const before = (await roster.webhooks.deliveries(projectId, endpoint.id)).data;
    expect(before.map((d) => d.status).sort()).toEqual(['pending', 'succeeded']);
    time += 59_000;
    expect(await cleanup()).toBe(0);
    time += 2_000;
    expect(await cleanup()).toBe(1);
    const after = (await roster.webhooks.deliveries(projectId, endpoint.id)).data;
    expect(after.map((d) => d.status)).toEqual(['pending']);
    const attempts = await roster.db.selectFrom('roster_webhook_attempts').select('delivery_id').execute();
    expect(attempts.map((a) => a.delivery_id)).toEqual([after[0]!.id]);
  });

  it('pages deliveries newest first and refuses a bad cursor', async () => {
    const { roster, projectId, receiver, fanOut } = await setup(dialect);
    const endpoint = await roster.webhooks.create(projectId, { url: receiver.url, eventTypes: ['*'] });
    await fanOut(Array.from({ length: 5 }, (_, i) => event(projectId, 'contact.created', `c${i}`, { i })));
    const first = await roster.webhooks.deliveries(projectId, endpoint.id, { limit: 3 });
    expect(first.data).toHaveLength(3);
    const second = await roster.webhooks.deliveries(projectId, endpoint.id, {
      limit: 3,
      cursor: first.nextCursor!,
    });
    expect(second).toMatchObject({ nextCursor: null });
    expect([...first.data, ...second.data].map((d) => JSON.parse(d.body).data.i)).toEqual([4, 3, 2, 1, 0]);
    expect(
      (await roster.webhooks.deliveries(projectId, endpoint.id, { status: 'pending' })).data,
    ).toHaveLength(5);
    const badCursor = await caught(roster.webhooks.deliveries(projectId, endpoint.id, { cursor: 'x' }));
    expect(badCursor.code).toBe('invalid_cursor');
    expect(badCursor).toMatchObject({
      message: 'Invalid cursor: it does not point at a delivery of this endpoint',
      issues: [{ field: 'cursor', message: 'is not a valid cursor' }],
    });
    expect((await caught(roster.webhooks.deliveries(projectId, endpoint.id, { limit: 0 }))).issues).toEqual([
      { field: 'limit', message: 'must be at least 1' },
    ]);
  });
});

/**
 * Two events of one contact fanned out to an endpoint at `receiver.invalid`, which resolves to the
 * receiver unless `fault.broken`: then the resolver answers `null` (the injected fault), which throws
 * inside the attempt, before its outcome is recorded, like a database error mid-attempt would.
 */
async function failingAttemptSetup(dialect: TestDialect) {
  const fault = { broken: false };
  const resolve: WebhookResolver = async () =>
    fault.broken ? (null as never) : [{ address: '127.0.0.1', family: 4 }];
  const jobs = { backoff: { baseMs: 1000, maxMs: 1000 }, onError: () => {} };
  const { roster, projectId, receiver, fanOut } = await setup(dialect, { resolve }, jobs);
  const url = new URL(receiver.url);
  url.hostname = 'receiver.invalid';
  const endpoint = await roster.webhooks.create(projectId, { url: url.href, eventTypes: ['*'] });
  await fanOut([1, 2].map((n) => event(projectId, 'contact.updated', 'a', { n })));
  const deliveries = async () =>
    (await roster.webhooks.deliveries(projectId, endpoint.id)).data
      .reverse()
      .map((d) => ({ status: d.status, attemptCount: d.attemptCount, lastError: d.lastError }));
  const received = () => receiver.received.map((r) => r.payload.data.n);
  return { roster, fault, received, deliveries };
}

describeEachDialect('webhook attempt jobs that fail for good', (dialect) => {
  it('fails the delivery when its attempt job fails for good, and sends the next one of the contact', async () => {
    const { roster, fault, received, deliveries } = await failingAttemptSetup(dialect);
    fault.broken = true;
    // Every run of the first delivery's attempt job throws; the job runner retries it with backoff
    // until its runs are used up. (Bounded: without a fix the delivery stays pending forever.)
    for (let i = 0; i < 30 && (await deliveries())[0]!.status === 'pending'; i++) {
      await roster.jobs.runOnce();
      time += 1000;
    }
    expect((await deliveries())[0]).toEqual({
      status: 'failed',
      attemptCount: 0,
      lastError: "attempt could not be run: Cannot read properties of null (reading 'length')",
    });
    fault.broken = false;
    for (let i = 0; i < 5; i++) {
      await roster.jobs.runOnce();
      time += 1000;
    }
    expect(received()).toEqual([2]);
    expect((await deliveries())[1]).toEqual({ status: 'succeeded', attemptCount: 1, lastError: null });
  });

  it('fails the delivery when the workers running its attempt job died too often, and sends the next one', async () => {
    const { roster, received, deliveries } = await failingAttemptSetup(dialect);
    // The first attempt's job was claimed by a worker that stopped responding, on its last run.
    const lockedAt = new Date(time - roster.options.jobs.lockTimeoutMs - 1).toISOString();
    await roster.db
      .updateTable('roster_jobs')
      .set((eb) => ({
        status: 'running',
        attempts: eb.ref('max_attempts'),
        locked_by: 'roster:elsewhere:1:abcd',
        locked_at: lockedAt,
      }))
      .where('type', '=', 'webhooks.deliver')
      .execute();
    while ((await roster.jobs.runOnce()) > 0);
    expect(await deliveries()).toEqual([
      {
        status: 'failed',
        attemptCount: 0,
        lastError:
          'attempt could not be run: The job was interrupted too many times (its worker stopped responding)',
      },
      { status: 'succeeded', attemptCount: 1, lastError: null },
    ]);
    expect(received()).toEqual([2]);
  });
});
