import type { ServerResponse } from 'node:http';
import {
  createTestRoster,
  deferred,
  describeEachDialect,
  listenOnLoopback,
  type TestDialect,
} from '@roster/test-harness';
import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRoster, type Roster } from '../roster.js';

/** A loopback receiver that answers 200, or, with `hang`, never answers (until closed). */
async function startReceiver({ hang }: { hang: boolean }) {
  const open: ServerResponse[] = [];
  let answered = 0;
  const server = await listenOnLoopback((req, res) => {
    req.resume();
    req.on('end', () => {
      if (hang) open.push(res);
      else res.writeHead(200).end('ok', () => answered++);
    });
  });
  return {
    url: `${server.url}/hooks`,
    /** Requests waiting for an answer. */
    hanging: () => open.length,
    answered: () => answered,
    close: server.close,
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A started roster running one job at once (deliveries apart), with an endpoint on `receiver`. */
async function setup(dialect: TestDialect, { hang }: { hang: boolean }) {
  const roster = await createTestRoster(dialect, {
    webhooks: { allowPrivateTargets: true, timeoutMs: 60_000 },
    jobs: { concurrency: 1, pollIntervalMs: 20, onError: (e) => console.error(e) },
  });
  cleanups.push(() => roster.close());
  const receiver = await startReceiver({ hang });
  cleanups.push(() => receiver.close()); // first: ends the hanging attempts, so the runner can stop
  const projectId = (await roster.projects.ensure('p')).id;
  await roster.webhooks.create(projectId, { url: receiver.url, eventTypes: ['contact.created'] });
  await roster.jobs.start();
  return { roster, receiver, projectId };
}

const status = async (roster: Roster, projectId: string, id: string) =>
  (await roster.jobs.get(projectId, id)).status;

describeEachDialect('webhook deliveries in their own lane', (dialect) => {
  it('an import completes while deliveries to a hanging endpoint take every delivery slot', async () => {
    const { roster, receiver, projectId } = await setup(dialect, { hang: true });
    for (const name of ['a', 'b']) await roster.contacts.create(projectId, { email: `${name}@example.com` });
    await vi.waitFor(() => expect(receiver.hanging()).toBe(2), { timeout: 10_000, interval: 20 });
    const job = await roster.imports.enqueue(projectId, { file: Buffer.from('email\nc@example.com\n') });
    await vi.waitFor(async () => expect(await status(roster, projectId, job.id)).toBe('completed'), {
      timeout: 10_000,
      interval: 20,
    });
    expect(receiver.hanging()).toBeGreaterThanOrEqual(2); // still waiting for their answers
  });

  it('a delivery is sent while a long job takes the only job slot', async () => {
    const { roster, receiver, projectId } = await setup(dialect, { hang: false });
    const long = deferred();
    cleanups.push(async () => long.resolve()); // runs before the roster closes
    roster.jobs.register({ type: 'test.long', run: () => long.promise });
    const job = await roster.jobs.enqueue(projectId, 'test.long', {});
    await vi.waitFor(async () => expect(await status(roster, projectId, job.id)).toBe('running'), {
      timeout: 10_000,
      interval: 20,
    });
    await roster.contacts.create(projectId, { email: 'a@example.com' });
    await vi.waitFor(() => expect(receiver.answered()).toBe(1), { timeout: 10_000, interval: 20 });
    expect(await status(roster, projectId, job.id)).toBe('running');
  });

  it('an import enqueued behind thousands of failing deliveries is claimed at once', async () => {
    const roster = await createTestRoster(dialect, {
      webhooks: { allowPrivateTargets: true, timeoutMs: 2_000 },
      jobs: { backoff: { baseMs: 50, maxMs: 200 }, maxAttempts: 1_000, onError: () => {} },
    });
    cleanups.push(() => roster.close());
    const projectId = (await roster.projects.ensure('p')).id;
    const closed = await listenOnLoopback(() => {});
    await closed.close(); // nothing listens on its port any more: every attempt fails at once
    for (const path of ['/a', '/b']) {
      await roster.webhooks.create(projectId, {
        url: `${closed.url}${path}`,
        eventTypes: ['contact.created'],
      });
    }
    for (let batch = 0; batch < 2; batch++) {
      const contacts = Array.from({ length: 1_000 }, (_, i) => ({ email: `c${batch}-${i}@example.com` }));
      await roster.contacts.createMany(projectId, { contacts });
    }
    await roster.jobs.start(); // the change feed queues 4 000 deliveries, and the lane starts failing them
    await vi.waitFor(
      async () => {
        // Deliveries keep being attempted under the backlog: 100 attempts have failed (each failed
        // attempt queues the delivery's next one for later). Claims that sort the whole queue
        // managed ~1 a second here on PostgreSQL.
        const attempted = await (roster.db as Kysely<any>)
          .selectFrom('roster_jobs')
          .select('id')
          .where('type', '=', 'webhooks.deliver')
          .where('status', '=', 'completed')
          .limit(100)
          .execute();
        expect(attempted).toHaveLength(100);
      },
      { timeout: 20_000, interval: 50 },
    );
    const started = Date.now();
    const job = await roster.imports.enqueue(projectId, { file: Buffer.from('email\nlate@example.com\n') });
    await vi.waitFor(async () => expect(await status(roster, projectId, job.id)).toBe('completed'), {
      timeout: 5_000,
      interval: 20,
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 60_000);
});

describe('webhooks.concurrency', () => {
  it('rejects a value that is not a positive integer, naming the option', async () => {
    for (const concurrency of [0, -1, 1.5]) {
      await expect(createRoster({ database: ':memory:', webhooks: { concurrency } })).rejects.toThrow(
        'roster: webhooks.concurrency must be a positive integer',
      );
    }
  });

  it('defaults to 4', async () => {
    const roster = await createRoster({ database: ':memory:' });
    cleanups.push(() => roster.close());
    expect(roster.options.webhooks.concurrency).toBe(4);
  });
});
