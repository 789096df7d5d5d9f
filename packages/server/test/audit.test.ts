import { join } from 'node:path';
import type { Roster } from '@roster/core';
import { createTestRoster, describeEachDialect } from '@roster/test-harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSince } from '../src/commands/audit.js';
import { type RunningServer, startServer } from '../src/index.js';
import { runCli, tempDirPerTest } from './cli-helpers.js';

describeEachDialect('the audit log over HTTP', (dialect) => {
  let roster: Roster;
  let running: RunningServer;
  let key: string;
  let keyId: string;
  let projectId: string;

  beforeEach(async () => {
    roster = await createTestRoster(dialect, { webhooks: { allowPrivateTargets: true } });
    projectId = (await roster.projects.ensure('default')).id;
    const created = await roster.keys.create(projectId);
    key = created.key;
    keyId = created.id;
    running = await startServer({ roster, port: 0 });
  });
  afterEach(async () => {
    await running.close();
    await roster.close();
  });

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${running.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: res.status === 204 ? null : await res.text() };
  };
  const entries = async () => {
    const res = await call('GET', '/roster/audit?limit=100');
    expect(res.status).toBe(200);
    return (JSON.parse(res.body!) as { data: { actor: string; action: string; target: string | null }[] })
      .data;
  };

  it('records administrative actions of every API with the acting key, newest first', async () => {
    const newKey = JSON.parse((await call('POST', '/roster/keys', { prefix: 'sk_' })).body!) as {
      id: string;
    };
    expect((await call('DELETE', `/roster/keys/${newKey.id}`)).status).toBe(204);
    const hook = JSON.parse(
      (
        await call('POST', '/roster/webhooks', {
          url: 'http://127.0.0.1:9/hook',
          eventTypes: ['contact.created'],
        })
      ).body!,
    ) as { id: string };
    expect((await call('PATCH', `/roster/webhooks/${hook.id}`, { enabled: false })).status).toBe(200);
    expect((await call('DELETE', `/roster/webhooks/${hook.id}`)).status).toBe(204);
    const a = JSON.parse((await call('POST', '/contacts', { email: 'a@example.com' })).body!) as {
      id: string;
    };
    const created = await call('POST', '/v1/contacts', { email: 'b@example.com' });
    expect(created.status).toBe(201);
    const b = (await roster.contacts.list(projectId, { search: 'b@example.com', limit: 1 })).data[0]!;
    expect((await call('POST', '/contacts/bulk-delete', { mode: 'ids', contactIds: [a.id] })).status).toBe(
      202,
    );
    expect(
      (await call('POST', '/v1/contacts/bulk', { operation: 'unsubscribe', contact_ids: [b.id] })).status,
    ).toBe(200);
    expect((await call('GET', '/roster/contacts/export?format=json&search=b')).status).toBe(200);
    // Reads and ordinary contact writes are not administrative actions.
    const log = await entries();
    expect(log.map((e) => [e.actor, e.action, e.target])).toEqual([
      [`key:${keyId}`, 'contacts.exported', null],
      [`key:${keyId}`, 'contacts.bulk_unsubscribed', null],
      [`key:${keyId}`, 'contacts.bulk_deleted', expect.any(String)],
      [`key:${keyId}`, 'webhook.deleted', hook.id],
      [`key:${keyId}`, 'webhook.updated', hook.id],
      [`key:${keyId}`, 'webhook.created', hook.id],
      [`key:${keyId}`, 'key.revoked', newKey.id],
      [`key:${keyId}`, 'key.created', newKey.id],
    ]);
    const detail = (await roster.audit.list(projectId, { action: 'contacts.exported' })).data[0]!.detail;
    expect(detail).toEqual({ format: 'json', filters: { search: 'b' } });
  });

  it('names a dashboard session as the actor', async () => {
    const signIn = await fetch(`${running.url}/dashboard/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-roster-dashboard': '1' },
      body: JSON.stringify({ key }),
    });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    const res = await fetch(`${running.url}/dashboard/api/roster/keys`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', 'x-roster-dashboard': '1' },
      body: '{}',
    });
    expect(res.status).toBe(201);
    expect((await entries()).map((e) => [e.actor, e.action])).toEqual([
      [`dashboard:${keyId}`, 'key.created'],
    ]);
  });

  it('answers bad list parameters with a 400 naming them, and has no route that changes the log', async () => {
    const since = await call('GET', '/roster/audit?since=yesterday');
    expect(since.status).toBe(400);
    expect(since.body).toContain('since');
    const limit = await call('GET', '/roster/audit?limit=501');
    expect(limit.status).toBe(400);
    expect(limit.body).toContain('limit');
    for (const method of ['POST', 'PATCH', 'DELETE']) {
      expect((await call(method, '/roster/audit', {})).status).toBe(404);
    }
  });
});

describe('roster audit', () => {
  let dir = '';
  tempDirPerTest('roster-audit-', (d) => {
    dir = d;
  });

  it('shows what the CLI did, as lines or JSON, since a time', async () => {
    const db = join(dir, 'r.db');
    const created = await runCli(['keys', 'create', '--db', db, '--json']);
    expect(created.code).toBe(0);
    const { id } = JSON.parse(created.stdout) as { id: string };
    expect((await runCli(['keys', 'revoke', id, '--db', db])).code).toBe(0);
    const json = await runCli(['audit', '--db', db, '--json']);
    expect(json.code).toBe(0);
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { actor: string; action: string; target: string });
    expect(lines.map((e) => [e.actor, e.action, e.target])).toEqual([
      ['cli', 'key.revoked', id],
      ['cli', 'key.created', id],
    ]);
    const text = await runCli(['audit', '--db', db, '--since', '1h', '--action', 'key.created']);
    expect(text.stdout).toMatch(new RegExp(`^\\S+Z  cli  key\\.created  ${id}  \\{"prefix":"sk_"\\}\\n$`));
    const bad = await runCli(['audit', '--db', db, '--since', 'last week']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Invalid --since "last week"');
  }, 60_000);

  it('reads --since as a time or a duration back from now', () => {
    const now = Date.parse('2026-03-08T00:00:00Z');
    expect(parseSince('7d', now)).toBe('2026-03-01T00:00:00.000Z');
    expect(parseSince('2026-03-01T12:00:00+01:00', now)).toBe('2026-03-01T11:00:00.000Z');
  });
});
