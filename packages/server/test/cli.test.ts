import { readFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { join } from 'node:path';
import { createRoster } from '@roster/core';
import { describe, expect, it, vi } from 'vitest';
import { runCli, startServe, tempDirPerTest } from './cli-helpers.js';

// Each CLI process starts Node and the TypeScript loader: slow on a loaded 2-core machine.
vi.setConfig({ testTimeout: 120_000 });

let dir: string;
let db: string;
tempDirPerTest('roster-cli-', (created) => {
  dir = created;
  db = join(dir, 'roster.db');
});

async function contacts(url: string, key: string) {
  return fetch(`${url}/contacts`, { headers: { authorization: `Bearer ${key}` } });
}

describe('roster --version', () => {
  it("prints the package's version from its package.json", async () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const res = await runCli(['--version']);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(`${manifest.version}\n`);
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('roster keys', () => {
  it('creates a key and prints exactly one JSON line with --json', async () => {
    const res = await runCli(['keys', 'create', '--db', db, '--project', 'acme', '--json']);
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      project: 'acme',
      key: expect.stringMatching(/^sk_[0-9a-f]{48}$/),
    });
  });

  it('mints a public pk_ key with --public', async () => {
    const res = await runCli(['keys', 'create', '--db', db, '--public', '--json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).key).toMatch(/^pk_[0-9a-f]{48}$/);
  });

  it('mints an un_ key with --prefix and lists keys without revealing them', async () => {
    const created = JSON.parse(
      (await runCli(['keys', 'create', '--db', db, '--prefix', 'un_', '--json'])).stdout,
    );
    expect(created.key).toMatch(/^un_/);
    const listed = await runCli(['keys', 'list', '--db', db, '--json']);
    const rows = JSON.parse(listed.stdout);
    expect(rows).toEqual([
      {
        id: expect.any(String),
        project: 'default',
        key: `un_…${created.key.slice(-4)}`,
        createdAt: expect.any(String),
        revokedAt: null,
      },
    ]);
    expect(listed.stdout).not.toContain(created.key);
  });

  it('revokes a key by id', async () => {
    await runCli(['keys', 'create', '--db', db, '--json']);
    const [row] = JSON.parse((await runCli(['keys', 'list', '--db', db, '--json'])).stdout);
    expect((await runCli(['keys', 'revoke', row.id, '--db', db])).code).toBe(0);
    const again = await runCli(['keys', 'revoke', row.id, '--db', db]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      new RegExp(`^roster: Key ${row.id} was already revoked at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\n$`),
    );
    const unknown = await runCli(['keys', 'revoke', '01900000-0000-7000-8000-000000000000', '--db', db]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      'roster: No API key with id 01900000-0000-7000-8000-000000000000 (see `roster keys list`)\n',
    );
  }, 120_000);

  it('rejects unknown flags with a clear message and a non-zero exit', async () => {
    const res = await runCli(['keys', 'create', '--db', db, '--bogus']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain("unknown option '--bogus'");
  });

  it('prints help for every command', async () => {
    for (const args of [['--help'], ['serve', '--help'], ['keys', '--help'], ['keys', 'create', '--help']]) {
      const res = await runCli(args);
      expect(res.code).toBe(0);
      expect(res.stdout).toContain('Usage: roster');
    }
  }, 120_000);

  it('says in serve --help where both APIs, the OpenAPI documents and /health are, and what --db takes', async () => {
    const serve = await runCli(['serve', '--help']);
    for (const text of ['/contacts', '/v1', '/openapi/plunk.json', '/openapi/unosend.json', '/health']) {
      expect(serve.stdout).toContain(text);
    }
    expect(serve.stdout).toMatch(/Plunk-compatible/);
    expect(serve.stdout).toMatch(/Unosend-compatible/);
    for (const args of [
      ['serve'],
      ['import'],
      ['export'],
      ['keys', 'create'],
      ['keys', 'list'],
      ['keys', 'revoke'],
    ]) {
      const help = (await runCli([...args, '--help'])).stdout.replace(/\s+/g, ' ');
      expect(help).toContain('--db <path|url> SQLite database file path, or a postgres:// URL');
    }
  }, 300_000); // seven CLI processes

  it('fails on an invalid prefix with a message naming it', async () => {
    const res = await runCli(['keys', 'create', '--db', db, '--prefix', 'NOPE']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('must be lowercase letters or digits ending in "_"');
  });
});

describe('roster serve', () => {
  it('serves with a key made by keys create --json, and registers --api-key idempotently', async () => {
    const { key } = JSON.parse((await runCli(['keys', 'create', '--db', db, '--json'])).stdout);
    const server = await startServe(['--db', db, '--api-key', 'sk_test_fixed_key_1']);
    try {
      expect(server.output()).not.toContain('API key (shown once');
      expect((await contacts(server.url, key)).status).toBe(200);
      expect((await contacts(server.url, 'sk_test_fixed_key_1')).status).toBe(200);
      expect((await contacts(server.url, 'sk_wrong')).status).toBe(401);
      const health = await fetch(`${server.url}/health`);
      expect(await health.json()).toEqual({ status: 'ok' });
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    const again = await startServe(['--db', db, '--api-key', 'sk_test_fixed_key_1']);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
    const roster = await createRoster({ database: db });
    expect(await roster.keys.countActive()).toBe(2);
    await roster.close();
  }, 120_000);

  it('creates a default project and prints a key once on first start', async () => {
    const first = await startServe([], { ROSTER_DB: db });
    const key = /API key \(shown once, keep it\): (sk_\w+)/.exec(first.output())?.[1];
    expect(key).toBeDefined();
    expect((await contacts(first.url, key!)).status).toBe(200);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    const second = await startServe([], { ROSTER_DB: db });
    expect(second.output()).not.toContain('shown once');
    second.child.kill('SIGTERM');
    await second.exited;
  }, 120_000);

  it('finishes an in-flight request on SIGTERM, then stops accepting and exits 0', async () => {
    const server = await startServe(['--db', db, '--api-key', 'sk_test_fixed_key_1']);
    const { port, hostname } = new URL(server.url);
    const body = JSON.stringify({ email: 'inflight@example.com' });
    const socket = connect(Number(port), hostname);
    await new Promise<void>((r) => socket.once('connect', () => r()));
    let response = '';
    socket.on('data', (d) => (response += d));
    // Headers and half the body: the request is in flight when the signal arrives.
    socket.write(
      `POST /contacts HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer sk_test_fixed_key_1\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`,
    );
    await new Promise((r) => setTimeout(r, 200));
    server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
    socket.write(body.slice(10));
    expect(await server.exited).toBe(0);
    expect(response).toMatch(/^HTTP\/1\.1 201 Created/);
    expect(server.output()).toContain('roster stopped');
    const roster = await createRoster({ database: db });
    const project = await roster.projects.ensure('default');
    expect(await roster.contacts.findByEmail(project.id, 'inflight@example.com')).not.toBeNull();
    await roster.close();
  });

  it('on a busy port prints one line, creates no key, and a retry on a free port prints the first key', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const { port } = blocker.address() as AddressInfo;
    try {
      const busy = await runCli(['serve', '--db', db, '--port', String(port)]);
      expect(busy.code).toBe(1);
      // Nothing of its own on stdout: only the log lines of the migrations it applied (JSON, as stdout
      // is not a terminal), and no key.
      expect(busy.stdout.split('\n').filter((line) => line !== '' && !line.startsWith('{"level":'))).toEqual(
        [],
      );
      expect(busy.stdout).not.toContain('sk_');
      expect(busy.stderr).toBe(`roster: port ${port} is in use; try --port\n`);
    } finally {
      blocker.close();
    }
    const retry = await startServe(['--db', db]);
    try {
      const key = /API key \(shown once, keep it\): (sk_\w+)/.exec(retry.output())?.[1];
      expect(key).toBeDefined();
      expect((await contacts(retry.url, key!)).status).toBe(200);
    } finally {
      retry.child.kill('SIGTERM');
      await retry.exited;
    }
  }, 120_000);

  it('refuses an invalid port', async () => {
    const res = await runCli(['serve', '--db', db, '--port', 'http']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Invalid port "http"');
  });
});
