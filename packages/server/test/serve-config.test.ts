import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRoster } from '@roster/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readServeConfig, resolveServeSettings } from '../src/config-file.js';
import { runCli, startServe } from './cli-helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'roster-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function configFile(content: unknown): string {
  const path = join(dir, 'roster.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const status = async (url: string, key: string) =>
  (await fetch(`${url}/contacts`, { headers: { authorization: `Bearer ${key}` } })).status;

describe('readServeConfig', () => {
  it('reads every field and resolves a relative db path against the file', () => {
    const path = configFile({
      port: 8080,
      host: '0.0.0.0',
      db: 'data/roster.db',
      apiKeys: ['sk_config_key_1'],
      concurrency: 4,
      webhookConcurrency: 8,
      lockTimeoutMs: 2000,
      pollIntervalMs: 250,
    });
    expect(readServeConfig(path)).toEqual({
      port: 8080,
      host: '0.0.0.0',
      db: join(dir, 'data/roster.db'),
      apiKeys: ['sk_config_key_1'],
      concurrency: 4,
      webhookConcurrency: 8,
      lockTimeoutMs: 2000,
      pollIntervalMs: 250,
    });
    expect(readServeConfig(configFile({ db: ':memory:' })).db).toBe(':memory:');
  });

  it.each([
    [
      { prot: 1 },
      'unknown field "prot" (known: port, host, db, apiKeys, concurrency, webhookConcurrency, lockTimeoutMs, pollIntervalMs, maxConnections, maxConnectionsPerClient, headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, jsonLimitBytes, maxImportBytes, trackJsonLimitBytes, trackRatePerSecond, trackBurst, trustProxy, allowPrivateWebhookTargets, rateLimit, auditRetentionDays, publicUrl)',
    ],
    [{ maxConnections: 0 }, '"maxConnections" must be an integer >= 1'],
    [{ jsonLimitBytes: '1mb' }, '"jsonLimitBytes" must be an integer >= 1'],
    [{ port: '8080' }, '"port" must be an integer from 0 to 65535'],
    [{ port: 70000 }, '"port" must be an integer from 0 to 65535'],
    [{ apiKeys: 'sk_x' }, '"apiKeys" must be an array of strings'],
    [{ concurrency: 0 }, '"concurrency" must be an integer >= 1'],
    [{ webhookConcurrency: 1.5 }, '"webhookConcurrency" must be an integer >= 1'],
    [{ lockTimeoutMs: 1.5 }, '"lockTimeoutMs" must be an integer >= 1'],
    [{ pollIntervalMs: 0 }, '"pollIntervalMs" must be an integer >= 1'],
    ['{"constructor": 1}', 'unknown field "constructor"'],
    ['{"toString": "x"}', 'unknown field "toString"'],
    ['{"__proto__": {"port": 1}}', 'unknown field "__proto__"'],
    [[1, 2], 'must contain a JSON object'],
    ['{"port": 80,', 'is not valid JSON'],
  ])('rejects %j, naming the problem', (content, message) => {
    expect(() => readServeConfig(configFile(content))).toThrow(message);
  });

  it('names a file that cannot be read', () => {
    expect(() => readServeConfig(join(dir, 'missing.json'))).toThrow(
      /Cannot read config file .*missing\.json: ENOENT/,
    );
  });
});

describe('roster serve --config', () => {
  it('uses the file’s database and keys; --api-key adds to them and ROSTER_DB overrides the db', async () => {
    const path = configFile({ db: 'from-config.db', apiKeys: ['sk_config_key_1'], host: '127.0.0.1' });
    const serve = await startServe(['--config', path, '--api-key', 'sk_flag_key_1']);
    try {
      expect(await status(serve.url, 'sk_config_key_1')).toBe(200);
      expect(await status(serve.url, 'sk_flag_key_1')).toBe(200);
      expect(serve.output()).not.toContain('shown once');
      expect(existsSync(join(dir, 'from-config.db'))).toBe(true);
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }

    const envDb = join(dir, 'from-env.db');
    const second = await startServe(['--config', path], { ROSTER_DB: envDb });
    try {
      expect(await status(second.url, 'sk_config_key_1')).toBe(200);
      expect(existsSync(envDb)).toBe(true);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });

  it('exits 1 with the problem when the config file is invalid', async () => {
    const result = await runCli(['serve', '--config', configFile({ port: 'eighty' })]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('"port" must be an integer from 0 to 65535');
  });
});

describe('resolveServeSettings', () => {
  const file = {
    port: 8080,
    host: '0.0.0.0',
    db: '/srv/file.db',
    apiKeys: ['sk_file_key_1'],
    concurrency: 4,
    webhookConcurrency: 6,
    lockTimeoutMs: 5000,
    pollIntervalMs: 100,
    maxConnections: 50,
    maxConnectionsPerClient: 20,
    requestTimeoutMs: 30_000,
    rateLimit: 'track=1/2',
    auditRetentionDays: 30,
  };

  it('takes the config file over the defaults', () => {
    expect(resolveServeSettings({}, {}, file)).toEqual({
      port: 8080,
      host: '0.0.0.0',
      database: '/srv/file.db',
      apiKeys: ['sk_file_key_1'],
      concurrency: 4,
      webhookConcurrency: 6,
      lockTimeoutMs: 5000,
      pollIntervalMs: 100,
      limits: { maxConnections: 50, maxConnectionsPerClient: 20, requestTimeoutMs: 30_000 },
      allowPrivateWebhookTargets: false,
      rateLimits: { track: { perSecond: 1, burst: 2 } },
      auditRetentionDays: 30,
      // A wildcard host is reached at localhost.
      publicUrl: 'http://localhost:8080',
    });
    expect(resolveServeSettings({}, {})).toEqual({
      port: 3000,
      host: '127.0.0.1',
      database: './roster.db',
      apiKeys: [],
      concurrency: undefined,
      webhookConcurrency: undefined,
      lockTimeoutMs: undefined,
      pollIntervalMs: undefined,
      limits: {},
      allowPrivateWebhookTargets: false,
      rateLimits: {},
      publicUrl: 'http://127.0.0.1:3000',
    });
  });

  it('takes --public-url over ROSTER_PUBLIC_URL over the file, refusing one that is not http(s)', () => {
    const withUrl = { ...file, publicUrl: 'https://file.example' };
    expect(resolveServeSettings({}, {}, withUrl).publicUrl).toBe('https://file.example');
    expect(resolveServeSettings({}, { ROSTER_PUBLIC_URL: 'https://env.example' }, withUrl).publicUrl).toBe(
      'https://env.example',
    );
    expect(
      resolveServeSettings(
        { publicUrl: 'https://flag.example/lists' },
        { ROSTER_PUBLIC_URL: 'https://env.example' },
      ).publicUrl,
    ).toBe('https://flag.example/lists');
    // An ephemeral port has no URL to default to: links then need --public-url.
    expect(resolveServeSettings({ port: '0' }, {}).publicUrl).toBeUndefined();
    expect(() => resolveServeSettings({ publicUrl: 'ftp://x.example' }, {})).toThrow(
      'Invalid --public-url "ftp://x.example": must be an http or https URL',
    );
    expect(() => readServeConfig(configFile('{"publicUrl": "nope"}'))).toThrow(
      '"publicUrl" must be an http or https URL',
    );
  });

  it('takes the environment over the file, and flags over both; keys add up', () => {
    const env = { PORT: '9000', HOST: '::1', ROSTER_DB: '/srv/env.db' };
    expect(resolveServeSettings({}, env, file)).toMatchObject({
      port: 9000,
      host: '::1',
      database: '/srv/env.db',
    });
    expect(
      resolveServeSettings(
        {
          port: '0',
          host: 'localhost',
          db: '/srv/flag.db',
          apiKey: ['sk_flag_key_1'],
          concurrency: '1',
          webhookConcurrency: '3',
          lockTimeout: '2000',
          pollInterval: '50',
          maxConnections: '10',
          maxConnectionsPerClient: '5',
          headersTimeout: '1000',
          jsonLimit: '2048',
          rateLimit: 'contacts:write=5/10',
          auditRetentionDays: '7',
        },
        env,
        file,
      ),
    ).toEqual({
      port: 0,
      host: 'localhost',
      database: '/srv/flag.db',
      apiKeys: ['sk_file_key_1', 'sk_flag_key_1'],
      concurrency: 1,
      webhookConcurrency: 3,
      lockTimeoutMs: 2000,
      pollIntervalMs: 50,
      limits: {
        maxConnections: 10,
        maxConnectionsPerClient: 5,
        headersTimeoutMs: 1000,
        requestTimeoutMs: 30_000,
        jsonLimitBytes: 2048,
      },
      allowPrivateWebhookTargets: false,
      rateLimits: { 'contacts:write': { perSecond: 5, burst: 10 } },
      auditRetentionDays: 7,
    });
  });

  it('allows private webhook targets from the flag, ROSTER_WEBHOOKS_ALLOW_PRIVATE or the file', () => {
    expect(resolveServeSettings({ allowPrivateWebhookTargets: true }, {}).allowPrivateWebhookTargets).toBe(
      true,
    );
    expect(resolveServeSettings({}, { ROSTER_WEBHOOKS_ALLOW_PRIVATE: '1' }).allowPrivateWebhookTargets).toBe(
      true,
    );
    expect(
      resolveServeSettings({}, { ROSTER_WEBHOOKS_ALLOW_PRIVATE: '0' }, { allowPrivateWebhookTargets: true })
        .allowPrivateWebhookTargets,
    ).toBe(false);
    expect(
      resolveServeSettings({}, {}, { allowPrivateWebhookTargets: true }).allowPrivateWebhookTargets,
    ).toBe(true);
    expect(() => resolveServeSettings({}, { ROSTER_WEBHOOKS_ALLOW_PRIVATE: 'yes' })).toThrow(
      'Invalid ROSTER_WEBHOOKS_ALLOW_PRIVATE="yes": use 1 or 0',
    );
  });

  it('reads --trust-proxy, ROSTER_TRUST_PROXY and the file’s trustProxy as Express’s trust proxy values', () => {
    expect(resolveServeSettings({ trustProxy: 'loopback' }, {}).trustProxy).toBe('loopback');
    expect(resolveServeSettings({ trustProxy: '2' }, {}).trustProxy).toBe(2);
    expect(resolveServeSettings({ trustProxy: 'true' }, {}).trustProxy).toBe(true);
    expect(resolveServeSettings({}, { ROSTER_TRUST_PROXY: '10.0.0.0/8, fc00::/7' }).trustProxy).toBe(
      '10.0.0.0/8, fc00::/7',
    );
    expect(resolveServeSettings({ trustProxy: 'false' }, { ROSTER_TRUST_PROXY: '1' }).trustProxy).toBe(false);
    expect(resolveServeSettings({}, {}, { trustProxy: ['loopback', '10.0.0.1'] }).trustProxy).toEqual([
      'loopback',
      '10.0.0.1',
    ]);
    expect(resolveServeSettings({}, {}).trustProxy).toBeUndefined();
    expect(() => resolveServeSettings({ trustProxy: ' ' }, {})).toThrow('Invalid --trust-proxy " "');
    expect(() => readServeConfig(configFile({ trustProxy: -1 }))).toThrow(
      '"trustProxy" must be true, false, a hop count',
    );
  });

  it.each([
    ['maxConnections', '0', '--max-connections'],
    ['maxConnectionsPerClient', '0', '--max-connections-per-client'],
    ['requestTimeout', '5s', '--request-timeout'],
    ['maxImportBytes', '-1', '--max-import-bytes'],
  ] as const)('rejects --%s %s, naming the flag', (flag, value, name) => {
    expect(() => resolveServeSettings({ [flag]: value }, {})).toThrow(
      `Invalid ${name} "${value}": use a whole number >= 1`,
    );
  });

  it.each(['0', '2s', '-5'])('rejects --webhook-concurrency %s, naming the flag', (value) => {
    expect(() => resolveServeSettings({ webhookConcurrency: value }, {})).toThrow(
      `Invalid webhook concurrency "${value}": use a whole number >= 1`,
    );
  });

  it.each(['0', '2s', '-5'])('rejects --lock-timeout %s, naming the flag', (value) => {
    expect(() => resolveServeSettings({ lockTimeout: value }, {})).toThrow(
      `Invalid lock timeout "${value}": use a whole number >= 1`,
    );
  });
});

describe('roster serve --lock-timeout', () => {
  /** A queued bulk job whose lock looks taken 5 s ago by a worker of another host. */
  async function staleJob(path: string, key: string): Promise<string> {
    const roster = await createRoster({ database: path });
    try {
      const project = await roster.projects.ensure('default');
      await roster.keys.register(project.id, key);
      const contact = await roster.contacts.create(project.id, { email: 'stale@example.com' });
      const jobId = await roster.bulk.enqueue(project.id, 'unsubscribe', [contact.id]);
      await roster.db
        .updateTable('roster_jobs')
        .set({
          status: 'running',
          attempts: 1,
          locked_by: 'roster:another-host:4242:0badc0de',
          locked_at: new Date(Date.now() - 5000).toISOString(),
        })
        .where('id', '=', jobId)
        .execute();
      return jobId;
    } finally {
      await roster.close();
    }
  }

  async function jobState(url: string, key: string, jobId: string): Promise<string> {
    const deadline = Date.now() + 10_000;
    while (true) {
      const res = await fetch(`${url}/contacts/bulk/${jobId}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      const body = (await res.json()) as { state: string };
      if (body.state === 'completed' || Date.now() > deadline) return body.state;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it.each([
    ['the flag', (_path: string) => ['--lock-timeout', '1000']],
    ['the config file', (path: string) => ['--config', configFile({ db: path, lockTimeoutMs: 1000 })]],
  ])('takes over a job whose lock is older than the timeout given by %s', async (_how, args) => {
    const path = join(dir, 'jobs.db');
    const key = 'sk_lock_timeout_key';
    const jobId = await staleJob(path, key);
    const serve = await startServe(['--db', path, ...args(path)]);
    try {
      expect(await jobState(serve.url, key, jobId)).toBe('completed');
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
    const roster = await createRoster({ database: path });
    try {
      const row = await roster.db
        .selectFrom('roster_jobs')
        .selectAll()
        .where('id', '=', jobId)
        .executeTakeFirst();
      expect(row).toMatchObject({ status: 'completed', attempts: 2, locked_at: null });
      expect(row?.locked_by).not.toBe('roster:another-host:4242:0badc0de');
    } finally {
      await roster.close();
    }
  });

  it('leaves the same lock alone with the default timeout (30 s)', async () => {
    const path = join(dir, 'jobs.db');
    const key = 'sk_lock_timeout_key';
    const jobId = await staleJob(path, key);
    const serve = await startServe(['--db', path]);
    try {
      const res = await fetch(`${serve.url}/contacts/bulk/${jobId}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(((await res.json()) as { state: string }).state).toBe('active');
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
  });
});
