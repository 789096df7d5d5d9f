import {
  createTestRoster,
  describeEachDialect,
  listenOnLoopback,
  type TestDialect,
} from '@roster/test-harness';
import { afterEach, expect, it } from 'vitest';
import { uuidv7 } from '../ids.js';
import { createWebhookService } from './webhook-service.js';
import type { WebhookResolver } from './webhook-target.js';

let time = Date.parse('2030-01-01T00:00:00.000Z');
const clock = () => new Date(time);
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * A roster whose endpoint host `receiver.invalid` resolves to a loopback receiver, unless `broken`:
 * then the resolver answers `null` (the injected fault), which throws inside the attempt, before
 * its outcome is recorded, like a database error mid-attempt would.
 */
async function setup(dialect: TestDialect) {
  time = Date.parse('2030-01-01T00:00:00.000Z');
  const received: number[] = [];
  const server = await listenOnLoopback((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')).data.n);
      res.writeHead(200);
      res.end('ok');
    });
  });
  cleanups.push(server.close);
  const fault = { broken: false };
  const resolve: WebhookResolver = async () =>
    fault.broken ? (null as never) : [{ address: '127.0.0.1', family: 4 }];
  const roster = await createTestRoster(dialect, {
    clock,
    webhooks: { allowPrivateTargets: true, resolve },
    jobs: { backoff: { baseMs: 1000, maxMs: 1000 }, onError: () => {} },
  });
  cleanups.push(() => roster.close());
  const projectId = (await roster.projects.ensure('p')).id;
  const endpoint = await roster.webhooks.create(projectId, {
    url: `http://receiver.invalid:${new URL(server.url).port}/hooks`,
    eventTypes: ['*'],
  });
  const engine = createWebhookService({
    db: roster.db,
    dialect: roster.dialect,
    clock,
    jobs: roster.jobs,
    options: roster.options.webhooks,
  });
  const event = (contactId: string, n: number) => ({
    id: `evt_${uuidv7().replaceAll('-', '')}`,
    type: 'contact.updated',
    projectId,
    contactId,
    data: { n },
    createdAt: new Date(time).toISOString(),
  });
  await roster.db.transaction().execute((trx) => engine.fanOut(trx, [event('a', 1), event('a', 2)]));
  const deliveries = async () =>
    (await roster.webhooks.deliveries(projectId, endpoint.id)).data
      .reverse()
      .map((d) => ({ status: d.status, attemptCount: d.attemptCount, lastError: d.lastError }));
  return { roster, fault, received, deliveries };
}

describeEachDialect('webhook attempt jobs that fail for good', (dialect) => {
  it('fails the delivery when its attempt job fails for good, and sends the next one of the contact', async () => {
    const { roster, fault, received, deliveries } = await setup(dialect);
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
    expect(received).toEqual([2]);
    expect((await deliveries())[1]).toEqual({ status: 'succeeded', attemptCount: 1, lastError: null });
  });

  it('fails the delivery when the workers running its attempt job died too often, and sends the next one', async () => {
    const { roster, received, deliveries } = await setup(dialect);
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
    expect(received).toEqual([2]);
  });
});
