import type { Roster } from '@roster/core';
import { createPgTestSchema, createTestRoster, describeEachDialect, PG_URL } from '@roster/test-harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRateLimits } from '../src/config-file.js';
import { type RunningServer, startServer } from '../src/index.js';
import { runCli, type ServeProcess, startServe } from './cli-helpers.js';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');

describeEachDialect('per-project rate limits (--rate-limit)', (dialect) => {
  let roster: Roster;
  let running: RunningServer | undefined;
  let sk: string;
  let pk: string;
  let re: string;
  const storeErrors: string[] = [];

  beforeEach(async () => {
    // A clock that stands still: the buckets never refill during a test.
    roster = await createTestRoster(dialect, { clock: () => new Date(NOW) });
    const project = await roster.projects.ensure('default');
    sk = (await roster.keys.create(project.id)).key;
    pk = (await roster.keys.create(project.id, { prefix: 'pk_' })).key;
    re = (await roster.keys.create(project.id, { prefix: 're_' })).key;
    storeErrors.length = 0;
    running = await startServer({
      roster,
      port: 0,
      rateLimits: {
        buckets: { 'contacts:write': { perSecond: 1, burst: 3 }, track: { perSecond: 2, burst: 2 } },
        onStoreError: (error, bucket) => storeErrors.push(`${bucket}: ${(error as Error).message}`),
      },
    });
  });
  afterEach(async () => {
    await running?.close();
    running = undefined;
    await roster.close();
  });

  const call = (method: string, path: string, key: string, body?: unknown) =>
    fetch(`${running!.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('shares contacts:write across the dialects and answers 429 in each one’s own shape', async () => {
    const first = await call('POST', '/contacts', sk, { email: 'a@example.com' });
    expect(first.status).toBe(201);
    expect(
      ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'].map((h) => first.headers.get(h)),
    ).toEqual(['3', '2', '1']);
    const { id } = (await first.json()) as { id: string };
    expect((await call('PATCH', `/contacts/${id}`, sk, { data: { a: 1 } })).status).toBe(200);
    expect((await call('POST', '/v1/contacts', sk, { email: 'b@example.com' })).status).toBe(201);

    const plunk = await call('POST', '/contacts', sk, { email: 'c@example.com' });
    expect(plunk.status).toBe(429);
    expect(plunk.headers.get('retry-after')).toBe('1');
    expect(plunk.headers.get('ratelimit-remaining')).toBe('0');
    expect(plunk.headers.get('ratelimit-reset')).toBe('3');
    expect(await plunk.json()).toEqual({
      success: false,
      error: {
        code: 'RATE_LIMIT_EXCEEDED',
        message: expect.stringContaining('Rate limit exceeded for contacts:write'),
        statusCode: 429,
        details: { retryAfter: 1 },
        requestId: plunk.headers.get('x-request-id'),
      },
      timestamp: expect.any(String),
    });

    const unosend = await call('DELETE', `/v1/contacts/${id}`, sk);
    expect(unosend.status).toBe(429);
    expect(unosend.headers.get('retry-after')).toBe('1');
    expect(await unosend.json()).toEqual({
      error: {
        message: expect.stringContaining('Rate limit exceeded'),
        code: 429,
        type: 'rate_limit_exceeded',
        request_id: unosend.headers.get('x-request-id'),
      },
    });

    const resend = await call('POST', '/resend/contacts', re, { email: 'd@example.com' });
    expect(resend.status).toBe(429);
    expect(await resend.json()).toMatchObject({ statusCode: 429, name: 'rate_limit_exceeded' });

    // Reads are never limited, nor are routes outside the bucket.
    const read = await call('GET', `/contacts/${id}`, sk);
    expect(read.status).toBe(200);
    expect(read.headers.get('ratelimit-limit')).toBeNull();
    expect((await call('GET', '/v1/contacts', sk)).status).toBe(200);
    expect((await call('POST', '/segments', sk, { name: 's', type: 'STATIC' })).status).toBeLessThan(300);
    // Nothing was written by a refused request.
    expect(
      (await roster.contacts.list((await roster.projects.ensure('default')).id, { limit: 10 })).data,
    ).toHaveLength(2);
  });

  it('limits POST /v1/track with the project’s track bucket', async () => {
    const track = () => call('POST', '/v1/track', pk, { event: 'signup', email: 'e@example.com' });
    expect((await track()).status).toBe(200);
    expect((await track()).status).toBe(200);
    const refused = await track();
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMIT_EXCEEDED');
  });

  it('lets requests through and reports it when the bucket store fails (fail open)', async () => {
    await roster.db.schema.dropTable('roster_rate_limit_buckets').execute();
    for (const email of ['f@example.com', 'g@example.com', 'h@example.com', 'i@example.com']) {
      expect((await call('POST', '/contacts', sk, { email })).status).toBe(201);
    }
    expect(storeErrors).toHaveLength(4);
    expect(storeErrors[0]).toMatch(/^contacts:write: .*roster_rate_limit_buckets/);
  });
});

describe('--rate-limit', () => {
  it('parses bucket=per-second/burst lists and names every problem', () => {
    expect(parseRateLimits('--rate-limit', 'contacts:write=50/100, track=0.5/200')).toEqual({
      'contacts:write': { perSecond: 50, burst: 100 },
      track: { perSecond: 0.5, burst: 200 },
    });
    expect(() => parseRateLimits('--rate-limit', 'send=1/1')).toThrow(/unknown bucket "send"/);
    expect(() => parseRateLimits('--rate-limit', 'track=100')).toThrow(
      /"track=100" is not bucket=per-second\/burst/,
    );
    expect(() => parseRateLimits('--rate-limit', 'track=0/5')).toThrow(/per-second rate must be above 0/);
    expect(() => parseRateLimits('--rate-limit', 'track=1/0')).toThrow(/burst must be from 1/);
    expect(() => parseRateLimits('--rate-limit', 'track=1/1,track=2/2')).toThrow(/given twice/);
  });

  it('refuses a bad value at start with a clear message', async () => {
    const run = await runCli(['serve', '--port', '0', '--db', ':memory:', '--rate-limit', 'contacts=5/5']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('unknown bucket "contacts"');
  });
});

describe.skipIf(!PG_URL)('two roster serve processes on one PostgreSQL database', () => {
  const servers: ServeProcess[] = [];
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await drop?.();
  });

  it('share the buckets: together they accept no more than one burst', async () => {
    const schema = await createPgTestSchema();
    drop = schema.drop;
    const key = 'sk_ratelimit_shared_test_key_0001';
    // 0.01 per second: the bucket gains less than one token while the test runs.
    const args = ['--db', schema.url, '--api-key', key, '--rate-limit', 'contacts:write=0.01/10'];
    servers.push(await startServe(args));
    servers.push(await startServe(args));
    const statuses = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        fetch(`${servers[i % 2]!.url}/contacts`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ email: `c${i}@example.com` }),
        }).then((res) => res.status),
      ),
    );
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
    // Each process accepted some: the budget was shared, not per process.
    const perServer = [0, 1].map((p) => statuses.filter((s, i) => i % 2 === p && s === 201).length);
    expect(perServer[0]! + perServer[1]!).toBe(10);
  });
});
