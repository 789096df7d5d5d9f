import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Roster } from '@roster/core';
import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/index.js';
import { runCli, startServe } from './cli-helpers.js';

const CSRF = { 'x-roster-dashboard': '1', 'content-type': 'application/json' };

/** Signs in to the dashboard of `url` as if through a TLS proxy; the Set-Cookie header. */
async function signInViaTlsProxy(url: string, key: string): Promise<string> {
  const res = await fetch(`${url}/dashboard/api/session`, {
    method: 'POST',
    headers: { ...CSRF, 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' },
    body: JSON.stringify({ key }),
  });
  expect(res.status).toBe(200);
  return res.headers.get('set-cookie') ?? '';
}

describeEachDialect('roster server behind a proxy (trustProxy)', (dialect) => {
  let roster: Roster;
  let running: RunningServer | undefined;
  let key: string;
  let publicKey: string;

  beforeEach(async () => {
    roster = await createTestRoster(dialect);
    const project = await roster.projects.ensure('default');
    key = (await roster.keys.create(project.id)).key;
    publicKey = (await roster.keys.create(project.id, { prefix: 'pk_' })).key;
  });
  afterEach(async () => {
    await running?.close();
    running = undefined;
    await roster.close();
  });

  it('sets Secure on the session cookie for X-Forwarded-Proto: https from a trusted proxy only', async () => {
    running = await startServer({ roster, port: 0, trustProxy: 'loopback' });
    expect(await signInViaTlsProxy(running.url, key)).toMatch(/; Secure(;|$)/);
    await running.close();
    // Without trustProxy the forwarded header is not believed.
    running = await startServer({ roster, port: 0 });
    expect(await signInViaTlsProxy(running.url, key)).not.toMatch(/Secure/);
  });

  it('limits /v1/track per forwarded client address when the proxy is trusted', async () => {
    running = await startServer({
      roster,
      port: 0,
      trustProxy: 'loopback',
      trackRateLimit: { perSecond: 0.01, burst: 1 },
    });
    const track = (client: string) =>
      fetch(`${running!.url}/v1/track`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${publicKey}`,
          'content-type': 'application/json',
          'x-forwarded-for': client,
        },
        body: JSON.stringify({ event: 'e', email: 'proxy@example.com' }),
      });
    expect((await track('203.0.113.1')).status).toBe(200);
    expect((await track('203.0.113.1')).status).toBe(429);
    // Another client behind the same proxy has its own bucket.
    expect((await track('203.0.113.2')).status).toBe(200);
  });

  it('refuses a trust proxy value that is no address, naming it', async () => {
    await expect(startServer({ roster, port: 0, trustProxy: 'not-an-address' })).rejects.toThrow(
      'invalid trust proxy value "not-an-address"',
    );
  });
});

describe('roster serve --trust-proxy', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'roster-trust-proxy-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['the flag', ['--trust-proxy', 'loopback'], {}],
    ['ROSTER_TRUST_PROXY', [], { ROSTER_TRUST_PROXY: '1' }],
  ])('makes the session cookie Secure behind a TLS proxy, set by %s', async (how, args, env) => {
    const key = 'sk_trust_proxy_key_1';
    const db = join(dir, `${how.replace(/\W/g, '')}.db`);
    const serve = await startServe(['--db', db, '--api-key', key, ...args], env);
    try {
      expect(await signInViaTlsProxy(serve.url, key)).toMatch(/; Secure(;|$)/);
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
  });

  it('refuses a value that is no address with a one-line error', async () => {
    const res = await runCli([
      'serve',
      '--db',
      join(dir, 'bad.db'),
      '--port',
      '0',
      '--trust-proxy',
      'nonsense',
    ]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe(
      'roster: invalid trust proxy value "nonsense": invalid IP address: nonsense',
    );
  });
});
