import type { Roster } from '@roster/core';
import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import express from 'express';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPlunkRouter, createRosterRouter } from '../src/index.js';
import { type Listening, listen, request } from './http-helpers.js';

/**
 * `POST /roster/migrations` moving a project in from another roster serving Plunk's API (the
 * provider is real: a second roster over HTTP), on each database dialect.
 */
describeEachDialect('POST /roster/migrations', (dialect) => {
  let source: Roster;
  let target: Roster;
  let provider: Listening;
  let server: Listening;
  let sourceKey: string;
  let key: string;
  let projectId: string;
  const unexpected: unknown[] = [];

  beforeAll(async () => {
    source = await createTestRoster('sqlite');
    const from = (await source.projects.ensure('from')).id;
    sourceKey = (await source.keys.create(from)).key;
    for (let i = 0; i < 120; i++) {
      await source.contacts.create(from, {
        email: `p${i}@example.com`,
        subscribed: i % 4 !== 0,
        data: i % 2 === 0 ? { plan: { seats: i, tags: ['a', null] }, note: 'Zoë 🚀' } : null,
      });
    }
    const providerApp = express();
    providerApp.use(createPlunkRouter(source, { onError: (error) => unexpected.push(error) }));
    provider = await listen(providerApp);

    // The provider listens on loopback: allowed as by `roster serve --allow-private-webhook-targets`.
    target = await createTestRoster(dialect, { webhooks: { allowPrivateTargets: true } });
    projectId = (await target.projects.ensure('to')).id;
    key = (await target.keys.create(projectId)).key;
    const app = express();
    app.use('/roster', createRosterRouter(target, { onError: (error) => unexpected.push(error) }));
    server = await listen(app);
  });
  afterAll(async () => {
    await server.close();
    await provider.close();
    await target.close();
    await source.close();
  });

  const call = (method: string, path: string, body?: unknown) =>
    request(`${server.url}/roster${path}`, { method, key, body });

  it('answers 202 with the job, runs it to the end, and keeps the key out of every answer and the audit log', async () => {
    const dry = await call('POST', '/migrations', {
      from: 'plunk',
      url: provider.url,
      key: sourceKey,
      dryRun: true,
    });
    expect(dry.status).toBe(202);
    expect(dry.body).toMatchObject({
      type: 'migrate',
      state: 'waiting',
      summary: { kind: 'migrate', source: 'plunk', url: provider.url, dryRun: true, fetched: 0 },
    });
    await target.jobs.runOnce();
    const dryDone = await call('GET', `/jobs/${dry.body.id}`);
    expect(dryDone.body).toMatchObject({
      state: 'completed',
      progress: 100,
      summary: { kind: 'migrate', total: 120, fetched: 120, created: 120, updated: 0, failed: 0 },
    });
    expect(await target.contacts.count(projectId)).toBe(0);

    const real = await call('POST', '/migrations', {
      from: 'plunk',
      url: `${provider.url}/`,
      key: sourceKey,
      concurrency: 2,
    });
    expect(real.status).toBe(202);
    await target.jobs.runOnce();
    const done = await call('GET', `/jobs/${real.body.id}`);
    expect(done.body.summary).toMatchObject({ fetched: 120, created: 120, dryRun: false, errors: [] });
    expect((await target.contacts.findByEmail(projectId, 'p2@example.com'))?.data).toEqual({
      plan: { seats: 2, tags: ['a', null] },
      note: 'Zoë 🚀',
    });
    expect((await target.contacts.findByEmail(projectId, 'p4@example.com'))?.subscribed).toBe(false);
    // Listed among the project's jobs by default.
    const list = await call('GET', '/jobs');
    expect(list.body.data.map((j: { id: string }) => j.id)).toEqual(
      expect.arrayContaining([real.body.id, dry.body.id]),
    );

    const audit = await target.audit.list(projectId);
    const started = audit.data.filter((entry) => entry.action === 'migration.started');
    expect(started).toHaveLength(2);
    expect(started.find((entry) => entry.target === real.body.id)?.detail).toEqual({
      source: 'plunk',
      url: provider.url,
      concurrency: 2,
      dryRun: false,
    });
    for (const text of [
      JSON.stringify(audit),
      JSON.stringify(list.body),
      JSON.stringify(done.body),
      JSON.stringify(real.body),
    ])
      expect(text).not.toContain(sourceKey);
    expect(unexpected).toEqual([]);
  });

  it('fails the job, naming the answer, when the provider refuses the key', async () => {
    const res = await call('POST', '/migrations', {
      from: 'plunk',
      url: provider.url,
      key: 'sk_not_a_key_of_it',
    });
    expect(res.status).toBe(202);
    await target.jobs.runOnce();
    const done = await call('GET', `/jobs/${res.body.id}`);
    expect(done.body).toMatchObject({ state: 'failed', attempts: 1 });
    expect(done.body.failedReason).toContain('401');
    expect(done.body.failedReason).not.toContain('sk_not_a_key_of_it');
  });

  it('answers 400 naming each bad field, and 401 without a key', async () => {
    const cases: [unknown, string][] = [
      [{ key: 'k' }, 'from'],
      [{ from: 'mailchimp', key: 'k' }, 'from'],
      [{ from: 'plunk' }, 'key'],
      [{ from: 'plunk', key: '' }, 'key'],
      [{ from: 'plunk', key: 'k', url: 'ftp://example.com' }, 'url'],
      [{ from: 'plunk', key: 'k', concurrency: 99 }, 'concurrency'],
      [{ from: 'plunk', key: 'k', dryRun: 'yes' }, 'dryRun'],
      [{ from: 'plunk', key: 'k', extra: 1 }, 'body'],
      [[1], 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await call('POST', '/migrations', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(res.body), JSON.stringify(body)).toContain(`"field":"${field}"`);
    }
    const anonymous = await request(`${server.url}/roster/migrations`, {
      method: 'POST',
      body: { from: 'plunk', key: 'k' },
    });
    expect(anonymous.status).toBe(401);
    expect(unexpected).toEqual([]);
  });
});
